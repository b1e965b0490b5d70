"""Residents' requests in the one case flow: who may report, the company's handling, the
reporter's confirmation, rating and reopening, time limits and escalation at their boundaries,
and who reads which case (the company its estates', a utility's staff what was handed to them)."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from community.models import Ownership, Role
from community.workflow import IllegalTransition
from grid import selectors, services
from grid.models import CasePhoto, CaseStatus, GridCase, GridCaseStep, Level, PhotoStage, RequestKind, Source
from notifications.models import Event
from residents.models import Household
from tests.factories import CompanyFactory, OwnershipFactory, UnitFactory, UserFactory, user_with_role
from tests.fees.notified import messages, users_told

from .helpers import T0, png, report, water

pytestmark = pytest.mark.django_db
S = CaseStatus
HOUR, SECOND, DAY = timedelta(hours=1), timedelta(seconds=1), timedelta(days=1)


@pytest.fixture
def people(world):
    """The owner of E1's 101 (``owner``), a household member of that unit, the serving company's
    staff member, another company's, and an owner of E2 (no company serves E2)."""
    unit = Ownership.objects.get(owner=world.resident).unit
    member = UserFactory(username="member")
    Household.objects.create(
        unit=unit, owner=world.resident, mobile="13700000001", name="张小丰", user=member, joined_at=T0 - DAY
    )
    other_company = user_with_role(Role.COMPANY_STAFF, CompanyFactory(), "other_company")
    e2_owner = UserFactory(username="e2owner")
    holder = Ownership.objects.filter(unit__building__estate=world.e2).first().owner
    holder.user = e2_owner
    holder.save()
    return {
        "owner": world.owner_user,
        "member": member,
        "unit": unit,
        "company": world.users[Role.COMPANY_STAFF],
        "other_company": other_company,
        "e2_owner": e2_owner,
    }


def _files():
    root = os.path.join(settings.MEDIA_ROOT, "grid")
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files)


def ask(people, *, actor="owner", now=T0, **kw):
    kw.setdefault("kind", RequestKind.UNIT_REPAIR)
    kw.setdefault("description", "卫生间顶部漏水")
    if kw["kind"] == RequestKind.UNIT_REPAIR:
        kw.setdefault("unit", people["unit"])
    estate = kw.pop("estate", None) or people["unit"].building.estate
    return services.report_request(actor=people[actor], estate=estate, now=now, **kw)


def handled(people, *, now=T0, at=None):
    """A request reported at ``now``, taken on by the company at +1h and handled at ``at`` (+2h)."""
    case = ask(people, now=now)
    case = services.assign_case(actor=people["company"], case=case, handler=people["company"], now=now + HOUR)
    return services.record_handling(actor=people["company"], case=case, note="已更换防水层", now=at or now + 2 * HOUR)


# --------------------------------------------------------------------------- reporting


@pytest.mark.parametrize("who", ["owner", "member"])
def test_a_resident_request_goes_to_the_serving_company_due_at_its_kinds_limit(world, people, who):
    case = ask(people, actor=who, photos=[png(), png()], location="卫生间")
    assert (case.source, case.kind, case.status, case.level) == (Source.RESIDENT, "unit_repair", S.REPORTED, "company")
    assert case.handling_unit.kind == "company" and selectors.may_handle(people["company"], case)
    assert case.limit_at == case.due_at == T0 + timedelta(hours=48)  # request_unit_repair_hours
    assert case.category == "facility" and case.unit == people["unit"] and "报〔2025〕1号" in case.number
    assert case.photos.filter(stage=PhotoStage.REPORT).count() == 2
    # The company's staff hear of it; the reporter does not (their own move).
    (told,) = messages(Event.CASE_MOVED)
    assert users_told(told) == {people["company"].pk}


@pytest.mark.parametrize(
    "kind,hours",
    [("common_repair", 72), ("complaint", 120), ("suggestion", 240)],
)
def test_each_kind_has_its_rule_sets_limit(people, kind, hours):
    case = ask(people, kind=kind)
    assert case.unit is None and case.limit_at == T0 + timedelta(hours=hours)


def test_with_no_company_a_request_starts_in_the_grid_flow(world, people):
    case = ask(people, actor="e2_owner", kind=RequestKind.COMMON_REPAIR, estate=world.e2)
    assert case.level == Level.GRID and case.handling_unit is None
    assert case.due_at == T0 + timedelta(hours=24) and case.limit_at == T0 + timedelta(hours=72)


@pytest.mark.parametrize("who", ["e2_owner", "company", "grid"])
def test_only_the_estates_residents_report_there(world, people, who):
    people = {**people, "grid": world.users[Role.GRID_WORKER]}
    with pytest.raises(PermissionDenied):
        ask(people, actor=who, kind=RequestKind.COMPLAINT)
    assert not GridCase.objects.exists()


BAD = {
    "no kind": ({"kind": ""}, services.NO_KIND),
    "unknown kind": ({"kind": "praise"}, services.NO_KIND),
    "unit repair with no unit": ({"unit": None}, services.NO_UNIT),
    "a unit not theirs": ({"unit": "other"}, services.NOT_YOUR_UNIT),
    "no description": ({"description": "  "}, None),
    "four photos": ({"photos": [png(), png(), png(), png()]}, "最多上传 3 张照片。"),
    "not an image": ({"photos": [png(), SimpleUploadedFile("x.jpg", b"<html>", "image/jpeg")]}, None),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_refused_and_nothing_is_written(world, people, name):
    kw, message = BAD[name]
    if kw.get("unit") == "other":
        kw = {"unit": UnitFactory(building__estate=world.e1)}
    before = _files()
    with pytest.raises(ValidationError) as exc:
        ask(people, **kw)
    if message is not None:
        assert str(message) in exc.value.messages
    assert not GridCase.objects.exists() and not CasePhoto.objects.exists() and _files() == before
    assert not messages(Event.CASE_MOVED)


# --------------------------------------------------------------------------- every reporter, every move


@pytest.mark.parametrize("reporter", ["grid worker", "city", "owner", "member"])
def test_every_reporter_walks_the_same_flow(world, people, reporter):
    company, unit_staff = people["company"], world.users[Role.UNIT_STAFF]
    staff = world.users[Role.COMMUNITY_STAFF]
    if reporter in ("grid worker", "city"):
        source = Source.CITY if reporter == "city" else Source.GRID
        actor = world.users[Role.GRID_WORKER] if source == Source.GRID else None
        case = report(world, actor=actor, source=source, now=T0)
        case = services.dispatch_case(actor=staff, case=case, unit=water(world), now=T0 + HOUR)
        handler = unit_staff
    else:
        case = ask(people, actor=reporter)
        handler = company
    assert case.steps.count() == (2 if reporter in ("grid worker", "city") else 1)
    case = services.assign_case(actor=handler, case=case, handler=handler, now=T0 + 2 * HOUR)
    assert case.status == S.DISPATCHED and case.handler == handler
    case = services.record_handling(actor=handler, case=case, note="已处置", photos=[png()], now=T0 + 3 * HOUR)
    assert case.status == S.HANDLED and case.photos.filter(stage=PhotoStage.WORK, by=handler).count() == 1
    if reporter in ("grid worker", "city"):
        case = services.verify_case(actor=staff, case=case, passed=True, now=T0 + 4 * HOUR)
        assert case.rating is None
    else:
        with pytest.raises(IllegalTransition):  # the reporter checks a request still with the company
            services.verify_case(actor=staff, case=case, passed=True)
        case = services.confirm_request(
            actor=people[reporter], case=case, rating=5, comment="很及时", now=T0 + 4 * HOUR
        )
        assert (case.rating, case.rating_comment, case.rated_at) == (5, "很及时", T0 + 4 * HOUR)
    assert case.status == S.CLOSED and case.closed_at == T0 + 4 * HOUR
    assert [s.to_status for s in case.steps.filter(escalation=False)][-3:] == [S.DISPATCHED, S.HANDLED, S.CLOSED]


def test_assigning_is_for_the_units_own_staff_and_names_one_of_them(world, people):
    case = ask(people)
    for outsider in (people["other_company"], world.users[Role.UNIT_STAFF], world.users[Role.COMMUNITY_STAFF]):
        with pytest.raises(PermissionDenied):
            services.assign_case(actor=outsider, case=case, handler=people["company"])
    with pytest.raises(ValidationError) as exc:
        services.assign_case(actor=people["company"], case=case, handler=world.users[Role.GRID_WORKER])
    assert str(services.NOT_STAFF) in exc.value.messages
    case.refresh_from_db()
    assert case.status == S.REPORTED and case.handler is None and case.steps.count() == 1
    colleague = user_with_role(Role.COMPANY_STAFF, case.handling_unit.company, "colleague")
    assert set(selectors.unit_staff(case.handling_unit)) == {people["company"], colleague}
    case = services.assign_case(actor=people["company"], case=case, handler=colleague, now=T0 + HOUR)
    case = services.assign_case(actor=people["company"], case=case, handler=people["company"], now=T0 + 2 * HOUR)
    assert case.status == S.DISPATCHED and case.handler == people["company"]
    assert [(s.from_status, s.to_status) for s in case.steps.all()][1:] == [
        (S.REPORTED, S.DISPATCHED),
        (S.DISPATCHED, S.DISPATCHED),
    ]
    assert colleague.pk in set().union(*(users_told(m) for m in messages(Event.CASE_MOVED)))
    with pytest.raises(PermissionDenied):  # the colleague records, others of other units may not
        services.record_handling(actor=world.users[Role.GRID_WORKER], case=case, note="已修")


# --------------------------------------------------------------------------- ratings and reopening


@pytest.mark.parametrize("rating,ok", [(1, True), (5, True), (0, False), (6, False), ("3.5", False), ("", False)])
def test_a_rating_is_one_to_five(people, rating, ok):
    case = handled(people)
    if ok:
        assert services.confirm_request(actor=people["owner"], case=case, rating=rating).rating == rating
    else:
        with pytest.raises(ValidationError) as exc:
            services.confirm_request(actor=people["owner"], case=case, rating=rating)
        assert str(services.BAD_RATING) in exc.value.messages
        case.refresh_from_db()
        assert case.status == S.HANDLED and case.rating is None


def test_only_the_reporter_confirms_and_a_long_comment_is_refused(world, people):
    case = handled(people)
    for other in ("member", "company", "e2_owner"):
        with pytest.raises(PermissionDenied):
            services.confirm_request(actor=people[other], case=case, rating=5)
    with pytest.raises(ValidationError):
        services.confirm_request(actor=people["owner"], case=case, rating=5, comment="好" * 301)
    case.refresh_from_db()
    assert case.status == S.HANDLED


def test_reopened_once_it_stays_with_the_company_reopened_twice_it_goes_to_the_community(world, people):
    case = handled(people)
    with pytest.raises(ValidationError):
        services.reopen_request(actor=people["owner"], case=case, reason=" ")
    case = services.reopen_request(actor=people["owner"], case=case, reason="仍在滴水", now=T0 + 3 * HOUR)
    assert (case.status, case.level, case.reopened) == (S.DISPATCHED, Level.COMPANY, 1)
    assert case.due_at == case.limit_at  # still due at the request's limit
    case = services.record_handling(actor=people["company"], case=case, note="重新做防水", now=T0 + 5 * HOUR)
    assert not [m for m in messages(Event.CASE_MOVED) if world.users[Role.COMMUNITY_STAFF].pk in users_told(m)]
    case = services.reopen_request(actor=people["owner"], case=case, reason="还是漏", now=T0 + 6 * HOUR)
    assert (case.status, case.level, case.reopened, case.escalated_at) == (
        S.DISPATCHED,
        Level.COMMUNITY,
        2,
        T0 + 6 * HOUR,
    )
    assert case.due_at == T0 + 6 * HOUR + timedelta(hours=72)  # the community's clock for handling
    assert case.steps.filter(escalation=True, level=Level.COMMUNITY).count() == 1
    staff = world.users[Role.COMMUNITY_STAFF]
    assert any(staff.pk in users_told(m) for m in messages(Event.CASE_MOVED))
    # Now in the grid flow: the company handles, the community checks, the reporter rates after.
    case = services.record_handling(actor=people["company"], case=case, note="更换管道", now=T0 + 8 * HOUR)
    with pytest.raises(IllegalTransition):
        services.confirm_request(actor=people["owner"], case=case, rating=5)
    with pytest.raises(IllegalTransition):
        services.reopen_request(actor=people["owner"], case=case, reason="?")
    case = services.verify_case(actor=staff, case=case, passed=True, now=T0 + 9 * HOUR)
    case = services.rate_case(actor=people["owner"], case=case, rating=3, comment="拖得久", now=T0 + 10 * HOUR)
    assert (case.status, case.rating, case.rated_at) == (S.CLOSED, 3, T0 + 10 * HOUR)
    with pytest.raises(ValidationError):
        services.rate_case(actor=people["owner"], case=case, rating=5)
    case.refresh_from_db()
    assert case.rating == 3


def test_rating_before_the_close_is_refused(people):
    case = handled(people)
    with pytest.raises(IllegalTransition):
        services.rate_case(actor=people["owner"], case=case, rating=4)


# --------------------------------------------------------------------------- limits at their boundaries


def _run(case, now):
    services.escalate_overdue(now=now)
    case.refresh_from_db()
    return case


def test_a_request_past_its_limit_goes_to_the_community_then_up_the_chain(world, people):
    case = ask(people)  # limit: T0 + 48 h
    case = services.assign_case(actor=people["company"], case=case, handler=people["company"], now=T0 + HOUR)
    limit_at = T0 + timedelta(hours=48)
    assert _run(case, limit_at).level == Level.COMPANY  # exactly at the limit: on time
    assert not case.steps.filter(escalation=True).exists()
    case = _run(case, limit_at + SECOND)
    assert (case.level, case.escalated_at) == (Level.COMMUNITY, limit_at)
    assert [s.level for s in case.steps.filter(escalation=True)] == [Level.COMMUNITY]
    staff = world.users[Role.COMMUNITY_STAFF]
    assert any(staff.pk in users_told(m) for m in messages(Event.CASE_MOVED))
    handle = timedelta(hours=72)  # then by the grid's step limit for handling
    assert _run(case, limit_at + handle).level == Level.COMMUNITY
    assert _run(case, limit_at + handle + SECOND).level == Level.STREET
    street = world.users[Role.STREET_STAFF]
    assert any(street.pk in users_told(m) for m in messages(Event.CASE_MOVED))
    assert services.escalate_overdue(now=limit_at + handle + SECOND) == 0  # idempotent


def test_a_handled_request_left_unconfirmed_closes_itself_after_the_window(people):
    case = handled(people, at=T0 + 2 * HOUR)
    window_end = T0 + 2 * HOUR + timedelta(days=7)  # request_confirm_days
    assert case.due_at == window_end
    assert _run(case, window_end).status == S.HANDLED
    case = _run(case, window_end + SECOND)
    assert (case.status, case.closed_at, case.rating, case.level) == (S.CLOSED, window_end + SECOND, None, "company")
    assert "自动结案" in case.steps.last().note
    assert services.escalate_overdue(now=window_end + DAY) == 0
    # ... and the reporter may still rate it.
    assert services.rate_case(actor=people["owner"], case=case, rating=4).rating == 4


def test_handled_exactly_at_the_limit_is_in_time_one_second_later_is_not(people):
    on_time = handled(people, at=T0 + timedelta(hours=48))
    late = handled(people, at=T0 + timedelta(hours=48) + SECOND)
    rows = selectors.with_in_time(GridCase.objects.filter(pk__in=[on_time.pk, late.pk]))
    assert {c.pk: c.in_time for c in rows} == {on_time.pk: True, late.pk: False}
    assert list(selectors.in_time(GridCase.objects.all())) == [on_time]


# --------------------------------------------------------------------------- who reads what


def test_the_company_reads_its_estates_requests_and_no_other_companys(world, people):
    mine = ask(people)
    e3_owner = UserFactory(username="e3owner")
    OwnershipFactory(unit=UnitFactory(building__estate=world.e3), owner__user=e3_owner)
    theirs = services.report_request(actor=e3_owner, estate=world.e3, kind=RequestKind.COMPLAINT, description="保洁差")
    company_b = user_with_role(Role.COMPANY_STAFF, theirs.handling_unit.company, "company_b")
    assert set(selectors.cases(people["company"])) == {mine}
    assert set(selectors.cases(company_b)) == {theirs}
    assert set(selectors.cases(people["other_company"])) == set()
    assert [u.company for u in selectors.units_of(people["company"])] == [mine.handling_unit.company]
    assert selectors.may_handle(people["company"], mine) and not selectors.may_handle(company_b, mine)
    with pytest.raises(PermissionDenied):
        services.assign_case(actor=company_b, case=mine, handler=company_b)
    with pytest.raises(PermissionDenied):
        services.record_handling(actor=company_b, case=mine, note="x")


def test_a_utilitys_staff_read_and_work_only_what_was_handed_to_them(world, people):
    unit_staff = world.users[Role.UNIT_STAFF]
    handed = report(world, now=T0)
    services.dispatch_case(actor=None, case=handed, unit=water(world), now=T0 + HOUR)
    report(world, now=T0)  # not handed to anyone
    request = ask(people)  # with the company
    assert list(selectors.cases(unit_staff)) == [handed]
    assert [u.name for u in selectors.units_of(unit_staff)] == ["自来水公司"]
    assert not selectors.may_handle(unit_staff, request)
    with pytest.raises(PermissionDenied):
        services.dispatch_case(actor=unit_staff, case=handed, unit=water(world))  # they cannot dispatch ...
    handed = services.record_handling(actor=unit_staff, case=handed, note="已抢修", now=T0 + 2 * HOUR)
    with pytest.raises(PermissionDenied):
        services.verify_case(actor=unit_staff, case=handed, passed=True)  # ... nor verify
    # A grid worker no longer records the work of a unit with its own staff.
    other = report(world, now=T0)
    services.dispatch_case(actor=None, case=other, unit=water(world), now=T0 + HOUR)
    with pytest.raises(PermissionDenied):
        services.record_handling(actor=world.users[Role.GRID_WORKER], case=other, note="已处置")


def test_the_reporters_contact_in_full_for_who_works_the_case_masked_for_others(world, people):
    case = ask(people)
    full = selectors.reporter_contact(people["company"], case)
    assert (full.name, full.mobile, full.masked) == ("张三丰", "13912345678", False)
    masked = selectors.reporter_contact(world.users[Role.COMMITTEE_MEMBER], case)
    assert (masked.name, masked.mobile, masked.masked) == ("张**", "139****5678", True)
    assert not selectors.reporter_contact(world.users[Role.COMMUNITY_STAFF], case).masked  # view_personal_data
    from_member = ask(people, actor="member", kind=RequestKind.COMPLAINT)
    contact = selectors.reporter_contact(people["company"], from_member)
    assert (contact.name, contact.mobile) == ("张小丰", "13700000001")


@pytest.mark.parametrize("rows", [2, 12])
def test_the_lists_run_a_fixed_number_of_queries(world, people, django_assert_max_num_queries, rows):
    for i in range(rows):
        ask(people, now=T0 + i * HOUR, kind=RequestKind.COMPLAINT)
    company = people["company"]
    with django_assert_max_num_queries(3):  # grants, the list
        assert len([(c.estate.name, c.handling_unit.name) for c in selectors.cases(company)]) == rows
    with django_assert_max_num_queries(1):
        assert len([(c.estate.name, c.handling_unit.name) for c in selectors.requests_of(people["owner"])]) == rows


def test_nothing_moves_a_request_in_the_wrong_status(people):
    case = ask(people)
    with pytest.raises(IllegalTransition):
        services.record_handling(actor=people["company"], case=case, note="x")  # not taken on yet
    with pytest.raises(IllegalTransition):
        services.confirm_request(actor=people["owner"], case=case, rating=5)
    closed = services.confirm_request(actor=people["owner"], case=handled(people), rating=5)
    with pytest.raises(IllegalTransition):
        services.assign_case(actor=people["company"], case=closed, handler=people["company"])
    assert GridCaseStep.objects.filter(case=case).count() == 1
