"""Who the maintenance fund tells: the owners of the units a use would charge (their share),
and the owners of sub-accounts below the top-up line (at the payout, and in the daily round)."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from community.models import Role
from fees.fund import selectors as fund_selectors
from fees.fund import services as fund_services
from fees.models import ChargedUnit
from notifications.models import Event
from tests.factories import OwnerFactory, OwnershipFactory, UserFactory

from .fund_helpers import open_fund
from .notified import messages, owners_told, told
from .test_fund_services import plan, walk_to_cleared

TODAY = timezone.localdate


def to_vote(use, now=None):
    now = now or timezone.now()
    return fund_services.put_to_vote(
        actor=None, use=use, opens_at=now + timedelta(days=16), closes_at=now + timedelta(days=21), now=now
    )


# --------------------------------------------------------------------------- a use put to the vote


def test_a_use_put_to_the_vote_tells_each_charged_owner_once_with_the_rate(world):
    fund = open_fund(world)  # building 3: 80, 80, 80 m² (owners 0-2) and 120 m² (the developer, no mobile)
    first = fund.owners[0]
    first.user = UserFactory(username="sanzhuang")
    first.save()
    co_owner = OwnerFactory(name="共有人")
    OwnershipFactory(unit=fund.units[1], owner=co_owner, started_on=fund.units[1].ownerships.get().started_on)
    use = to_vote(plan(world, fund))  # 10,000.00 over 360 m²

    (message,) = messages(Event.FUND_USE_VOTE)  # one message for the scope, however many units
    assert message.subject == use and message.link == reverse("fees:my_fund")
    assert "每平方米分摊约 27.78 元" in message.title and "4 户" in message.body
    assert owners_told(message) == {fund.owners[0].pk, fund.owners[1].pk, co_owner.pk, fund.owners[2].pk}
    assert (first.pk, first.user_id, "inbox") in told(message)
    # The developer has no mobile and no account: no row. The resident of another building is
    # charged nothing and told nothing.
    assert fund.owners[3].pk not in owners_told(message) and world.resident.pk not in owners_told(message)
    # What each unit's share is, the owner reads on the page the message links to.
    assert ChargedUnit.objects.get(use=use, unit=fund.units[0]).planned_share == Decimal("2222.22")


def test_telling_the_charge_twice_records_it_once(world):
    fund = open_fund(world)
    now = timezone.now()
    use = to_vote(plan(world, fund), now)
    before = len(messages(Event.FUND_USE_VOTE))
    fund_services._tell_charged(use, opens_at=now, closes_at=now + timedelta(days=5), now=now)
    assert len(messages(Event.FUND_USE_VOTE)) == before


def test_an_emergency_use_has_no_vote_and_no_charge_notice(world):
    fund = open_fund(world)
    plan(world, fund, emergency=True)
    assert messages(Event.FUND_USE_VOTE) == []


# --------------------------------------------------------------------------- top-up alerts


def drain_to(world, unit, balance):
    fund_services.refund(
        actor=world.users[Role.DISTRICT_ADMIN],
        unit=unit,
        amount=fund_selectors.balance_of(unit) - balance,
        on=TODAY(),
        reason="测试：按比例扣减",
    )


def test_the_daily_round_tells_the_owners_below_the_line_once_and_again_a_month_later(world):
    fund = open_fund(world)
    a, b = fund.units[0], fund.units[1]  # first deposits 9600.00: the line is 2880.00
    drain_to(world, a, Decimal("2879.99"))
    drain_to(world, b, Decimal("2880.00"))  # exactly on the line: no alert
    assert fund_services.alert_topups() == 1
    (message,) = messages(Event.FUND_TOPUP)
    assert message.subject == fund.account and owners_told(message) == {fund.owners[0].pk}
    assert "30%" in message.body and message.link == reverse("fees:my_fund")

    assert fund_services.alert_topups() == 0  # the task run twice: told once
    drain_to(world, b, Decimal("100.00"))
    assert fund_services.alert_topups() == 1  # only the newcomer below the line
    assert owners_told(messages(Event.FUND_TOPUP)[-1]) == {fund.owners[1].pk}

    later = timezone.now() + timedelta(days=fund_services.TOPUP_REMINDER_DAYS + 1)
    assert fund_services.alert_topups(now=later) == 2  # still below a month on: reminded
    assert len(messages(Event.FUND_TOPUP)) == 3


def test_a_top_up_ends_the_reminders(world):
    fund = open_fund(world)
    unit = fund.units[0]
    drain_to(world, unit, Decimal("100.00"))
    fund_services.alert_topups()
    fund_services.top_up(actor=world.users[Role.STREET_STAFF], unit=unit, amount="2780.00", on=TODAY())
    later = timezone.now() + timedelta(days=fund_services.TOPUP_REMINDER_DAYS + 1)
    assert fund_services.alert_topups(now=later) == 0


def test_an_owner_nothing_can_reach_is_not_a_message(world):
    fund = open_fund(world)
    drain_to(world, fund.units[3], Decimal("1.00"))  # the developer's unit: no mobile, no account
    assert fund_services.alert_topups() == 0
    assert messages(Event.FUND_TOPUP) == []


def test_a_payout_that_takes_units_below_the_line_tells_their_owners_at_once(world):
    fund = open_fund(world)  # 43,200.00 deposited over 360 m²: a charge over 70% leaves every unit below
    use = walk_to_cleared(world, fund, plan(world, fund, budget="35000.00", emergency=True), settlement="35000.00")
    fund_services.pay_out(actor=world.users[Role.DISTRICT_ADMIN], use=use, paid_on=TODAY())
    (message,) = messages(Event.FUND_TOPUP)
    assert owners_told(message) == {o.pk for o in fund.owners[:3]}  # the developer cannot be reached
    assert fund_services.alert_topups() == 0  # the daily round does not tell them again
