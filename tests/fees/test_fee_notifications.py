"""Who the fee services tell: a billing run's owners (one message per run), a receipt's owners,
a demand letter's addressees; each told once, through the channels they can be reached by."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.services import transfer_unit
from fees import services
from fees.models import BillingRun
from notifications.models import Event
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, contract

from .conftest import month_ago, publish
from .notified import messages, owners_told, told

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


def resident_unit(world):
    return world.resident.ownerships.get().unit


# --------------------------------------------------------------------------- a billing run


def test_a_run_is_one_message_to_the_owners_its_bills_are_addressed_to(pilot, world):
    mine = resident_unit(world)
    shared = UnitFactory(building=mine.building, room="102")
    wife = OwnerFactory(name="妻")
    husband = OwnerFactory(name="夫", mobile="", user=UserFactory(username="husband"))
    unreachable = OwnerFactory(name="无联系方式", mobile="")
    for owner in (wife, husband, unreachable):
        OwnershipFactory(unit=shared, owner=owner, started_on=date(2015, 1, 1))
    later = OwnerFactory(name="二月才入住")
    OwnershipFactory(unit=UnitFactory(building=mine.building, room="103"), owner=later, started_on=FEB)
    services.run_billing(actor=None, estate=pilot, period=JAN)

    (message,) = messages(Event.BILL_ISSUED)
    run = BillingRun.objects.get()
    assert message.subject == run and message.link == reverse("fees:my_bills")
    assert "2026年01月" in message.title
    # Co-owners each; not the owner who arrived after the month, nor E2's owner.
    assert told(message) == {
        (world.resident.pk, world.owner_user.pk, "inbox"),  # an account and a mobile
        (world.resident.pk, world.owner_user.pk, "sms"),
        (wife.pk, None, "sms"),  # no account: a text to the registry's mobile only
        (husband.pk, husband.user_id, "inbox"),  # no mobile: no text, the inbox only
        # the third co-owner has neither: nothing can reach them, and nothing is queued for them
    }


def test_a_unit_sold_mid_month_tells_both_owners_of_their_bills(pilot, world):
    unit = UnitFactory(building__estate=pilot)
    seller, buyer = OwnerFactory(name="卖方"), OwnerFactory(name="买方")
    OwnershipFactory(unit=unit, owner=seller, started_on=date(2015, 1, 1))
    transfer_unit(actor=None, unit=unit, new_owners=[buyer], on=date(2026, 1, 13))
    services.run_billing(actor=None, estate=pilot, period=JAN)
    (message,) = messages(Event.BILL_ISSUED)
    assert {seller.pk, buyer.pk} <= owners_told(message)


def test_a_second_run_tells_only_the_owners_of_its_new_bills(pilot, world):
    services.run_billing(actor=None, estate=pilot, period=JAN)
    assert services.run_billing(actor=None, estate=pilot, period=JAN) is None  # nothing new: nothing told
    assert len(messages(Event.BILL_ISSUED)) == 1
    newcomer = OwnerFactory(name="新登记")
    OwnershipFactory(unit=UnitFactory(building__estate=pilot), owner=newcomer, started_on=date(2015, 1, 1))
    second = services.run_billing(actor=None, estate=pilot, period=JAN)
    first, again = messages(Event.BILL_ISSUED)
    assert again.subject == second and owners_told(again) == {newcomer.pk}
    assert owners_told(first) == {world.resident.pk}


def run_queries(estate, units: int) -> int:
    for i in range(units):
        # every owner has a mobile; the first and every other one an account as well
        owner = OwnerFactory(user=UserFactory() if i % 2 == 0 else None)
        OwnershipFactory(unit=UnitFactory(building__estate=estate), owner=owner, started_on=date(2015, 1, 1))
    with CaptureQueriesContext(connection) as queries:
        services.run_billing(actor=None, estate=estate, period=month_ago())
    return len(queries)


def test_telling_a_run_costs_the_same_queries_for_one_owner_or_fifty(world):
    # Two estates with the same books: E3 (company B's) and E2, given a contract here.
    contract(world.e2, starts_on=date(2020, 1, 1), ends_on=date(2099, 12, 31))
    for estate in (world.e3, world.e2):
        publish(estate)
    ContentType.objects.get_for_model(BillingRun)  # cached for the process, as in a running site
    one, fifty = run_queries(world.e3, 1), run_queries(world.e2, 50)
    # The bills go in as one executemany, and notify asks a fixed number of questions (up to a
    # batch of delivery rows: 75 here, under SQLite's 99 a batch).
    assert one == fifty
    assert len(owners_told(messages(Event.BILL_ISSUED)[-1])) == 50 + 1  # and E2's owner from the world


# --------------------------------------------------------------------------- payments and receipts


@pytest.fixture
def billed(pilot, world):
    for period in (JAN, FEB):
        services.run_billing(actor=None, estate=pilot, period=period)
    return resident_unit(world)


def pay(unit, amount="10.00"):
    bills = list(unit.bills.order_by("period", "item_id"))
    return services.record_payment(
        actor=None,
        unit=unit,
        amount=amount,
        paid_on=timezone.localdate(),
        method="wechat",
        payer="张三丰",
        bills=bills,
    )


def test_a_payment_sends_its_receipt_to_the_owners_and_the_link_opens_for_them(billed, world, client):
    co_owner = OwnerFactory(name="共有人")
    OwnershipFactory(unit=billed, owner=co_owner, started_on=date(2015, 1, 1))
    payment = pay(billed)
    (message,) = messages(Event.PAYMENT_RECEIPT)
    assert message.subject == payment and payment.receipt_no in message.title
    assert owners_told(message) == {world.resident.pk, co_owner.pk}
    assert message.link == reverse("fees:receipt_pdf", args=[payment.pk])
    client.force_login(world.owner_user)
    assert client.get(message.link).status_code == 200


def test_a_receipt_after_a_sale_goes_to_the_owner_on_the_day_of_payment(billed, world):
    buyer = OwnerFactory(name="新业主")
    transfer_unit(actor=None, unit=billed, new_owners=[buyer], on=date(2026, 3, 1))
    pay(billed)
    (message,) = messages(Event.PAYMENT_RECEIPT)
    assert owners_told(message) == {buyer.pk}


def test_each_payment_is_its_own_receipt(billed):
    first, second = pay(billed), pay(billed)
    assert [m.subject for m in messages(Event.PAYMENT_RECEIPT)] == [first, second]


# --------------------------------------------------------------------------- demand letters


def test_a_demand_letter_goes_to_the_owners_the_arrears_are_addressed_to(billed, world):
    buyer = OwnerFactory(name="新业主")
    transfer_unit(actor=None, unit=billed, new_owners=[buyer], on=date(2026, 3, 1))
    letter = services.issue_demand_letter(actor=None, unit=billed)
    (message,) = messages(Event.DEMAND_LETTER)
    assert message.subject == letter and str(letter.amount) in message.title
    # The arrears stay with the seller, and so does the letter; the buyer owes nothing of them.
    assert owners_told(message) == {world.resident.pk}
    assert message.link == reverse("fees:my_bills")


def test_a_refused_demand_letter_tells_nobody(billed):
    pay(billed, "378.00")
    with pytest.raises(Exception, match="没有欠费"):
        services.issue_demand_letter(actor=None, unit=billed)
    assert messages(Event.DEMAND_LETTER) == []
