"""Reads for the grid pages, already limited to what the reader may see.

A case is read by whoever may view its estate's registry (``view_registry`` over the estate:
the grid worker of its grid, community, street and district staff; the estate's committee
and its company read their own estate's cases) and by the staff of the handling unit it was
handed to (``handle_requests`` on the unit: a company's staff through their company, a
utility's or a department's through their role on the unit), who also read the reporter's
name and mobile to do the work. A resident reads their own requests (``requests_of``).

The dashboard counts over the estates the reader may view, in a fixed number of queries
however many estates and cases there are; each figure has the filter of the list behind it,
and both are computed with the same bounds (``month_bounds``, ``period_start``), so a count
and its list always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Committee
from community import access
from community.models import (
    Community,
    District,
    Estate,
    Grid,
    ManagementState,
    Owner,
    Street,
    managed_on,
)
from community.privacy import mask_mobile, mask_name
from community.rules import NATIONAL, rules_for
from residents.models import Household, VerifiedMobile

from .models import OPEN_STATUSES, CasePhoto, CaseStatus, GridCase, GridCaseStep, HandlingUnit, Level, Source

CASE_RELATED = ("estate__grid__community__street", "reported_by", "handling_unit", "handler")
MONTHS = 12


# --------------------------------------------------------------------------- time bounds


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """[start, end) of the calendar month that begins on ``first``, as aware local datetimes."""
    return local_midnight(first), local_midnight(month_start(first, -1))


def months(today: date) -> list[date]:
    """The first days of the last twelve calendar months, the current one last."""
    return [month_start(today, back) for back in range(MONTHS - 1, -1, -1)]


def period_start(today: date) -> date:
    """The dashboard's year: from the first day of the month eleven months ago."""
    return months(today)[0]


# --------------------------------------------------------------------------- cases


def cases(user) -> QuerySet:
    """The cases ``user`` may read: over the estates they view, and those handed to their unit."""
    rows = GridCase.objects.select_related(*CASE_RELATED)
    if getattr(user, "is_authenticated", False):
        access.prefetch(user, (access.VIEW, access.HANDLE_REQUESTS))  # both grants in one query
    return access.visible(user, access.VIEW, rows) | access.visible(user, access.HANDLE_REQUESTS, rows)


def requests_of(user) -> QuerySet:
    """A resident's own requests, newest first."""
    if not getattr(user, "is_authenticated", False):
        return GridCase.objects.none()
    return (
        GridCase.objects.filter(source=Source.RESIDENT, reported_by=user)
        .select_related(*CASE_RELATED)
        .order_by("-reported_at", "-pk")
    )


def units_of(user) -> QuerySet:
    """The handling units ``user`` works for (``handle_requests`` on the unit or its company)."""
    return access.visible(user, access.HANDLE_REQUESTS, HandlingUnit.objects.all()).order_by("name")


def unit_staff(unit: HandlingUnit) -> QuerySet:
    """The accounts that may be named a case's handler in ``unit``: its staff (for a company's
    unit, the company's staff)."""
    return access.holders(access.HANDLE_REQUESTS, unit)


def may_handle(user, case: GridCase) -> bool:
    """Whether ``user`` works for the unit the case was handed to (assigns and records its work)."""
    return case.handling_unit_id is not None and access.can(
        user, access.HANDLE_REQUESTS, HandlingUnit(pk=case.handling_unit_id)
    )


def handled_at():
    """The moment a case was last handled (its last step into ``handled``), for annotations; for a
    closed case with no such step (a city case may arrive closed), its close. This is the one
    definition of "handled in time" that the public page, the dashboard and the assessment share."""
    last = GridCaseStep.objects.filter(case=OuterRef("pk"), to_status=CaseStatus.HANDLED, escalation=False)
    return Coalesce(Subquery(last.order_by("-at", "-pk").values("at")[:1]), F("closed_at"))


def handled_at_grouped():
    """The same moment as ``handled_at``, as an aggregate over the case's steps: for a list that
    groups by case anyway (one pass over the steps, not one subquery per case)."""
    handled = Q(steps__to_status=CaseStatus.HANDLED, steps__escalation=False)
    return Coalesce(Max("steps__at", filter=handled), F("closed_at"))


# Handled or closed, and last handled at or before its limit (exactly at the limit is in time).
# Needs ``handled_at`` annotated (``with_in_time``).
IN_TIME = Q(status__in=(CaseStatus.HANDLED, CaseStatus.CLOSED), handled_at__lte=F("limit_at"))


def judged(at) -> Q:
    """A request that can be judged by ``at``: handled (its last handling before ``at``) or past
    its limit; one still open within its limit counts in neither part of the in-time share.
    Needs ``handled_at`` annotated."""
    return Q(status__in=(CaseStatus.HANDLED, CaseStatus.CLOSED), handled_at__lt=at) | Q(limit_at__lt=at)


def with_in_time(queryset: QuerySet) -> QuerySet:
    """``queryset`` with ``handled_at`` and ``in_time`` (a resident's request handled within its limit)."""
    return queryset.annotate(handled_at=handled_at()).annotate(
        in_time=ExpressionWrapper(IN_TIME, output_field=BooleanField())
    )


def in_time(queryset: QuerySet) -> QuerySet:
    """The requests of ``queryset`` handled within their limit."""
    return queryset.annotate(handled_at=handled_at()).filter(IN_TIME)


@dataclass
class Contact:
    name: str
    mobile: str
    masked: bool


def reporter_contact(user, case: GridCase) -> Contact | None:
    """Who reported the case and how to reach them, as ``user`` may see it: in full for the staff
    of its handling unit (they go to the door) and for holders of ``view_personal_data`` over the
    estate; masked for anyone else. None for a case with no reporter on record. Three queries."""
    reporter = case.reported_by
    if reporter is None:
        return None
    owner = Owner.objects.filter(user=reporter).first()
    home = (
        Household.objects.filter(user=reporter, unit__building__estate=case.estate_id, removed_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    verified = VerifiedMobile.objects.filter(user=reporter).values_list("mobile", flat=True).first()
    name = (owner.name if owner else "") or (home.name if home else "") or reporter.get_full_name()
    mobile = verified or (owner.mobile if owner else "") or (home.mobile if home else "")
    if may_handle(user, case) or access.can(user, access.PERSONAL, case):
        return Contact(name, mobile, masked=False)
    return Contact(mask_name(name), mask_mobile(mobile), masked=True)


def photo_for(user, pk: int) -> CasePhoto | None:
    """A case's photo, if ``user`` may read its case (or reported it)."""
    photo = CasePhoto.objects.select_related("case").filter(pk=pk).first()
    if photo is None:
        return None
    if photo.case.reported_by_id == getattr(user, "pk", None) or cases(user).filter(pk=photo.case_id).exists():
        return photo
    return None


def case_for(user, pk: int) -> GridCase | None:
    return cases(user).select_related("estate__grid__community__street__district__rule_set").filter(pk=pk).first()


def may_read_cases(user) -> bool:
    if getattr(user, "is_authenticated", False):
        access.prefetch(user, (access.VIEW, access.HANDLE_REQUESTS))
    return access.visible(user, access.VIEW, Estate.objects.all()).exists() or units_of(user).exists()


def dispatch_units(case: GridCase) -> QuerySet:
    """The handling units a case may be dispatched to: the active ones of its estate's district."""
    return HandlingUnit.objects.filter(district=case.estate.grid.community.street.district_id, active=True)


def photos_max(estate: Estate | None) -> int:
    """How many photos a report or a record of work may carry, by the estate's rule set."""
    return rules_for(estate).request_photos_max if estate is not None else NATIONAL.request_photos_max


def reportable_estates(user) -> QuerySet:
    """The estates on which the user may report a problem (those whose registry they may change)."""
    return access.visible(user, access.CHANGE, Estate.objects.select_related("grid__community")).order_by("code")


def may_report(user) -> bool:
    return reportable_estates(user).exists()


def territory(user) -> dict:
    """The streets and communities the user may name in a scope or filter form."""
    return {
        "streets": access.visible(user, access.VIEW, Street.objects.all()),
        "communities": access.visible(user, access.VIEW, Community.objects.all()),
    }


def case_filter_choices(user) -> dict:
    """What the case list's filters offer: the user's streets, communities, grids and estates."""
    return {
        **territory(user),
        "grids": access.visible(user, access.VIEW, Grid.objects.all()),
        "estates": access.visible(user, access.VIEW, Estate.objects.all()),
    }


def case_list(
    user,
    *,
    now: datetime | None = None,
    status="",
    level="",
    overdue=False,
    escalated=False,
    open=False,
    street=None,
    community=None,
    grid=None,
    estate=None,
    opened: date | None = None,
    closed: date | None = None,
    since: date | None = None,
) -> QuerySet:
    """The cases the user may read, filtered; each row knows whether its step is ``overdue``.
    ``opened`` and ``closed`` are the first days of a month; ``since`` a day (reported on or after)."""
    now = now or timezone.now()
    qs = cases(user).annotate(overdue=ExpressionWrapper(Q(due_at__lt=now), output_field=BooleanField()))
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if overdue:
        qs = qs.filter(due_at__lt=now)
    if open:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if escalated:
        qs = qs.exclude(level=Level.GRID)
    for name, value in (
        ("estate__grid__community__street", street),
        ("estate__grid__community", community),
        ("estate__grid", grid),
        ("estate", estate),
    ):
        if value:
            qs = qs.filter(**{name: value})
    if opened:
        start, end = month_bounds(opened)
        qs = qs.filter(reported_at__gte=start, reported_at__lt=end)
    if closed:
        start, end = month_bounds(closed)
        qs = qs.filter(closed_at__gte=start, closed_at__lt=end)
    if since:
        qs = qs.filter(reported_at__gte=local_midnight(since))
    return qs.order_by("-reported_at", "-pk")


@dataclass
class TimelineRow:
    step: object
    took: timedelta | None  # how long the case stayed at this step (to the next move, or until now)
    current: bool = False

    @property
    def took_text(self) -> str:
        return duration_text(self.took) if self.took is not None else ""


def duration_text(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    return _("%(m)s 分钟") % {"m": minutes}


def timeline(case: GridCase, *, now: datetime | None = None) -> list[TimelineRow]:
    """The steps of a case and the time spent at each (escalations are marks, not steps)."""
    now = now or timezone.now()
    steps = list(case.steps.select_related("by"))
    moves = [s for s in steps if not s.escalation]
    next_move = {a.pk: b.at for a, b in zip(moves, moves[1:], strict=False)}
    rows = []
    for step in steps:
        if step.escalation:
            rows.append(TimelineRow(step, None))
        elif step.pk in next_move:
            rows.append(TimelineRow(step, next_move[step.pk] - step.at))
        else:
            current = case.status != CaseStatus.CLOSED
            rows.append(TimelineRow(step, now - step.at if current else None, current=current))
    return rows


# --------------------------------------------------------------------------- the dashboard

GROUPS = {  # (the estate's path to the group, the group's model)
    "street": ("grid__community__street_id", Street),
    "community": ("grid__community_id", Community),
    "grid": ("grid_id", Grid),
}


def dashboard_scopes(user) -> bool:
    """District, street and community staff have a dashboard (their own scope)."""
    if user.is_superuser:
        return True
    scopes = access.granted_scopes(user, access.VIEW)
    return any(scopes.get(m) for m in (District, Street, Community))


def group_level(user, *, street=None, community=None) -> str:
    """What the rows of the dashboard's table are: the level just below the scope shown."""
    if community:
        return "grid"
    if street:
        return "community"
    scopes = access.granted_scopes(user, access.VIEW)
    if user.is_superuser or scopes.get(District):
        return "street"
    return "community" if scopes.get(Street) else "grid"


@dataclass
class GroupRow:
    pk: int
    name: str
    none: int = 0
    opened: int = 0
    closed: int = 0
    open_now: int = 0
    overdue: int = 0
    community_id: int | None = None  # a grid's community, for links that name the grid

    @property
    def rate(self) -> float | None:
        return self.closed / self.opened if self.opened else None


@dataclass
class Dashboard:
    today: date
    since: date
    states: dict
    trend: list  # [(month's first day, the day counted, estates with no manager that day)]
    committees: int
    opened: int
    closed: int
    open_now: int
    overdue: int
    escalated: dict  # {level: open cases at that level}
    monthly: list  # [(month's first day, opened that month, closed that month)]
    level: str
    groups: list = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.closed / self.opened if self.opened else None


def scoped_estates(user, *, street=None, community=None) -> QuerySet:
    estates = access.visible(user, access.VIEW, Estate.objects.all())
    if street:
        estates = estates.filter(grid__community__street=street)
    if community:
        estates = estates.filter(grid__community=community)
    return estates


def _no_manager_on(day: date) -> Q:
    """Delivered by ``day`` and neither under a contract nor self-managed on it."""
    contract, self_managed = managed_on(day)
    return Q(delivered_on__lte=day) & ~Q(contract) & ~Q(self_managed)


def no_manager_estates(user, *, on: date, street=None, community=None) -> QuerySet:
    """The list behind a point of the trend: estates with no manager on ``on``."""
    return (
        scoped_estates(user, street=street, community=community)
        .filter(_no_manager_on(on))
        .select_related("grid__community__street")
        .order_by("code")
    )


def committees_formed(user, *, since: date, today: date, street=None, community=None) -> QuerySet:
    """Committees elected from ``since`` to ``today`` on the estates in scope."""
    estates = scoped_estates(user, street=street, community=community)
    return (
        Committee.objects.filter(estate__in=estates.values("pk"), elected_on__gte=since, elected_on__lte=today)
        .select_related("estate__grid__community__street")
        .order_by("-elected_on", "-pk")
    )


def dashboard(
    user, *, today: date | None = None, now: datetime | None = None, street=None, community=None
) -> Dashboard:
    """Every figure of the dashboard in eight queries, whatever the number of rows."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    firsts = months(today)
    since = firsts[0]
    estates = scoped_estates(user, street=street, community=community)

    # Estates by management state today (as the directory shows them).
    states = {s: 0 for s in ManagementState.values}
    for state, n in (
        estates.with_management_state(on=today)
        .order_by()
        .values("management_state")
        .annotate(n=Count("pk"))
        .values_list("management_state", "n")
    ):
        states[state] = n

    # The no-manager trend: one count per month end (today for the current month), one query.
    days = [min(month_start(first, -1) - timedelta(days=1), today) for first in firsts]
    counts = estates.aggregate(**{f"d{i}": Count("pk", filter=_no_manager_on(day)) for i, day in enumerate(days)})
    trend = [(first, day, counts[f"d{i}"]) for i, (first, day) in enumerate(zip(firsts, days, strict=True))]

    committees = committees_formed(user, since=since, today=today, street=street, community=community).count()

    # Grid cases: the year's opened and closed, what is open, late and escalated now, month by month.
    year = Q(reported_at__gte=local_midnight(since))
    open_q = Q(status__in=OPEN_STATUSES)
    aggregates = {
        "opened": Count("pk", filter=year),
        "closed": Count("pk", filter=year & Q(status=CaseStatus.CLOSED)),
        "open_now": Count("pk", filter=open_q),
        "overdue": Count("pk", filter=Q(due_at__lt=now)),
        **{f"level_{lv}": Count("pk", filter=open_q & Q(level=lv)) for lv in Level.values if lv != Level.GRID},
    }
    for i, first in enumerate(firsts):
        start, end = month_bounds(first)
        aggregates[f"o{i}"] = Count("pk", filter=Q(reported_at__gte=start, reported_at__lt=end))
        aggregates[f"c{i}"] = Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end))
    case_rows = GridCase.objects.filter(estate__in=estates.values("pk"))
    totals = case_rows.aggregate(**aggregates)

    board = Dashboard(
        today=today,
        since=since,
        states=states,
        trend=trend,
        committees=committees,
        opened=totals["opened"],
        closed=totals["closed"],
        open_now=totals["open_now"],
        overdue=totals["overdue"],
        escalated={lv: totals[f"level_{lv}"] for lv in Level.values if lv != Level.GRID},
        monthly=[(first, totals[f"o{i}"], totals[f"c{i}"]) for i, first in enumerate(firsts)],
        level=group_level(user, street=street, community=community),
    )

    # One row per street, community or grid below the scope shown.
    path, model = GROUPS[board.level]
    groups: dict[int, GroupRow] = {}
    for pk, opened, closed, open_now, overdue in (
        case_rows.order_by()
        .values(f"estate__{path}")
        .annotate(
            opened=Count("pk", filter=year),
            closed=Count("pk", filter=year & Q(status=CaseStatus.CLOSED)),
            open_now=Count("pk", filter=open_q),
            late=Count("pk", filter=Q(due_at__lt=now)),
        )
        .values_list(f"estate__{path}", "opened", "closed", "open_now", "late")
    ):
        groups[pk] = GroupRow(pk, "", opened=opened, closed=closed, open_now=open_now, overdue=overdue)
    for pk, n in (
        estates.with_management_state(on=today)
        .filter(management_state=ManagementState.NONE)
        .order_by()
        .values(path)
        .annotate(n=Count("pk"))
        .values_list(path, "n")
    ):
        groups.setdefault(pk, GroupRow(pk, "")).none = n
    parent = "community_id" if model is Grid else "pk"
    for pk, name, parent_pk in model.objects.filter(pk__in=groups).values_list("pk", "name", parent):
        groups[pk].name = name
        groups[pk].community_id = parent_pk if model is Grid else None
    board.groups = sorted(groups.values(), key=lambda g: g.name)
    return board


# --------------------------------------------------------------------------- handling units' queue

QUEUE_RELATED = ("estate__grid__community", "unit__building", "reported_by", "handler", "handling_unit")
# New requests first, then those in hand, then those waiting for the reporter's confirmation.
QUEUE_ORDER = Case(
    When(status=CaseStatus.REPORTED, then=0),
    When(status=CaseStatus.DISPATCHED, then=1),
    When(status=CaseStatus.HANDLED, then=2),
    default=3,
)


def request_queue(user, *, status: str = "", estate=None, now: datetime | None = None) -> QuerySet:
    """The cases handed to the user's handling units (``units_of``): the open ones, or those of
    ``status`` ("any": every one), of ``estate`` if named; overdue first (``overdue``: the current
    step is past its limit), then new, in progress and handled, the nearest limit first.
    Two queries for a page of rows (its count and the rows), whatever their number."""
    now = now or timezone.now()
    qs = GridCase.objects.filter(handling_unit__in=units_of(user))
    if status == "any":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if estate:
        qs = qs.filter(estate=estate)
    return (
        qs.select_related(*QUEUE_RELATED)
        .annotate(
            overdue=Case(When(due_at__lt=now, then=Value(True)), default=Value(False), output_field=BooleanField())
        )
        .order_by("-overdue", QUEUE_ORDER, F("due_at").asc(nulls_last=True), "-reported_at", "-pk")
    )


def queue_estates(user) -> QuerySet:
    """The estates of the cases ever handed to the user's units, for the queue's filter."""
    handed = GridCase.objects.filter(handling_unit__in=units_of(user)).values("estate")
    return Estate.objects.filter(pk__in=handed).order_by("name")


def new_request_count(user) -> int:
    """The cases handed to the user's units and not yet assigned (the navigation bar's count). One query."""
    return GridCase.objects.filter(handling_unit__in=units_of(user), status=CaseStatus.REPORTED).count()
