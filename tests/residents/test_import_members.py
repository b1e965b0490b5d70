"""Household members brought in by an HC import (residents' hook into community's import)."""

import pytest

from community.import_services import import_registry, preview_import
from residents import household
from residents.household import MAX_MEMBERS
from residents.models import Household
from tests.community.test_hc_import import hc_book, hc_row
from tests.residents.household_helpers import account

pytestmark = pytest.mark.django_db


def _import(estate, rows):
    return import_registry(actor=None, estate=estate, name="hc.xlsx", content=hc_book(rows))


def test_an_imported_member_joins_when_registering_with_that_mobile(world):
    _import(world.e3, [hc_row(), hc_row(name="李梅", mobile="13900000002", kind="1002")])
    invited = Household.objects.get(mobile="13900000002")
    assert invited.user is None and invited.owner.name == "张三" and invited.relation == "family"
    user = account("limei", "13900000002")
    assert household.join_invited(user=user) == 1
    assert [h.unit for h in household.memberships(user)] == [invited.unit]


def test_an_account_that_proved_the_mobile_joins_at_import(world):
    user = account("sunqi", "13900000004")
    _import(world.e3, [hc_row(), hc_row(name="孙七", mobile="13900000004", kind="1003")])
    member = Household.objects.get(mobile="13900000004")
    assert member.user == user and member.joined_at is not None and member.relation == "tenant"


def test_a_new_owner_in_the_file_closes_the_old_invitation_and_invites_again(world):
    _import(world.e3, [hc_row(), hc_row(name="李梅", mobile="13900000002", kind="1002")])
    rows = [hc_row(name="新业主", mobile="13900000009"), hc_row(name="李梅", mobile="13900000002", kind="1002")]
    plan = preview_import(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows))
    assert plan.errors == [] and len(plan.member_plan.closing) == 1 and len(plan.member_plan.new) == 1
    _import(world.e3, rows)
    open_rows = Household.objects.filter(mobile="13900000002", removed_at__isnull=True)
    assert [h.owner.name for h in open_rows] == ["新业主"]
    assert Household.objects.filter(mobile="13900000002", removed_at__isnull=False).count() == 1


def test_more_members_than_a_unit_allows_are_refused(world):
    rows = [hc_row()] + [
        hc_row(name=f"成员{i}", mobile=f"1390000{i:04d}", kind="1002") for i in range(10, 11 + MAX_MEMBERS)
    ]
    plan = preview_import(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows))
    assert [e.row for e in plan.errors] == [MAX_MEMBERS + 3]
    assert "最多 10 位" in plan.errors[0].message
