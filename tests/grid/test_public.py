"""What the public sees of an estate's service (grid.public, through cms.panels): the last twelve
months' residents' requests by kind, the share handled within the limit and the mean rating,
against hand-counted rows; on the public estate page without a login and without a name."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.models import EstatePage
from community.rules import rules_for
from grid.models import (
    REQUEST_LIMIT_RULES,
    CaseStatus,
    Category,
    GridCase,
    GridCaseStep,
    Level,
    RequestKind,
    Source,
)
from grid.public import service_figures
from grid.selectors import local_midnight, period_start

pytestmark = pytest.mark.django_db
S = CaseStatus
K = RequestKind
SECRET = "王大爷家卫生间漏水"  # every description: must never reach the public page


class Rows:
    def __init__(self, world, now):
        self.world, self.now = world, now
        self.today = timezone.localdate(now)
        self.start = local_midnight(period_start(self.today))
        self.n = 0

    def limit(self, estate, kind):
        return timedelta(hours=getattr(rules_for(estate), REQUEST_LIMIT_RULES[kind]))

    def case(self, *, kind, reported, status, handled=(), reopened_at=(), closed=None, rating=None, estate=None):
        """A request as the ORM stores it; ``handled`` are the moments of its moves to "handled"."""
        estate = estate or self.world.e1
        self.n += 1
        limit_at = reported + self.limit(estate, kind)
        case = GridCase.objects.create(
            number=f"PUB-{self.n:04d}",
            grid=estate.grid,
            estate=estate,
            source=Source.RESIDENT,
            kind=kind,
            category=Category.PROPERTY_SERVICE,
            description=SECRET,
            location="3号楼 2单元 602",
            status=status,
            level=Level.COMPANY,
            reported_at=reported,
            reported_by=self.world.owner_user,
            limit_at=limit_at,
            step_started_at=reported,
            due_at=None if status == S.CLOSED else limit_at,
            closed_at=closed,
            rating=rating,
            rated_at=closed if rating else None,
            rating_comment="张三丰说修得不错" if rating else "",
        )
        moves = [(at, S.HANDLED) for at in handled] + [(at, S.DISPATCHED) for at in reopened_at]
        for at, to in sorted(moves):
            GridCaseStep.objects.create(case=case, to_status=to, level=Level.COMPANY, at=at)
        return case

    def hand_counted(self):
        """The rows whose figures are counted by hand in the tests below."""
        start, now, e1 = self.start, self.now, self.world.e1
        day, hour, second = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)
        unit_limit = self.limit(e1, K.UNIT_REPAIR)
        # Unit repairs: 6 in the year, 5 judged, 2 in time; ratings 5, 2, 3.
        a = start + 10 * day  # handled exactly at its limit: in time
        self.case(
            kind=K.UNIT_REPAIR, reported=a, status=S.CLOSED, handled=[a + unit_limit], closed=a + 3 * day, rating=5
        )
        b = start + 20 * day  # one second late
        self.case(
            kind=K.UNIT_REPAIR,
            reported=b,
            status=S.CLOSED,
            handled=[b + unit_limit + second],
            closed=b + 4 * day,
            rating=2,
        )
        self.case(kind=K.UNIT_REPAIR, reported=now - hour, status=S.DISPATCHED)  # within its limit: pending
        self.case(kind=K.UNIT_REPAIR, reported=start + 30 * day, status=S.DISPATCHED)  # open past its limit: late
        # Reported a minute before the year: not counted at all (it would add an in-time 1).
        e = start - timedelta(minutes=1)
        self.case(kind=K.UNIT_REPAIR, reported=e, status=S.CLOSED, handled=[e + hour], closed=e + 2 * hour, rating=1)
        # Reported at the year's first moment, handled, not yet confirmed: in time, no rating.
        self.case(kind=K.UNIT_REPAIR, reported=start, status=S.HANDLED, handled=[start + hour])
        # Handled in time, reopened, handled again late: the last "handled" counts.
        g = start + 40 * day
        self.case(
            kind=K.UNIT_REPAIR,
            reported=g,
            status=S.CLOSED,
            handled=[g + hour, g + unit_limit + hour],
            reopened_at=[g + 2 * hour],
            closed=g + unit_limit + 2 * day,
            rating=3,
        )
        # Complaints: 2, both in time; ratings 4 and 5 (one closed with no "handled" step: its close counts).
        h = start + 50 * day
        self.case(kind=K.COMPLAINT, reported=h, status=S.CLOSED, handled=[h + hour], closed=h + 2 * hour, rating=4)
        i = start + 60 * day
        self.case(kind=K.COMPLAINT, reported=i, status=S.CLOSED, closed=i + hour, rating=5)
        # A suggestion, in time, never rated.
        m = start + 70 * day
        self.case(kind=K.SUGGESTION, reported=m, status=S.CLOSED, handled=[m + hour], closed=m + 2 * hour)
        # Not this estate's, and not a resident's request: never counted.
        self.case(
            kind=K.SUGGESTION,
            reported=m,
            status=S.CLOSED,
            handled=[m + hour],
            closed=m + 2 * hour,
            rating=1,
            estate=self.world.e2,
        )
        GridCase.objects.create(
            number="PUB-GRID",
            grid=e1.grid,
            estate=e1,
            source=Source.GRID,
            category=Category.SANITATION,
            description=SECRET,
            status=S.CLOSED,
            level=Level.GRID,
            reported_at=m,
            step_started_at=m,
            closed_at=m + hour,
        )


@pytest.fixture
def rows(world):
    rows = Rows(world, timezone.now())
    rows.hand_counted()
    return rows


def _by_kind(figures):
    return {row.kind: row for row in figures.kinds}


def test_the_figures_against_hand_counted_rows(rows, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = service_figures(rows.world.e1, today=rows.today, now=rows.now)
    kinds = _by_kind(figures)
    assert figures.since == period_start(rows.today)
    assert list(kinds) == [K.UNIT_REPAIR, K.COMMON_REPAIR, K.COMPLAINT, K.SUGGESTION]
    unit = kinds[K.UNIT_REPAIR]
    assert (unit.reported, unit.judged, unit.in_time, unit.rated) == (6, 5, 2, 3)
    assert unit.share == 2 / 5 and unit.share_text == "40.0%" and unit.rating == Decimal("3.3")  # 10 / 3
    common = kinds[K.COMMON_REPAIR]
    assert (common.reported, common.share, common.rating, common.share_text, common.rating_text) == (
        0,
        None,
        None,
        "—",
        "—",
    )
    complaint = kinds[K.COMPLAINT]
    assert (complaint.reported, complaint.judged, complaint.in_time, complaint.rating) == (2, 2, 2, Decimal("4.5"))
    suggestion = kinds[K.SUGGESTION]
    assert (suggestion.reported, suggestion.in_time, suggestion.rated, suggestion.rating) == (1, 1, 0, None)
    total = figures.total
    assert (total.reported, total.judged, total.in_time, total.rated) == (9, 8, 5, 5)
    assert total.share_text == "62.5%" and total.rating == Decimal("3.8")  # (5 + 2 + 3 + 4 + 5) / 5


def test_the_limit_boundary_exactly_and_one_second_after(world):
    rows = Rows(world, timezone.now())
    reported = rows.start + timedelta(days=5)
    limit = rows.limit(world.e1, K.COMMON_REPAIR)
    rows.case(kind=K.COMMON_REPAIR, reported=reported, status=S.HANDLED, handled=[reported + limit])
    figures = _by_kind(service_figures(world.e1, today=rows.today, now=rows.now))[K.COMMON_REPAIR]
    assert (figures.judged, figures.in_time) == (1, 1)
    # A second request handled one second after its limit is judged and late (steps are never
    # deleted, so the first stays: two judged, still one in time).
    rows.case(
        kind=K.COMMON_REPAIR, reported=reported, status=S.HANDLED, handled=[reported + limit + timedelta(seconds=1)]
    )
    figures = _by_kind(service_figures(world.e1, today=rows.today, now=rows.now))[K.COMMON_REPAIR]
    assert (figures.judged, figures.in_time) == (2, 1)


def test_a_request_open_within_its_limit_is_judged_once_the_limit_passes(world):
    rows = Rows(world, timezone.now())
    reported = rows.now - timedelta(hours=1)
    rows.case(kind=K.COMPLAINT, reported=reported, status=S.DISPATCHED)
    limit_at = reported + rows.limit(world.e1, K.COMPLAINT)
    at_limit = _by_kind(service_figures(world.e1, today=rows.today, now=limit_at))[K.COMPLAINT]
    after = _by_kind(
        service_figures(world.e1, today=timezone.localdate(limit_at), now=limit_at + timedelta(seconds=1))
    )[K.COMPLAINT]
    assert (at_limit.reported, at_limit.judged) == (1, 0)
    assert (after.reported, after.judged, after.in_time) == (1, 1, 0)


def test_the_year_is_the_dashboards_year(world):
    """A request on the last day of the month twelve months back is out; on the first day of the
    month eleven months back, in (as grid.selectors.dashboard counts)."""
    rows = Rows(world, timezone.now())
    rows.case(kind=K.SUGGESTION, reported=rows.start - timedelta(seconds=1), status=S.DISPATCHED)
    rows.case(kind=K.SUGGESTION, reported=rows.start, status=S.DISPATCHED)
    assert _by_kind(service_figures(world.e1, today=rows.today, now=rows.now))[K.SUGGESTION].reported == 1


def test_the_public_page_shows_the_figures_without_login_and_without_names(client, rows):
    url = EstatePage.objects.get(estate=rows.world.e1).url
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "居民报事办理情况" in body
    for fig, text in (
        ("unit_repair-reported", "6"),
        ("unit_repair-share", "40.0%"),
        ("unit_repair-rating", "3.3"),
        ("common_repair-share", "—"),
        ("complaint-rating", "4.5"),
        ("total-reported", "<strong>9</strong>"),
        ("total-share", "<strong>62.5%</strong>"),
        ("total-rating", "<strong>3.8</strong>"),
    ):
        assert f'id="fig-{fig}">{text}<' in body, fig
    for personal in (SECRET, "602", "张三丰", rows.world.resident.name, rows.world.resident.mobile, "PUB-0001"):
        assert personal not in body, personal


def test_the_public_page_runs_a_fixed_number_of_queries(client, world):
    rows = Rows(world, timezone.now())
    url = EstatePage.objects.get(estate=world.e1).url

    def count():
        cache.clear()  # the page as rendered afresh, not a visitor's cached copy
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client.get(url)  # the site's first request warms Wagtail's caches
    empty = count()
    rows.hand_counted()
    for n in range(10):
        rows.case(kind=K.COMMON_REPAIR, reported=rows.start + timedelta(days=n), status=S.HANDLED, handled=[rows.now])
    assert count() == empty


def test_every_estate_page_has_its_own_figures(client, rows):
    body = client.get(EstatePage.objects.get(estate=rows.world.e2).url).content.decode()
    assert 'id="fig-suggestion-reported">1<' in body and 'id="fig-total-reported"><strong>1</strong>' in body
