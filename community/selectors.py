"""Reads, already scoped to what the user may see, with a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .models import (
    AREA_SOURCES,
    AuditEvent,
    Building,
    Community,
    Estate,
    Grid,
    Owner,
    OwnerKind,
    Ownership,
    Role,
    RoleAssignment,
    Street,
    Unit,
)
from .privacy import mask_mobile, mask_name

CENT = Decimal("0.01")


def estate_directory(user, *, street=None, community=None, grid=None, state=None, query=""):
    """Estates the user may view, filtered, with their management state and unit count."""
    unit_count = (
        Unit.objects.filter(building__estate=OuterRef("pk"))
        .order_by()
        .values("building__estate")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = access.visible(user, access.VIEW, Estate.objects.with_management_state())
    qs = qs.select_related("grid__community__street").annotate(unit_count=Coalesce(Subquery(unit_count), 0))
    if street:
        qs = qs.filter(grid__community__street=street)
    if community:
        qs = qs.filter(grid__community=community)
    if grid:
        qs = qs.filter(grid=grid)
    if state:
        qs = qs.filter(management_state=state)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(address__icontains=query) | Q(code__iexact=query))
    return qs.order_by("code")


def territory_choices(user):
    """The streets, communities and grids the user may name in the directory filters."""
    return {
        "streets": access.visible(user, access.VIEW, Street.objects.all()),
        "communities": access.visible(user, access.VIEW, Community.objects.select_related("street")),
        "grids": access.visible(user, access.VIEW, Grid.objects.select_related("community")),
    }


def importable_estates(user):
    """The estates whose registry the user may change (import a spreadsheet into)."""
    return access.visible(user, access.CHANGE, Estate.objects.select_related("grid__community")).order_by("code")


def importable_estate(user, pk) -> Estate | None:
    return importable_estates(user).filter(pk=pk).first()


def estate_page_rows():
    """Estates with their management state and their way up to the district, for the estate page."""
    return Estate.objects.with_management_state().select_related("grid__community__street__district")


@dataclass
class OwnerView:
    name: str
    mobile: str
    is_developer: bool


def _owner_view(owner: Owner, full: bool) -> OwnerView:
    if full or owner.kind == "org":
        return OwnerView(owner.name, owner.mobile if full else mask_mobile(owner.mobile), owner.is_developer)
    return OwnerView(mask_name(owner.name), mask_mobile(owner.mobile), owner.is_developer)


def estate_units(estate: Estate, *, full_personal_data: bool, building=None):
    """The estate's units with their current owners, masked unless ``full_personal_data``."""
    current = Ownership.objects.in_force().select_related("owner").order_by("id")
    units = (
        Unit.objects.filter(building__estate=estate)
        .select_related("building")
        .prefetch_related(Prefetch("ownerships", queryset=current, to_attr="current_ownerships"))
        .order_by("building_id", "room")
    )
    if building:
        units = units.filter(building=building)
    return units, (lambda owner: _owner_view(owner, full_personal_data))


def estate_summary(estate: Estate) -> dict:
    row = Unit.objects.filter(building__estate=estate).aggregate(
        units=Count("pk"), effective=Sum(Coalesce(*AREA_SOURCES))
    )
    return {
        "buildings": Building.objects.filter(estate=estate).order_by("id"),
        "unit_count": row["units"],
        # SQLite sums decimals without their scale; areas are shown to two places.
        "total_area": Decimal(row["effective"] or 0).quantize(CENT),
        "ownerless": ownerless_text(estate),
    }


# --------------------------------------------------------------------------- delivered units without an owner
# A delivered unit must have an owner (RULES.md §1: every unit's area and head belong to
# someone; only unsold or undelivered units are the developer's). The registry's paths refuse
# to make one, but data brought in before that rule may still hold one: the estate page and
# every count name them rather than guess.

UNITS_NAMED = 20  # a list of units in a message names this many, then says how many in all


def unit_labels(unit_ids) -> list[str]:
    """Units as people name them, "楼栋 房号", by building and room (one query)."""
    rows = Unit.objects.filter(pk__in=list(unit_ids)).order_by("building__name", "room", "pk")
    return [f"{b} {r}" for b, r in rows.values_list("building__name", "room")]


def named_units(labels: list[str], total: int | None = None) -> str:
    """ "1号楼 101、1号楼 102" — at most UNITS_NAMED, then "等 N 户" with the whole count."""
    total = len(labels) if total is None else total
    text = "、".join(labels[:UNITS_NAMED])
    if total > UNITS_NAMED:
        text += _("等 %(n)s 户") % {"n": total}
    return text


def ownerless_units(estate: Estate, *, on=None):
    """The estate's delivered units with no owner in force on ``on`` (a queryset)."""
    on = on or timezone.localdate()
    held = Ownership.objects.in_force(on).filter(unit__building__estate=estate).values("unit_id")
    return Unit.objects.filter(building__estate=estate, delivered=True).exclude(pk__in=held)


def ownerless_text(estate: Estate, *, on=None) -> str:
    """The delivered units without an owner, named for a warning ("" when there are none). Two queries at most."""
    units = ownerless_units(estate, on=on).order_by("building__name", "room", "pk")
    labels = [f"{b} {r}" for b, r in units.values_list("building__name", "room")[: UNITS_NAMED + 1]]
    if not labels:
        return ""
    return named_units(labels, len(labels) if len(labels) <= UNITS_NAMED else units.count())


def units_of_owner_user(user):
    """The units the logged-in owner holds today, for their own page."""
    return (
        Ownership.objects.in_force()
        .filter(owner__user=user)
        .select_related("unit__building__estate", "owner")
        .order_by("unit__building__estate__name", "unit__building_id", "unit__room")
    )


SEARCH_LIMIT = 50


@dataclass
class SearchResults:
    """What a registry search found in the user's scope, each list capped at SEARCH_LIMIT."""

    read_as: str  # "tail", "mobile", "id", "room", "text"
    estates: list
    units: list  # [(unit, [OwnerView])]
    holdings: list  # [(OwnerView, unit)] for owners matched by name, mobile or ID number
    unmasked: int = 0  # how many owners are shown with their full name and mobile (for the audit trail)

    @property
    def empty(self) -> bool:
        return not (self.estates or self.units or self.holdings)

    @property
    def capped(self) -> bool:
        return SEARCH_LIMIT in (len(self.estates), len(self.units), len(self.holdings))


def _read_query(q: str) -> tuple[str, Q | None, Q | None, Q | None]:
    """(how the query was read, owner filter, unit filter, estate filter). Each filter is
    one an index serves, except a name fragment (a LIKE over owners' and estates' names)."""
    compact = q.replace(" ", "")
    if compact.isdigit() and len(compact) == 4:
        return "tail", Q(mobile_tail=compact), Q(room=compact), None
    if compact.isdigit() and len(compact) == 11:
        return "mobile", Q(mobile=compact), None, None
    if len(compact) == 18 and compact[:17].isdigit():
        return "id", Q(id_number=compact.upper()) | Q(uscc=compact.upper()), None, None
    for sep in ("-", "－", "—", "/"):
        if sep in compact:
            building, _sep, room = compact.rpartition(sep)
            return "room", None, Q(room=room, building__name__icontains=building), None
    if compact.isascii() and any(c.isdigit() for c in compact):
        return "room", None, Q(room=compact), None
    return "text", Q(name__icontains=q), None, Q(name__icontains=q)


def search_registry(user, q: str) -> SearchResults:
    """Units, owners and estates matching ``q`` within what the user may view (a fixed handful
    of queries). Owners are shown masked except in estates where the user may see personal data.

    Owners are found by name, mobile (or its last four digits) or ID number only in estates
    where the user sees personal data in full: where a user sees them masked, a search is by
    room (and estate name) alone, so it cannot confirm that a named person or a full number
    belongs to a unit."""
    read_as, owner_q, unit_q, estate_q = _read_query(q)
    current = Ownership.objects.in_force().select_related("owner").order_by("id")
    units, holdings, estates = [], [], []
    if unit_q is not None:
        units = list(
            access.visible(user, access.VIEW, Unit.objects.filter(unit_q))
            .select_related("building__estate")
            .prefetch_related(Prefetch("ownerships", queryset=current, to_attr="current_ownerships"))
            .order_by("building__estate__code", "building_id", "room")[:SEARCH_LIMIT]
        )
    if owner_q is not None:
        found = Ownership.objects.in_force().filter(**{"owner__in": Owner.objects.filter(owner_q)})
        holdings = list(
            access.visible(user, access.PERSONAL, found)
            .select_related("owner", "unit__building__estate")
            .order_by("owner__name", "owner_id", "unit__building__estate__code", "unit__room")[:SEARCH_LIMIT]
        )
    if estate_q is not None:
        estates = list(
            access.visible(user, access.VIEW, Estate.objects.filter(estate_q).with_management_state())
            .select_related("grid__community__street")
            .order_by("code")[:SEARCH_LIMIT]
        )
    estate_ids = {u.building.estate_id for u in units} | {h.unit.building.estate_id for h in holdings}
    full = set()
    if estate_ids:
        full = set(
            access.visible(user, access.PERSONAL, Estate.objects.filter(pk__in=estate_ids)).values_list("pk", flat=True)
        )
    unmasked = sum(u.building.estate_id in full for u in units for _h in u.current_ownerships) + sum(
        h.unit.building.estate_id in full for h in holdings
    )
    return SearchResults(
        read_as=read_as,
        unmasked=unmasked,
        estates=estates,
        units=[(u, [_owner_view(h.owner, u.building.estate_id in full) for h in u.current_ownerships]) for u in units],
        holdings=[(_owner_view(h.owner, h.unit.building.estate_id in full), h.unit) for h in holdings],
    )


@dataclass
class Responsible:
    level: str  # the role's label
    node: object  # the grid, community or street
    people: list[str]


def responsibility_chain(estate: Estate) -> list[Responsible]:
    """Who answers for the estate, bottom up: its grid's workers, its community's staff, its
    street's staff (one query; a level nobody holds yet shows empty)."""
    grid = estate.grid
    levels = [
        (Role.GRID_WORKER, grid),
        (Role.COMMUNITY_STAFF, grid.community),
        (Role.STREET_STAFF, grid.community.street),
    ]
    types = ContentType.objects.get_for_models(Grid, Community, Street)
    held = Q(pk__in=[])
    for role, node in levels:
        held |= Q(role=role, scope_type=types[type(node)], scope_id=node.pk)
    people = defaultdict(list)
    for a in RoleAssignment.objects.filter(held).select_related("user").order_by("granted_at", "pk"):
        people[a.role].append(a.user.get_full_name() or a.user.first_name or a.user.username)
    return [Responsible(Role(role).label, node, people[role]) for role, node in levels]


def audit_events(user, *, user_text: str = "", action: str = "", obj: str = "", since=None, until=None):
    """The audit trail as its readers search it (newest first), or nothing for a user who may
    not read it. ``obj`` is "type:id" (fees.payment:12) for one object, else text of its name
    or its number. Dates are local days, both included; the filters use the table's indexes."""
    if not access.holds_anywhere(user, access.VIEW_AUDIT):
        return AuditEvent.objects.none()
    rows = AuditEvent.objects.all()
    if user_text:
        rows = rows.filter(username__iexact=user_text)
    if action:
        rows = rows.filter(action=action)
    if obj:
        kind, sep, ident = obj.partition(":")
        if sep and kind.strip() and ident.strip():
            rows = rows.filter(object_type=kind.strip().lower(), object_id=ident.strip())
        else:
            rows = rows.filter(Q(object_repr__icontains=obj) | Q(object_id=obj))
    zone = timezone.get_current_timezone()
    if since:
        rows = rows.filter(at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        rows = rows.filter(at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    return rows.order_by("-at", "-pk")


def people_of(scope) -> list[str]:
    """The names of the natural persons who hold or held a unit in an estate (or a community):
    what free text meant for the public masks (cms notices, the documents owners inspect, a
    vote's public result). One query."""
    where = "estate" if isinstance(scope, Estate) else "estate__grid__community"
    return sorted(
        set(
            Owner.objects.filter(kind=OwnerKind.PERSON, **{f"ownerships__unit__building__{where}": scope}).values_list(
                "name", flat=True
            )
        )
    )
