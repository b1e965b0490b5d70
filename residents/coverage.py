"""Binding coverage: how much of an estate the owners' bound accounts reach.

An owner record is *bound* when ``Owner.user`` is set. A unit is *covered* on a day when at
least one of its owners in force that day (``Ownership.objects.in_force``; a holding that has
ended does not count) is bound. Only units with an owner in force are counted at all: a unit
nobody holds has nobody to bind. E-voting turnout depends on these figures.

Every figure is counted in the database, in a fixed number of queries whatever the number of
estates or units. Areas are the effective area (``community.models.AREA_SOURCES``, the first
one present) summed as whole cents, so totals are exact ``Decimal`` values on SQLite as on
PostgreSQL, and shares are ``Fraction`` values.

* ``estate_coverage(estate, *, on=None)``: the estate's figures and each building's (one query).
* ``units_without_account(estate, *, on=None)``: the units held but not covered, for a paged list.
* ``estates_for_coverage(user)``: the estates whose coverage page the user may read.
* ``district_coverage(user, ...)``, ``coverage_by_community(user, ...)``, ``coverage_by_street(user, ...)``:
  the dashboard's rows over the estates the user may see (two queries for the whole district).
* ``bound_owners(estate, *, on=None)``: who among the estate's owners in force is bound (for
  the vote's convening page, which counts holders the way the tally does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from community import access
from community.models import Community, Estate, Ownership, Unit, area_cents


def percent(share: Fraction | None) -> str:
    """A share as a percentage with two places, rounded down (a share just below a threshold
    never reads as reaching it); "—" when there is nothing to share."""
    if share is None:
        return "—"
    hundredths = share.numerator * 10000 // share.denominator  # integer arithmetic: exact
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


@dataclass
class Coverage:
    """Units with an owner in force, those covered by a bound account, and their areas."""

    units: int = 0
    covered: int = 0
    area: Decimal = Decimal("0.00")
    covered_area: Decimal = Decimal("0.00")

    @property
    def uncovered(self) -> int:
        return self.units - self.covered

    @property
    def unit_share(self) -> Fraction | None:
        return Fraction(self.covered, self.units) if self.units else None

    @property
    def area_share(self) -> Fraction | None:
        return Fraction(self.covered_area) / Fraction(self.area) if self.area else None

    @property
    def unit_percent(self) -> str:
        return percent(self.unit_share)

    @property
    def area_percent(self) -> str:
        return percent(self.area_share)

    def add(self, other: Coverage) -> None:
        self.units += other.units
        self.covered += other.covered
        self.area += other.area
        self.covered_area += other.covered_area


@dataclass
class BuildingCoverage(Coverage):
    pk: int = 0
    name: str = ""


@dataclass
class EstateCoverage:
    on: date
    total: Coverage
    buildings: list[BuildingCoverage]


@dataclass
class NodeCoverage(Coverage):
    """A street's or a community's figures (``street`` names a community's street)."""

    pk: int = 0
    name: str = ""
    street: str = ""


@dataclass
class DistrictCoverage:
    on: date
    total: Coverage
    streets: list[NodeCoverage] = field(default_factory=list)
    communities: list[NodeCoverage] = field(default_factory=list)


# --------------------------------------------------------------------------- the expressions


def _holdings(on: date, scope: dict):
    return Ownership.objects.in_force(on).filter(**scope)


def held(on: date, **scope) -> Q:
    """A unit has an owner in force on ``on``. ``scope`` narrows the holdings looked at (by
    ``unit__building__estate=...``) without changing the answer for units inside it.

    Written as ``pk IN (holdings)`` rather than a correlated EXISTS: the database reads the
    holdings once (a semi-join, a hashed subplan) instead of once per unit, which is what keeps a
    district of 30,000 units to one quick query."""
    return Q(pk__in=_holdings(on, scope).values("unit_id"))


def covered(on: date, **scope) -> Q:
    """A unit has an owner in force on ``on`` whose record is bound to an account."""
    return Q(pk__in=_holdings(on, scope).filter(owner__user__isnull=False).values("unit_id"))


CENTS = area_cents()


def _figures(on: date, **scope) -> dict:
    return {
        "n_units": Count("pk"),
        "n_covered": Count("pk", filter=covered(on, **scope)),
        "cents": Sum(CENTS),
        "covered_cents": Sum(CENTS, filter=covered(on, **scope)),
    }


def _area(cents) -> Decimal:
    return Decimal(cents or 0).scaleb(-2)


def _coverage(cls, row: dict, **extra) -> Coverage:
    return cls(
        units=row["n_units"],
        covered=row["n_covered"],
        area=_area(row["cents"]),
        covered_area=_area(row["covered_cents"]),
        **extra,
    )


# --------------------------------------------------------------------------- one estate


def estate_coverage(estate: Estate, *, on: date | None = None) -> EstateCoverage:
    """The estate's coverage and each building's, in one query (a row per building that has a
    unit with an owner in force; the estate's total is their sum)."""
    on = on or timezone.localdate()
    mine = {"unit__building__estate": estate}
    rows = (
        Unit.objects.filter(building__estate=estate)
        .filter(held(on, **mine))
        .order_by()
        .values("building_id", "building__name")
        .annotate(**_figures(on, **mine))
        .order_by("building_id")
    )
    buildings = [_coverage(BuildingCoverage, row, pk=row["building_id"], name=row["building__name"]) for row in rows]
    total = Coverage()
    for building in buildings:
        total.add(building)
    return EstateCoverage(on=on, total=total, buildings=buildings)


def units_without_account(estate: Estate, *, on: date | None = None) -> QuerySet:
    """The estate's units with an owner in force and no bound one, by building and room (with
    the building, for its name). No owner is read: the list names no one."""
    on = on or timezone.localdate()
    mine = {"unit__building__estate": estate}
    return (
        Unit.objects.filter(building__estate=estate)
        .filter(held(on, **mine))
        .exclude(covered(on, **mine))
        .select_related("building")
        .order_by("building_id", "room")
    )


def estates_for_coverage(user) -> QuerySet:
    """The estates whose coverage page ``user`` may read: those on which they see owners'
    personal data (district, street, community and grid staff) or convene the owners' votes
    (the estate's committee members, community staff). A queryset, and one query for the
    user's grants of both permissions."""
    if user.is_authenticated and user.is_active:
        access.prefetch(user, (access.PERSONAL, access.CONVENE_VOTES))
    return Estate.objects.filter(
        Q(pk__in=access.visible(user, access.PERSONAL, Estate.objects.all()).values("pk"))
        | Q(pk__in=access.visible(user, access.CONVENE_VOTES, Estate.objects.all()).values("pk"))
    )


# --------------------------------------------------------------------------- the district


def district_coverage(
    user, *, perm: str = access.VIEW, on: date | None = None, street=None, community=None
) -> DistrictCoverage:
    """Coverage by street and by community over the estates ``user`` may ``perm`` (narrowed to
    one street or community when given), in two queries whatever the size of the district: the
    units grouped by community, and the communities' names. A community with estates in scope
    but no unit held yet shows zeros; a street is the sum of its communities in scope."""
    on = on or timezone.localdate()
    estates = access.visible(user, perm, Estate.objects.all())
    if street is not None:
        estates = estates.filter(grid__community__street=street)
    if community is not None:
        estates = estates.filter(grid__community=community)
    scope = {"unit__building__estate__in": estates.values("pk")}
    counted = {
        row["building__estate__grid__community_id"]: row
        for row in Unit.objects.filter(building__estate__in=estates.values("pk"))
        .filter(held(on, **scope))
        .order_by()
        .values("building__estate__grid__community_id")
        .annotate(**_figures(on, **scope))
    }
    communities, streets = [], {}
    total = Coverage()
    for node in (
        Community.objects.filter(pk__in=estates.values("grid__community_id"))
        .select_related("street")
        .order_by("street__code", "code")
    ):
        row = counted.get(node.pk)
        figures = (
            _coverage(NodeCoverage, row, pk=node.pk, name=node.name, street=node.street.name)
            if row
            else NodeCoverage(pk=node.pk, name=node.name, street=node.street.name)
        )
        communities.append(figures)
        streets.setdefault(node.street_id, NodeCoverage(pk=node.street_id, name=node.street.name)).add(figures)
        total.add(figures)
    return DistrictCoverage(on=on, total=total, streets=list(streets.values()), communities=communities)


def coverage_by_community(user, **kwargs) -> list[NodeCoverage]:
    """The district dashboard's rows by community (see ``district_coverage``)."""
    return district_coverage(user, **kwargs).communities


def coverage_by_street(user, **kwargs) -> list[NodeCoverage]:
    """The district dashboard's rows by street (see ``district_coverage``)."""
    return district_coverage(user, **kwargs).streets


# --------------------------------------------------------------------------- the owners


def bound_owners(estate: Estate, *, on: date | None = None) -> tuple[frozenset[int], bool]:
    """(the ids of the estate's owners in force on ``on`` whose record is bound, whether one of
    them is the developer), in one query."""
    rows = set(
        Ownership.objects.in_force(on or timezone.localdate())
        .filter(unit__building__estate=estate, owner__user__isnull=False)
        .order_by()
        .values_list("owner_id", "owner__is_developer")
        .distinct()
    )
    return frozenset(pk for pk, _dev in rows), any(dev for _pk, dev in rows)
