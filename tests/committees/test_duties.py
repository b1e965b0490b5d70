"""The committees' legal deadlines in the one duty list: each on its last day (in time) and the
day after (overdue), the daily watch telling the people who answer for them once, and the
/duties/ page with the bar's red count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms import services as cms
from committees import services as life
from committees.models import (
    AssemblyProposal,
    Decision,
    Meeting,
    MeetingRequest,
    ProposalStatus,
    Vote,
)
from community import duties
from community.models import OpenDuty, Role
from notifications.models import Delivery, Event, Message
from notifications.services import watch_duties
from tests.committees.test_committee_life import _elect
from tests.factories import login

pytestmark = pytest.mark.django_db


def _kinds(on, kind):
    return [d for d in duties.due(on) if d.kind == kind]


def _one(on, kind):
    [duty] = _kinds(on, kind)
    return duty


@pytest.fixture
def committee(world, election):
    vote, owners = election
    return _elect(world, vote, owners[:5])


# --------------------------------------------------------------------------- each deadline at its boundary


def test_a_vote_result_is_due_within_the_posting_days_of_the_close(world, election):
    vote, _owners = election
    last = timezone.localdate(vote.closes_at) + timedelta(days=3)
    duty = _one(last, "vote_result")
    assert duty.last_day == last and duty.node == world.e1
    assert not duty.overdue(last) and duty.overdue(last + timedelta(days=1))
    assert duty.days_overdue(last + timedelta(days=2)) == 2
    cms.publish_notice(actor=None, notice=vote.result_notice)  # posting it ends the duty
    assert _kinds(last + timedelta(days=1), "vote_result") == []


def test_an_adopted_committee_decision_is_due_within_three_days_of_its_meeting(world, committee):
    held = timezone.localdate() - timedelta(days=10)
    meeting = Meeting.objects.create(committee=committee, held_on=held, agenda="议题", agenda_posted_on=held)
    Decision.objects.create(meeting=meeting, text="更换门禁系统", adopted=True)
    Decision.objects.create(meeting=meeting, text="未通过的事项", adopted=False)
    duty = _one(held, "decision")
    assert duty.last_day == held + timedelta(days=3)
    assert not duty.overdue(held + timedelta(days=3)) and duty.overdue(held + timedelta(days=4))
    assert duty.link == reverse("committees:meeting", args=[meeting.pk])


def test_first_meeting_and_filing_run_from_the_election(world, committee):
    elected = committee.elected_on
    first, filing = _one(elected, "first_meeting"), _one(elected, "filing")
    assert first.last_day == elected + timedelta(days=7)
    assert filing.last_day == elected + timedelta(days=30)
    for duty in (first, filing):
        assert not duty.overdue(duty.last_day) and duty.overdue(duty.last_day + timedelta(days=1))
    life.record_first_meeting(actor=None, committee=committee, held_on=elected, chair=committee.members.first().owner)
    assert _kinds(elected, "first_meeting") == []


def test_bulk_work_refreshes_the_bar_copy_once_at_the_end(
    world, committee, django_capture_on_commit_callbacks, monkeypatch
):
    """Inside refreshed_once (seed_demo), the services' changes do not each refresh the copy; one
    refresh at the end brings it to what a refresh per commit would have left."""
    duties.refresh(timezone.localdate())
    chair = committee.members.first().owner
    refreshes = []
    real_refresh = duties.refresh
    # Counted at the refresh itself: the same commit carries other work (the public pages'
    # cache tokens, for one), so the number of on-commit callbacks says nothing about duties.
    monkeypatch.setattr(duties, "refresh", lambda *a, **kw: refreshes.append(a) or real_refresh(*a, **kw))
    with django_capture_on_commit_callbacks(execute=True):
        with duties.refreshed_once():
            life.record_first_meeting(actor=None, committee=committee, held_on=committee.elected_on, chair=chair)
            duties.changed()
            assert OpenDuty.objects.filter(kind="first_meeting").exists()  # not yet refreshed
            assert refreshes == []
    assert len(refreshes) == 1  # the one refresh, when the block ended
    assert not OpenDuty.objects.filter(kind="first_meeting").exists()
    with django_capture_on_commit_callbacks(execute=True):
        duties.changed()
    assert len(refreshes) == 2  # outside the block, every change refreshes again


def test_the_bar_copy_follows_a_duty_done_or_born_once_the_work_commits(
    world, committee, django_capture_on_commit_callbacks
):
    duties.refresh(timezone.localdate())
    assert OpenDuty.objects.filter(kind="first_meeting").exists()
    chair = committee.members.first().owner
    with django_capture_on_commit_callbacks(execute=True):
        life.record_first_meeting(actor=None, committee=committee, held_on=committee.elected_on, chair=chair)
    assert not OpenDuty.objects.filter(kind="first_meeting").exists()
    with django_capture_on_commit_callbacks(execute=True):
        request = life.request_meeting(
            actor=world.users[Role.COMMITTEE_MEMBER],
            committee=committee,
            requesters=list(committee.members.all()[:2]),
            reason="议题",
            on=timezone.localdate(),
        )
    assert OpenDuty.objects.filter(key=f"committees:meeting_request:{request.pk}").exists()


def test_a_refiling_runs_from_the_change_under_a_new_key(world, committee):
    filing = _one(committee.elected_on, "filing")
    changed = committee.elected_on + timedelta(days=40)
    committee.changed_on, committee.status = changed, "changed"
    committee.save()
    refiling = _one(changed, "refiling")
    assert refiling.last_day == changed + timedelta(days=30) and refiling.key != filing.key
    assert not refiling.overdue(changed + timedelta(days=30)) and refiling.overdue(changed + timedelta(days=31))


def test_a_term_is_watched_from_the_warning_days_and_late_the_day_after_it_ends(world, committee):
    ends = committee.term_ends_on
    assert _kinds(ends - timedelta(days=91), "term") == []
    term = _one(ends - timedelta(days=90), "term")
    assert term.last_day == ends and term.soon(ends - timedelta(days=7)) and not term.soon(ends - timedelta(days=8))
    assert not term.overdue(ends) and term.overdue(ends + timedelta(days=1))


def test_a_members_meeting_request_is_due_within_seven_days(world, committee):
    asked = timezone.localdate() - timedelta(days=2)
    request = MeetingRequest.objects.create(
        committee=committee, requested_on=asked, reason="物业费调整", recorded_by=world.users[Role.COMMITTEE_MEMBER]
    )
    duty = _one(asked, "meeting_request")
    assert duty.last_day == asked + timedelta(days=7)
    assert not duty.overdue(asked + timedelta(days=7)) and duty.overdue(asked + timedelta(days=8))
    request.meeting = Meeting.objects.create(
        committee=committee, held_on=asked + timedelta(days=6), agenda="物业费调整", agenda_posted_on=asked
    )
    request.save()
    assert _kinds(asked, "meeting_request") == []


def test_a_reached_assembly_proposal_is_due_by_its_convening_day(world):
    reached = timezone.localdate() - timedelta(days=5)
    proposal = AssemblyProposal.objects.create(
        estate=world.e1,
        subject="解聘物业服务企业",
        reasons="服务不达标",
        opened_at=timezone.now() - timedelta(days=20),
        opened_by=world.owner_user,
        status=ProposalStatus.COLLECTING,
    )
    assert _kinds(reached, "assembly") == []  # still collecting: nothing to convene yet
    proposal.status, proposal.reached_on, proposal.convene_by = ProposalStatus.REACHED, reached, reached + timedelta(30)
    proposal.save()
    duty = _one(reached, "assembly")
    assert duty.last_day == reached + timedelta(days=30)
    assert not duty.overdue(duty.last_day) and duty.overdue(duty.last_day + timedelta(days=1))
    assert duty.link == reverse("committees:assembly", args=[world.e1.pk])


# --------------------------------------------------------------------------- who answers, and the watch


def test_each_sees_the_duties_they_answer_for(world, election):
    on = timezone.localdate()
    mine = {role: {d.kind for d in duties.for_user(world.users[role], on)} for role in world.users}
    assert "vote_result" in mine[Role.COMMITTEE_MEMBER] and "vote_result" in mine[Role.COMMUNITY_STAFF]
    assert "vote_result" not in mine[Role.STREET_STAFF] and "vote_result" not in mine[Role.COMPANY_STAFF]
    # 江滨豪园's 酬金制 books: the company keeps them and answers for the fee statement
    assert "fee_statement" in mine[Role.COMPANY_STAFF] and "fee_statement" not in mine[Role.COMMITTEE_MEMBER]
    assert duties.for_user(world.owner_user, on) == []


def test_the_watch_tells_those_who_answer_once(world, election):
    vote, _owners = election
    late = timezone.localdate(vote.closes_at) + timedelta(days=4)
    told = watch_duties(on=late)
    assert told >= 1
    message = Message.objects.get(key=f"duty:committees:vote_result:{vote.pk}")
    assert message.event == Event.DUTY_OVERDUE and message.link == reverse("committees:turnout", args=[vote.pk])
    reached = set(Delivery.objects.filter(message=message, channel="inbox").values_list("user__username", flat=True))
    assert reached == {"committee", "community"}
    assert watch_duties(on=late) == 0  # the second run tells nobody again
    assert Message.objects.filter(key=f"duty:committees:vote_result:{vote.pk}").count() == 1


def test_the_watch_reads_who_was_told_in_one_query_however_many_duties(world, committee):
    held = timezone.localdate() - timedelta(days=10)
    meeting = Meeting.objects.create(committee=committee, held_on=held, agenda="议题", agenda_posted_on=held)
    for n in range(5):
        Decision.objects.create(meeting=meeting, text=f"决定{n}", adopted=True)
    on = timezone.localdate()
    assert watch_duties(on=on) >= 5
    with CaptureQueriesContext(connection) as queries:
        assert watch_duties(on=on) == 0
    assert sum('"notifications_message"' in q["sql"] for q in queries.captured_queries) == 1


def test_the_watch_is_quiet_on_the_last_day(world, election):
    vote, _owners = election
    watch_duties(on=timezone.localdate(vote.closes_at) + timedelta(days=3))
    assert not Message.objects.filter(key=f"duty:committees:vote_result:{vote.pk}").exists()


def test_the_schedule_names_the_watch():
    from community.schedule import SCHEDULE

    [entry] = [e for e in SCHEDULE if e.task == "notifications.watch_duties"]
    assert entry.crontab == {"minute": "30", "hour": "8"}


# --------------------------------------------------------------------------- the page and the bar


ALLOWED = (Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF)


@pytest.mark.parametrize("role", ALLOWED)
def test_staff_and_committee_members_open_their_duty_list(client, world, election, role):
    login(client, world.users[role])
    response = client.get(reverse("community:duties"))
    assert response.status_code == 200
    page = response.content.decode()
    shows_result = "公告表决结果" in page
    assert shows_result == (role in (Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER))


def test_owners_are_refused_and_anonymous_sent_to_sign_in(client, world):
    login(client, world.owner_user)
    assert client.get(reverse("community:duties")).status_code == 403
    client.logout()
    response = client.get(reverse("community:duties"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_overdue_duties_show_in_red_with_their_days(client, world, election):
    vote, _owners = election
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - timedelta(days=5))  # last day: 2 days ago
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = client.get(reverse("community:duties")).content.decode()
    assert '<tr class="overdue">' in page and "已逾期 2 天" in page
    assert reverse("committees:turnout", args=[vote.pk]) in page


def test_the_duty_list_runs_a_fixed_number_of_queries(client, world, election, django_assert_max_num_queries):
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("community:duties")
    client.get(url)  # the first visit fills the bar's copy
    with django_assert_max_num_queries(26):
        assert client.get(url).status_code == 200
    vote, _owners = election
    committee = _elect(world, vote, _owners[:5])
    held = timezone.localdate()
    meeting = Meeting.objects.create(committee=committee, held_on=held, agenda="议题", agenda_posted_on=held)
    for n in range(8):
        Decision.objects.create(meeting=meeting, text=f"决定{n}", adopted=True)
    client.get(url)
    with django_assert_max_num_queries(26):
        assert client.get(url).status_code == 200


def test_the_bar_counts_overdue_duties_in_one_query(client, world, election, django_capture_on_commit_callbacks):
    vote, _owners = election
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - timedelta(days=5))
    today = timezone.localdate()
    duties.refresh(today)
    assert OpenDuty.objects.filter(key=f"committees:vote_result:{vote.pk}").exists()
    login(client, world.users[Role.COMMITTEE_MEMBER])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("community:directory")).content.decode()
    assert "1 项逾期" in page
    assert sum("openduty" in q["sql"].lower() for q in queries.captured_queries) == 1
    login(client, world.users[Role.STREET_STAFF])  # the street answers for no vote's posting
    assert "项逾期" not in client.get(reverse("community:directory")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the posting refreshes the bar's copy itself
        cms.publish_notice(actor=None, notice=vote.result_notice)
    assert not OpenDuty.objects.filter(key=f"committees:vote_result:{vote.pk}").exists()
    login(client, world.users[Role.COMMITTEE_MEMBER])
    assert "项逾期" not in client.get(reverse("community:directory")).content.decode()


def test_a_long_duty_list_is_paged(client, world, election, monkeypatch):
    vote, _owners = election
    committee = _elect(world, vote, _owners[:5])
    held = timezone.localdate()
    meeting = Meeting.objects.create(committee=committee, held_on=held, agenda="议题", agenda_posted_on=held)
    for n in range(3):
        Decision.objects.create(meeting=meeting, text=f"决定{n}", adopted=True)
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("community:duties")
    everything = client.get(url).content.decode().count('data-label="事项"')
    assert everything >= 3
    monkeypatch.setattr("community.duty_views.PAGE_SIZE", 2)
    first = client.get(url).content.decode()
    assert first.count('data-label="事项"') == 2 and f"第 1 / {(everything + 1) // 2} 页" in first
    last = client.get(url, {"page": 99}).content.decode()
    assert last.count('data-label="事项"') == everything - 2 * ((everything - 1) // 2)
