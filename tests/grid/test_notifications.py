"""The reporter of a grid case hears of each move someone else makes, and of each rise in
supervision level, once."""

from datetime import timedelta

from django.urls import reverse

from community.models import Role
from grid import services
from grid.models import CaseStatus, Level
from notifications.models import Event
from tests.fees.notified import messages, told, users_told

from .helpers import T0, department, report

S = CaseStatus
HOUR = timedelta(hours=1)


def test_each_move_by_someone_else_tells_the_reporter_once(world):
    worker, staff = world.users[Role.GRID_WORKER], world.users[Role.COMMUNITY_STAFF]
    case = report(world, actor=worker, now=T0)
    assert messages(Event.CASE_MOVED) == []  # reporting is not news to the reporter
    case = services.dispatch_case(actor=staff, case=case, unit=department(world), now=T0 + HOUR)
    case = services.record_handling(actor=worker, case=case, note="已清运", now=T0 + 2 * HOUR)  # their own move
    case = services.verify_case(actor=staff, case=case, passed=False, note="仍有残留", now=T0 + 3 * HOUR)
    case = services.record_handling(actor=staff, case=case, note="物业复清", now=T0 + 4 * HOUR)
    case = services.verify_case(actor=staff, case=case, passed=True, now=T0 + 5 * HOUR)

    # The department has no logins, so the reporter's are the only messages.
    told_of = messages(Event.CASE_MOVED)
    assert [m.title.split("：", 1)[1] for m in told_of] == [
        "已分派处置",
        "核查不通过，已退回处置",
        "已处置，待核查",
        "核查通过，已结案",
    ]
    assert all(m.subject == case and m.link == reverse("grid:case", args=[case.pk]) for m in told_of)
    assert "仍有残留" in told_of[1].body
    # A grid worker is an account without a registry mobile: the inbox, only.
    assert set().union(*(told(m) for m in told_of)) == {(None, worker.pk, "inbox")}


def test_each_rise_in_level_is_told_once_however_often_the_time_keeper_runs(world):
    worker = world.users[Role.GRID_WORKER]
    report(world, actor=worker, now=T0)
    day = timedelta(hours=24)  # the default dispatch limit
    services.escalate_overdue(now=T0 + day + HOUR)
    services.escalate_overdue(now=T0 + day + 2 * HOUR)  # the same level: nothing new
    services.escalate_overdue(now=T0 + 3 * day + HOUR)  # two more limits overrun at once: one message
    services.escalate_overdue(now=T0 + 4 * day)
    titles = [m.title for m in messages(Event.CASE_MOVED) if worker.pk in users_told(m)]
    assert len(titles) == 2
    assert str(Level.COMMUNITY.label) in titles[0] and str(Level.DISTRICT.label) in titles[1]
    # The staff of each level reached hear of it once: the community, then the district (the
    # run that jumped two levels tells only the one reached).
    staff = [(m.title, users_told(m)) for m in messages(Event.CASE_MOVED) if worker.pk not in users_told(m)]
    assert staff == [
        (titles[0].replace("超时，", ""), {world.users[Role.COMMUNITY_STAFF].pk}),
        (titles[1].replace("超时，", ""), {world.users[Role.DISTRICT_ADMIN].pk}),
    ]


def test_a_case_with_no_reporter_on_record_tells_nobody(world):
    case = report(world, now=T0)  # reported by the system (actor None)
    services.dispatch_case(actor=world.users[Role.COMMUNITY_STAFF], case=case, unit=department(world), now=T0 + HOUR)
    services.escalate_overdue(now=T0 + timedelta(days=10))
    # Only the staff of the level reached hear of it.
    assert [users_told(m) for m in messages(Event.CASE_MOVED)] == [{world.users[Role.DISTRICT_ADMIN].pk}]
