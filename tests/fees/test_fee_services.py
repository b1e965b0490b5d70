"""Fees services: price lists, billing runs, payments, receipts, ledgers and expenditure approval."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community.models import NumberSequence, Role
from community.services import transfer_unit
from fees import selectors, services
from fees.models import Bill, BillingRun, Expenditure, FeeSchedule, LedgerEntry, ParkingSpace, Payment
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory

from .conftest import ITEMS, month_ago, publish, seat_committee

D = Decimal


def bills_of(unit, period):
    return list(Bill.objects.filter(unit=unit, period=period).order_by("item_id", "starts_on"))


# --------------------------------------------------------------------------- price lists


def test_the_price_list_carries_every_field_of_the_price_display(pilot):
    schedule = FeeSchedule.objects.get(estate=pilot)
    assert schedule.hotline == "12358"
    assert schedule.provider == pilot.contracts.get().company.name
    assert [(i.name, i.kind, i.rate) for i in schedule.items.all()] == [(n, k, D(r)) for n, k, r in ITEMS]
    assert schedule.notice is not None and "12358" in schedule.notice.body


def test_a_missing_display_field_is_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError, match="服务标准"):
        publish(world.e1, service_standard=" ")
    assert not FeeSchedule.objects.exists()


def test_a_bad_rate_is_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError, match="物业服务费"):
        publish(world.e1, items=[("物业服务费", "per_area", "-1")])
    with pytest.raises(ValidationError, match="重复"):
        publish(world.e1, items=[("a", "per_unit", "1"), ("a", "per_unit", "2")])
    assert not FeeSchedule.objects.exists()


def test_a_price_change_applies_one_month_after_it_is_published_and_not_a_day_earlier(pilot):
    first_of_march = timezone.make_aware(timezone.datetime(2026, 3, 1, 10))
    # Published 2 March, 1 April is a day short of a month: refused, and the message names 1 May.
    with pytest.raises(ValidationError, match="2026-05-01"):
        publish(pilot, effective_from=date(2026, 4, 1), now=first_of_march + timedelta(days=1))
    # Published 1 March, 1 April is exactly one month later: allowed.
    publish(pilot, effective_from=date(2026, 4, 1), now=first_of_march, items=[("物业服务费", "per_area", "2.20")])
    assert FeeSchedule.objects.filter(estate=pilot).count() == 2


def test_a_price_change_must_start_on_the_first_of_a_month(pilot):
    with pytest.raises(ValidationError, match="1 日"):
        publish(pilot, effective_from=date(2030, 4, 2))


def test_the_notice_period_is_the_rule_sets(pilot):
    from community.models import RuleSet

    rule_set = RuleSet.objects.create(name="两个月", price_change_notice_months=2)
    district = pilot.district
    district.rule_set = rule_set
    district.save()
    now = timezone.make_aware(timezone.datetime(2026, 3, 1, 10))
    with pytest.raises(ValidationError, match="2 个月"):
        publish(pilot, effective_from=date(2026, 4, 1), now=now)
    publish(pilot, effective_from=date(2026, 5, 1), now=now)


def test_only_whoever_manages_the_estate_publishes_prices(world):
    with pytest.raises(PermissionDenied):
        publish(world.e1, actor=world.users[Role.COMMUNITY_STAFF])
    # The committee of a company-managed estate does not keep its books.
    with pytest.raises(PermissionDenied):
        publish(world.e1, actor=world.users[Role.COMMITTEE_MEMBER])
    publish(world.e1, actor=world.users[Role.COMPANY_STAFF])


# --------------------------------------------------------------------------- billing


def test_a_billing_run_bills_every_unit_from_the_schedule_and_a_second_run_creates_nothing(pilot, world):
    unit = world.resident.ownerships.get().unit
    ParkingSpace.objects.create(estate=pilot, number="B-001", unit=unit)
    period = month_ago()
    run = services.run_billing(actor=world.users[Role.COMPANY_STAFF], estate=pilot, period=period)
    amounts = [(b.item.name, b.amount, b.addressee) for b in bills_of(unit, period)]
    assert amounts == [
        ("物业服务费", D("179.00"), "张三丰"),
        ("生活垃圾清运费", D("10.00"), "张三丰"),
        ("车位管理费", D("60.00"), "张三丰"),
    ]
    assert run.bills_created == Bill.objects.count()
    assert services.run_billing(actor=None, estate=pilot, period=period) is None
    assert BillingRun.objects.count() == 1 and Bill.objects.count() == run.bills_created


def test_a_unit_sold_mid_month_is_billed_to_each_owner_for_their_days(pilot, world):
    unit = UnitFactory(building__estate=pilot, registered_area=D("100.00"))
    seller, buyer = OwnerFactory(name="卖方"), OwnerFactory(name="买方")
    OwnershipFactory(unit=unit, owner=seller, started_on=date(2015, 1, 1))
    transfer_unit(actor=None, unit=unit, new_owners=[buyer], on=date(2026, 1, 13))
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    fee = [
        (b.addressee, b.starts_on.day, b.ends_on.day, b.amount)
        for b in bills_of(unit, date(2026, 1, 1))
        if b.item.kind == "per_area"
    ]
    # 200.00 for January: 12 days (6 451.61.. -> 77.42) and 19 days (122.58); together exactly 200.00.
    assert fee == [("卖方", 1, 12, D("77.42")), ("买方", 13, 31, D("122.58"))]


def test_billing_refuses_a_month_without_a_schedule_or_in_the_future(world):
    with pytest.raises(ValidationError, match="没有执行中的收费标准"):
        services.run_billing(actor=None, estate=world.e1, period=month_ago())
    publish(world.e1)
    with pytest.raises(ValidationError, match="尚未开始"):
        services.run_billing(actor=None, estate=world.e1, period=timezone.localdate() + timedelta(days=40))
    assert not Bill.objects.exists()


def test_the_new_price_applies_from_its_month(pilot, world):
    now = timezone.make_aware(timezone.datetime(2026, 3, 1, 10))
    publish(pilot, effective_from=date(2026, 4, 1), now=now, items=[("物业服务费", "per_area", "2.20")])
    services.run_billing(actor=None, estate=pilot, period=date(2026, 3, 1))
    services.run_billing(actor=None, estate=pilot, period=date(2026, 4, 1))
    unit = world.resident.ownerships.get().unit
    assert [b.amount for b in Bill.objects.filter(unit=unit, item__name="物业服务费").order_by("period")] == [
        D("179.00"),
        D("196.90"),
    ]


# --------------------------------------------------------------------------- payments


@pytest.fixture
def billed(pilot, world):
    for period in (date(2026, 1, 1), date(2026, 2, 1)):
        services.run_billing(actor=None, estate=pilot, period=period)
    unit = world.resident.ownerships.get().unit
    return unit, list(Bill.objects.filter(unit=unit).order_by("period", "item_id"))


def pay(unit, bills, amount, *, paid_on=None, note="", actor=None, now=None):
    return services.record_payment(
        actor=actor,
        unit=unit,
        amount=amount,
        paid_on=paid_on or timezone.localdate(),
        method="wechat",
        payer="张三丰",
        bills=bills,
        note=note,
        now=now,
    )


def test_one_payment_settles_several_bills_oldest_first_and_a_partial_one_leaves_the_rest_open(billed):
    unit, bills = billed  # Jan 179 + 10, Feb 179 + 10
    payment = pay(unit, bills, "250.00")
    settled = {
        (a.bill.period.month, a.bill.item.name): a.amount for a in payment.allocations.select_related("bill__item")
    }
    assert settled == {(1, "物业服务费"): D("179.00"), (1, "生活垃圾清运费"): D("10.00"), (2, "物业服务费"): D("61.00")}
    owed = services.outstanding([b.pk for b in bills])
    assert sum(owed.values()) == D("128.00")
    entry = LedgerEntry.objects.get(payment=payment)
    assert (entry.ledger, entry.amount, entry.number) == ("income", D("250.00"), 1)
    assert payment.receipt_no in entry.description and "张三丰" not in entry.description


def test_paying_more_than_is_owed_is_refused_and_nothing_is_written(billed):
    unit, bills = billed
    with pytest.raises(ValidationError, match="超过"):
        pay(unit, bills[:1], "179.01")
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()
    assert not NumberSequence.objects.filter(series__startswith="receipt:").exclude(last=0).exists()


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "abc", "NaN"])
def test_a_bad_amount_is_refused(billed, amount):
    unit, bills = billed
    with pytest.raises(ValidationError, match="金额"):
        pay(unit, bills, amount)
    assert not Payment.objects.exists()


def test_a_backdated_payment_must_say_why_and_is_flagged(billed):
    unit, bills = billed
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError, match="说明原因"):
        pay(unit, bills, "10.00", paid_on=yesterday)
    payment = pay(unit, bills, "10.00", paid_on=yesterday, note="上周现金收款，今日补登")
    assert payment.backdated and "补登" in payment.ledger_entry.description
    assert payment.ledger_entry.entry_date == yesterday


def test_a_bill_of_another_unit_is_refused(billed, pilot):
    unit, bills = billed
    neighbour = UnitFactory(building=unit.building, room="102")
    OwnershipFactory(unit=neighbour, owner=OwnerFactory(name="邻居"), started_on=date(2015, 1, 1))
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    other = Bill.objects.filter(unit=neighbour).first()
    with pytest.raises(ValidationError, match="不属于"):
        pay(unit, [bills[0], other], "10.00")


def test_receipts_are_numbered_without_gaps_per_estate_and_year(billed):
    unit, bills = billed
    first = pay(unit, bills, "10.00")
    with pytest.raises(ValidationError):
        pay(unit, bills, "100000.00")  # refused: its number is given back
    second = pay(unit, bills, "10.00")
    assert (first.receipt_number, second.receipt_number) == (1, 2)
    assert second.receipt_no == f"{timezone.localdate().year}-000002"


def test_arrears_stay_with_the_seller_after_a_sale(billed, world):
    unit, bills = billed
    buyer = OwnerFactory(name="新业主")
    transfer_unit(actor=None, unit=unit, new_owners=[buyer], on=date(2026, 3, 1))
    arrears = selectors.arrears(world.e1)
    mine = next(a for a in arrears if a.unit_id == unit.pk)
    assert mine.owed == D("378.00") and mine.addressee == "张三丰"
    assert selectors.bills_of_owner(buyer).count() == 0
    # The seller's page lists them up to the last day held; from the day after, the unit's bills leave it.
    assert selectors.bills_of_owner(world.resident, on=date(2026, 2, 28)).count() == len(bills)
    assert selectors.bills_of_owner(world.resident, on=date(2026, 3, 1)).count() == 0
    assert list(selectors.owners_of_bills(Bill.objects.filter(pk__in=[b.pk for b in bills]))) == [world.resident]


def test_a_demand_letter_lists_the_open_bills_and_gives_the_rule_sets_period(billed):
    unit, bills = billed
    letter = services.issue_demand_letter(actor=None, unit=unit)
    assert letter.amount == D("378.00") and letter.bills.count() == 4
    assert letter.pay_by == timezone.localdate() + timedelta(days=30)
    pay(unit, bills, "378.00")
    with pytest.raises(ValidationError, match="没有欠费"):
        services.issue_demand_letter(actor=None, unit=unit)


# --------------------------------------------------------------------------- ledgers


def test_common_part_income_goes_to_the_income_ledger(pilot):
    entry = services.record_income(
        actor=None,
        estate=pilot,
        category="common",
        amount="1200.00",
        entry_date=timezone.localdate(),
        description="电梯广告位租金",
        counterparty="某传媒公司",
    )
    assert entry.voucher.startswith("收") and entry.keeper == pilot.contracts.get().company.name
    with pytest.raises(ValidationError, match="不属于"):
        services.record_income(
            actor=None, estate=pilot, category="repairs", amount="1", entry_date=timezone.localdate(), description="x"
        )


def test_a_correction_is_a_reversing_entry_that_points_at_the_original(pilot):
    entry = services.record_income(
        actor=None,
        estate=pilot,
        category="common",
        amount="1200.00",
        entry_date=timezone.localdate(),
        description="电梯广告位租金",
    )
    reversal = services.reverse_entry(actor=None, entry=entry, reason="金额录错")
    assert (reversal.amount, reversal.reverses, reversal.number) == (D("-1200.00"), entry, 2)
    entry.refresh_from_db()
    assert entry.amount == D("1200.00")
    with pytest.raises(ValidationError, match="已经冲销"):
        services.reverse_entry(actor=None, entry=entry, reason="again")
    with pytest.raises(ValidationError, match="不能再冲销"):
        services.reverse_entry(actor=None, entry=reversal, reason="again")


def test_a_rolled_back_entry_leaves_no_gap(pilot):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_income(
            actor=None, estate=pilot, category="common", amount="1.00", entry_date=timezone.localdate(), description="a"
        )
        raise RuntimeError("rolled back")
    entry = services.record_income(
        actor=None, estate=pilot, category="common", amount="2.00", entry_date=timezone.localdate(), description="b"
    )
    assert entry.number == 1


# --------------------------------------------------------------------------- expenditure


def request(estate, amount="3000.00", actor=None):
    return services.request_expenditure(
        actor=actor, estate=estate, category="repairs", payee="某维修公司", amount=amount, purpose="更换3号楼单元门禁"
    )


def test_exactly_half_of_all_members_approves_and_the_expenditure_is_posted_with_the_next_voucher(pilot):
    committee = seat_committee(pilot, size=4)
    members = list(committee.members.all())
    first = request(pilot)
    services.decide_expenditure(actor=None, expenditure=first, in_favour=members[:2])  # 2/4 = exactly 1/2
    first.refresh_from_db()
    assert first.status == "posted" and first.ledger_entry.number == 1 and first.ledger_entry.ledger == "expenditure"
    second = request(pilot)
    services.decide_expenditure(actor=None, expenditure=second, in_favour=members[:2])
    assert Expenditure.objects.get(pk=second.pk).ledger_entry.number == 2


def test_one_short_of_half_is_refused_and_the_reason_is_kept(pilot):
    committee = seat_committee(pilot, size=5)
    members = list(committee.members.all())
    expenditure = request(pilot)
    with pytest.raises(ValidationError, match="2 / 5"):
        services.decide_expenditure(actor=None, expenditure=expenditure, in_favour=members[:2])
    assert Expenditure.objects.get(pk=expenditure.pk).status == "requested"
    services.decide_expenditure(actor=None, expenditure=expenditure, in_favour=members[:2], reason="报价偏高，请比价")
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.reason) == ("refused", "报价偏高，请比价")
    assert not LedgerEntry.objects.exists()
    with pytest.raises(ValidationError):
        services.decide_expenditure(actor=None, expenditure=expenditure, in_favour=members)


def test_an_amount_above_the_limit_waits_for_the_owners_vote(pilot):
    from committees.votes import selectors as vote_selectors
    from committees.votes import services as vote_services

    committee = seat_committee(pilot, size=5)
    members = list(committee.members.all())
    big = request(pilot, amount="100000.01")
    services.decide_expenditure(actor=None, expenditure=big, in_favour=members[:3])
    big.refresh_from_db()
    assert big.status == "vote" and not LedgerEntry.objects.exists()
    now = timezone.now()
    services.put_expenditure_to_vote(
        actor=None, expenditure=big, opens_at=now + timedelta(days=16), closes_at=now + timedelta(days=30)
    )
    big.refresh_from_db()
    with pytest.raises(ValidationError, match="尚未结束"):
        services.settle_expenditure_vote(actor=None, expenditure=big)
    assert vote_selectors.holder_keys(big.vote)  # the whole estate is asked
    vote_services.close_vote(actor=None, vote=big.vote, now=now + timedelta(days=31))
    services.settle_expenditure_vote(actor=None, expenditure=big)
    big.refresh_from_db()
    assert big.status == "refused" and "未获通过" in big.reason  # nobody voted
    exactly = request(pilot, amount="100000.00")
    services.decide_expenditure(actor=None, expenditure=exactly, in_favour=members[:3])
    assert Expenditure.objects.get(pk=exactly.pk).status == "posted"


def test_a_member_who_is_not_seated_cannot_be_counted(pilot, world):
    committee = seat_committee(pilot, size=5)
    other = seat_committee(world.e2, size=5)
    with pytest.raises(ValidationError, match="在任委员"):
        services.decide_expenditure(actor=None, expenditure=request(pilot), in_favour=list(other.members.all())[:3])
    assert committee


def test_a_lump_sum_estate_spends_nothing_through_the_owners_ledger(world):
    with pytest.raises(ValidationError, match="包干制"):
        request(world.e3)


def test_company_staff_request_and_only_the_committee_decides(pilot, world):
    seat_committee(pilot, size=5)
    expenditure = request(pilot, actor=world.users[Role.COMPANY_STAFF])
    with pytest.raises(PermissionDenied):
        services.decide_expenditure(actor=world.users[Role.COMPANY_STAFF], expenditure=expenditure, in_favour=[])
    with pytest.raises(PermissionDenied):
        request(pilot, actor=world.users[Role.COMMITTEE_MEMBER])  # company-managed: the committee does not keep books


def test_a_self_managed_estate_keeps_both_ledgers_under_its_committee(world):
    from community.tenure.services import start_self_management

    estate = world.e2
    start_self_management(actor=None, estate=estate, on=date(2021, 1, 1), note="自管")
    committee_user = world.users[Role.COMMITTEE_MEMBER]
    from community.services import assign_role

    assign_role(actor=None, user=committee_user, role=Role.COMMITTEE_MEMBER, scope=estate)
    from community import access

    access.forget(committee_user)
    publish(estate, actor=committee_user, effective_from=date(2021, 1, 1))
    expenditure = request(estate, actor=committee_user)
    assert expenditure.status == "requested"
    assert selectors.books(estate, timezone.localdate()).keeper.endswith("业主自管会")


# --------------------------------------------------------------------------- the command


def test_the_billing_command_bills_once_and_says_so_the_second_time(pilot):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bill_fees", "--period", "2026-02", "--quiet-progress", stdout=out)
    created = Bill.objects.count()
    assert created and f"新出账单 {created} 笔" in out.getvalue()
    out = StringIO()
    call_command("bill_fees", "--period", "2026-02", "--quiet-progress", stdout=out)
    assert "没有新增" in out.getvalue() and Bill.objects.count() == created


def test_the_billing_command_refuses_bad_input(pilot):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2026-03"):
        call_command("bill_fees", "--period", "2026/02", "--quiet-progress")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("bill_fees", "--estate", "NOPE", "--quiet-progress")
    assert not Bill.objects.exists()
