"""The pages committee members and staff work from: convening a vote, paper ballots by unit,
closing a vote, motions, branch reviews and meetings. Every role, allowed and denied."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from committees import consents
from committees.models import Ballot, BranchReview, Decision, Meeting, Motion, PartyBranch, Vote
from community.models import Role
from tests.committees.test_committee_life import _elect
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_vote(world):
    """Building A of e1 with rooms 101..104 (one owner each, 100 m²) and a vote open now."""
    building = BuildingFactory(estate=world.e1, name="A栋")
    owners = []
    for i in range(1, 5):
        owner = OwnerFactory(name=f"纸票{i}")
        OwnershipFactory(
            unit=UnitFactory(building=building, room=f"10{i}", registered_area=Decimal("100.00")), owner=owner
        )
        owners.append(owner)
    now = timezone.now()
    vote = Vote.objects.create(
        estate=world.e1,
        matter=5,
        question="更换电梯",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
    )
    vote.buildings.set([building])
    return vote, owners


def _later(days):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


class TestConvene:
    def test_committee_and_community_staff_convene_and_a_notice_is_drafted(self, client, world):
        url = reverse("committees:convene", args=[world.e1.pk])
        for role in (Role.COMMITTEE_MEMBER, Role.COMMUNITY_STAFF):
            login(client, world.users[role])
            assert client.get(url).status_code == 200
        response = client.post(
            url, {"matter": 3, "question": "选举第二届业主委员会", "opens_at": _later(16), "closes_at": _later(30)}
        )
        vote = Vote.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("committees:turnout", args=[vote.pk])
        assert vote.notice is not None and vote.convened_by == world.users[Role.COMMUNITY_STAFF]

    def test_other_roles_and_other_estates_are_not_found(self, client, world):
        for role in (Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.GRID_WORKER, Role.COMPANY_STAFF, Role.MEDIATOR):
            login(client, world.users[role])
            assert client.get(reverse("committees:convene", args=[world.e1.pk])).status_code == 404
        login(client, world.owner_user)
        assert client.get(reverse("committees:convene", args=[world.e1.pk])).status_code == 404
        login(client, world.users[Role.COMMITTEE_MEMBER])
        assert (
            client.post(
                reverse("committees:convene", args=[world.e2.pk]),
                {"matter": 3, "question": "x", "opens_at": _later(16), "closes_at": _later(30)},
            ).status_code
            == 404
        )
        assert not Vote.objects.exists()

    @pytest.mark.parametrize(
        "data,message",
        [
            ({"matter": 3, "question": "太急", "opens_at": _later(3), "closes_at": _later(30)}, "提前 15 日"),
            (
                {"matter": 3, "question": "倒序", "opens_at": _later(30), "closes_at": _later(16)},
                "结束时间须晚于开始时间",
            ),
            ({"matter": 12, "question": "无此事项", "opens_at": _later(16), "closes_at": _later(30)}, "matter"),
            ({"matter": "x", "question": "乱填", "opens_at": "明天", "closes_at": _later(30)}, "matter"),
            ({"matter": 4, "question": "续聘物业", "opens_at": _later(16), "closes_at": _later(30)}, "党支部审议"),
        ],
    )
    def test_bad_input_is_shown_and_nothing_is_written(self, client, world, data, message):
        PartyBranch.objects.create(estate=world.e1, name="江滨豪园党支部", founded_on=date(2020, 7, 1))
        login(client, world.users[Role.COMMITTEE_MEMBER])
        response = client.post(reverse("committees:convene", args=[world.e1.pk]), data)
        assert response.status_code == 200
        body = response.content.decode()
        assert message in body or ('name="matter"' in body and message == "matter")
        assert not Vote.objects.exists()


class TestPaperBallots:
    def test_a_stack_by_unit_is_entered_with_who_entered_it(self, client, world, open_vote):
        vote, owners = open_vote
        login(client, world.users[Role.COMMUNITY_STAFF])
        url = reverse("committees:paper", args=[vote.pk])
        response = client.post(url, {"lines": "A栋 101 同意\nA栋 102 反对\n\nA栋 103，弃权"})
        assert response.status_code == 302
        assert dict(Ballot.objects.values_list("holder", "choice")) == {
            str(owners[0].pk): "yes",
            str(owners[1].pk): "no",
            str(owners[2].pk): "abstain",
        }
        body = client.get(url).content.decode()
        assert "已收表决票 3 张" in body and "纸**" in body and "纸票1" not in body

    @pytest.mark.parametrize(
        "lines,message",
        [
            ("A栋 101 同意\nA栋 109 同意", "第 2 行：本小区没有“A栋 109”"),
            ("A栋 101 赞成", "第 1 行"),
            ("A栋 101 同意\nA栋 101 反对", "意见却不同"),
        ],
    )
    def test_one_bad_line_refuses_the_stack(self, client, world, open_vote, lines, message):
        vote, _owners = open_vote
        login(client, world.users[Role.COMMITTEE_MEMBER])
        response = client.post(reverse("committees:paper", args=[vote.pk]), {"lines": lines})
        assert response.status_code == 200 and message in response.content.decode()
        assert not Ballot.objects.exists()

    def test_a_unit_outside_the_scope_is_refused(self, client, world, open_vote):
        vote, _owners = open_vote
        UnitFactory(building=BuildingFactory(estate=world.e1, name="B栋"), room="101")
        login(client, world.users[Role.COMMITTEE_MEMBER])
        response = client.post(reverse("committees:paper", args=[vote.pk]), {"lines": "B栋 101 同意"})
        assert "不在本次表决范围内" in response.content.decode() and not Ballot.objects.exists()

    def test_only_conveners_of_the_estate_see_ballots(self, client, world, open_vote):
        vote, _owners = open_vote
        for role in (Role.STREET_STAFF, Role.GRID_WORKER, Role.COMPANY_STAFF, Role.MEDIATOR):
            login(client, world.users[role])
            assert client.get(reverse("committees:paper", args=[vote.pk])).status_code == 404
            assert (
                client.post(reverse("committees:paper", args=[vote.pk]), {"lines": "A栋 101 同意"}).status_code == 404
            )
        login(client, world.owner_user)
        assert client.get(reverse("committees:paper", args=[vote.pk])).status_code == 404
        assert not Ballot.objects.exists()

    def test_the_ballot_list_does_not_grow_in_queries(self, client, world, open_vote, django_assert_max_num_queries):
        vote, owners = open_vote
        Ballot.objects.bulk_create(
            [Ballot(vote=vote, holder=str(o.pk), choice="yes", cast_by=o, cast_at=timezone.now()) for o in owners]
        )
        login(client, world.users[Role.COMMITTEE_MEMBER])
        with django_assert_max_num_queries(12):
            assert client.get(reverse("committees:paper", args=[vote.pk])).status_code == 200


def test_turnout_refreshes_while_open_and_closes_after_the_end(client, world, open_vote):
    vote, owners = open_vote
    login(client, world.users[Role.COMMITTEE_MEMBER])
    url = reverse("committees:turnout", args=[vote.pk])
    assert 'data-refresh="15"' in client.get(url).content.decode()
    client.post(url)
    vote.refresh_from_db()
    assert vote.status == "open"  # too early: refused, nothing frozen
    Vote.objects.filter(pk=vote.pk).update(
        opens_at=timezone.now() - timedelta(days=9), closes_at=timezone.now() - timedelta(seconds=1)
    )
    assert "结束计票" in client.get(url).content.decode()
    login(client, world.users[Role.STREET_STAFF])
    assert client.post(url).status_code == 403  # street staff read the turnout; closing the count is the conveners'
    vote.refresh_from_db()
    assert vote.status == "open"
    login(client, world.users[Role.COMMITTEE_MEMBER])
    client.post(url)
    vote.refresh_from_db()
    assert vote.status == "closed" and vote.result_notice is not None
    body = client.get(url).content.decode()
    assert "未达到参与表决的法定比例" in body and "data-refresh" not in body


class TestCommitteePage:
    def test_a_member_records_a_motion_from_the_page_and_a_weak_one_is_refused(self, client, world, election):
        vote, owners = election
        committee = _elect(world, vote, owners[:5])
        seats = list(committee.members.order_by("pk"))
        act = reverse("committees:committee_act", args=[committee.pk])
        login(client, world.users[Role.COMMITTEE_MEMBER])
        page = client.get(reverse("committees:committee", args=[committee.pk])).content.decode()
        assert "登记罢免或解散提议" in page and "发起表决" in page
        weak = client.post(
            act,
            {
                "action": "propose",
                "kind": "remove",
                "member": seats[4].pk,
                "reasons": "不履职",
                "by_members": [seats[0].pk],
            },
            follow=True,
        )
        assert "提议人数不足" in weak.content.decode() and not Motion.objects.exists()
        client.post(
            act,
            {
                "action": "propose",
                "kind": "remove",
                "member": seats[4].pk,
                "reasons": "不履职",
                "by_members": [seats[0].pk, seats[1].pk],
            },
        )
        motion = Motion.objects.get()
        assert motion.support["members"] == "2/5"
        client.post(
            act, {"action": "motion_vote", "motion": motion.pk, "opens_at": _later(16), "closes_at": _later(30)}
        )
        motion.refresh_from_db()
        assert motion.vote is not None and motion.vote.matter == 3

    def test_owners_sign_a_motion_by_unit(self, client, world, election):
        vote, owners = election
        committee = _elect(world, vote, owners[:5])
        building = committee.election_vote.buildings.get()
        login(client, world.users[Role.COMMUNITY_STAFF])
        lines = "\n".join(f"{building.name} {i}01" for i in range(5, 9))
        client.post(
            reverse("committees:committee_act", args=[committee.pk]),
            {"action": "propose", "kind": "dissolve", "reasons": "长期不开会", "by_units": lines},
        )
        motion = Motion.objects.get()
        assert motion.support["owners_met"] and set(motion.proposing_owners.all()) == set(owners[5:9])

    def test_roles_that_only_look_get_no_forms_and_cannot_post(self, client, world, election):
        vote, owners = election
        committee = _elect(world, vote, owners[:5])
        for role in (Role.STREET_STAFF, Role.GRID_WORKER, Role.COMPANY_STAFF):
            login(client, world.users[role])
            page = client.get(reverse("committees:committee", args=[committee.pk])).content.decode()
            assert "登记罢免或解散提议" not in page and "安排会议" not in page
            client.post(
                reverse("committees:committee_act", args=[committee.pk]), {"action": "change", "what": "修订规约"}
            )
            client.post(
                reverse("committees:committee_act", args=[committee.pk]),
                {
                    "action": "propose",
                    "kind": "dissolve",
                    "reasons": "x",
                    "by_members": [m.pk for m in committee.members.all()],
                },
            )
        assert not Motion.objects.exists() and committee.events.count() == 1
        login(client, world.users[Role.COMMITTEE_MEMBER])  # a committee member of another estate
        other = _elect(world, vote, owners[4:9])
        other.estate = world.e2
        other.save()
        assert client.get(reverse("committees:committee", args=[other.pk])).status_code == 404

    def test_a_branch_review_recorded_on_the_page_unlocks_a_major_vote(self, client, world, election):
        vote, owners = election
        committee = _elect(world, vote, owners[:5])
        PartyBranch.objects.create(estate=world.e1, name="江滨豪园党支部", founded_on=date(2020, 7, 1))
        login(client, world.users[Role.COMMITTEE_MEMBER])
        client.post(
            reverse("committees:committee_act", args=[committee.pk]),
            {
                "action": "review",
                "matter": 4,
                "question": "续聘物业",
                "reviewed_on": "2026-11-20",
                "opinion": "同意提交",
            },
        )
        review = BranchReview.objects.get()
        client.post(
            reverse("committees:convene", args=[world.e1.pk]),
            {
                "matter": 4,
                "question": "续聘物业",
                "opens_at": _later(16),
                "closes_at": _later(30),
                "branch_review": review.pk,
            },
        )
        review.refresh_from_db()
        assert review.vote is not None

    def test_committee_page_queries_do_not_grow_with_members(
        self, client, world, election, django_assert_max_num_queries
    ):
        vote, owners = election
        committee = _elect(world, vote, owners[:9])
        login(client, world.users[Role.COMMITTEE_MEMBER])
        with django_assert_max_num_queries(40):
            assert client.get(reverse("committees:committee", args=[committee.pk])).status_code == 200


class TestMeetingPage:
    @pytest.fixture
    def meeting(self, world, election):
        vote, owners = election
        committee = _elect(world, vote, owners[:5])
        today = timezone.localdate()
        return Meeting.objects.create(
            committee=committee, held_on=today, agenda="审议年度预算", agenda_posted_on=today - timedelta(days=7)
        )

    def test_scheduling_from_the_committee_page_checks_the_agenda_notice(self, client, world, meeting):
        committee = meeting.committee
        login(client, world.users[Role.COMMITTEE_MEMBER])
        act = reverse("committees:committee_act", args=[committee.pk])
        late = client.post(
            act,
            {"action": "meeting", "held_on": str(timezone.localdate() + timedelta(days=6)), "agenda": "太急"},
            follow=True,
        )
        assert "提前 7 日公告" in late.content.decode() and committee.meetings.count() == 1
        ok = client.post(
            act, {"action": "meeting", "held_on": str(timezone.localdate() + timedelta(days=7)), "agenda": "按期"}
        )
        assert ok.status_code == 302 and committee.meetings.count() == 2
        seats = list(committee.members.all())
        client.post(
            act,
            {"action": "request_meeting", "requesters": [seats[0].pk, seats[1].pk], "reason": "审议物业合同续签"},
        )
        request = committee.meeting_requests.get()
        asked = client.post(
            act,
            {
                "action": "meeting",
                "held_on": str(timezone.localdate() + timedelta(days=8)),
                "agenda": "提议召开",
                "request": request.pk,
            },
            follow=True,
        )
        assert "最迟应于" in asked.content.decode() and committee.meetings.count() == 2

    def test_attendance_without_proxies_then_a_decision_of_half_of_all_members(self, client, world, meeting):
        seats = list(meeting.committee.members.order_by("pk"))
        url = reverse("committees:meeting", args=[meeting.pk])
        login(client, world.users[Role.COMMITTEE_MEMBER])
        proxy = client.post(
            url, {"action": "attendance", "present": [s.pk for s in seats[:3]], "proxy": "王五代张三"}, follow=True
        )
        assert "不得委托" in proxy.content.decode() and meeting.present.count() == 0
        client.post(url, {"action": "attendance", "present": [s.pk for s in seats[:3]]})
        assert meeting.present.count() == 3
        client.post(url, {"action": "decision", "text": "通过年度预算", "in_favour": [s.pk for s in seats[:3]]})
        decision = Decision.objects.get()
        assert not decision.adopted  # recorded by another: each of the three confirms from their own login
        page = client.get(url).content.decode()
        assert "尚未生效（已确认 0 / 需 3）" in page and page.count("待本人确认") == 3
        for i, seat in enumerate(seats[:3]):
            seat.owner.user = UserFactory(username=f"seat{i}")
            seat.owner.save()
            consents.confirm(actor=seat.owner.user, consent=decision.consents.get(member=seat))
        decision.refresh_from_db()
        assert decision.adopted and decision.notice is not None
        client.post(url, {"action": "minutes", "minutes": "到会三人，一致通过。", "signed": "on"})
        meeting.refresh_from_db()
        assert meeting.minutes_signed
        assert "通过年度预算" in client.get(url).content.decode()

    def test_only_conveners_post_and_strangers_do_not_see_it(self, client, world, meeting):
        url = reverse("committees:meeting", args=[meeting.pk])
        login(client, world.users[Role.STREET_STAFF])
        assert client.get(url).status_code == 200
        assert client.post(url, {"action": "minutes", "minutes": "篡改"}).status_code == 403
        login(client, UserFactory(username="stranger"))
        assert client.get(url).status_code == 404
        meeting.refresh_from_db()
        assert meeting.minutes == ""


def test_conveners_list_their_votes_and_pick_an_estate_to_convene(
    client, world, open_vote, django_assert_max_num_queries
):
    vote, _owners = open_vote
    Vote.objects.create(
        estate=world.e2, matter=5, question="别处的表决", opens_at=vote.opens_at, closes_at=vote.closes_at
    )
    url = reverse("committees:manage_votes")
    login(client, world.users[Role.COMMITTEE_MEMBER])
    with django_assert_max_num_queries(12):
        body = client.get(url).content.decode()
    assert "更换电梯" in body and "别处的表决" not in body
    assert client.get(url, {"estate": world.e1.pk})["Location"] == reverse("committees:convene", args=[world.e1.pk])
    assert client.get(url, {"estate": world.e2.pk}).status_code == 200  # not theirs: no redirect
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert "别处的表决" in client.get(url).content.decode()  # e2 is in the same community
    for role in (Role.STREET_STAFF, Role.GRID_WORKER, Role.COMPANY_STAFF):
        login(client, world.users[role])
        assert client.get(url).status_code == 403
