"""When ownership changes (issue 21, item 5): from the day after a holding's ``ended_on`` the
former owner's account no longer sees that unit's bills, ballots or fund page; on the day of
``ended_on`` it still does. Its own payments and receipts for the period it held stay readable.
Who a bill is addressed to (``owners_of_bills``) does not change. The end of a holding is driven
through a sale and through the real registry import."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from committees.models import Ballot, Vote
from committees.votes import selectors as votes
from community.import_services import import_registry
from community.models import Ownership, Role
from community.registry_import import HEADERS
from community.services import transfer_unit
from fees import selectors
from fees import services as fees
from fees.fund import selectors as fund
from fees.models import Bill
from residents import household
from tests.factories import OwnerFactory, OwnershipFactory, UserFactory, login, valid_resident_id
from tests.fees.conftest import publish
from tests.fees.fund_helpers import open_fund

from .household_helpers import account, home_of, yesterday

BUYER_ID = valid_resident_id(77)


@pytest.fixture
def home(world):
    return home_of(world)


@pytest.fixture
def billed(world, home):
    """江滨豪园 billed for January and February 2026; the resident paid part of it a week ago."""
    publish(world.e1)
    for month in (1, 2):
        fees.run_billing(actor=None, estate=world.e1, period=date(2026, month, 1))
    payment = fees.record_payment(
        actor=None,
        unit=home,
        amount="50.00",
        paid_on=timezone.localdate() - timedelta(days=7),
        method="cash",
        payer="张三丰",
        bills=list(home.bills.all()),
        note="上周现金收款，今日补登",
    )
    return payment


@pytest.fixture
def open_vote(world):
    now = timezone.now()
    return Vote.objects.create(
        estate=world.e1,
        matter=Vote._meta.get_field("matter").choices[0][0],
        question="是否同意修订管理规约",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=3),
    )


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def end_holding(world, home, last_day):
    """The resident's holding of ``home`` ends on ``last_day``; a buyer holds from the day after."""
    holding = Ownership.objects.get(unit=home, owner=world.resident)
    holding.ended_on = last_day
    holding.save(update_fields=["ended_on"])
    buyer = OwnerFactory(name="新业主", user=UserFactory(username="buyer"))
    OwnershipFactory(unit=home, owner=buyer, started_on=last_day + timedelta(days=1))
    return buyer


# --------------------------------------------------------------------------- the selectors, by date


def test_bills_leave_the_sellers_list_the_day_after_the_holding_ends(world, home, billed):
    sale = timezone.localdate()
    buyer = OwnerFactory(name="新业主")
    transfer_unit(actor=None, unit=home, new_owners=[buyer], on=sale)  # the seller's last day: yesterday
    bills = Bill.objects.filter(unit=home)
    assert selectors.bills_of_owner(world.resident, on=yesterday()).count() == bills.count() == 4
    assert selectors.bills_of_owner(world.resident, on=sale).count() == 0
    assert selectors.bills_of_owner(world.resident).count() == 0
    assert selectors.bills_of_owner(buyer).count() == 0  # the buyer's days are not billed yet
    # Arrears stay addressed to the seller: notifications are unchanged.
    assert list(selectors.owners_of_bills(bills)) == [world.resident]
    # The seller's payment and its receipt are theirs for the period they held.
    assert [p.pk for p in selectors.payments_of_owner(world.resident)] == [billed.pk]
    assert selectors.may_see_payment(world.owner_user, billed)


def test_bills_of_owner_stays_one_query(world, home, billed, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(selectors.bills_of_owner(world.resident).prefetch_related(None))


def test_a_holding_ended_by_a_registry_import(world, home, billed, open_vote):
    """The community imports a file naming a new owner of 101 from today: the resident's
    holding ends yesterday, through the real import service."""
    open_fund(world)
    staff = world.users[Role.COMMUNITY_STAFF]
    row = [home.building.name, home.room, "", "89.50", "", "", "", "自然人", "赵新", BUYER_ID, "13700000077", ""]
    plan = import_registry(actor=staff, estate=world.e1, name="sale.xlsx", content=xlsx([row]))
    assert len(plan.ended_holdings) == 1 and len(plan.new_holdings) == 1
    ended = Ownership.objects.get(unit=home, owner=world.resident)
    assert ended.ended_on == yesterday()
    # On the last day the seller held it, everything is still theirs ...
    assert selectors.bills_of_owner(world.resident, on=yesterday()).count() == 4
    assert votes.scope_holders(world.e1, on=yesterday(), held_by=world.resident)
    # ... from today, nothing of the unit is.
    assert selectors.bills_of_owner(world.resident).count() == 0
    assert votes.holdings_of(world.resident, open_vote) == []
    assert open_vote not in [v for v, _c in votes.owner_votes(world.resident)]
    assert list(fund.owner_subaccounts(world.resident)) == []
    assert list(fund.owner_uses(world.resident)) == []
    # The new owner holds it (and binds anew: the seller's account is not carried over).
    buyer = Ownership.objects.get(unit=home, ended_on__isnull=True).owner
    assert buyer.name == "赵新" and buyer.user is None
    assert votes.holdings_of(buyer, open_vote) == [str(buyer.pk)]
    assert [s.unit_id for s in fund.owner_subaccounts(buyer)] == [home.pk]


# --------------------------------------------------------------------------- the pages, on the day and the day after


@pytest.mark.parametrize("day_after", [False, True], ids=["on_ended_on", "day_after"])
def test_the_former_owners_pages_on_the_last_day_and_the_day_after(client, world, home, billed, open_vote, day_after):
    open_fund(world)
    last_day = yesterday() if day_after else timezone.localdate()
    if day_after:  # the payment a week ago fell in the holding either way
        assert billed.paid_on <= last_day
    buyer = end_holding(world, home, last_day)
    login(client, world.owner_user)

    page = client.get(reverse("fees:my_bills"))
    assert page.status_code == 200
    assert (len(page.context["bills"]) == 0) is day_after
    body = page.content.decode()
    assert billed.receipt_no in body  # the seller's own payment stays listed either way
    receipt = client.get(reverse("fees:receipt_pdf", args=[billed.pk]))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")

    ballot = client.get(reverse("committees:ballot", args=[open_vote.pk]))
    assert ballot.status_code == (404 if day_after else 200)
    mine = client.get(reverse("committees:my_votes"))
    assert (open_vote.question in mine.content.decode()) is not day_after
    post = client.post(
        reverse("committees:ballot", args=[open_vote.pk]), {"holder": str(world.resident.pk), "choice": "yes"}
    )
    assert Ballot.objects.filter(vote=open_vote).exists() is not day_after
    if day_after:
        assert post.status_code == 404

    fund_page = client.get(reverse("fees:my_fund"))
    assert fund_page.status_code == 200
    assert (len(fund_page.context["subs"]) == 0) is day_after

    # The buyer's account sees the unit from the day after the seller's last day.
    buyer.user.refresh_from_db()
    client.logout()
    login(client, buyer.user)
    assert (client.get(reverse("committees:ballot", args=[open_vote.pk])).status_code == 200) is day_after


def test_a_household_member_of_the_seller_loses_the_home_and_its_shared_bills(client, world, home, billed):
    member = account("family", "13800000001")
    row = household.invite(actor=world.owner_user, unit=home, mobile="13800000001", relation="family")
    household.share_bills(actor=world.owner_user, household=row, share=True)
    login(client, member)
    assert client.get(reverse("fees:my_bills")).status_code == 200
    transfer_unit(actor=None, unit=home, new_owners=[OwnerFactory(name="买家")], on=timezone.localdate())
    assert client.get(reverse("fees:my_bills")).status_code == 403
    body = client.get(reverse("residents:household")).content.decode()
    assert "我加入的家庭" not in body and "尚未绑定房屋" in body


def test_after_an_import_the_seller_cannot_bind_from_the_units_letter_and_the_buyer_can(
    client, world, home, monkeypatch
):
    from residents import codes
    from residents import services as binding
    from residents.models import BindingLetter

    seller = OwnerFactory(id_number=valid_resident_id(55), mobile="")
    OwnershipFactory(unit=home, owner=seller, started_on=date(2018, 1, 1))
    code = codes.new_code()
    BindingLetter.objects.create(
        unit=home,
        code_hash=codes.digest(code),
        printed_by=world.users[Role.COMMUNITY_STAFF],
        expires_on=timezone.localdate() + timedelta(days=60),
    )
    staff = world.users[Role.COMMUNITY_STAFF]
    row = [home.building.name, home.room, "", "89.50", "", "", "", "自然人", "赵新", BUYER_ID, "13700000077", ""]
    import_registry(actor=staff, estate=world.e1, name="sale.xlsx", content=xlsx([row]))
    sent = []
    monkeypatch.setattr(binding, "send_sms_now", lambda mobile, text, *, event: sent.append(mobile) or "")
    refused = client.post("/bind/", {"code": code, "id_tail": seller.id_number[-6:], "mobile": "13700000055"})
    assert "证件号码后六位与登记信息不符" in refused.content.decode() and sent == []
    taken = client.post("/bind/", {"code": code, "id_tail": BUYER_ID[-6:], "mobile": "13700000077"})
    assert taken.status_code == 302 and sent == ["13700000077"]
