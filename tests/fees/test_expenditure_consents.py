"""Each member signs for themself (issue 22, item 9), for the owners' money: an expenditure approval
takes effect (posted, or sent to the owners' vote above the limit) only when the members who
confirmed from their own logins reach the rule set's share of all members counted at the decision;
a payout the committee clears, once it keeps the fund, likewise; the housing department alone."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from committees import consents
from community.models import Role
from community.services import assign_role
from fees import services
from fees.fund import services as fund_services
from fees.models import Expenditure, FundUse, FundUseStatus, LedgerEntry
from tests.factories import login

from .conftest import confirm_own, own_logins, seat_committee
from .fund_helpers import open_fund
from .test_fund_services import TODAY, plan

pytestmark = pytest.mark.django_db
S = FundUseStatus


def _request(estate, amount="3000.00"):
    return services.request_expenditure(
        actor=None, estate=estate, category="repairs", payee="某维修公司", amount=amount, purpose="更换单元门禁"
    )


def _status(item):
    return Expenditure.objects.get(pk=item.pk).status


class TestExpenditure:
    def test_posted_only_when_the_third_of_five_confirms(self, world, pilot):
        members = own_logins(seat_committee(pilot, size=5))
        item = _request(pilot)
        chair = world.users[Role.COMMITTEE_MEMBER]
        services.decide_expenditure(actor=chair, expenditure=item, in_favour=members[:4])
        assert _status(item) == "requested" and not LedgerEntry.objects.exists()
        confirm_own(item, members[:2])
        assert _status(item) == "requested" and not LedgerEntry.objects.exists()  # 2 of 5
        confirm_own(item, members[2:3])  # 3 of 5: posted on this call, by this member
        item = Expenditure.objects.get(pk=item.pk)
        assert item.status == "posted" and item.ledger_entry.recorded_by == members[2].owner.user
        assert item.members_total == 5 and item.decided_by == chair
        confirm_own(item, members[3:4])  # a late confirmation is recorded and changes nothing
        assert LedgerEntry.objects.count() == 1

    def test_recorded_by_the_member_counts_at_once(self, pilot):
        members = own_logins(seat_committee(pilot, size=4))
        item = _request(pilot)
        assign_role(actor=None, user=members[0].owner.user, role=Role.COMMITTEE_MEMBER, scope=pilot)
        services.decide_expenditure(actor=members[0].owner.user, expenditure=item, in_favour=members[:2])
        assert _status(item) == "requested"  # 1 of 4 confirmed: the member's own
        confirm_own(item, members[1:2])  # exactly 2 of 4 = 1/2
        assert _status(item) == "posted"

    def test_above_the_vote_limit_it_goes_to_the_vote_only_at_the_threshold(self, world, pilot):
        members = own_logins(seat_committee(pilot, size=5))
        big = _request(pilot, amount="100000.01")
        services.decide_expenditure(actor=world.users[Role.COMMITTEE_MEMBER], expenditure=big, in_favour=members[:3])
        confirm_own(big, members[:2])
        assert _status(big) == "requested"
        with pytest.raises(ValidationError, match="不需要或已经完成"):
            services.put_expenditure_to_vote(
                actor=None, expenditure=big, opens_at=None, closes_at=None
            )  # not yet approved
        confirm_own(big, members[2:3])
        assert _status(big) == "vote" and not LedgerEntry.objects.exists()

    def test_too_few_listed_is_a_refusal_with_its_reason_and_waits_for_nobody(self, world, pilot):
        members = own_logins(seat_committee(pilot, size=5))
        item = _request(pilot)
        chair = world.users[Role.COMMITTEE_MEMBER]
        with pytest.raises(ValidationError, match="2 / 5"):
            services.decide_expenditure(actor=chair, expenditure=item, in_favour=members[:2])
        assert not item.consents.exists() and _status(item) == "requested"
        services.decide_expenditure(actor=chair, expenditure=item, in_favour=members[:2], reason="报价偏高，请比价")
        item = Expenditure.objects.get(pk=item.pk)
        assert (item.status, item.reason) == ("refused", "报价偏高，请比价")
        assert consents.pending_for(members[0].owner.user) == []
        with pytest.raises(ValidationError, match="无需再确认"):
            confirm_own(item, members[:1])

    def test_a_later_call_may_add_members_but_not_repeat_itself(self, world, pilot):
        members = own_logins(seat_committee(pilot, size=5))
        item = _request(pilot)
        chair = world.users[Role.COMMITTEE_MEMBER]
        services.decide_expenditure(actor=chair, expenditure=item, in_favour=members[:3])
        with pytest.raises(ValidationError, match="已确认 0 / 需 3"):
            services.decide_expenditure(actor=chair, expenditure=item, in_favour=members[:3])
        assign_role(actor=None, user=members[3].owner.user, role=Role.COMMITTEE_MEMBER, scope=pilot)
        services.decide_expenditure(actor=members[3].owner.user, expenditure=item, in_favour=members[3:4])
        confirm_own(item, members[:2])  # the fourth member's own and two more: 3 of 5
        assert _status(item) == "posted"

    def test_the_page_shows_each_members_confirmation(self, client, world, pilot):
        members = own_logins(seat_committee(pilot, size=5))
        item = _request(pilot)
        services.decide_expenditure(actor=world.users[Role.COMMITTEE_MEMBER], expenditure=item, in_favour=members[:3])
        confirm_own(item, members[:1])
        login(client, world.users[Role.COMMITTEE_MEMBER])
        body = client.get(reverse("fees:expenditure", args=[item.pk])).content.decode()
        assert "待业委会审批" in body and "尚未生效（已确认 1 / 需 3）" in body and body.count("待本人确认") == 2
        login(client, members[1].owner.user)
        page = client.get(reverse("committees:confirmations")).content.decode()
        assert "某维修公司" in page and "3000.00" in page and "更换单元门禁" in page


class TestFundReview:
    def _applied(self, world, fund):
        committee = world.users[Role.COMMITTEE_MEMBER]
        use = plan(world, fund, emergency=True)
        use = fund_services.record_works_done(actor=committee, use=use, done_on=TODAY(), acceptance="验收合格")
        return fund_services.apply_payout(actor=committee, use=use, settlement="5000.00")

    def test_a_committee_keeper_clears_only_when_enough_members_confirm(self, world):
        fund = open_fund(world)
        fund_services.hand_over(actor=world.users[Role.DISTRICT_ADMIN], account=fund.account, on=date(2024, 1, 1))
        members = own_logins(seat_committee(world.e1, size=5))
        use = self._applied(world, fund)
        keeper = world.users[Role.COMMITTEE_MEMBER]
        with pytest.raises(ValidationError, match="2 / 5"):
            fund_services.review_payout(actor=keeper, use=use, approve=True, in_favour=members[:2])
        with pytest.raises(ValidationError, match="0 / 5"):
            fund_services.review_payout(actor=keeper, use=use, approve=True)
        assert not use.consents.exists()
        use = fund_services.review_payout(actor=keeper, use=use, approve=True, in_favour=members[:3])
        assert use.status == S.APPLIED
        with pytest.raises(ValidationError, match="拨付"):
            fund_services.pay_out(actor=keeper, use=use, paid_on=TODAY())
        confirm_own(use, members[:2])
        assert FundUse.objects.get(pk=use.pk).status == S.APPLIED
        [row] = consents.pending_for(members[2].owner.user)
        assert "5000.00" in row.what
        confirm_own(use, members[2:3])
        assert FundUse.objects.get(pk=use.pk).status == S.CLEARED

    def test_a_return_with_comments_needs_no_members(self, world):
        fund = open_fund(world)
        fund_services.hand_over(actor=world.users[Role.DISTRICT_ADMIN], account=fund.account, on=date(2024, 1, 1))
        own_logins(seat_committee(world.e1, size=5))
        use = self._applied(world, fund)
        use = fund_services.review_payout(
            actor=world.users[Role.COMMITTEE_MEMBER], use=use, approve=False, comments="缺少监理签字"
        )
        assert use.status == S.RETURNED and not use.consents.exists()

    def test_the_housing_department_reviews_alone(self, world):
        fund = open_fund(world)
        members = own_logins(seat_committee(world.e1, size=5))
        use = self._applied(world, fund)
        admin = world.users[Role.DISTRICT_ADMIN]
        with pytest.raises(ValidationError, match="只有业主委员会"):
            fund_services.review_payout(actor=admin, use=use, approve=True, in_favour=members[:3])
        with pytest.raises(PermissionDenied):
            fund_services.review_payout(
                actor=world.users[Role.COMMITTEE_MEMBER], use=use, approve=True, in_favour=members[:3]
            )
        assert fund_services.review_payout(actor=admin, use=use, approve=True).status == S.CLEARED
        assert not use.consents.exists()
