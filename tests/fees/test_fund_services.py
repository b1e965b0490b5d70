"""The maintenance fund's rules (RULES.md §3), at their boundaries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone

from cms.models import NoticePage
from community.models import Ownership, Role
from community.workflow import IllegalTransition
from fees.fund import selectors as fund_selectors
from fees.fund import services as fund_services
from fees.models import FundAccount, FundUse, FundUseStatus, FundUseStep, LedgerEntry, Statement, SubAccount
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory

from .conftest import confirm_own, own_logins, seat_committee
from .fund_helpers import AREAS, open_fund, run_vote

S = FundUseStatus
TODAY = timezone.localdate


def plan(world, fund, *, actor=None, budget="10000.00", emergency=False, **extra):
    actor = actor or world.users[Role.COMMITTEE_MEMBER]
    return fund_services.plan_use(
        actor=actor,
        estate=world.e1,
        title="3栋屋面防水翻新",
        kind="roof",
        plan="铲除旧防水层，铺设 SBS 卷材两道",
        budget=budget,
        contractor="三元防水工程有限公司",
        quotes="三元防水 9800\n闽中建设 10500",
        buildings=[fund.building],
        emergency=emergency,
        emergency_reason="顶层住户室内漏水" if emergency else "",
        **extra,
    )


def walk_to_cleared(world, fund, use, settlement="9999.99"):
    reviewer = world.users[Role.STREET_STAFF]
    committee = world.users[Role.COMMITTEE_MEMBER]
    if not use.emergency:
        use = fund_services.publish_plan(actor=committee, use=use)
    use = fund_services.record_works_done(actor=committee, use=use, done_on=TODAY(), acceptance="验收合格")
    use = fund_services.apply_payout(actor=committee, use=use, settlement=settlement)
    return fund_services.review_payout(actor=reviewer, use=use, approve=True)


# --------------------------------------------------------------------------- accounts


class TestAccounts:
    @pytest.mark.parametrize("pct, rate", [("5", "100.00"), ("8", "160.00"), ("6.5", "130.00")])
    def test_rate_within_the_rule_sets_bounds(self, world, pct, rate):
        account = fund_services.open_account(
            actor=world.users[Role.DISTRICT_ADMIN],
            estate=world.e1,
            bank="建行",
            account_number="1",
            construction_cost="2000.00",
            deposit_pct=pct,
            custodian="中心",
            opened_on=date(2020, 1, 1),
        )
        assert account.rate == Decimal(rate)

    @pytest.mark.parametrize("pct", ["4.99", "8.01"])
    def test_rate_outside_is_refused_and_nothing_written(self, world, pct):
        with pytest.raises(ValidationError, match="5% 至 8%"):
            fund_services.open_account(
                actor=world.users[Role.DISTRICT_ADMIN],
                estate=world.e1,
                bank="建行",
                account_number="1",
                construction_cost="2000.00",
                deposit_pct=pct,
                custodian="中心",
                opened_on=date(2020, 1, 1),
            )
        assert not FundAccount.objects.exists()

    def test_only_the_housing_department_opens_accounts(self, world):
        for role in (Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.COMMUNITY_STAFF):
            with pytest.raises(PermissionDenied):
                fund_services.open_account(
                    actor=world.users[role],
                    estate=world.e1,
                    bank="建行",
                    account_number="1",
                    construction_cost="2000",
                    deposit_pct="6",
                    custodian="中心",
                    opened_on=date(2020, 1, 1),
                )

    def test_first_deposits_are_area_times_rate_with_gapless_vouchers(self, world):
        fund = open_fund(world)
        subs = {s.unit_id: s for s in SubAccount.objects.filter(account=fund.account)}
        assert len(subs) == 5  # building 3's four units and the world's unit 101
        assert subs[fund.units[0].pk].first_deposit == Decimal("9600.00")  # 80 m² × 120
        assert subs[fund.units[3].pk].first_deposit == Decimal("14400.00")
        entries = LedgerEntry.objects.filter(ledger="fund").order_by("number")
        assert [e.number for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].voucher == "维2020-00001"
        assert fund_selectors.balance_of(fund.units[0]) == Decimal("9600.00")

    def test_opening_again_opens_only_new_units(self, world):
        fund = open_fund(world)
        district = world.users[Role.DISTRICT_ADMIN]
        assert fund_services.open_subaccounts(actor=district, account=fund.account, on=date(2021, 1, 1)) == 0
        UnitFactory(building=fund.building, room="501", registered_area=Decimal("100.01"))
        assert fund_services.open_subaccounts(actor=district, account=fund.account, on=date(2021, 1, 1)) == 1
        assert SubAccount.objects.get(unit__room="501").first_deposit == Decimal("12001.20")

    def test_deposit_rounds_half_up_to_the_cent(self, world):
        fund = open_fund(world, cost="1999.99", pct="5")  # 99.9995 → 100.00 元/㎡
        assert fund.account.rate == Decimal("100.00")


class TestTopUp:
    def _drain_to(self, world, fund, unit, balance):
        sub = SubAccount.objects.get(unit=unit)
        return fund_services.refund(
            actor=world.users[Role.DISTRICT_ADMIN],
            unit=unit,
            amount=sub.first_deposit - balance,
            on=TODAY(),
            reason="测试：按比例扣减",
        )

    def test_exactly_three_tenths_is_not_an_alert_one_cent_less_is(self, world):
        fund = open_fund(world)
        a, b = fund.units[0], fund.units[1]  # first deposits 9600.00: 3/10 is 2880.00
        self._drain_to(world, fund, a, Decimal("2880.00"))
        self._drain_to(world, fund, b, Decimal("2879.99"))
        flagged = [s.unit_id for s in fund_selectors.alerts(fund.account)]
        assert flagged == [b.pk]
        assert fund_selectors.alert_counts([world.e1]) == {world.e1.pk: 1}

    def test_a_top_up_clears_the_alert(self, world):
        fund = open_fund(world)
        unit = fund.units[0]
        self._drain_to(world, fund, unit, Decimal("100.00"))
        assert [s.unit_id for s in fund_selectors.alerts(fund.account)] == [unit.pk]
        fund_services.top_up(actor=world.users[Role.STREET_STAFF], unit=unit, amount="2780.00", on=TODAY())
        assert list(fund_selectors.alerts(fund.account)) == []

    def test_refund_beyond_the_balance_is_refused_and_nothing_written(self, world):
        fund = open_fund(world)
        before = LedgerEntry.objects.count()
        with pytest.raises(ValidationError, match="超过分户账余额"):
            fund_services.refund(
                actor=world.users[Role.DISTRICT_ADMIN], unit=fund.units[0], amount="9600.01", on=TODAY(), reason="拆迁"
            )
        assert LedgerEntry.objects.count() == before

    @pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.001", "NaN"])
    def test_bad_amounts_are_refused(self, world, amount):
        fund = open_fund(world)
        with pytest.raises(ValidationError):
            fund_services.top_up(actor=world.users[Role.DISTRICT_ADMIN], unit=fund.units[0], amount=amount, on=TODAY())


class TestInterest:
    def test_interest_is_shared_by_balance_to_the_cent(self, world):
        fund = open_fund(world)
        total = Decimal("1234.57")
        entries = list(
            fund_services.post_interest(
                actor=world.users[Role.DISTRICT_ADMIN], account=fund.account, amount=total, on=TODAY()
            ).entries()
        )
        assert sum(e.amount for e in entries) == total
        by_unit = {e.unit_id: e.amount for e in entries}
        # the three equal units get equal shares give or take the one leftover cent
        equal = sorted(by_unit[u.pk] for u in fund.units[:3])
        assert equal[-1] - equal[0] <= Decimal("0.01")

    def test_one_cent_over_three_equal_sub_accounts_goes_to_one_of_them(self, world):
        fund = open_fund(world)
        district = world.users[Role.DISTRICT_ADMIN]
        # leave only the three equal units with money
        for unit in (fund.units[3], world.e1.buildings.exclude(pk=fund.building.pk).first().units.first()):
            fund_services.refund(
                actor=district, unit=unit, amount=fund_selectors.balance_of(unit), on=TODAY(), reason="清零"
            )
        entries = list(
            fund_services.post_interest(actor=district, account=fund.account, amount="0.01", on=TODAY()).entries()
        )
        assert [(e.unit_id, e.amount) for e in entries] == [(min(u.pk for u in fund.units[:3]), Decimal("0.01"))]

    def test_nothing_to_share_among_is_refused(self, world):
        fund = open_fund(world)
        district = world.users[Role.DISTRICT_ADMIN]
        for sub in SubAccount.objects.filter(account=fund.account):
            fund_services.refund(actor=district, unit=sub.unit, amount=sub.first_deposit, on=TODAY(), reason="清零")
        with pytest.raises(ValidationError, match="利息无从分配"):
            fund_services.post_interest(actor=district, account=fund.account, amount="10.00", on=TODAY())

    def test_income_is_shared_by_area(self, world):
        fund = open_fund(world)
        entries = list(
            fund_services.post_income(
                actor=world.users[Role.DISTRICT_ADMIN],
                account=fund.account,
                amount="100.00",
                on=TODAY(),
                description="国债收益",
            ).entries()
        )
        assert sum(e.amount for e in entries) == Decimal("100.00")


# --------------------------------------------------------------------------- use requests


class TestNormalProcedure:
    def test_the_whole_way_splits_the_settlement_to_the_cent(self, world):
        fund = open_fund(world)
        use = plan(world, fund)
        planned = dict(use.charged.values_list("unit_id", "planned_share"))
        assert sum(planned.values()) == Decimal("10000.00") and len(planned) == 4
        use = run_vote(use, fund.owners)
        assert use.status == S.APPROVED and use.plan_notice is not None and not use.plan_notice.live
        use = walk_to_cleared(world, fund, use)
        before = {u.pk: fund_selectors.balance_of(u) for u in fund.units}
        entries = list(fund_services.pay_out(actor=world.users[Role.STREET_STAFF], use=use, paid_on=TODAY()).entries())
        assert sum(e.amount for e in entries) == Decimal("-9999.99")
        assert len(entries) == 4 and len({e.number for e in entries}) == 4
        # 9999.99 over 80:80:80:120 → 2222.22 ×3 + 3333.33 = 9999.99 exactly
        after = {u.pk: fund_selectors.balance_of(u) for u in fund.units}
        assert [before[u.pk] - after[u.pk] for u in fund.units] == [Decimal("2222.22")] * 3 + [Decimal("3333.33")]
        # the developer's unsold unit is charged by area like any other
        assert before[fund.units[3].pk] - after[fund.units[3].pk] == Decimal("3333.33")
        use.refresh_from_db()
        assert use.status == S.PAID
        notice = use.settlement_notice
        assert "3栋-101" in str(notice.body)
        use = fund_services.publish_settlement(actor=world.users[Role.COMMITTEE_MEMBER], use=use)
        assert use.status == S.SETTLED
        assert list(use.steps.values_list("status", flat=True)) == [
            S.PLANNED,
            S.VOTING,
            S.APPROVED,
            S.PUBLICIZED,
            S.WORKS_DONE,
            S.APPLIED,
            S.CLEARED,
            S.PAID,
            S.SETTLED,
        ]
        assert use.steps.get(status=S.CLEARED).by == world.users[Role.STREET_STAFF]

    def test_a_failed_vote_stops_the_request_with_its_reason(self, world):
        fund = open_fund(world)
        use = run_vote(plan(world, fund), fund.owners, choice="no")
        assert use.status == S.FAILED and "同意未达到法定比例" in use.comments
        with pytest.raises(IllegalTransition):
            fund_services.record_works_done(
                actor=world.users[Role.COMMITTEE_MEMBER], use=use, done_on=TODAY(), acceptance="x"
            )

    def test_too_few_voters_fail_on_the_quorum(self, world):
        fund = open_fund(world)
        use = run_vote(plan(world, fund), fund.owners[:1])
        assert use.status == S.FAILED and "参与表决" in use.comments

    def test_only_the_charged_owners_vote(self, world):
        fund = open_fund(world)
        use = plan(world, fund)
        now = timezone.now()
        use = fund_services.put_to_vote(
            actor=None, use=use, opens_at=now + timedelta(days=16), closes_at=now + timedelta(days=20), now=now
        )
        from committees.votes import selectors as vote_selectors

        assert vote_selectors.holdings_of(world.resident, use.vote) == []  # unit 101 is in another building
        assert len(vote_selectors.holders_of(use.vote)) == 4

    def test_a_plan_charged_to_some_units_is_voted_by_those_units_only(self, world):
        fund = open_fund(world)
        use = plan(world, fund, units=fund.units[:2])
        assert use.charged.count() == 2
        now = timezone.now()
        use = fund_services.put_to_vote(
            actor=None, use=use, opens_at=now + timedelta(days=16), closes_at=now + timedelta(days=20), now=now
        )
        from committees.votes import selectors as vote_selectors

        assert len(vote_selectors.holders_of(use.vote)) == 2

    def test_works_cannot_start_before_the_vote(self, world):
        fund = open_fund(world)
        use = plan(world, fund)
        with pytest.raises(ValidationError, match="只有应急使用"):
            fund_services.record_works_done(
                actor=world.users[Role.COMMITTEE_MEMBER], use=use, done_on=TODAY(), acceptance="x"
            )
        assert FundUse.objects.get(pk=use.pk).status == S.PLANNED

    def test_settlement_above_the_voted_budget_is_refused(self, world):
        fund = open_fund(world)
        use = run_vote(plan(world, fund), fund.owners)
        committee = world.users[Role.COMMITTEE_MEMBER]
        use = fund_services.publish_plan(actor=committee, use=use)
        use = fund_services.record_works_done(actor=committee, use=use, done_on=TODAY(), acceptance="验收合格")
        with pytest.raises(ValidationError, match="须重新表决"):
            fund_services.apply_payout(actor=committee, use=use, settlement="10000.01")
        assert fund_services.apply_payout(actor=committee, use=use, settlement="10000.00").status == S.APPLIED

    def test_plan_needs_every_field_and_nothing_is_written(self, world):
        fund = open_fund(world)
        with pytest.raises(ValidationError, match="施工单位"):
            fund_services.plan_use(
                actor=None,
                estate=world.e1,
                title="t",
                kind="roof",
                plan="p",
                budget="1.00",
                contractor=" ",
                buildings=[fund.building],
            )
        with pytest.raises(ValidationError):
            fund_services.plan_use(
                actor=None, estate=world.e1, title="t", kind="roof", plan="p", budget="abc", contractor="c"
            )
        with pytest.raises(ValidationError, match="不属于本小区"):
            fund_services.plan_use(
                actor=None,
                estate=world.e1,
                title="t",
                kind="roof",
                plan="p",
                budget="1.00",
                contractor="c",
                units=[UnitFactory(building__estate=world.e2)],
            )
        assert not FundUse.objects.exists()

    def test_units_without_a_sub_account_cannot_be_charged(self, world):
        fund = open_fund(world)
        UnitFactory(building=fund.building, room="601")
        with pytest.raises(ValidationError, match="尚未建立分户账"):
            plan(world, fund)
        assert not FundUse.objects.exists()

    def test_who_may_plan(self, world):
        fund = open_fund(world)
        for role in (Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.COMMUNITY_STAFF):
            assert plan(world, fund, actor=world.users[role]).status == S.PLANNED
        for role in (Role.GRID_WORKER, Role.MEDIATOR):
            with pytest.raises(PermissionDenied):
                plan(world, fund, actor=world.users[role])
        with pytest.raises(PermissionDenied):
            plan(world, fund, actor=world.owner_user)


class TestReview:
    def _applied(self, world, fund):
        committee = world.users[Role.COMMITTEE_MEMBER]
        use = plan(world, fund, emergency=True)
        use = fund_services.record_works_done(actor=committee, use=use, done_on=TODAY(), acceptance="验收合格")
        return fund_services.apply_payout(actor=committee, use=use, settlement="5000.00")

    def test_a_return_needs_comments_and_goes_back_to_the_applicant(self, world):
        fund = open_fund(world)
        use = self._applied(world, fund)
        street = world.users[Role.STREET_STAFF]
        with pytest.raises(ValidationError, match="审核意见"):
            fund_services.review_payout(actor=street, use=use, approve=False, comments="  ")
        use = fund_services.review_payout(actor=street, use=use, approve=False, comments="缺少竣工验收单")
        assert use.status == S.RETURNED and use.comments == "缺少竣工验收单"
        use = fund_services.apply_payout(actor=world.users[Role.COMMITTEE_MEMBER], use=use, settlement="4800.00")
        assert use.status == S.APPLIED and use.settlement == Decimal("4800.00")

    def test_the_housing_department_reviews_before_the_hand_over(self, world):
        fund = open_fund(world)
        use = self._applied(world, fund)
        with pytest.raises(PermissionDenied):
            fund_services.review_payout(actor=world.users[Role.COMMITTEE_MEMBER], use=use, approve=True)
        with pytest.raises(PermissionDenied):
            fund_services.review_payout(actor=world.users[Role.COMMUNITY_STAFF], use=use, approve=True)
        assert (
            fund_services.review_payout(actor=world.users[Role.DISTRICT_ADMIN], use=use, approve=True).status
            == S.CLEARED
        )

    def test_the_committee_reviews_after_it(self, world):
        fund = open_fund(world)
        with pytest.raises(PermissionDenied):
            fund_services.hand_over(actor=world.users[Role.COMMITTEE_MEMBER], account=fund.account, on=date(2024, 1, 1))
        fund_services.hand_over(actor=world.users[Role.DISTRICT_ADMIN], account=fund.account, on=date(2024, 1, 1))
        with pytest.raises(ValidationError, match="已于 2024-01-01 移交"):
            fund_services.hand_over(actor=world.users[Role.DISTRICT_ADMIN], account=fund.account, on=date(2025, 1, 1))
        use = self._applied(world, fund)
        with pytest.raises(PermissionDenied):
            fund_services.review_payout(actor=world.users[Role.STREET_STAFF], use=use, approve=True)
        members = own_logins(seat_committee(world.e1, size=5))
        use = fund_services.review_payout(
            actor=world.users[Role.COMMITTEE_MEMBER], use=use, approve=True, in_favour=members[:3]
        )
        assert use.status == S.APPLIED  # the members confirm for themselves (tests/fees/test_expenditure_consents.py)
        confirm_own(use, members[:3])
        use.refresh_from_db()
        assert use.status == S.CLEARED
        entries = list(
            fund_services.pay_out(actor=world.users[Role.COMMITTEE_MEMBER], use=use, paid_on=TODAY()).entries()
        )
        assert entries[0].keeper == "江滨豪园业主大会"

    def test_a_payout_before_review_is_refused(self, world):
        fund = open_fund(world)
        use = self._applied(world, fund)
        with pytest.raises(IllegalTransition):
            fund_services.pay_out(actor=world.users[Role.DISTRICT_ADMIN], use=use, paid_on=TODAY())
        assert not LedgerEntry.objects.filter(fund_use=use).exists()


class TestEmergency:
    def test_emergency_skips_the_vote_and_must_be_published_after(self, world):
        fund = open_fund(world)
        use = plan(world, fund, emergency=True)
        with pytest.raises(ValidationError, match="不经业主表决"):
            now = timezone.now()
            fund_services.put_to_vote(
                actor=None, use=use, opens_at=now + timedelta(days=16), closes_at=now + timedelta(days=20)
            )
        use = walk_to_cleared(world, fund, use, settlement="12000.00")  # no budget cap without a vote
        fund_services.pay_out(actor=world.users[Role.DISTRICT_ADMIN], use=use, paid_on=TODAY())
        use.refresh_from_db()
        assert use.publish_by == TODAY() + timedelta(days=15)  # 15 days, counted from the day after payout
        assert not fund_services.publication_overdue(use, TODAY() + timedelta(days=15))
        assert fund_services.publication_overdue(use, TODAY() + timedelta(days=16))
        assert use.settlement_notice is not None and "应急使用" in use.settlement_notice.title
        use = fund_services.publish_settlement(actor=world.users[Role.COMMUNITY_STAFF], use=use)
        assert use.status == S.SETTLED and use.settlement_notice.live
        assert not fund_services.publication_overdue(use, TODAY() + timedelta(days=30))

    def test_emergency_needs_its_reason(self, world):
        fund = open_fund(world)
        with pytest.raises(ValidationError, match="紧急情况"):
            fund_services.plan_use(
                actor=None,
                estate=world.e1,
                title="t",
                kind="lift",
                plan="p",
                budget="1.00",
                contractor="c",
                emergency=True,
                emergency_reason="",
            )
        assert fund.account.estate.fund_uses.count() == 0

    def test_settlement_notice_names_rooms_never_owners(self, world):
        fund = open_fund(world)
        use = walk_to_cleared(world, fund, plan(world, fund, emergency=True), settlement="100.00")
        fund_services.pay_out(actor=world.users[Role.DISTRICT_ADMIN], use=use, paid_on=TODAY())
        use.refresh_from_db()
        text = str(use.settlement_notice.body)
        assert "3栋-101" in text
        assert not any(owner.name in text for owner in fund.owners)


# --------------------------------------------------------------------------- owners, sale, statement


class TestOwners:
    def test_the_sub_account_moves_with_the_unit_and_keeps_both_periods(self, world):
        fund = open_fund(world)
        unit, seller = fund.units[0], fund.owners[0]
        sold_on = TODAY() - timedelta(days=10)
        Ownership.objects.filter(unit=unit, owner=seller).update(ended_on=sold_on - timedelta(days=1))
        buyer = OwnerFactory(name="新业主")
        OwnershipFactory(unit=unit, owner=buyer, started_on=sold_on)
        fund_services.top_up(actor=world.users[Role.DISTRICT_ADMIN], unit=unit, amount="50.00", on=TODAY())
        periods = fund_selectors.history(unit)
        assert [p.names for p in periods] == [[seller.name], [buyer.name]]
        assert [e.category for e in periods[0].entries] == ["deposit"]
        assert [e.category for e in periods[1].entries] == ["topup"]
        assert [s.unit_id for s in fund_selectors.owner_subaccounts(buyer)] == [unit.pk]
        assert list(fund_selectors.owner_subaccounts(seller)) == []

    def test_an_owner_sees_their_share_before_the_vote(self, world):
        fund = open_fund(world)
        plan(world, fund)
        rows = list(fund_selectors.owner_uses(fund.owners[3]))
        assert [r.planned_share for r in rows] == [Decimal("3333.34")]  # 10000 × 120/360, the leftover cent
        assert rows[0].charged == 0


class TestAnnualStatement:
    def test_publishing_closes_the_year_and_fingerprints_it(self, world):
        fund = open_fund(world)
        year = TODAY().year - 1
        district = world.users[Role.DISTRICT_ADMIN]
        statement = fund_services.publish_fund_statement(
            actor=district, estate=world.e1, year=year, base_url="http://x"
        )
        assert statement.subject == "fund" and statement.notice is not None
        data = fund_selectors.fund_statement(world.e1, date(year, 1, 1), date(year, 12, 31))
        assert data.fingerprint == statement.fingerprint
        assert data.totals["closing"] == sum(AREAS, Decimal("89.50")) * 120
        with pytest.raises(ValidationError, match="报表已公布"):
            fund_services.top_up(actor=district, unit=fund.units[0], amount="1.00", on=date(year, 12, 31))
        with pytest.raises(ValidationError, match="已经发布"):
            fund_services.publish_fund_statement(actor=district, estate=world.e1, year=year, base_url="http://x")
        with pytest.raises(ValidationError, match="尚未结束"):
            fund_services.publish_fund_statement(
                actor=district, estate=world.e1, year=TODAY().year, base_url="http://x"
            )

    def test_the_notice_carries_rooms_and_amounts_never_names(self, world):
        fund = open_fund(world)
        statement = fund_services.publish_fund_statement(
            actor=None, estate=world.e1, year=TODAY().year - 1, base_url="http://x"
        )
        body = str(statement.notice.body)
        assert not any(o.name in body for o in fund.owners + [world.resident])
        assert "5 户" in body

    def test_fund_statements_do_not_close_the_fee_ledgers(self, world):
        open_fund(world)
        fund_services.publish_fund_statement(actor=None, estate=world.e1, year=TODAY().year - 1, base_url="http://x")
        assert Statement.objects.filter(subject="fees").count() == 0
        from fees import ledger

        assert ledger.closed_until(world.e1) is None
        assert ledger.closed_until(world.e1, "fund") == date(TODAY().year - 1, 12, 31)


def test_reversing_a_fund_entry(world):
    fund = open_fund(world)
    entry = fund_services.top_up(actor=world.users[Role.DISTRICT_ADMIN], unit=fund.units[0], amount="10.00", on=TODAY())
    back = fund_services.reverse_fund_entry(actor=world.users[Role.DISTRICT_ADMIN], entry=entry, reason="录错")
    assert back.amount == Decimal("-10.00") and back.reverses == entry
    with pytest.raises(ValidationError, match="已经冲销"):
        fund_services.reverse_fund_entry(actor=world.users[Role.DISTRICT_ADMIN], entry=entry, reason="再来")
    assert LedgerEntry.objects.filter(unit=fund.units[0]).aggregate(t=Sum("amount"))["t"] == Decimal("9600.00")


def test_steps_record_who_and_when(world):
    fund = open_fund(world)
    use = plan(world, fund)
    step = FundUseStep.objects.get(use=use)
    assert step.by == world.users[Role.COMMITTEE_MEMBER] and step.status == S.PLANNED


def test_notices_are_drafts_until_published(world):
    fund = open_fund(world)
    use = run_vote(plan(world, fund), fund.owners)
    assert NoticePage.objects.filter(pk=use.plan_notice_id, live=False).exists()


def test_publishing_a_notice_already_live_still_needs_the_right_to_publish(world):
    fund = open_fund(world)
    use = walk_to_cleared(world, fund, plan(world, fund, emergency=True), settlement="100.00")
    fund_services.pay_out(actor=world.users[Role.DISTRICT_ADMIN], use=use, paid_on=TODAY())
    use.refresh_from_db()
    from cms import services as cms

    cms.publish_notice(actor=None, notice=use.settlement_notice)
    with pytest.raises(PermissionDenied):
        fund_services.publish_settlement(actor=world.users[Role.GRID_WORKER], use=use)
    assert FundUse.objects.get(pk=use.pk).status == S.PAID


def test_a_batch_line_with_an_unknown_field_is_refused(world):
    fund = open_fund(world)
    from django.db import transaction

    from fees import ledger

    with pytest.raises(TypeError), transaction.atomic():
        ledger.post_many(
            actor=None,
            estate=world.e1,
            ledger="fund",
            entry_date=TODAY(),
            keeper="中心",
            lines=[
                dict(category="topup", amount=Decimal("1.00"), unit=fund.units[0], description="x", entry_date=TODAY())
            ]
            * 2,
        )
