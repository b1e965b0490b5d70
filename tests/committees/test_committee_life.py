from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from committees import selectors
from committees import services as life
from committees.exams import services as exams
from committees.models import Committee, CommitteeEvent, MemberRole
from community.models import Role, RuleSet
from community.workflow import IllegalTransition
from tests.committees.conftest import answer_all
from tests.factories import OwnerFactory

pytestmark = pytest.mark.django_db


def _elect(world, vote, members, **kwargs):
    return life.elect_committee(
        actor=None, estate=world.e1, vote=vote, elected_on=timezone.localdate(), members=members, **kwargs
    )


@pytest.mark.parametrize("count,ok", [(4, False), (5, True), (6, False), (7, True)])
def test_five_to_eleven_members_and_an_odd_number(world, election, count, ok):
    vote, owners = election
    if ok:
        assert _elect(world, vote, owners[:count]).members.count() == count
    else:
        with pytest.raises(ValidationError):
            _elect(world, vote, owners[:count])
        assert not Committee.objects.exists()


def test_members_must_own_in_the_estate_and_the_vote_must_be_an_election(world, election):
    vote, owners = election
    with pytest.raises(ValidationError) as exc:
        _elect(world, vote, owners[:4] + [OwnerFactory(name="外人")])
    assert "外人" in exc.value.messages[0]
    vote.matter = 5
    with pytest.raises(ValidationError):
        _elect(world, vote, owners[:5])


def test_the_first_meeting_within_seven_days_elects_the_chair(world, election):
    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    with pytest.raises(ValidationError):
        life.record_first_meeting(
            actor=None, committee=committee, held_on=committee.elected_on + timedelta(days=8), chair=owners[0]
        )
    life.record_first_meeting(
        actor=None,
        committee=committee,
        held_on=committee.elected_on + timedelta(days=7),
        chair=owners[0],
        vice_chairs=[owners[1]],
    )
    roles = dict(committee.members.values_list("owner_id", "role"))
    assert roles[owners[0].pk] == MemberRole.CHAIR and roles[owners[1].pk] == MemberRole.VICE_CHAIR


def _ready(committee, owners):
    life.record_first_meeting(actor=None, committee=committee, held_on=committee.elected_on, chair=owners[0])
    committee.covenant = committee.procedure_rules = True
    committee.save()
    committee.members.update(undertaking_signed=True)


def test_in_the_demo_district_a_member_without_a_certificate_blocks_filing(world, election, bank):
    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="演示区", filing_requires_exam=True)
    district.save()
    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    _ready(committee, owners)
    now = timezone.now()
    sitting = exams.schedule_session(
        actor=None,
        community=world.e1.grid.community,
        title="考试",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        blueprint={"votes": 2, "fund": 2},
        candidates=owners[:5],
    )
    for owner in owners[:4]:
        attempt = exams.start_attempt(candidate=owner, session=sitting)
        answer_all(attempt, right=4)
        exams.submit_attempt(attempt=attempt)
    with pytest.raises(ValidationError) as exc:
        life.submit_filing(actor=None, committee=committee)
    assert f"{owners[4].name}：备案前考试合格证书" in exc.value.messages[0]
    committee.refresh_from_db()
    assert committee.status == "elected"
    attempt = exams.start_attempt(candidate=owners[4], session=sitting)
    answer_all(attempt, right=4)
    exams.submit_attempt(attempt=attempt)
    assert life.submit_filing(actor=None, committee=committee).status == "filing"


def test_street_staff_accept_or_return_with_reasons_and_each_step_is_recorded(world, election):
    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    _ready(committee, owners)
    life.submit_filing(actor=None, committee=committee)
    street = world.users[Role.STREET_STAFF]
    with pytest.raises(ValidationError):
        life.review_filing(actor=street, committee=committee, accept=False)
    with pytest.raises(PermissionDenied):
        life.review_filing(actor=world.users[Role.COMMUNITY_STAFF], committee=committee, accept=True)
    life.review_filing(actor=street, committee=committee, accept=False, reasons="议事规则缺少表决程序")
    life.submit_filing(actor=None, committee=committee)
    assert life.review_filing(actor=street, committee=committee, accept=True).status == "filing"
    committee = life.review_filing(actor=world.users[Role.DISTRICT_ADMIN], committee=committee, accept=True)
    assert committee.status == "filed"
    steps = list(CommitteeEvent.objects.filter(committee=committee).values_list("to_status", "actor"))
    assert [s for s, _a in steps] == ["elected", "filing", "returned", "filing", "filed"]
    assert steps[-1][1] == world.users[Role.DISTRICT_ADMIN].pk
    with pytest.raises(IllegalTransition):
        life.submit_filing(actor=None, committee=committee)


def test_the_queue_shows_days_left_and_overdue_deadlines(world, election):
    vote, owners = election
    committee = life.elect_committee(
        actor=None, estate=world.e1, vote=vote, elected_on=date(2026, 1, 1), members=owners[:5]
    )
    due = {d.what: d for d in selectors.deadlines(committee, on=date(2026, 1, 31))}
    assert (due["备案"].day, due["备案"].left, due["备案"].warn) == (date(2026, 1, 31), 0, True)
    assert due["首次会议"].left < 0  # overdue: the 7 days ended on 8 January
    assert due["任期届满"].day == date(2031, 1, 1) and not due["任期届满"].warn
    # the term's end is flagged 90 days ahead (the rule set's warning), not 91
    assert selectors.deadlines(committee, on=date(2030, 10, 3))[-1].warn
    assert not selectors.deadlines(committee, on=date(2030, 10, 2))[-1].warn


def test_the_queue_and_the_committee_page_follow_each_roles_scope(client, world, election):
    from django.urls import reverse

    from tests.factories import login

    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    _ready(committee, owners)
    url = reverse("committees:committee", args=[committee.pk])
    for role in (Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF):
        login(client, world.users[role])
        assert world.e1.name in client.get(reverse("committees:queue")).content.decode()
    for role in (Role.COMPANY_STAFF, Role.MEDIATOR, Role.GRID_WORKER):
        login(client, world.users[role])
        assert client.get(reverse("committees:queue")).status_code == 403
    login(client, world.users[Role.COMMITTEE_MEMBER])  # sees their own committee on the queue
    assert world.e1.name in client.get(reverse("committees:queue")).content.decode()
    login(client, world.users[Role.COMMITTEE_MEMBER])
    assert "备案清单" in client.get(url).content.decode()
    client.post(reverse("committees:committee_act", args=[committee.pk]), {"action": "file"})
    committee.refresh_from_db()
    assert committee.status == "filing"
    login(client, world.users[Role.COMMUNITY_STAFF])  # sees it, but street staff review
    client.post(reverse("committees:committee_act", args=[committee.pk]), {"action": "accept"})
    committee.refresh_from_db()
    assert committee.status == "filing"
    login(client, world.users[Role.STREET_STAFF])
    client.post(reverse("committees:committee_act", args=[committee.pk]), {"action": "accept"})
    committee.refresh_from_db()
    assert committee.status == "filing"  # the district housing department reviews as well
    login(client, world.users[Role.DISTRICT_ADMIN])
    client.post(reverse("committees:committee_act", args=[committee.pk]), {"action": "accept"})
    committee.refresh_from_db()
    assert committee.status == "filed"
    login(client, world.users[Role.COMMITTEE_MEMBER])
    other = Committee.objects.filter(estate=world.e2)
    assert not other.exists()
    login(client, world.users[Role.GRID_WORKER])
    assert client.get(url).status_code == 200  # the grid's estate: its committee is visible, not reviewable
    from tests.factories import UserFactory

    login(client, UserFactory(username="stranger"))
    assert client.get(url).status_code == 404


class TestMeetings:
    @pytest.fixture
    def seated(self, world, election):
        vote, owners = election
        committee = _elect(world, vote, owners[:7])
        return committee, list(committee.members.order_by("pk"))

    def test_a_third_of_members_can_require_a_meeting_within_seven_days(self, seated):
        committee, members = seated
        with pytest.raises(ValidationError):
            life.meeting_requested(committee=committee, requesters=members[:2], on=date(2026, 5, 1))  # 2/7 < 1/3
        assert life.meeting_requested(committee=committee, requesters=members[:3], on=date(2026, 5, 1)) == date(
            2026, 5, 8
        )

    def test_the_agenda_goes_up_seven_days_before(self, seated):
        committee, _members = seated
        with pytest.raises(ValidationError):
            life.schedule_meeting(
                actor=None, committee=committee, held_on=date(2026, 5, 16), agenda="议题", posted_on=date(2026, 5, 10)
            )
        assert life.schedule_meeting(
            actor=None, committee=committee, held_on=date(2026, 5, 16), agenda="议题", posted_on=date(2026, 5, 9)
        )

    def test_proxies_are_refused(self, seated):
        committee, members = seated
        meeting = life.schedule_meeting(
            actor=None, committee=committee, held_on=date(2026, 5, 16), agenda="议题", posted_on=date(2026, 5, 1)
        )
        with pytest.raises(ValidationError):
            life.record_attendance(actor=None, meeting=meeting, present=members[:3], proxies=[members[3]])

    def test_more_than_half_must_attend_and_half_of_all_members_decide(self, seated):
        committee, members = seated
        meeting = life.schedule_meeting(
            actor=None, committee=committee, held_on=date(2026, 5, 16), agenda="议题", posted_on=date(2026, 5, 1)
        )
        life.record_attendance(actor=None, meeting=meeting, present=members[:3])
        with pytest.raises(ValidationError):
            life.record_decision(
                actor=None, meeting=meeting, text="更换门禁", in_favour=members[:3]
            )  # 3/7 present: no quorum
        life.record_attendance(actor=None, meeting=meeting, present=members[:4])
        assert not life.record_decision(
            actor=None, meeting=meeting, text="甲", in_favour=members[:3]
        ).adopted  # 3 of 7 < 1/2
        decision = life.record_decision(actor=None, meeting=meeting, text="更换门禁系统", in_favour=members[:4])
        assert decision.adopted and decision.notice is not None and "同意 4 人" in decision.notice.body

    def test_after_a_vacancy_leaves_six_members_three_suffice(self, seated):
        committee, members = seated
        members[6].delete()
        meeting = life.schedule_meeting(
            actor=None, committee=committee, held_on=date(2026, 5, 16), agenda="议题", posted_on=date(2026, 5, 1)
        )
        life.record_attendance(actor=None, meeting=meeting, present=members[:3])
        with pytest.raises(ValidationError):
            life.record_decision(
                actor=None, meeting=meeting, text="x", in_favour=members[:3]
            )  # exactly half present: no quorum
        life.record_attendance(actor=None, meeting=meeting, present=members[:4])
        assert life.record_decision(
            actor=None, meeting=meeting, text="补选委员", in_favour=members[:3]
        ).adopted  # 3/6 = 1/2
