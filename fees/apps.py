from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = _("物业费与收支")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community import access

        from .models import (
            Bill,
            BillingRun,
            Expenditure,
            FeeSchedule,
            FundAccount,
            FundUse,
            LedgerEntry,
            ParkingSpace,
            Payment,
            Statement,
            SubAccount,
        )

        for model in (
            Bill,
            BillingRun,
            Expenditure,
            FeeSchedule,
            LedgerEntry,
            ParkingSpace,
            Payment,
            Statement,
            FundAccount,
            FundUse,
        ):
            access.register_child(model, "estate")
        access.register_child(SubAccount, "account")

        from committees.models import Committee, Member
        from community import pagecache

        # The estate's public fee pages (community.pagecache): the price board, the statements with
        # the committee members' fees, the fund's statements and the verify pages. Bills written in
        # bulk come with their run's row, so the run stands for them.
        for model in (FeeSchedule, Statement, Payment, BillingRun, FundAccount, Committee):
            pagecache.watch(model, _estate_scope)
        pagecache.watch(Member, _member_estate_scope)

        from community.backup import register_fingerprint_check

        from . import selectors
        from .fund import selectors as fund_selectors

        # Every backup keeps the published statements' fingerprints; its drill recomputes them.
        register_fingerprint_check(_("已发布物业费收支公示"), selectors.statement_fingerprints)
        register_fingerprint_check(_("已公布维修资金年度报表"), fund_selectors.statement_fingerprints)

        # The fee and fund statements' publication deadlines join the one duty list.
        from community import duties

        from .duties import PERMS
        from .duties import source as fee_duties

        duties.register(fee_duties, perms=PERMS)

        from committees import consents

        from . import services
        from .fund import services as fund_services

        # An expenditure approval, and a payout the committee clears once it keeps the fund, take
        # effect when enough committee members have confirmed their agreement from their own logins.
        consents.register(
            Expenditure,
            consents.Kind(
                label=_("支出审批"),
                waiting=services.expenditures_waiting,
                describe=services.describe_expenditure,
                settle=services.settle_expenditure,
            ),
        )
        consents.register(
            FundUse,
            consents.Kind(
                label=_("维修资金拨付审核"),
                waiting=fund_services.payouts_waiting,
                describe=fund_services.describe_payout,
                settle=fund_services.settle_payout_review,
            ),
        )


def _estate_scope(instance):
    from community import pagecache
    from community.models import Estate

    return pagecache.scope_of(Estate, instance.estate_id)


def _member_estate_scope(member):
    return _estate_scope(member.committee)
