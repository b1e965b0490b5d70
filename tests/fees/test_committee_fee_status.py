"""Publishing committee members' own fee status (RULES.md §6, Beijing 2024 art. 44(8)): a switch
in the rule set, off by default; on, the public statements page lists each seated member's
status by role and masked name, and nothing else about them."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import RuleSet
from fees import selectors, services

from .conftest import seat_committee


def _switch(estate, on: bool):
    district = estate.grid.community.street.district
    district.rule_set = RuleSet.objects.create(name=f"公开委员交费-{on}", publish_committee_fee_status=on)
    district.save(update_fields=["rule_set"])


@pytest.fixture
def billed(pilot):
    committee = seat_committee(pilot)
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    return committee


def _page(client, estate) -> str:
    return client.get(reverse("fees:statements", args=[estate.pk])).content.decode()


def test_off_by_default_nothing_about_members_is_shown(client, pilot, billed):
    assert selectors.committee_fee_status(pilot) is None
    assert "委员本人交费情况" not in _page(client, pilot)


def test_switched_off_explicitly_nothing_is_shown(client, pilot, billed):
    _switch(pilot, False)
    assert selectors.committee_fee_status(pilot) is None


def test_switched_on_each_member_shows_by_role_and_masked_name(client, pilot, billed, django_assert_max_num_queries):
    _switch(pilot, True)
    with django_assert_max_num_queries(3 + 5):
        rows = selectors.committee_fee_status(pilot)
    assert len(rows) == 5 and all(r.bills > 0 and r.owed > 0 for r in rows)
    assert rows[0].role == "主任" and rows[0].name == "委**"
    body = _page(client, pilot)
    assert "委员本人交费情况" in body and "委**" in body and "欠缴" in body
    assert "委员0" not in body  # never the full name


def test_a_member_who_paid_up_shows_paid(client, pilot, billed):
    _switch(pilot, True)
    chair = billed.members.get(role="chair")
    unit = chair.owner.ownerships.get().unit
    owed = sum((b.amount for b in unit.bills.all()), start=0)
    services.record_payment(
        actor=None,
        unit=unit,
        amount=str(owed),
        paid_on=timezone.localdate(),
        method="cash",
        payer="委员0",
        bills=list(unit.bills.all()),
    )
    rows = selectors.committee_fee_status(pilot)
    assert rows[0].paid_up and rows[0].owed == 0
    assert sum(1 for r in rows if r.paid_up) == 1
    assert "已缴清" in _page(client, pilot)


def test_an_estate_without_a_sitting_committee_shows_nothing(client, pilot):
    _switch(pilot, True)
    assert selectors.committee_fee_status(pilot) is None
