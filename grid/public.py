"""What the public sees of an estate's service (issue 23, item 3): for the last twelve months,
the residents' requests by kind, the share handled within their time limit and the mean rating.

Figures only, never a name, a unit or a description. The year is the dashboards' year
(``selectors.months``, ``period_start``, ``local_midnight``), so the public page and the
staff dashboards count the same requests. Shown on the estate's public page (``cms.EstatePage``)
through the panel ``grid.apps`` registers with ``cms.panels``.

When a request counts as handled in time: its last move to "处置完毕" (a ``GridCaseStep`` to
``handled``) came at or before its ``limit_at``; exactly at the limit is in time, one second
after is late (as the escalation counts it). The limit runs to the company's "done", not to the
resident's confirmation, so a resident who confirms late does not make the company late. A
request is judged once it is handled (or closed) or its limit has passed; one still open within
its limit is pending and counts in neither part of the share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from community.models import Estate

from . import selectors
from .models import CaseStatus, GridCase, RequestKind, Source
from .selectors import IN_TIME, handled_at, local_midnight, period_start

DONE = (CaseStatus.HANDLED, CaseStatus.CLOSED)


@dataclass
class KindFigures:
    kind: str
    label: str
    reported: int = 0
    judged: int = 0  # handled or closed, or past its limit: the share's denominator
    in_time: int = 0
    rated: int = 0
    rating: Decimal | None = None  # mean of the ratings given, one decimal

    @property
    def share(self) -> float | None:
        return self.in_time / self.judged if self.judged else None

    @property
    def share_text(self) -> str:
        return "—" if self.share is None else f"{self.share:.1%}"

    @property
    def rating_text(self) -> str:
        return "—" if self.rating is None else str(self.rating)


@dataclass
class ServiceFigures:
    since: date  # the first day of the year counted
    today: date
    kinds: list[KindFigures]
    total: KindFigures


def _mean(points, count: int) -> Decimal | None:
    """The mean of ``count`` ratings summing to ``points``, to one decimal (half up)."""
    if not count:
        return None
    return (Decimal(points) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def service_figures(estate: Estate, *, today: date | None = None, now: datetime | None = None) -> ServiceFigures:
    """The estate's residents' requests reported in the dashboards' year (from the first day of
    the month eleven months ago to ``now``), by kind and in total. One query."""
    if today is None:
        now = now or timezone.now()
        today = timezone.localdate(now)
    elif now is None:  # the end of ``today``, or the present moment while today lasts
        now = min(timezone.now(), local_midnight(today + timedelta(days=1)))
    since = period_start(today)  # the dashboards' year: months(today)[0]
    until = min(now, local_midnight(today + timedelta(days=1)))
    rows = (
        GridCase.objects.filter(
            estate=estate, source=Source.RESIDENT, reported_at__gte=local_midnight(since), reported_at__lt=until
        )
        .annotate(handled_at=handled_at())
        .order_by()
        .values("kind")
        .annotate(
            reported=Count("pk"),
            judged=Count("pk", filter=selectors.judged(now)),
            on_time=Count("pk", filter=IN_TIME),
            rated=Count("rating"),
            points=Sum("rating"),
        )
        .values_list("kind", "reported", "judged", "on_time", "rated", "points")
    )
    by_kind = {kind: KindFigures(kind, str(label)) for kind, label in RequestKind.choices}
    points = 0
    for kind, reported, judged, on_time, rated, given in rows:
        row = by_kind[kind]
        row.reported, row.judged, row.in_time, row.rated = reported, judged, on_time, rated
        row.rating = _mean(given, rated)
        points += given or 0
    kinds = list(by_kind.values())
    total = KindFigures("", "")
    for row in kinds:
        total.reported += row.reported
        total.judged += row.judged
        total.in_time += row.in_time
        total.rated += row.rated
    total.rating = _mean(points, total.rated)
    return ServiceFigures(since=since, today=today, kinds=kinds, total=total)


def estate_panel(estate: Estate, request):
    """The public estate page's panel (registered with ``cms.panels`` by ``grid.apps``)."""
    return "grid/public_figures.html", {"figures": service_figures(estate)}
