"""The audit trail's lines for money: payments, reversals, approvals, fund payouts and their
review, each written by its service with the actor; and the pages and PDFs that show owners'
names in full (arrears, a unit's fees, a fund sub-account, receipts, demand letters)."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import AuditEvent, Role
from fees import services
from fees.fund import services as fund_services
from tests.factories import login

from .conftest import confirm_own, own_logins, seat_committee
from .fund_helpers import open_fund, run_vote
from .test_fund_services import plan, walk_to_cleared

pytestmark = pytest.mark.django_db
ADDRESS = "10.9.8.7"


def rows(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))


@pytest.fixture
def billed(pilot, world):
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    unit = world.resident.ownerships.get().unit
    return unit, list(unit.bills.all())


def test_a_payment_is_recorded_by_whoever_took_it(world, billed):
    unit, bills = billed
    staff = world.users[Role.COMPANY_STAFF]
    payment = services.record_payment(
        actor=staff,
        unit=unit,
        amount="100.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=bills,
    )
    [line] = rows("payment")
    assert (line.user_id, line.object_type, line.object_id, line.object_repr) == (
        staff.pk,
        "fees.payment",
        str(payment.pk),
        payment.receipt_no,
    )
    assert line.detail["amount"] == "100.00" and line.detail["backdated"] is False


def test_a_refused_payment_leaves_no_line(world, billed):
    unit, bills = billed
    with pytest.raises(Exception, match="没有权限"):
        services.record_payment(
            actor=world.users[Role.COMMITTEE_MEMBER],
            unit=unit,
            amount="1.00",
            paid_on=timezone.localdate(),
            method="cash",
            payer="张三丰",
            bills=bills,
        )
    assert not rows("payment")


def test_a_reversal_names_the_entry_it_undoes(world, pilot):
    staff = world.users[Role.COMPANY_STAFF]
    entry = services.record_income(
        actor=staff,
        estate=pilot,
        category="common",
        amount="1200.00",
        entry_date=timezone.localdate(),
        description="电梯广告位租金",
    )
    reversal = services.reverse_entry(actor=staff, entry=entry, reason="金额录错")
    [line] = rows("reversal")
    assert (line.user_id, line.object_type, line.object_id) == (staff.pk, "fees.ledgerentry", str(reversal.pk))
    assert line.detail == {"reverses": entry.pk, "amount": "1200.00"}


def test_an_expenditure_decision_is_recorded_with_its_outcome(world, pilot):
    members = own_logins(seat_committee(pilot, size=4))
    expenditure = services.request_expenditure(
        actor=None, estate=pilot, category="repairs", payee="某维修公司", amount="3000.00", purpose="更换门禁"
    )
    committee = world.users[Role.COMMITTEE_MEMBER]
    services.decide_expenditure(actor=committee, expenditure=expenditure, in_favour=members[:2])
    [line] = rows("expenditure_decision")
    assert (line.user_id, line.object_type, line.object_id) == (committee.pk, "fees.expenditure", str(expenditure.pk))
    # recorded by somebody else: in force only once the two members confirm from their own logins
    assert line.detail == {"approved": True, "status": "requested", "in_favour": 2, "members": 4}
    assert len(rows("consent_recorded")) == 2 and not rows("expenditure_approved")
    confirm_own(expenditure, members[:2])
    assert len(rows("consent_confirmed")) == 2
    [approved] = rows("expenditure_approved")
    assert approved.user_id == members[1].owner.user_id
    assert approved.detail == {"status": "posted", "confirmed": 2, "members": 4}


def test_a_fund_use_leaves_its_vote_review_payout_and_reversal_in_the_trail(world):
    fund = open_fund(world)
    use = run_vote(plan(world, fund), fund.owners)
    convened, closed = rows("vote_convene"), rows("vote_close")
    assert [c.object_id for c in convened] == [str(use.vote_id)] and [c.object_id for c in closed] == [str(use.vote_id)]
    street = world.users[Role.STREET_STAFF]
    use = walk_to_cleared(world, fund, use)
    [review] = rows("fund_payout_review")
    assert (review.user_id, review.object_type, review.object_id) == (street.pk, "fees.funduse", str(use.pk))
    assert review.detail == {"approved": True, "status": "cleared"}
    batch = fund_services.pay_out(actor=street, use=use, paid_on=timezone.localdate())
    [payout] = rows("fund_payout")
    assert (payout.user_id, payout.object_id) == (street.pk, str(use.pk))
    assert payout.detail["amount"] == "9999.99" and payout.detail["units"] == batch.count == 4

    entry = fund_services.top_up(actor=street, unit=fund.units[0], amount="100.00", on=timezone.localdate())
    fund_services.reverse_fund_entry(actor=street, entry=entry, reason="录错")
    [reversal] = rows("reversal")
    assert reversal.user_id == street.pk and reversal.detail["reverses"] == entry.pk


# --------------------------------------------------------------------------- pages and PDFs with names


def test_the_fee_pages_record_those_who_see_names_and_not_those_who_see_them_masked(client, world, billed):
    unit, bills = billed
    services.record_payment(
        actor=None, unit=unit, amount="100.00", paid_on=timezone.localdate(), method="cash", payer="张三丰", bills=bills
    )
    login(client, world.users[Role.COMMITTEE_MEMBER])  # the committee of a company-managed estate: masked
    assert "张**" in client.get(reverse("fees:unit", args=[world.e1.pk, unit.pk])).content.decode()
    client.get(reverse("fees:estate", args=[world.e1.pk]))
    assert not rows("view_personal")

    staff = world.users[Role.COMPANY_STAFF]
    login(client, staff)
    assert (
        "张三丰" in client.get(reverse("fees:unit", args=[world.e1.pk, unit.pk]), REMOTE_ADDR=ADDRESS).content.decode()
    )
    [seen] = rows("view_personal")
    assert (seen.user_id, seen.ip, seen.object_type, seen.object_id) == (
        staff.pk,
        ADDRESS,
        "community.unit",
        str(unit.pk),
    )
    assert seen.detail == {"page": "fees_unit"}
    client.get(reverse("fees:estate", args=[world.e1.pk]))  # the arrears list, with 张三丰's name
    assert rows("view_personal")[-1].detail == {"page": "fees_arrears"}


def test_receipts_and_demand_letters_are_recorded_as_exports(client, world, billed):
    unit, bills = billed
    payment = services.record_payment(
        actor=None, unit=unit, amount="10.00", paid_on=timezone.localdate(), method="cash", payer="张三丰", bills=bills
    )
    letter = services.issue_demand_letter(actor=None, unit=unit)
    login(client, world.users[Role.COMMITTEE_MEMBER])  # refused: no line
    assert client.get(reverse("fees:letter_pdf", args=[letter.pk])).status_code == 404
    assert not rows("export")
    staff = world.users[Role.COMPANY_STAFF]
    login(client, staff)
    assert client.get(reverse("fees:letter_pdf", args=[letter.pk])).status_code == 200
    assert client.get(reverse("fees:receipt_pdf", args=[payment.pk])).status_code == 200
    letter_line, receipt_line = rows("export")
    assert (letter_line.user_id, letter_line.object_type, letter_line.detail) == (
        staff.pk,
        "fees.demandletter",
        {"document": "demand_letter_pdf"},
    )
    assert (receipt_line.object_type, receipt_line.object_id) == ("fees.payment", str(payment.pk))


def test_a_fund_sub_account_page_with_names_is_recorded(client, world):
    fund = open_fund(world)
    unit = fund.units[0]
    login(client, world.users[Role.COMMITTEE_MEMBER])  # no view_personal_data: masked
    client.get(reverse("fees:fund_unit", args=[world.e1.pk, unit.pk]))
    assert not rows("view_personal")
    login(client, world.users[Role.DISTRICT_ADMIN])
    assert "三栋业主0" in client.get(reverse("fees:fund_unit", args=[world.e1.pk, unit.pk])).content.decode()
    [seen] = rows("view_personal")
    assert (seen.object_type, seen.object_id, seen.detail) == ("community.unit", str(unit.pk), {"page": "fund_unit"})
