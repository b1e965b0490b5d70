"""grid.services: reporting, the one transition table, who may move a case, and escalation."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from community.models import Role, RuleSet
from community.uploads import PHOTO, max_bytes
from community.workflow import IllegalTransition
from grid import services
from grid.models import CasePhoto, CaseStatus, GridCase, GridCaseStep, Level, PhotoStage, Source
from tests.world import PERSON_ROLES

from .helpers import T0, department, png, report, walk

pytestmark = pytest.mark.django_db
S = CaseStatus
HOUR, SECOND = timedelta(hours=1), timedelta(seconds=1)


def _files():
    root = os.path.join(settings.MEDIA_ROOT, "grid")
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files)


# --------------------------------------------------------------------------- reporting


def test_a_grid_worker_reports_a_problem_on_an_estate_of_their_grid(world):
    worker = world.users[Role.GRID_WORKER]
    case = report(world, actor=worker, now=T0, location="3号楼北侧")
    assert case.status == S.REPORTED and case.level == Level.GRID and case.grid == world.e1.grid
    assert case.reported_by == worker and case.reported_at == T0
    assert case.due_at == T0 + timedelta(hours=24)  # the national grid_dispatch_hours
    assert case.number.startswith(world.e1.grid.community.code) and case.number.endswith("〔2025〕1号")
    (photo,) = case.photos.all()
    assert photo.stage == PhotoStage.REPORT and photo.by == worker and photo.at == T0
    assert photo.image.name.startswith("grid/") and os.path.exists(photo.image.path)
    assert case.source == Source.GRID and case.handling_unit is None
    step = case.steps.get()
    assert (step.from_status, step.to_status, step.at, step.by) == ("", S.REPORTED, T0, worker)


def test_numbers_follow_on_within_a_community_and_year(world):
    first, second = report(world, now=T0), report(world, now=T0 + HOUR)
    assert first.number.endswith("1号") and second.number.endswith("2号")


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISTRICT_ADMIN])
def test_a_foreign_estate_is_refused_and_nothing_is_written(world, role):
    before = _files()
    with pytest.raises(PermissionDenied):
        report(world, actor=world.users[role], estate=world.other[role])
    assert not GridCase.objects.exists() and not GridCaseStep.objects.exists() and _files() == before


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR])
def test_roles_that_do_not_keep_the_registry_cannot_report(world, role):
    with pytest.raises(PermissionDenied):
        report(world, actor=world.users[role])
    assert not GridCase.objects.exists()


BAD = {
    "no category": ({"category": ""}, services.NO_CATEGORY),
    "unknown category": ({"category": "weather"}, services.NO_CATEGORY),
    "no description": ({"description": "   "}, None),
    "no photo": ({"photos": []}, services.NO_PHOTO),
    "not an image": ({"photos": [SimpleUploadedFile("x.jpg", b"GIF89 this is not a picture", "image/jpeg")]}, None),
    "one good, one not an image": ({"photos": [png(), SimpleUploadedFile("x.jpg", b"text", "image/jpeg")]}, None),
    "too large": (
        {"photos": [SimpleUploadedFile("big.png", png().read() + b"\0" * max_bytes(PHOTO), "image/png")]},
        None,
    ),
    "four photos": ({"photos": [png(), png(), png(), png()]}, "最多上传 3 张照片。"),
    "unknown source": ({"source": Source.RESIDENT}, services.NO_SOURCE),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_nothing_is_written(world, case):
    kw, message = BAD[case]
    before = _files()
    with pytest.raises(ValidationError) as exc:
        report(world, actor=world.users[Role.GRID_WORKER], **kw)
    if message is not None:
        assert str(message) in exc.value.messages
    assert not GridCase.objects.exists() and not GridCaseStep.objects.exists() and _files() == before
    assert not CasePhoto.objects.exists()


def test_a_photo_of_exactly_the_limit_is_accepted(world):
    content = png().read()
    photo = SimpleUploadedFile("edge.png", content + b"\0" * (max_bytes(PHOTO) - len(content)), "image/png")
    assert photo.size == max_bytes(PHOTO)
    assert report(world, photos=[photo]).pk


def test_three_photos_are_kept_and_a_city_case_walks_the_same_flow(world):
    case = report(world, photos=[png(), png(), png()], source=Source.CITY, now=T0)
    assert case.photos.count() == 3 and case.source == Source.CITY and case.number.endswith("〔2025〕1号")
    assert case.steps.get().note == "城市平台转办"
    case = services.dispatch_case(actor=None, case=case, unit=department(world), now=T0 + HOUR)
    case = services.record_handling(actor=None, case=case, note="已处置", photos=[png()], now=T0 + 2 * HOUR)
    assert case.photos.filter(stage=PhotoStage.WORK).count() == 1
    assert services.verify_case(actor=None, case=case, passed=True, now=T0 + 3 * HOUR).status == S.CLOSED


# --------------------------------------------------------------------------- the transition table


def test_the_transition_table_is_the_seeds_flow():
    assert services.TRANSITIONS == {
        S.REPORTED: {S.DISPATCHED},
        S.DISPATCHED: {S.DISPATCHED, S.HANDLED},
        S.HANDLED: {S.CLOSED, S.DISPATCHED},
        S.CLOSED: set(),
    }


ACTIONS = {
    "dispatch": (
        S.DISPATCHED,
        lambda case: services.dispatch_case(
            actor=None, case=case, unit=department(None, "街道环卫所", district=case.estate.district), now=T0 + 9 * HOUR
        ),
    ),
    "handle": (
        S.HANDLED,
        lambda case: services.record_handling(actor=None, case=case, note="已处置", now=T0 + 9 * HOUR),
    ),
    "pass": (S.CLOSED, lambda case: services.verify_case(actor=None, case=case, passed=True, now=T0 + 9 * HOUR)),
    "fail": (
        S.DISPATCHED,
        lambda case: services.verify_case(actor=None, case=case, passed=False, note="仍有垃圾", now=T0 + 9 * HOUR),
    ),
}


# Each action from each status: only these five succeed. A dispatched case may be handed to
# another unit (改派); a handled case goes back to handling only through a failed check (with its
# reason), never by being dispatched again.
LEGAL = {
    (S.REPORTED, "dispatch"),
    (S.DISPATCHED, "dispatch"),
    (S.DISPATCHED, "handle"),
    (S.HANDLED, "pass"),
    (S.HANDLED, "fail"),
}


@pytest.mark.parametrize("start", list(S))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_move_is_allowed_exactly_when_the_table_says(world, start, action):
    case = walk(world, start)
    to, run = ACTIONS[action]
    steps = case.steps.count()
    legal = (start, action) in LEGAL
    assert not legal or to in services.TRANSITIONS[start]  # every action's move is in the one table
    if legal:
        moved = run(case)
        assert moved.status == to and moved.step_started_at == T0 + 9 * HOUR
        last = moved.steps.last()
        assert (last.from_status, last.to_status, last.at) == (start, to, T0 + 9 * HOUR)
        assert (moved.closed_at is not None) == (to == S.CLOSED) and (moved.due_at is None) == (to == S.CLOSED)
    else:
        with pytest.raises(IllegalTransition):
            run(case)
        case.refresh_from_db()
        assert case.status == start and case.steps.count() == steps


def test_dispatching_names_the_unit_and_sets_the_handling_limit(world):
    case = walk(world, S.REPORTED)
    unit = department(world)
    for bad in (None, department(world, "外区城管", district=world.e5.district)):
        with pytest.raises(ValidationError) as exc:
            services.dispatch_case(actor=None, case=case, unit=bad)
        assert str(services.BAD_UNIT) in exc.value.messages
    unit.active = False
    unit.save()
    with pytest.raises(ValidationError):
        services.dispatch_case(actor=None, case=case, unit=unit)
    case.refresh_from_db()
    assert case.status == S.REPORTED and case.handling_unit is None and case.steps.count() == 1
    unit.active = True
    unit.save()
    case = services.dispatch_case(actor=None, case=case, unit=unit, now=T0 + HOUR)
    assert case.handling_unit == unit and case.due_at == T0 + HOUR + timedelta(hours=72)
    assert case.steps.last().note == "分派至：城管中队"
    with pytest.raises(ValidationError) as exc:  # 改派 to the unit it is with already
        services.dispatch_case(actor=None, case=case, unit=unit)
    assert str(services.SAME_UNIT) in exc.value.messages
    other = department(world, "街道环卫所")
    case = services.dispatch_case(actor=None, case=case, unit=other, now=T0 + 2 * HOUR)
    assert (
        case.handling_unit == other and case.status == S.DISPATCHED and case.steps.last().note == "改派至：街道环卫所"
    )
    assert case.due_at == T0 + 2 * HOUR + timedelta(hours=72)


def test_handling_needs_a_note_and_a_failed_check_a_reason(world):
    case = walk(world, S.DISPATCHED)
    with pytest.raises(ValidationError):
        services.record_handling(actor=None, case=case, note="")
    case = services.record_handling(actor=None, case=case, note="已清运", now=T0 + 5 * HOUR)
    assert case.due_at == T0 + 5 * HOUR + timedelta(hours=24)
    with pytest.raises(ValidationError):
        services.verify_case(actor=None, case=case, passed=False, note="")
    case = services.verify_case(actor=None, case=case, passed=False, note="现场仍有垃圾", now=T0 + 6 * HOUR)
    assert case.status == S.DISPATCHED and "现场仍有垃圾" in case.steps.last().note


def test_the_time_at_each_step_is_kept(world):
    case = walk(world, S.CLOSED)
    assert [(s.to_status, s.at) for s in case.steps.all()] == [
        (S.REPORTED, T0),
        (S.DISPATCHED, T0 + HOUR),
        (S.HANDLED, T0 + 2 * HOUR),
        (S.CLOSED, T0 + 3 * HOUR),
    ]
    assert case.closed_at == T0 + 3 * HOUR


# --------------------------------------------------------------------------- who may move a case

MAY = {
    # dispatch and verify: dispatch_cases over the case (community staff, district administrators)
    "dispatch": {Role.COMMUNITY_STAFF, Role.DISTRICT_ADMIN},
    # handling: whoever keeps the estate's registry (the grid worker, community staff, district)
    "handle": {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISTRICT_ADMIN},
    "pass": {Role.COMMUNITY_STAFF, Role.DISTRICT_ADMIN},
}
START = {"dispatch": S.REPORTED, "handle": S.DISPATCHED, "pass": S.HANDLED}


@pytest.mark.parametrize("action", list(MAY))
@pytest.mark.parametrize("role", PERSON_ROLES)
def test_who_may_move_a_case_in_their_scope(world, action, role):
    case = walk(world, START[action])
    user = world.users[role]
    run = {
        "dispatch": lambda c, u: services.dispatch_case(actor=u, case=c, unit=department(world, "街道环卫所")),
        "handle": lambda c, u: services.record_handling(actor=u, case=c, note="已处置"),
        "pass": lambda c, u: services.verify_case(actor=u, case=c, passed=True),
    }[action]
    if role in MAY[action]:
        assert run(case, user).steps.last().by == user
        # ... and not just outside their scope
        outside = walk(world, START[action], estate=world.other[role])
        with pytest.raises(PermissionDenied):
            run(outside, user)
    else:
        with pytest.raises(PermissionDenied):
            run(case, user)
        case.refresh_from_db()
        assert case.status == START[action]


# --------------------------------------------------------------------------- escalation


def _levels(case, now):
    services.escalate_overdue(now=now)
    case.refresh_from_db()
    return case.level


@pytest.mark.parametrize("status,hours", [(S.REPORTED, 24), (S.DISPATCHED, 72), (S.HANDLED, 24)])
def test_each_level_boundary_is_strict(world, status, hours):
    case = walk(world, status)
    started = case.step_started_at
    limit = timedelta(hours=hours)
    expected = [
        (started + limit, Level.GRID),  # exactly at the limit: on time
        (started + limit + SECOND, Level.COMMUNITY),
        (started + 2 * limit, Level.COMMUNITY),
        (started + 2 * limit + SECOND, Level.STREET),
        (started + 3 * limit, Level.STREET),
        (started + 3 * limit + SECOND, Level.DISTRICT),
        (started + 30 * limit, Level.DISTRICT),  # the district is the top
    ]
    for now, level in expected:
        assert _levels(case, now) == level, now - started
    assert case.escalated_at == started + 3 * limit
    assert [s.level for s in case.steps.filter(escalation=True)] == [Level.COMMUNITY, Level.STREET, Level.DISTRICT]


def test_a_late_run_raises_every_level_due_at_once_and_a_second_run_nothing(world):
    case = walk(world, S.REPORTED)
    now = T0 + 3 * timedelta(hours=24) + SECOND
    assert services.escalate_overdue(now=now) == 3
    assert services.escalate_overdue(now=now) == 0
    case.refresh_from_db()
    assert case.level == Level.DISTRICT and case.steps.filter(escalation=True).count() == 3
    assert all(s.at == now and s.to_status == S.REPORTED for s in case.steps.filter(escalation=True))


def test_a_moved_case_keeps_its_level_and_starts_a_fresh_clock(world):
    case = walk(world, S.REPORTED)
    assert _levels(case, T0 + timedelta(hours=25)) == Level.COMMUNITY
    case = services.dispatch_case(actor=None, case=case, unit=department(world), now=T0 + timedelta(hours=30))
    assert case.level == Level.COMMUNITY and case.due_at == T0 + timedelta(hours=30 + 72)
    assert _levels(case, T0 + timedelta(hours=30 + 72)) == Level.COMMUNITY
    assert _levels(case, T0 + timedelta(hours=30 + 72) + SECOND) == Level.STREET


def test_a_closed_case_is_never_escalated(world):
    case = walk(world, S.CLOSED)
    assert services.escalate_overdue(now=T0 + timedelta(days=400)) == 0
    case.refresh_from_db()
    assert case.level == Level.GRID


def test_the_limits_come_from_the_districts_rule_set(world):
    district = world.e1.grid.community.street.district
    district.rule_set = RuleSet.objects.create(name="三明试点", grid_dispatch_hours=2)
    district.save()
    case = report(world, now=T0)
    assert case.due_at == T0 + 2 * HOUR
    assert _levels(case, T0 + 2 * HOUR) == Level.GRID
    assert _levels(case, T0 + 2 * HOUR + SECOND) == Level.COMMUNITY
    other = report(world, estate=world.e5, now=T0)  # another district: the national 24 hours
    assert _levels(other, T0 + 2 * HOUR + SECOND) == Level.GRID
