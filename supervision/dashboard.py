"""Reads for the supervision dashboard (监管看板): the district's view across the work of
floor 6, for district, street and community staff, each over the estates they may view.

The dashboard's year, scope and grouping are grid's (``grid.selectors``: ``months``,
``period_start``, ``scoped_estates``, ``group_level``), so the two dashboards count the same
estates over the same months; grid cases and the no-manager figures stay on grid's dashboard.

Every figure here is read by one of the functions below, and the list behind it calls the
same function with the same filters, so a figure and its list always agree:

* fee collection (收缴率): amounts paid (allocated to the bills) over amounts billed, for
  the bills of the months in the period (``Bill.period``, the month a bill is for), read
  per estate and month (``collection``); rolled up by estate, community, street and month;
* maintenance-fund balances: the sum of each estate's fund ledger (``fund_balances``);
* residents' requests (``GridCase`` with ``source=resident``, ``requests``): by status, the
  time spent in each status from the case's steps (``days_in_status``), timeliness (handled
  at or before ``limit_at``; late when handled after it or still not handled past it) and
  satisfaction (the mean rating);
* exam sittings and their pass rates (``exam_sittings``, committees' own annotations);
* mediation outcomes (``mediation_cases``), classified as ``mediation.selectors.statistics``
  classifies them: agreed, ended without agreement, refused, still open;
* binding coverage: ``residents.coverage.district_coverage``, as it is.

``dashboard`` reads all of them in a fixed number of queries, whatever the district's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Lead
from django.utils import timezone

from committees.exams.selectors import staff_sessions
from community import access
from community.models import Community, Grid, Street
from fees.models import Allocation, Bill, Ledger
from grid.models import CaseStatus, GridCase, GridCaseStep, Source
from grid.selectors import IN_TIME, group_level, handled_at_grouped, local_midnight, month_start, months, scoped_estates
from mediation.models import Agreement, CaseStep, Room
from mediation.models import Case as MediationCase
from mediation.models import CaseStatus as MediationStatus
from residents import coverage as binding_coverage

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
S = CaseStatus
DONE = (S.HANDLED, S.CLOSED)  # the handling unit has said "done" (the resident may still reopen)
NOT_DONE = (S.REPORTED, S.DISPATCHED)
TIMED = (S.REPORTED, S.DISPATCHED, S.HANDLED)  # the statuses a request leaves; closed is the end
GROUP_KEYS = {"street": "street_id", "community": "community_id", "grid": "grid_id"}
GROUP_MODELS = {"street": Street, "community": Community, "grid": Grid}


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def rate(part, whole) -> Fraction | None:
    """An exact share (``None`` when there is nothing to share)."""
    return Fraction(Decimal(part)) / Fraction(Decimal(whole)) if whole else None


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True)
class Period:
    today: date
    now: datetime
    firsts: tuple  # the first days of the twelve months, the current one last

    @property
    def since(self) -> date:
        return self.firsts[0]

    @property
    def last(self) -> date:
        return self.firsts[-1]

    @property
    def start(self) -> datetime:
        return local_midnight(self.since)


def period(*, today: date | None = None, now: datetime | None = None) -> Period:
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    return Period(today=today, now=now, firsts=tuple(months(today)))


# --------------------------------------------------------------------------- the estates in scope


def _estates(user, *, street=None, community=None, grid=None) -> QuerySet:
    """grid's ``scoped_estates``, narrowed to one grid when given (a community's dashboard rows)."""
    estates = scoped_estates(user, street=street, community=community)
    return estates.filter(grid=grid) if grid else estates


@dataclass
class EstateInfo:
    pk: int
    name: str
    code: str
    grid_id: int
    community_id: int
    street_id: int
    community: str
    street: str


def estates_in_scope(user, *, street=None, community=None, grid=None) -> dict[int, EstateInfo]:
    """{pk: the estate with its community and street}, by code: one query."""
    rows = (
        _estates(user, street=street, community=community, grid=grid)
        .order_by("code")
        .values_list(
            "pk",
            "name",
            "code",
            "grid_id",
            "grid__community_id",
            "grid__community__street_id",
            "grid__community__name",
            "grid__community__street__name",
        )
    )
    return {row[0]: EstateInfo(*row) for row in rows}


# --------------------------------------------------------------------------- fee collection


@dataclass
class Collection:
    """Billed and paid (allocated to those bills) for some bills; ``rate`` is paid ÷ billed."""

    billed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def rate(self) -> Fraction | None:
        return rate(self.paid, self.billed)

    @property
    def percent(self) -> str:
        return binding_coverage.percent(self.rate)

    @property
    def owed(self) -> Decimal:
        return self.billed - self.paid

    def add(self, other: Collection) -> None:
        self.billed += other.billed
        self.paid += other.paid


def _bills(user, p: Period, *, street=None, community=None, grid=None, month=None, via: str = "") -> Q:
    """The bills of the period's months (or of one ``month``) on the estates in scope, as a
    condition on ``Bill`` (or, with ``via="bill__"``, on a row that points at one)."""
    first, last = (month, month) if month else (p.since, p.last)
    estates = _estates(user, street=street, community=community, grid=grid)
    return Q(**{f"{via}estate__in": estates.values("pk"), f"{via}period__gte": first, f"{via}period__lte": last})


def collection(
    user, p: Period, *, street=None, community=None, grid=None, month=None
) -> dict[tuple[int, date], Collection]:
    """{(estate id, month): billed and paid} for the bills of the period's months (or of one
    ``month``) on the estates in scope: two queries, whatever the number of bills."""
    scope = {"street": street, "community": community, "grid": grid, "month": month}
    found: dict[tuple[int, date], Collection] = {}
    for estate_id, first, billed in (
        Bill.objects.filter(_bills(user, p, **scope))
        .order_by()
        .values("estate_id", "period")
        .annotate(t=Sum("amount"))
        .values_list("estate_id", "period", "t")
    ):
        found[estate_id, first] = Collection(billed=_money(billed))
    for estate_id, first, paid in (
        Allocation.objects.filter(_bills(user, p, via="bill__", **scope))
        .order_by()
        .values("bill__estate_id", "bill__period")
        .annotate(t=Sum("amount"))
        .values_list("bill__estate_id", "bill__period", "t")
    ):
        found.setdefault((estate_id, first), Collection()).paid = _money(paid)
    return found


@dataclass
class EstateCollection(Collection):
    estate: EstateInfo | None = None


def collection_by_estate(
    user, p: Period, *, street=None, community=None, grid=None, month=None
) -> list[EstateCollection]:
    """The list behind the collection figures: each estate in scope with bills in the period
    (or ``month``), its billed, paid and rate; by code. Three queries."""
    info = estates_in_scope(user, street=street, community=community, grid=grid)
    rows: dict[int, EstateCollection] = {}
    for (estate_id, _first), figures in collection(
        user, p, street=street, community=community, grid=grid, month=month
    ).items():
        rows.setdefault(estate_id, EstateCollection(estate=info[estate_id])).add(figures)
    return [rows[pk] for pk in info if pk in rows]


# --------------------------------------------------------------------------- the maintenance fund


def _fund(user, *, street=None, community=None, grid=None) -> dict[int, Decimal]:
    """{estate id: the balance of its fund ledger (every sub-account's entries)} for the estates
    in scope with a special account: one query."""
    rows = (
        _estates(user, street=street, community=community, grid=grid)
        .filter(fund_account__isnull=False)
        .annotate(balance=Sum("ledger_entries__amount", filter=Q(ledger_entries__ledger=Ledger.FUND)))
        .values_list("pk", "balance")
    )
    return {pk: _money(balance) for pk, balance in rows}


def fund_balances(user, *, street=None, community=None, grid=None) -> list[tuple[EstateInfo, Decimal]]:
    """The list behind the fund figures: each estate in scope with a special account and its
    balance, by code. Two queries."""
    info = estates_in_scope(user, street=street, community=community, grid=grid)
    found = _fund(user, street=street, community=community, grid=grid)
    return [(info[pk], found[pk]) for pk in info if pk in found]


# --------------------------------------------------------------------------- residents' requests


def in_time_q() -> Q:
    return IN_TIME


def late_q(now: datetime) -> Q:
    return Q(status__in=DONE, handled_at__gt=F("limit_at")) | Q(status__in=NOT_DONE, limit_at__lt=now)


TIMELINESS = ("in_time", "late")


def _reported(user, p: Period, *, street=None, community=None, grid=None, estate=None) -> QuerySet:
    """Residents' requests reported in the period on the estates in scope (no annotation)."""
    estates = _estates(user, street=street, community=community, grid=grid)
    if estate:
        estates = estates.filter(pk=getattr(estate, "pk", estate))
    return GridCase.objects.filter(source=Source.RESIDENT, estate__in=estates.values("pk"), reported_at__gte=p.start)


def requests(
    user,
    p: Period,
    *,
    street=None,
    community=None,
    grid=None,
    estate=None,
    status: str = "",
    timely: str = "",
    rated: bool = False,
) -> QuerySet:
    """Residents' requests reported in the period on the estates in scope, each with
    ``handled_at``, ``in_time`` and ``late``; filtered by status, timeliness (``in_time`` /
    ``late``) or having a rating. The list behind every request figure, newest first; the
    dashboard counts these very rows."""
    qs = (
        _reported(user, p, street=street, community=community, grid=grid, estate=estate)
        .annotate(handled_at=handled_at_grouped())
        .annotate(
            in_time=ExpressionWrapper(in_time_q(), output_field=BooleanField()),
            late=ExpressionWrapper(late_q(p.now), output_field=BooleanField()),
        )
    )
    if status:
        qs = qs.filter(status=status)
    if timely in TIMELINESS:
        qs = qs.filter(**{timely: True})
    if rated:
        qs = qs.filter(rating__isnull=False)
    return qs.order_by("-reported_at", "-pk")


@dataclass
class Requests:
    total: int = 0
    by_status: dict = field(default_factory=lambda: {s: 0 for s in S.values})
    in_time: int = 0
    late: int = 0
    rated: int = 0
    rating_sum: int = 0

    @property
    def timely_rate(self) -> Fraction | None:
        judged = self.in_time + self.late
        return Fraction(self.in_time, judged) if judged else None

    @property
    def mean_rating(self) -> Fraction | None:
        return Fraction(self.rating_sum, self.rated) if self.rated else None

    def add(self, other: Requests) -> None:
        self.total += other.total
        for s, n in other.by_status.items():
            self.by_status[s] += n
        self.in_time += other.in_time
        self.late += other.late
        self.rated += other.rated
        self.rating_sum += other.rating_sum


def requests_by_estate(user, p: Period, *, street=None, community=None, grid=None) -> dict[int, Requests]:
    """{estate id: the request figures}: the rows of ``requests`` (their status, marks and
    rating, one query), tallied here."""
    found: dict[int, Requests] = {}
    rows = requests(user, p, street=street, community=community, grid=grid).order_by()
    for estate_id, status, in_time, late, rating in rows.values_list(
        "estate_id", "status", "in_time", "late", "rating"
    ):
        figures = found.setdefault(estate_id, Requests())
        figures.total += 1
        figures.by_status[status] += 1
        figures.in_time += bool(in_time)
        figures.late += bool(late)
        if rating is not None:
            figures.rated += 1
            figures.rating_sum += rating
    return found


def days_in_status(user, p: Period, *, street=None, community=None, grid=None) -> dict[str, Fraction | None]:
    """{status: the mean days a request stayed in it}, over the moves out of each status made
    by the period's requests in scope (a stay still running is not counted). One query: each
    step's next move (escalations are marks, not moves) by a window over the case's steps."""
    reported = _reported(user, p, street=street, community=community, grid=grid)
    left = Window(Lead("at"), partition_by=[F("case_id")], order_by=[F("at").asc(), F("pk").asc()])
    stay = ExpressionWrapper(F("left_at") - F("at"), output_field=DurationField())
    found = (
        GridCaseStep.objects.filter(case__in=reported.values("pk"), escalation=False)
        .annotate(left_at=left)
        .filter(left_at__isnull=False)
        .aggregate(**{s: Avg(stay, filter=Q(to_status=s)) for s in TIMED})
    )
    return {s: (_days(found[s]) if found.get(s) is not None else None) for s in TIMED}


def _days(span: timedelta) -> Fraction:
    return Fraction(round(span.total_seconds()), 86400)


def request_stays(cases) -> dict[int, dict[str, timedelta]]:
    """{case id: {status: total time in it}} for the rows of one page of the list (one query);
    the current status's stay runs until now."""
    steps = list(
        GridCaseStep.objects.filter(case__in=[c.pk for c in cases], escalation=False)
        .order_by("case_id", "at", "pk")
        .values_list("case_id", "to_status", "at")
    )
    now = timezone.now()
    stays: dict[int, dict[str, timedelta]] = {c.pk: {} for c in cases}
    for i, (case_id, status, at) in enumerate(steps):
        following = steps[i + 1] if i + 1 < len(steps) and steps[i + 1][0] == case_id else None
        if following is None and status == S.CLOSED:
            continue
        until = following[2] if following else now
        stays[case_id][status] = stays[case_id].get(status, timedelta()) + (until - at)
    return stays


# --------------------------------------------------------------------------- exams


def exam_sittings(user, p: Period, *, street=None, community=None) -> QuerySet:
    """The sittings that opened in the period in the communities in scope, with committees'
    own ``enrolled``, ``sat`` and ``passed`` (candidates) per sitting; newest first."""
    rows = staff_sessions(user).filter(opens_at__gte=p.start)
    if street:
        rows = rows.filter(community__street=street)
    if community:
        rows = rows.filter(community=community)
    return rows


@dataclass
class Exams:
    sittings: int = 0
    enrolled: int = 0
    sat: int = 0
    passed: int = 0

    @property
    def pass_rate(self) -> Fraction | None:
        return Fraction(self.passed, self.sat) if self.sat else None


def exam_totals(sittings: QuerySet) -> Exams:
    totals = Exams()
    for enrolled, sat, passed in sittings.values_list("enrolled", "sat", "passed"):
        totals.sittings += 1
        totals.enrolled += enrolled
        totals.sat += sat
        totals.passed += passed
    return totals


# --------------------------------------------------------------------------- mediation


OUTCOMES = ("agreed", "ended", "refused", "open")


def _outcome_q() -> dict[str, Q]:
    """The outcome of a case as ``mediation.selectors.statistics`` counts it: ended (a step to
    "ended") before agreed (an agreement drawn up); refused (refused, or closed with neither);
    everything else is still open."""
    ended = Q(was_ended=True)
    agreed = Q(has_agreement=True) & ~ended
    refused = ~ended & ~agreed & Q(status__in=[MediationStatus.REFUSED, MediationStatus.CLOSED])
    return {"agreed": agreed, "ended": ended, "refused": refused, "open": ~ended & ~agreed & ~refused}


def mediation_cases(user, p: Period, *, street=None, community=None, outcome: str = "") -> QuerySet:
    """Cases registered in the period in the rooms in scope (as mediation's statistics read
    them: the rooms the user may view), each with its outcome marks; newest first."""
    rooms = access.visible(user, access.VIEW, Room.objects.all())
    if street:
        rooms = rooms.filter(community__street=street)
    if community:
        rooms = rooms.filter(community=community)
    qs = MediationCase.objects.filter(room__in=rooms.values("pk"), opened_on__gte=p.since).annotate(
        was_ended=Exists(CaseStep.objects.filter(case=OuterRef("pk"), status=MediationStatus.ENDED)),
        has_agreement=Exists(Agreement.objects.filter(case=OuterRef("pk"))),
    )
    if outcome:
        qs = qs.filter(_outcome_q()[outcome])
    return qs.order_by("-opened_on", "-pk")


def mediation_outcomes(cases: QuerySet) -> dict[str, int]:
    """{outcome: cases} in one query."""
    return cases.order_by().aggregate(**{o: Count("pk", filter=q) for o, q in _outcome_q().items()})


# --------------------------------------------------------------------------- the dashboard


@dataclass
class Group:
    """One row of the dashboard's table: a street, community or grid below the scope shown."""

    pk: int
    name: str = ""
    estates: int = 0
    collection: Collection = field(default_factory=Collection)
    fund_accounts: int = 0
    fund_balance: Decimal = ZERO
    requests: Requests = field(default_factory=Requests)
    community_id: int | None = None  # a grid's community, for links that name the grid


@dataclass
class Dashboard:
    period: Period
    level: str
    estates: int
    collection: Collection
    billed_estates: int
    trend: list  # [(month's first day, Collection)]
    fund_accounts: int
    fund_balance: Decimal
    requests: Requests
    days: dict  # {status: mean days in it}
    exams: Exams
    mediation: dict  # {outcome: cases}
    coverage: object  # residents.coverage.DistrictCoverage
    groups: list = field(default_factory=list)

    @property
    def mediation_total(self) -> int:
        return sum(self.mediation.values())


def dashboard(
    user, *, today: date | None = None, now: datetime | None = None, street=None, community=None
) -> Dashboard:
    """Every figure of the supervision dashboard over the estates in scope, in a fixed number
    of queries however many estates, bills and requests there are."""
    p = period(today=today, now=now)
    scope = {"street": street, "community": community}
    info = estates_in_scope(user, **scope)
    level = group_level(user, **scope)
    key = GROUP_KEYS[level]
    groups: dict[int, Group] = {}

    def group_of(estate_id: int) -> Group:
        estate = info[estate_id]
        pk = getattr(estate, key)
        return groups.setdefault(pk, Group(pk=pk, community_id=estate.community_id if level == "grid" else None))

    for estate_id in info:
        group_of(estate_id).estates += 1

    total, billed_estates = Collection(), set()
    trend = {first: Collection() for first in p.firsts}
    for (estate_id, first), figures in collection(user, p, **scope).items():
        total.add(figures)
        trend[first].add(figures)
        group_of(estate_id).collection.add(figures)
        billed_estates.add(estate_id)

    fund_accounts, fund_balance = 0, ZERO
    for estate_id, balance in _fund(user, **scope).items():
        fund_accounts += 1
        fund_balance += balance
        group = group_of(estate_id)
        group.fund_accounts += 1
        group.fund_balance += balance

    all_requests = Requests()
    for estate_id, figures in requests_by_estate(user, p, **scope).items():
        all_requests.add(figures)
        group_of(estate_id).requests.add(figures)

    model = GROUP_MODELS[level]
    for pk, name in model.objects.filter(pk__in=groups).values_list("pk", "name"):
        groups[pk].name = name

    return Dashboard(
        period=p,
        level=level,
        estates=len(info),
        collection=total,
        billed_estates=len(billed_estates),
        trend=list(trend.items()),
        fund_accounts=fund_accounts,
        fund_balance=fund_balance,
        requests=all_requests,
        days=days_in_status(user, p, **scope),
        exams=exam_totals(exam_sittings(user, p, **scope)),
        mediation=mediation_outcomes(mediation_cases(user, p, **scope)),
        coverage=binding_coverage.district_coverage(user, **scope),
        groups=sorted(groups.values(), key=lambda g: g.name),
    )


def month_of(p: Period, value: date | None) -> date | None:
    """A month inside the period (its first day), or None: the collection list's month filter."""
    if value is None:
        return None
    first = month_start(value)
    return first if p.since <= first <= p.last else None
