"""The grid pages for every role: who reads, reports, acts and sees the dashboard; bad input;
query counts that do not grow with rows; the dashboard's figures against direct counts."""

import os
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from committees import services as life
from community.models import Estate, ManagementState, Role
from community.uploads import PHOTO, max_bytes
from grid import selectors, services
from grid.models import CaseStatus, GridCase, Level
from tests.community.uploads_helpers import HOSTILE, pdf_bytes
from tests.factories import login
from tests.world import PERSON_ROLES

from .helpers import department, png, report, walk, water

pytestmark = pytest.mark.django_db
S = CaseStatus
# Who reads E1's cases: whoever may view E1's registry.
READERS = {
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMMITTEE_MEMBER,
    Role.COMPANY_STAFF,
}
REPORTERS = {Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER}
DASHBOARD = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF}


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_case_list_is_for_those_who_read_an_estate(client, world, role):
    report(world, description="北门垃圾满溢")
    report(world, estate=world.other[role], description="范围外的案件")
    login(client, world.users[role])
    response = client.get(reverse("grid:cases"))
    if role in READERS:
        body = response.content.decode()
        assert response.status_code == 200 and "江滨豪园" in body
        assert world.other[role].name not in body
    elif role == Role.UNIT_STAFF:  # a unit's staff have a list: of the cases handed to their unit, none yet
        assert response.status_code == 200 and "江滨豪园" not in response.content.decode()
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_a_case_page_and_its_photo_in_scope_and_out(client, world, role):
    own, outside = report(world), report(world, estate=world.other[role])
    login(client, world.users[role])
    for url, of in (("grid:case", lambda c: c.pk), ("grid:photo", lambda c: c.photos.get().pk)):
        response = client.get(reverse(url, args=[of(own)]))
        assert response.status_code == (200 if role in READERS else 404)
        if url == "grid:photo" and role in READERS:
            photo = own.photos.get()
            assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Disposition"] == f'attachment; filename="grid-case-{own.pk}-{photo.pk}.png"'
        assert client.get(reverse(url, args=[of(outside)])).status_code == 404


def test_a_units_staff_read_only_the_cases_handed_to_their_unit(client, world):
    mine, other = report(world), report(world)
    services.dispatch_case(actor=None, case=mine, unit=water(world))
    services.dispatch_case(actor=None, case=other, unit=department(world))
    login(client, world.users[Role.UNIT_STAFF])
    body = client.get(reverse("grid:cases")).content.decode()
    assert mine.number in body and other.number not in body
    assert client.get(reverse("grid:case", args=[mine.pk])).status_code == 200
    assert client.get(reverse("grid:photo", args=[mine.photos.get().pk])).status_code == 200
    assert client.get(reverse("grid:case", args=[other.pk])).status_code == 404
    assert client.get(reverse("grid:photo", args=[other.photos.get().pk])).status_code == 404


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_report_form_is_for_those_who_keep_the_registry(client, world, role):
    login(client, world.users[role])
    response = client.get(reverse("grid:report"))
    assert response.status_code == (200 if role in REPORTERS else 403)
    if role in REPORTERS:
        body = response.content.decode()
        # several photos at once, from the phone's chooser (camera or library): no capture on a multiple input
        assert 'accept="image/jpeg,image/png"' in body and "multiple" in body and world.other[role].name not in body


@pytest.mark.parametrize("role", PERSON_ROLES)
@pytest.mark.parametrize("page", ["grid:dashboard", "grid:no_manager", "grid:committees"])
def test_the_dashboard_is_for_district_street_and_community_staff(client, world, role, page):
    login(client, world.users[role])
    assert client.get(reverse(page)).status_code == (200 if role in DASHBOARD else 403)


def test_a_street_outside_the_readers_scope_is_not_found(client, world):
    login(client, world.users[Role.STREET_STAFF])
    other_street = world.e4.grid.community.street
    assert client.get(reverse("grid:dashboard"), {"street": other_street.pk}).status_code == 404
    assert client.get(reverse("grid:dashboard"), {"street": world.e1.grid.community.street_id}).status_code == 200


def _files():
    root = os.path.join(settings.MEDIA_ROOT, "grid")
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files)


def test_a_grid_worker_reports_from_the_form(client, world):
    login(client, world.users[Role.GRID_WORKER])
    response = client.post(
        reverse("grid:report"),
        {
            "estate": world.e1.pk,
            "category": "facility",
            "location": "2号楼",
            "description": "单元门禁损坏",
            "photos": [png("a.png"), png("b.png")],
        },
    )
    case = GridCase.objects.get()
    assert case.photos.count() == 2
    assert response.status_code == 302 and response.url == reverse("grid:case", args=[case.pk])
    assert case.reported_by == world.users[Role.GRID_WORKER] and case.location == "2号楼"


BAD_POSTS = {
    "no category": ({"category": ""}, "请选择问题类别"),
    "no photo": ({"photos": None}, "请拍摄或上传现场照片"),
    "not an image": ({"photos": SimpleUploadedFile("a.jpg", b"plain text", "image/jpeg")}, "不是图片"),
    "too large": (
        {"photos": SimpleUploadedFile("b.png", png().read() + b"\0" * max_bytes(PHOTO), "image/png")},
        "不能超过 5 MB",
    ),
    "four photos": ({"photos": [png(), png(), png(), png()]}, "最多上传 3 张照片"),
    "foreign estate": ({"estate": "E2"}, "不在您负责的网格内"),
    "svg with a script": ({"photos": SimpleUploadedFile("s.png", HOSTILE["drawing.png"], "image/png")}, "不是图片"),
    "html named jpg": ({"photos": SimpleUploadedFile("h.jpg", HOSTILE["page.png"], "image/jpeg")}, "不是图片"),
    "renamed executable": ({"photos": SimpleUploadedFile("e.jpg", HOSTILE["photo.jpg"], "image/jpeg")}, "不是图片"),
    "pdf named jpg": ({"photos": SimpleUploadedFile("p.jpg", pdf_bytes(), "image/jpeg")}, "不是图片"),
}


@pytest.mark.parametrize("case", list(BAD_POSTS))
def test_bad_input_shows_the_error_and_writes_nothing(client, world, case):
    changes, message = BAD_POSTS[case]
    data = {"estate": world.e1.pk, "category": "sanitation", "description": "垃圾未清运", "photos": png(), **changes}
    if data["estate"] == "E2":
        data["estate"] = world.e2.pk  # the same community, another grid
    data = {k: v for k, v in data.items() if v is not None}
    before = _files()
    login(client, world.users[Role.GRID_WORKER])
    response = client.post(reverse("grid:report"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not GridCase.objects.exists() and _files() == before


def test_community_staff_work_a_case_through_the_page(client, world):
    case = report(world)
    url = reverse("grid:case", args=[case.pk])
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert "分派" in client.get(url).content.decode()
    client.post(url, {"action": "dispatch", "unit": department(world).pk})
    client.post(url, {"action": "handle", "note": "已清运"})
    client.post(url, {"action": "fail", "note": ""})  # refused: a failed check needs a reason
    case.refresh_from_db()
    assert case.status == S.HANDLED
    client.post(url, {"action": "pass", "note": "现场已整洁"})
    case.refresh_from_db()
    assert case.status == S.CLOSED and [s.to_status for s in case.steps.all()] == [
        S.REPORTED,
        S.DISPATCHED,
        S.HANDLED,
        S.CLOSED,
    ]


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.STREET_STAFF, Role.COMMITTEE_MEMBER])
def test_who_may_not_dispatch_is_told_so_and_nothing_changes(client, world, role):
    case = report(world)
    url = reverse("grid:case", args=[case.pk])
    login(client, world.users[role])
    assert 'value="dispatch"' not in client.get(url).content.decode()
    response = client.post(url, {"action": "dispatch", "unit": department(world).pk}, follow=True)
    assert "没有权限" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.REPORTED


def test_the_grid_worker_records_handling_but_cannot_check(client, world):
    case = walk(world, S.DISPATCHED, now=timezone.now() - timedelta(hours=2))
    url = reverse("grid:case", args=[case.pk])
    login(client, world.users[Role.GRID_WORKER])
    client.post(url, {"action": "handle", "note": "已通知物业清运完毕"})
    client.post(url, {"action": "pass"})
    case.refresh_from_db()
    assert case.status == S.HANDLED


# --------------------------------------------------------------------------- filters and query counts


def test_filters_find_the_overdue_and_escalated_and_the_months(client, world):
    now = timezone.now()
    old = walk(world, S.REPORTED, now=now - timedelta(days=5))
    fresh = report(world, now=now)
    services.escalate_overdue(now=now)
    login(client, world.users[Role.COMMUNITY_STAFF])
    for params, expected in (
        ({"overdue": "on"}, [old]),
        ({"escalated": "on"}, [old]),
        ({"level": Level.DISTRICT}, [old]),
        ({"opened": f"{now:%Y-%m}"}, [fresh] + ([old] if old.reported_at.month == now.month else [])),
        ({"status": S.CLOSED}, []),
    ):
        page = client.get(reverse("grid:cases"), params).context["page"]
        assert {c.pk for c in page.object_list} == {c.pk for c in expected}, params
    body = client.get(reverse("grid:cases")).content.decode()
    assert "超时" in body and "区级督办" in body


@pytest.mark.parametrize("rows", [2, 40])
def test_the_case_list_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries, rows):
    for i in range(rows):
        report(world, estate=world.e1 if i % 2 else world.e2)
    login(client, world.users[Role.DISTRICT_ADMIN])
    with django_assert_max_num_queries(
        15
    ):  # +3: the header's unread count, the second factor's device, the overdue duties
        assert client.get(reverse("grid:cases"), {"overdue": ""}).status_code == 200


@pytest.mark.parametrize("rows", [2, 30])
def test_the_dashboard_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries, rows):
    for i in range(rows):
        walk(
            world,
            [S.REPORTED, S.CLOSED][i % 2],
            estate=[world.e1, world.e2, world.e3, world.e4][i % 4],
            now=timezone.now() - timedelta(days=i * 9),
        )
    for role in (Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF):
        login(client, world.users[role])
        # +3: the header's unread count, the second factor's device, the overdue duties; +2: binding coverage (units by
        # community, the communities' names)
        with django_assert_max_num_queries(19):
            assert client.get(reverse("grid:dashboard")).status_code == 200
        for page in ("grid:no_manager", "grid:committees"):
            # +3: the header's unread count, the second factor's device, the overdue duties
            with django_assert_max_num_queries(12):
                assert client.get(reverse(page)).status_code == 200


# --------------------------------------------------------------------------- the dashboard's figures


def test_the_dashboards_figures_are_the_direct_counts_and_link_to_the_same_rows(client, world, election):
    now = timezone.now()
    today = timezone.localdate()
    vote, owners = election
    life.elect_committee(actor=None, estate=world.e1, vote=vote, elected_on=today, members=owners[:5])
    for i in range(15):
        walk(
            world,
            [S.REPORTED, S.DISPATCHED, S.HANDLED, S.CLOSED, S.CLOSED][i % 5],
            estate=[world.e1, world.e2, world.e3, world.e4][i % 4],
            now=now - timedelta(days=30 * i + 2),
        )
    services.escalate_overdue(now=now)
    user = world.users[Role.STREET_STAFF]
    login(client, user)
    response = client.get(reverse("grid:dashboard"))
    board = response.context["board"]
    street = world.e1.grid.community.street
    estates = Estate.objects.filter(grid__community__street=street)
    cases = GridCase.objects.filter(estate__grid__community__street=street)
    since = selectors.period_start(today)
    start = selectors.local_midnight(since)
    assert board.opened == cases.filter(reported_at__gte=start).count()
    assert board.closed == cases.filter(reported_at__gte=start, status=S.CLOSED).count()
    assert board.open_now == cases.exclude(status=S.CLOSED).count()
    assert board.overdue == cases.filter(due_at__lt=now).count()
    assert board.escalated[Level.DISTRICT] == cases.exclude(status=S.CLOSED).filter(level=Level.DISTRICT).count()
    assert board.committees == 1
    states = dict(estates.with_management_state().values_list("pk", "management_state"))
    for state in ManagementState.values:
        assert board.states[state] == list(states.values()).count(state)
    assert board.trend[-1][2] == sum(
        1 for pk, s in states.items() if s == ManagementState.NONE and estates.get(pk=pk).delivered_on <= today
    )
    assert sum(o for _m, o, _c in board.monthly) == board.opened
    assert board.opened > 0 and board.closed > 0
    # Every figure's link lists exactly the rows it counts.
    links = response.context["links"]
    for key, figure in (
        ("opened", board.opened),
        ("closed", board.closed),
        ("overdue", board.overdue),
        ("open", board.open_now),
    ):
        listed = client.get(links[key]).context["page"].paginator.count
        assert listed == figure, key
    assert client.get(links["committees"]).context["page"].paginator.count == 1
    for state, _label, n, url in response.context["states"]:
        assert client.get(url).context["page"].paginator.count == n, state
    for first, opened, closed, opened_url, closed_url in response.context["monthly"]:
        assert client.get(opened_url).context["page"].paginator.count == opened, first
        assert client.get(closed_url).context["page"].paginator.count == closed, first
    for _first, _day, n, url in response.context["trend"]:
        assert client.get(url).context["page"].paginator.count == n
    for group, urls, _rate in response.context["groups"]:
        assert client.get(urls["opened"]).context["page"].paginator.count == group.opened
        assert client.get(urls["none"]).context["page"].paginator.count == group.none


def test_the_no_manager_trend_follows_the_records(world):
    today = timezone.localdate()
    # e2 had no manager; a contract from the first day of this month.
    from tests.factories import contract

    contract(world.e2, starts_on=today.replace(day=1), ends_on=today + timedelta(days=365))
    board = selectors.dashboard(world.users[Role.COMMUNITY_STAFF], today=today)
    community = Estate.objects.filter(grid__community=world.e1.grid.community)
    assert board.trend[-1][2] == 0 and board.trend[-2][2] == 1  # e1 under contract all year; e2 until last month
    assert community.count() == 2
    assert date(today.year, today.month, 1) == board.trend[-1][0]
