"""Binding coverage: which units a bound owner account reaches (co-owners, ended holdings,
units nobody holds), exact area shares, the staff page for every role, the district
dashboard's table, query counts that do not grow with estates or units, and the convening
page's warning exactly at the quorum's boundary, for area and for heads."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from committees.votes import selectors as vote_selectors
from community.models import Role
from residents import coverage
from tests.factories import (
    BuildingFactory,
    EstateFactory,
    GridFactory,
    OwnerFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
    login,
)
from tests.world import PERSON_ROLES

pytestmark = pytest.mark.django_db

# Who reads an estate's coverage page: whoever sees its owners' personal data or convenes its votes.
READERS = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.COMMITTEE_MEMBER}


def bound(owner):
    owner.user = UserFactory()
    owner.save(update_fields=["user"])
    return owner


def unit(building, room, area="100.00", *owners, **holding):
    u = UnitFactory(building=building, room=room, registered_area=Decimal(area))
    for owner in owners:
        OwnershipFactory(unit=u, owner=owner, **holding)
    return u


@pytest.fixture
def estate(world):
    """An estate of e1's grid: building A with 101 (bound), 102 (co-owned, one co-owner bound),
    103 (unbound), 104 (nobody holds it); building B with 201 (unbound, area from the survey)."""
    e = EstateFactory(grid=world.e1.grid, name="覆盖测试苑")
    a, b = BuildingFactory(estate=e, name="A栋"), BuildingFactory(estate=e, name="B栋")
    unit(a, "101", "100.01", bound(OwnerFactory(name="甲")))
    unit(a, "102", "80.00", OwnerFactory(name="乙"), bound(OwnerFactory(name="丙")))
    unit(a, "103", "60.33", OwnerFactory(name="丁"))
    unit(a, "104", "70.00")
    u = UnitFactory(building=b, room="201", registered_area=None, surveyed_area=Decimal("59.66"))
    OwnershipFactory(unit=u, owner=OwnerFactory(name="戊"))
    return e


# --------------------------------------------------------------------------- the figures


def test_a_co_owned_unit_with_one_bound_co_owner_counts_and_a_unit_nobody_holds_does_not(estate):
    figures = coverage.estate_coverage(estate)
    assert (figures.total.units, figures.total.covered) == (4, 2)
    assert figures.total.area == Decimal("300.00")  # 100.01 + 80.00 + 60.33 + 59.66, not 104's 70
    assert figures.total.covered_area == Decimal("180.01")
    a, b = figures.buildings
    assert (a.name, a.units, a.covered, a.area, a.covered_area) == ("A栋", 3, 2, Decimal("240.34"), Decimal("180.01"))
    assert (b.name, b.units, b.covered, b.area, b.covered_area) == ("B栋", 1, 0, Decimal("59.66"), Decimal("0.00"))


def test_the_shares_are_exact_fractions(estate):
    total = coverage.estate_coverage(estate).total
    assert total.unit_share == Fraction(1, 2)
    assert total.area_share == Fraction(18001, 30000)
    assert isinstance(total.area, Decimal) and isinstance(total.area_share, Fraction)
    assert (total.unit_percent, total.area_percent) == ("50.00%", "60.00%")
    # Rounded down: a share just under two thirds never reads as 66.67%.
    assert coverage.percent(Fraction(2, 3)) == "66.66%" and coverage.percent(None) == "—"
    assert coverage.percent(Fraction(10**30 - 1, 10**30)) == "99.99%"  # never rounded up to 100.00%
    empty = coverage.estate_coverage(EstateFactory()).total
    assert (empty.units, empty.unit_share, empty.area_share) == (0, None, None)


def test_an_ended_holding_does_not_cover_from_the_day_after_its_end(world):
    today = timezone.localdate()
    e = EstateFactory(grid=world.e1.grid)
    u = unit(BuildingFactory(estate=e), "301", "90.00")
    seller = bound(OwnerFactory(name="卖方"))
    OwnershipFactory(unit=u, owner=seller, ended_on=today - timedelta(days=1))
    OwnershipFactory(unit=u, owner=OwnerFactory(name="买方"), started_on=today)
    on_the_last_day = coverage.estate_coverage(e, on=today - timedelta(days=1)).total
    assert (on_the_last_day.units, on_the_last_day.covered) == (1, 1)
    after = coverage.estate_coverage(e).total
    assert (after.units, after.covered, after.covered_area) == (1, 0, Decimal("0.00"))
    assert list(coverage.units_without_account(e)) == [u]
    assert list(coverage.units_without_account(e, on=today - timedelta(days=1))) == []
    assert coverage.bound_owners(e) == (frozenset(), False)


def test_a_sold_unit_without_a_new_owner_leaves_the_count(world):
    today = timezone.localdate()
    e = EstateFactory(grid=world.e1.grid)
    OwnershipFactory(
        unit=unit(BuildingFactory(estate=e), "1", "90.00"), owner=bound(OwnerFactory()), ended_on=today - timedelta(1)
    )
    assert coverage.estate_coverage(e).total.units == 0


def test_the_units_without_an_account_by_building_and_room(estate):
    rows = list(coverage.units_without_account(estate))
    assert [(u.building.name, u.room) for u in rows] == [("A栋", "103"), ("B栋", "201")]
    assert [u.effective_area for u in rows] == [Decimal("60.33"), Decimal("59.66")]


def test_the_estate_figures_take_one_query(estate, django_assert_num_queries):
    with django_assert_num_queries(1):
        coverage.estate_coverage(estate)


# --------------------------------------------------------------------------- the page


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_page_is_for_those_who_see_owners_or_convene_votes(client, world, estate, role):
    login(client, world.users[role])
    mine = client.get(reverse("residents:coverage", args=[world.e1.pk]))
    assert mine.status_code == (200 if role in READERS else 404)
    assert client.get(reverse("residents:coverage", args=[world.other[role].pk])).status_code == 404
    assert client.get(reverse("residents:coverage", args=[999999])).status_code == 404
    if role in READERS:
        assert mine.context["figures"].total.covered == 1  # e1's 101, bound to the owner's account
        # the letters are offered to those who keep the registry (district, community, grid)
        printers = {Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER}
        link = reverse("residents:letters", args=[world.e1.pk])
        assert (link in mine.content.decode()) == (role in printers)


def test_owners_are_refused_and_anonymous_visitors_sent_to_sign_in(client, world):
    url = reverse("residents:coverage", args=[world.e1.pk])
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    login(client, world.owner_user)
    assert client.get(url).status_code == 404


def test_the_page_shows_the_figures_and_the_uncovered_units_without_names(client, world, estate):
    login(client, world.users[Role.GRID_WORKER])
    response = client.get(reverse("residents:coverage", args=[estate.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="fig-units">4<' in body and 'id="fig-covered">2<' in body
    assert 'id="fig-unit-share">50.00%<' in body and 'id="fig-area-share">60.00%<' in body
    assert "60.33" in body and "59.66" in body and "103" in body and "201" in body
    for name in ("甲", "乙", "丙", "丁", "戊"):
        assert f">{name}<" not in body and name not in body.split('id="uncovered"')[1]
    assert [u.room for u in response.context["page"].object_list] == ["103", "201"]


@pytest.mark.parametrize("role", [r for r in PERSON_ROLES if r != Role.MEDIATOR])
def test_the_estate_page_links_to_coverage_for_its_readers_only(client, world, role):
    login(client, world.users[role])
    body = client.get(reverse("community:estate_detail", args=[world.e1.pk])).content.decode()
    link = reverse("residents:coverage", args=[world.e1.pk])
    assert (link in body) == (role in READERS)


def _grow(estate, n):
    building = BuildingFactory(estate=estate)
    for i in range(n):
        owner = bound(OwnerFactory()) if i % 2 else OwnerFactory()
        unit(building, f"9{i:03d}", "88.88", owner)


def test_the_page_runs_a_fixed_number_of_queries(client, world, estate, django_assert_max_num_queries):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    url = reverse("residents:coverage", args=[world.e1.pk])
    _grow(world.e1, 2)
    with django_assert_max_num_queries(12) as small:
        assert client.get(url).status_code == 200
    for _ in range(3):
        _grow(world.e1, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["figures"].total.units == 93 and response.context["page"].paginator.count == 46


# --------------------------------------------------------------------------- the district dashboard


def test_the_district_figures_by_street_and_community(world, estate):
    figures = coverage.district_coverage(world.users[Role.DISTRICT_ADMIN])
    street1 = world.e1.grid.community.street
    c1 = world.e1.grid.community
    by_community = {row.pk: row for row in figures.communities}
    # c1: e1 (101, bound), e2 (李四光, unbound) and the fixture's estate (4 held, 2 covered).
    assert (by_community[c1.pk].units, by_community[c1.pk].covered) == (6, 3)
    assert by_community[c1.pk].covered_area == Decimal("89.50") + Decimal("180.01")
    # e3's and e4's communities are in scope with nothing held yet: shown with zeros.
    assert (by_community[world.e3.grid.community_id].units, by_community[world.e4.grid.community_id].units) == (0, 0)
    assert world.e5.grid.community_id not in by_community  # another district
    streets = {row.pk: row for row in figures.streets}
    assert set(streets) == {street1.pk, world.e4.grid.community.street_id}
    assert (streets[street1.pk].units, streets[street1.pk].covered) == (6, 3)
    assert (figures.total.units, figures.total.covered) == (6, 3)
    assert figures.total.unit_share == Fraction(1, 2)
    assert coverage.coverage_by_community(world.users[Role.DISTRICT_ADMIN])[0].name == by_community[c1.pk].name


def test_each_reader_sees_only_their_own_nodes(world, estate):
    grid_user = world.users[Role.GRID_WORKER]
    rows = coverage.coverage_by_community(grid_user)
    # The grid worker's grid holds e1 and the fixture's estate; e2 (another grid of c1) is not counted.
    assert [(r.pk, r.units, r.covered) for r in rows] == [(world.e1.grid.community_id, 5, 3)]
    assert [r.pk for r in coverage.coverage_by_street(world.users[Role.COMMUNITY_STAFF])] == [
        world.e1.grid.community.street_id
    ]
    assert coverage.district_coverage(world.users[Role.MEDIATOR]).communities == []
    assert coverage.district_coverage(world.owner_user).communities == []
    narrowed = coverage.district_coverage(world.users[Role.DISTRICT_ADMIN], community=world.e3.grid.community)
    assert [r.pk for r in narrowed.communities] == [world.e3.grid.community_id]


def _spread(world, estates, units_each):
    """More estates in more grids of the district, each with held units, half of them bound."""
    for i in range(estates):
        e = EstateFactory(grid=GridFactory(community=[world.e1, world.e3, world.e4][i % 3].grid.community))
        _grow(e, units_each)


def test_the_district_figures_take_two_queries_whatever_the_size(world, django_assert_num_queries):
    user = world.users[Role.DISTRICT_ADMIN]
    with django_assert_num_queries(3):  # the grants, the units by community, the communities
        coverage.district_coverage(user)
    _spread(world, 6, 5)
    with django_assert_num_queries(2):  # the grants are cached on the user now
        figures = coverage.district_coverage(user)
    assert figures.total.units == 32 and figures.total.covered == 13  # 2 of the world, 30 new (15 bound)


def test_the_dashboard_shows_coverage_by_street_and_community(client, world, estate):
    login(client, world.users[Role.STREET_STAFF])
    response = client.get(reverse("grid:dashboard"))
    body = response.content.decode()
    assert body.count('id="binding-coverage"') == 1 and body.count('id="coverage-communities"') == 1
    assert body.index("</title>") < body.index('id="binding-coverage"')  # in the page, not its title
    figures = response.context["coverage"]
    assert [r.pk for r in figures.streets] == [world.e1.grid.community.street_id]
    assert {r.pk for r in figures.communities} == {world.e1.grid.community_id, world.e3.grid.community_id}
    assert world.e4.grid.community.name not in body.split('id="binding-coverage"')[1]


def test_the_dashboard_query_count_does_not_grow_with_estates_and_units(
    client, world, estate, django_assert_max_num_queries
):
    login(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("grid:dashboard")
    with django_assert_max_num_queries(19) as small:
        assert client.get(url).status_code == 200
    _spread(world, 9, 4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


# --------------------------------------------------------------------------- the convening page


def _holders(world, areas_bound, areas_unbound):
    """An estate of e1's grid with one holder per area: bound first, then not."""
    e = EstateFactory(grid=world.e1.grid, name="表决覆盖苑")
    building = BuildingFactory(estate=e)
    owners = []
    for i, area in enumerate(areas_bound + areas_unbound):
        owner = bound(OwnerFactory()) if i < len(areas_bound) else OwnerFactory()
        unit(building, f"{i + 1:03d}", area, owner)
        owners.append(owner)
    return e, owners


def _unbind(owner):
    owner.user = None
    owner.save(update_fields=["user"])


def test_area_exactly_two_thirds_does_not_warn_and_one_holder_less_does(world):
    # Six bound holders of 100 m² and one unbound of 300: area 600/900 = 2/3 exactly, heads 6/7.
    e, owners = _holders(world, ["100.00"] * 6, ["300.00"])
    reach = vote_selectors.online_reach(e)
    assert (reach.area_share, reach.heads_share) == (Fraction(2, 3), Fraction(6, 7))
    assert not reach.short
    _unbind(owners[0])  # 500/900 of the area; heads 5/7 still above 2/3
    reach = vote_selectors.online_reach(e)
    assert reach.area_short and not reach.heads_short and reach.short
    assert (reach.area_percent, reach.heads_percent) == ("55.55%", "71.42%")


def test_heads_exactly_two_thirds_does_not_warn_and_one_holder_less_does(world):
    # Four bound holders of 100 m² and two unbound of 1 m²: heads 4/6 = 2/3 exactly, area 400/402.
    e, owners = _holders(world, ["100.00"] * 4, ["1.00", "1.00"])
    reach = vote_selectors.online_reach(e)
    assert reach.heads_share == Fraction(2, 3) and not reach.short
    _unbind(owners[0])  # heads 3/6; area 300/402 still above 2/3
    reach = vote_selectors.online_reach(e)
    assert reach.heads_short and not reach.area_short


def test_a_co_ownership_is_one_holder_reached_through_either_co_owner(world):
    e = EstateFactory(grid=world.e1.grid)
    building = BuildingFactory(estate=e)
    first, second = OwnerFactory(), bound(OwnerFactory())
    unit(building, "1", "100.00", first, second)
    unit(building, "2", "50.00", OwnerFactory())
    reach = vote_selectors.online_reach(e)
    assert (reach.holders, reach.reachable, reach.area, reach.reachable_area) == (
        2,
        1,
        Decimal("150.00"),
        Decimal("100.00"),
    )
    unit(building, "3", "70.00")  # delivered and nobody holds it: no share is true, and it is named
    with pytest.raises(ValidationError, match=f"{building.name} 3"):
        vote_selectors.online_reach(e)
    holders = vote_selectors.scope_holders(e, units=e.buildings.get().units.exclude(room="3"))
    assert vote_selectors.reachable_holders(holders, frozenset({second.pk}), False) == {f"{first.pk},{second.pk}"}
    assert vote_selectors.reachable_holders({"developer": Decimal("1")}, frozenset(), True) == {"developer"}
    assert vote_selectors.reachable_holders({"developer": Decimal("1")}, frozenset({1}), False) == set()


def test_the_developer_is_reached_through_its_bound_record(world):
    e = EstateFactory(grid=world.e1.grid)
    building = BuildingFactory(estate=e)
    developer = bound(OwnerFactory(kind="org", name="开发商", is_developer=True, mobile=""))
    unit(building, "1", "100.00", developer)
    unit(building, "2", "100.00", developer)
    unit(building, "3", "100.00", OwnerFactory())
    reach = vote_selectors.online_reach(e)
    assert (reach.holders, reach.reachable, reach.reachable_area) == (2, 1, Decimal("200.00"))


def test_the_convening_page_warns_with_both_figures_and_still_convenes(client, world):
    e, owners = _holders(world, ["100.00"] * 4, ["1.00", "1.00"])
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("committees:convene", args=[e.pk])
    body = client.get(url).content.decode()
    assert 'id="coverage-warning"' not in body
    assert "已绑定账号的业主占专有部分面积 99.50%、人数 66.66%。" in body
    _unbind(owners[0])
    body = client.get(url).content.decode()
    assert 'id="coverage-warning"' in body
    assert (
        "已绑定账号的业主仅占专有部分面积 74.62%、人数 50.00%，低于表决参与所需的 2/3："
        "网上表决可能达不到法定参与，请同时安排纸质表决票。"
    ) in body
    later = (timezone.localtime() + timedelta(days=16)).strftime("%Y-%m-%dT%H:%M")
    last = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"matter": 5, "question": "更换电梯", "opens_at": later, "closes_at": last})
    assert response.status_code == 302  # it warns; it does not refuse


def test_the_convening_page_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    e, _owners = _holders(world, ["100.00"] * 3, ["50.00"])
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("committees:convene", args=[e.pk])
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    _grow(e, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
