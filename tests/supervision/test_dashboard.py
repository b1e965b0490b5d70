"""The supervision dashboard: who sees it, in what scope; each figure against a direct count on
the fixtures; each figure's list counts the same rows; a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.models import Role
from fees.models import Allocation, Bill, FeeItem, FundAccount, LedgerEntry
from grid.models import CaseStatus, GridCase, Source
from grid.selectors import month_start, period_start
from mediation import selectors as mediation_selectors
from mediation import services as mediation_services
from mediation.models import Room
from supervision import dashboard as selectors
from tests.factories import UserFactory, login
from tests.world import PERSON_ROLES

from .dashboard_helpers import bill, fee_item, fund, mediation_case, request, sitting

pytestmark = pytest.mark.django_db
S = CaseStatus
DASHBOARD = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF}
PAGES = ["dashboard", "collection", "fund", "requests", "exams", "mediation"]


def build(world, *, rows: int = 1):
    """Bills, fund entries, requests, sittings and mediation cases on E1 (own), E3 (same street,
    other community), E4 (other street) and E5 (other district); ``rows`` repeats the lot."""
    now = timezone.now()
    today = timezone.localdate()
    this, last, old = month_start(today), month_start(today, 1), month_start(today, 13)
    items = {
        e: FeeItem.objects.filter(schedule__estate=e).first() or fee_item(e)
        for e in (world.e1, world.e3, world.e4, world.e5)
    }
    other_room = Room.objects.filter(community=world.e4.grid.community).first()
    if other_room is None:
        other_room = mediation_services.open_room(
            actor=None,
            community=world.e4.grid.community,
            name="另一街道调解室",
            address="某路 1 号",
            hours="工作日",
            opened_on=today - timedelta(days=800),
        )
        mediation_services.appoint_mediator(
            actor=None,
            room=other_room,
            user=UserFactory(),
            name="李调解",
            position="chair",
            appointed_on=today - timedelta(days=400),
        )
    for _ in range(rows):
        bill(world.e1, items[world.e1], this, "100.00", paid="60.00", addressee="王小明")
        bill(world.e1, items[world.e1], last, "50.00", paid="50.00", addressee="王小明")
        bill(world.e1, items[world.e1], old, "70.00", addressee="王小明")  # before the period
        bill(world.e3, items[world.e3], this, "200.00", addressee='=HYPERLINK("http://x","点我")')
        bill(world.e4, items[world.e4], last, "300.00", paid="300.00")
        bill(world.e5, items[world.e5], this, "400.00", paid="100.00")
        request(
            world.e1,
            reported=now - timedelta(days=20),
            path=[(S.DISPATCHED, 2), (S.HANDLED, 10), (S.CLOSED, 20)],
            rating=5,
        )
        request(world.e1, reported=now - timedelta(days=10), path=[(S.DISPATCHED, 4), (S.HANDLED, 60)], rating=2)
        request(world.e1, reported=now - timedelta(days=5))  # open, past its limit
        request(world.e1, reported=now - timedelta(hours=1))  # open, within it
        request(world.e1, reported=now - timedelta(days=3), source=Source.GRID)  # a grid worker's case
        request(world.e1, reported=now - timedelta(days=400), path=[(S.DISPATCHED, 1)])  # before the period
        request(
            world.e3,
            reported=now - timedelta(days=30),
            path=[(S.DISPATCHED, 1), (S.HANDLED, 5), (S.CLOSED, 7)],
            rating=4,
        )
        request(world.e4, reported=now - timedelta(days=8), path=[(S.DISPATCHED, 1)])
        request(world.e5, reported=now - timedelta(days=8))
        sitting(world.e1.grid.community, opens_at=now - timedelta(days=15), results=[True, False, True])
        sitting(world.e1.grid.community, opens_at=now - timedelta(days=800), results=[True])
        sitting(world.e4.grid.community, opens_at=now - timedelta(days=15), results=[True])
        for outcome in ("agreed", "ended", "refused", "open"):
            mediation_case(world.room, world.e1, opened_on=today - timedelta(days=12), outcome=outcome)
        mediation_case(world.room, world.e1, opened_on=today - timedelta(days=800), outcome="agreed")
        mediation_case(other_room, world.e4, opened_on=today - timedelta(days=12), outcome="agreed")
    if not FundAccount.objects.exists():
        fund(world.e1, "1000.00", "-200.00")
        fund(world.e3, "500.00")
        fund(world.e4, "700.00")
        fund(world.e5, "900.00")


# --------------------------------------------------------------------------- who


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_dashboard_and_its_lists_are_for_district_street_and_community_staff(client, world, role):
    user = world.users.get(role)
    if user is None:  # a role the shared world does not seat
        pytest.skip("no user of this role in the world")
    login(client, user)
    expected = 200 if role in DASHBOARD else 403
    for page in PAGES + ["arrears"]:
        url = reverse(f"supervision:{page}", args=[world.e1.pk] if page == "arrears" else [])
        assert client.get(url).status_code == expected, page
        if page != "dashboard":
            assert client.get(url, {"export": "xlsx"}).status_code == expected, page


def test_owners_and_visitors_are_refused(client, world):
    urls = [reverse(f"supervision:{p}", args=[world.e1.pk] if p == "arrears" else []) for p in PAGES + ["arrears"]]
    for url in urls:
        assert client.get(url).status_code == 302  # to the sign-in page
    login(client, world.owner_user)
    for url in urls:
        assert client.get(url).status_code == 403


def test_the_nav_offers_the_dashboard_to_its_readers_only(client, world):
    login(client, world.users[Role.STREET_STAFF])
    assert reverse("supervision:dashboard") in client.get(reverse("grid:cases")).content.decode()
    login(client, world.users[Role.COMPANY_STAFF])
    assert reverse("supervision:dashboard") not in client.get(reverse("grid:cases")).content.decode()


def test_a_street_sees_its_street_and_a_community_its_community(client, world):
    build(world)
    login(client, world.users[Role.STREET_STAFF])
    other_street = world.e4.grid.community.street
    assert client.get(reverse("supervision:dashboard"), {"street": other_street.pk}).status_code == 404
    response = client.get(reverse("supervision:collection"), {"street": other_street.pk})
    assert response.status_code == 400 and "不在您的管辖范围内" in response.content.decode()
    names = {r.estate.name for r in client.get(reverse("supervision:collection")).context["page"].object_list}
    assert names == {world.e1.name, world.e3.name}
    assert client.get(reverse("supervision:arrears", args=[world.e4.pk])).status_code == 404

    login(client, world.users[Role.COMMUNITY_STAFF])
    names = {r.estate.name for r in client.get(reverse("supervision:collection")).context["page"].object_list}
    assert names == {world.e1.name}
    assert client.get(reverse("supervision:arrears", args=[world.e3.pk])).status_code == 404
    board = client.get(reverse("supervision:dashboard")).context["board"]
    assert board.level == "grid" and board.requests.total == 4 and board.exams.sittings == 1


def test_a_month_outside_the_period_is_refused_in_chinese(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.get(reverse("supervision:collection"), {"month": "2001-01"})
    assert response.status_code == 400 and "账期须在统计期内" in response.content.decode()
    response = client.get(reverse("supervision:collection"), {"month": "2025-13"})
    assert response.status_code == 400 and "月份格式应为" in response.content.decode()


# --------------------------------------------------------------------------- the figures


def test_each_figure_is_the_direct_count(client, world):
    build(world)
    now = timezone.now()
    today = timezone.localdate()
    since = period_start(today)
    user = world.users[Role.STREET_STAFF]
    street = world.e1.grid.community.street
    board = selectors.dashboard(user, now=now)

    bills = Bill.objects.filter(estate__grid__community__street=street, period__gte=since)
    billed = bills.aggregate(t=Sum("amount"))["t"]
    paid = Allocation.objects.filter(bill__in=bills).aggregate(t=Sum("amount"))["t"]
    assert (board.collection.billed, board.collection.paid) == (billed, paid) == (Decimal("350.00"), Decimal("110.00"))
    assert board.collection.rate == Fraction(110, 350)
    assert board.billed_estates == 2
    trend = dict(board.trend)
    assert trend[month_start(today)].billed == Decimal("300.00") and trend[month_start(today)].paid == Decimal("60.00")
    assert trend[month_start(today, 1)].rate == 1 and len(board.trend) == 12
    by_name = {g.name: g for g in board.groups}
    c1, c3 = world.e1.grid.community.name, world.e3.grid.community.name
    assert by_name[c1].collection.rate == Fraction(110, 150) and by_name[c3].collection.rate == 0

    fund_sum = LedgerEntry.objects.filter(ledger="fund", estate__grid__community__street=street).aggregate(
        t=Sum("amount")
    )
    assert board.fund_balance == fund_sum["t"] == Decimal("1300.00") and board.fund_accounts == 2
    assert by_name[c1].fund_balance == Decimal("800.00")

    requests = GridCase.objects.filter(
        source=Source.RESIDENT, estate__grid__community__street=street, reported_at__gte=selectors.local_midnight(since)
    )
    assert board.requests.total == requests.count() == 5
    for status in S.values:
        assert board.requests.by_status[status] == requests.filter(status=status).count(), status
    assert (board.requests.in_time, board.requests.late) == (2, 2)  # handled at 10 h and 5 h; at 60 h, and open 5 days
    assert board.requests.timely_rate == Fraction(1, 2)
    assert board.requests.mean_rating == Fraction(5 + 2 + 4, 3) and board.requests.rated == 3
    assert board.days[S.REPORTED] == Fraction(2 + 4 + 1, 3 * 24)
    assert board.days[S.DISPATCHED] == Fraction(8 + 56 + 4, 3 * 24)
    assert board.days[S.HANDLED] == Fraction(10 + 2, 2 * 24)

    assert (board.exams.sittings, board.exams.sat, board.exams.passed) == (1, 3, 2)
    assert board.exams.pass_rate == Fraction(2, 3)

    assert board.mediation == {"agreed": 1, "ended": 1, "refused": 1, "open": 1}
    # the same classification as mediation's own statistics, over the same cases
    _groups, total = mediation_selectors.statistics(user, "community", today.year)
    if all(c.opened_on.year == today.year for c in selectors.mediation_cases(user, board.period)):
        assert (total.agreed, total.ended, total.refused) == (1, 1, 1)

    assert board.coverage.total.units >= 1  # residents.coverage as it is

    district = selectors.dashboard(world.users[Role.DISTRICT_ADMIN], now=now)
    assert district.collection.billed == Decimal("650.00") and district.collection.paid == Decimal("410.00")
    assert district.requests.total == 6 and district.exams.sittings == 2 and district.mediation["agreed"] == 2
    assert district.fund_balance == Decimal("2000.00") and district.level == "street"


def test_every_figure_links_to_a_list_of_the_same_rows(client, world):
    build(world)
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.get(reverse("supervision:dashboard"))
    ctx = response.context
    board, links = ctx["board"], ctx["links"]

    def listed(url):
        return client.get(url).context["page"].paginator.count

    assert listed(links["collection"]) == board.billed_estates
    assert listed(links["fund"]) == board.fund_accounts
    assert listed(links["requests"]) == board.requests.total
    assert listed(links["in_time"]) == board.requests.in_time
    assert listed(links["late"]) == board.requests.late
    assert listed(links["rated"]) == board.requests.rated
    assert listed(links["exams"]) == board.exams.sittings
    assert listed(links["mediation"]) == board.mediation_total
    for _s, _label, n, url in ctx["statuses"]:
        assert listed(url) == n
    for _o, _label, n, url in ctx["outcomes"]:
        assert listed(url) == n
    for first, figures, _rate, url in ctx["trend"]:
        rows = client.get(url).context["page"].object_list
        assert sum((r.billed for r in rows), Decimal(0)) == figures.billed, first
        assert sum((r.paid for r in rows), Decimal(0)) == figures.paid, first
    for group, urls, _text in ctx["groups"]:
        assert listed(urls["requests"]) == group.requests.total
        assert listed(urls["fund"]) == group.fund_accounts
        rows = client.get(urls["collection"]).context["page"].object_list
        assert sum((r.billed for r in rows), Decimal(0)) == group.collection.billed
    assert reverse("grid:dashboard") in response.content.decode()
    # a community's dashboard: its rows are grids, and their links name the grid
    login(client, world.users[Role.COMMUNITY_STAFF])
    ctx = client.get(reverse("supervision:dashboard")).context
    for group, urls, _text in ctx["groups"]:
        assert "grid=" in urls["requests"] and listed(urls["requests"]) == group.requests.total


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_dashboard_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    login(client, world.users[Role.DISTRICT_ADMIN])
    build(world, rows=1)
    small = {page: _queries(client, reverse(f"supervision:{page}")) for page in PAGES}
    build(world, rows=6)
    large = {page: _queries(client, reverse(f"supervision:{page}")) for page in PAGES}
    assert small == large
    # session, user, second factor, grants, unread, duties + the board's 14
    with django_assert_max_num_queries(22):
        client.get(reverse("supervision:dashboard"))
    for role in (Role.STREET_STAFF, Role.COMMUNITY_STAFF):
        login(client, world.users[role])
        assert _queries(client, reverse("supervision:dashboard")) <= 22
