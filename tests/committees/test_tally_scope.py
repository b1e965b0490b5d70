from decimal import Decimal
from fractions import Fraction

import pytest

from committees.votes.selectors import scope_holders, scope_units
from committees.votes.tally import DEVELOPER, YES, holder_key, holders_in_scope, tally
from community.models import Owner, OwnerKind, Unit
from community.rules import rules_for
from tests.factories import BuildingFactory, EstateFactory, OwnerFactory, OwnershipFactory, UnitFactory, valid_uscc

pytestmark = pytest.mark.django_db


def test_the_scope_is_read_in_one_query_with_every_rule_applied(django_assert_num_queries):
    estate = EstateFactory()
    b1, b2 = BuildingFactory(estate=estate), BuildingFactory(estate=estate)
    developer = Owner.objects.create(
        kind=OwnerKind.ORGANISATION, name="开发商", uscc=valid_uscc(77, "DW"), is_developer=True
    )
    alone, spouse = OwnerFactory(), OwnerFactory()
    OwnershipFactory(unit=UnitFactory(building=b1, room="101", registered_area=Decimal("80.00")), owner=alone)
    shared = UnitFactory(building=b1, room="102", registered_area=None, surveyed_area=Decimal("90.50"))
    OwnershipFactory(unit=shared, owner=alone)
    OwnershipFactory(unit=shared, owner=spouse)
    OwnershipFactory(unit=UnitFactory(building=b2, room="101", registered_area=Decimal("100.00")), owner=developer)
    undelivered = UnitFactory(building=b2, room="102", registered_area=Decimal("70.00"), delivered=False)
    OwnershipFactory(unit=undelivered, owner=OwnerFactory())
    estate = type(estate).objects.select_related("grid__community__street__district__rule_set").get(pk=estate.pk)
    with django_assert_num_queries(1):  # the units joined to their current owners
        units = scope_units(estate)
    holders = holders_in_scope(units)
    assert holders[DEVELOPER] == Decimal("170.00")  # unsold plus sold-but-undelivered
    assert holders[frozenset({alone.pk})] == Decimal("80.00")
    assert holders[frozenset({alone.pk, spouse.pk})] == Decimal("90.50")  # a co-ownership is its own head
    assert len(holders) == 3
    assert len(scope_units(estate, buildings=[b1])) == 2
    # the fast reader the count uses gives the same holders, keyed as ballots are
    with django_assert_num_queries(1):
        fast = scope_holders(estate)
    assert fast == {holder_key(h): area for h, area in holders.items()}
    assert fast[f"{min(alone.pk, spouse.pk)},{max(alone.pk, spouse.pk)}"] == Decimal("90.50")
    rules = rules_for(estate)
    result = tally(
        units,
        {frozenset({alone.pk}): YES, DEVELOPER: YES},
        quorum=(rules.vote_quorum_area, rules.vote_quorum_heads),
        approval=rules.approval_thresholds(5),
    )
    assert result.quorum_heads == Fraction(2, 3) and result.participating.area == Decimal("250.00")
    assert Unit.objects.filter(building__estate=estate).count() == 4


def test_with_the_developer_rule_switched_off_an_undelivered_unit_counts_for_its_buyer(world):
    """developer_one_head off (a district's override): a unit sold but not yet delivered is its
    buyer's head and area; the developer keeps only the units it still owns."""
    from community.models import RuleSet

    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="不合并未交付", developer_one_head=False)
    district.save()
    building = BuildingFactory(estate=world.e1)
    developer = Owner.objects.create(
        kind=OwnerKind.ORGANISATION, name="开发商", uscc=valid_uscc(78, "DX"), is_developer=True
    )
    buyer = OwnerFactory()
    OwnershipFactory(
        unit=UnitFactory(building=building, room="101", registered_area=Decimal("100.00")), owner=developer
    )
    undelivered = UnitFactory(building=building, room="102", registered_area=Decimal("70.00"), delivered=False)
    OwnershipFactory(unit=undelivered, owner=buyer)
    estate = type(world.e1).objects.select_related("grid__community__street__district__rule_set").get(pk=world.e1.pk)
    holders = scope_holders(estate, buildings=[building])
    assert holders == {DEVELOPER: Decimal("100.00"), str(buyer.pk): Decimal("70.00")}


def test_with_the_developer_rule_switched_off_an_unsold_undelivered_unit_is_still_the_developers(world):
    """developer_one_head off decides only undelivered units sold to others: one nobody bought
    (no ownership row, as the import registers it) is the developer's, not a delivered unit
    without an owner that stops the count."""
    from community.models import RuleSet

    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="不合并未交付", developer_one_head=False)
    district.save()
    building = BuildingFactory(estate=world.e1)
    buyer = OwnerFactory()
    OwnershipFactory(unit=UnitFactory(building=building, room="101", registered_area=Decimal("100.00")), owner=buyer)
    UnitFactory(building=building, room="102", registered_area=Decimal("70.00"), delivered=False)
    estate = type(world.e1).objects.select_related("grid__community__street__district__rule_set").get(pk=world.e1.pk)
    holders = scope_holders(estate, buildings=[building])
    assert holders == {DEVELOPER: Decimal("70.00"), str(buyer.pk): Decimal("100.00")}
