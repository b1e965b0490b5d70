"""Members' requests for a committee meeting (RULES.md §2): at least a third of the seated
members; the meeting within 7 days of the request; the chair told in their inbox."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from committees import services as life
from committees.models import Meeting, MeetingRequest
from community.models import AuditEvent, Role
from notifications.models import Channel, Delivery, Event
from tests.committees.test_committee_life import _elect
from tests.factories import UserFactory, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def seated(world, election):
    """A committee of seven whose chair has an account."""
    vote, owners = election
    committee = _elect(world, vote, owners[:7])
    owners[0].user = UserFactory(username="chair")
    owners[0].save()
    life.record_first_meeting(actor=None, committee=committee, held_on=committee.elected_on, chair=owners[0])
    return committee, list(committee.members.order_by("pk"))


@pytest.fixture
def member(world):
    return world.users[Role.COMMITTEE_MEMBER]


def test_below_a_third_is_refused_and_exactly_a_third_is_recorded_and_the_chair_told(seated, member):
    committee, members = seated
    with pytest.raises(ValidationError) as exc:  # 2/7 < 1/3
        life.request_meeting(
            actor=member, committee=committee, requesters=members[:2], reason="审议物业费调整", on=date(2026, 5, 1)
        )
    assert "2 / 7" in exc.value.messages[0] and not MeetingRequest.objects.exists()
    request = life.request_meeting(
        actor=member, committee=committee, requesters=members[1:4], reason="审议物业费调整", on=date(2026, 5, 1)
    )
    assert set(request.requesters.all()) == set(members[1:4]) and request.recorded_by == member
    told = Delivery.objects.get(message__event=Event.MEETING_REQUESTED, channel=Channel.INBOX)
    assert told.user.username == "chair" and "2026-05-08" in told.message.title
    assert AuditEvent.objects.filter(action="meeting_request").count() == 1


def test_exactly_a_third_of_six_after_a_vacancy(seated, member):
    committee, members = seated
    members[6].left_on = date(2026, 4, 1)
    members[6].save()
    with pytest.raises(ValidationError):  # a member who left does not count
        life.request_meeting(
            actor=member, committee=committee, requesters=[members[0], members[6]], reason="议题", on=date(2026, 5, 1)
        )
    assert life.request_meeting(
        actor=member, committee=committee, requesters=members[:2], reason="议题", on=date(2026, 5, 1)
    )  # 2/6 = 1/3


def test_bad_input_and_wrong_people_write_nothing(world, seated, member):
    committee, members = seated
    with pytest.raises(ValidationError):
        life.request_meeting(
            actor=member, committee=committee, requesters=members[:3], reason="  ", on=date(2026, 5, 1)
        )
    with pytest.raises(PermissionDenied):
        life.request_meeting(
            actor=world.users[Role.STREET_STAFF],
            committee=committee,
            requesters=members[:3],
            reason="x",
            on=date(2026, 5, 1),
        )
    assert not MeetingRequest.objects.exists()
    assert not Delivery.objects.filter(message__event=Event.MEETING_REQUESTED).exists()


def test_the_meeting_on_the_seventh_day_is_in_time_the_eighth_is_refused(seated, member):
    committee, members = seated
    request = life.request_meeting(
        actor=member, committee=committee, requesters=members[:3], reason="审议物业费调整", on=date(2026, 5, 1)
    )
    with pytest.raises(ValidationError) as exc:
        life.schedule_meeting(
            actor=member,
            committee=committee,
            held_on=date(2026, 5, 9),
            agenda="审议物业费调整",
            posted_on=date(2026, 5, 1),
            request=request,
        )
    assert "2026-05-08" in exc.value.messages[0] and not Meeting.objects.exists()
    meeting = life.schedule_meeting(
        actor=member,
        committee=committee,
        held_on=date(2026, 5, 8),
        agenda="审议物业费调整",
        posted_on=date(2026, 5, 1),
        request=request,
    )
    request.refresh_from_db()
    assert request.meeting == meeting
    with pytest.raises(ValidationError):  # one meeting answers a request
        life.schedule_meeting(
            actor=member,
            committee=committee,
            held_on=date(2026, 5, 8),
            agenda="再开一次",
            posted_on=date(2026, 5, 1),
            request=request,
        )
    assert Meeting.objects.count() == 1


def test_the_committee_page_lists_open_requests_with_their_last_day(client, world, seated):
    committee, members = seated
    url = reverse("committees:committee", args=[committee.pk])
    act = reverse("committees:committee_act", args=[committee.pk])
    today = timezone.localdate()
    login(client, world.users[Role.COMMITTEE_MEMBER])
    few = client.post(
        act, {"action": "request_meeting", "requesters": [m.pk for m in members[:2]], "reason": "议题"}, follow=True
    )
    assert "三分之一以上委员" in few.content.decode() and not MeetingRequest.objects.exists()
    client.post(act, {"action": "request_meeting", "requesters": [m.pk for m in members[:3]], "reason": "审议年度预算"})
    page = client.get(url).content.decode()
    last = today + timedelta(days=7)
    assert "审议年度预算" in page and f"最迟 {last:%Y-%m-%d} 召开" in page
    request = MeetingRequest.objects.get()
    client.post(act, {"action": "meeting", "held_on": str(last), "agenda": "审议年度预算", "request": request.pk})
    request.refresh_from_db()
    assert request.meeting is not None and request.meeting.held_on == last
    assert "暂无待召开的委员提议" in client.get(url).content.decode()
    login(client, world.users[Role.STREET_STAFF])  # sees the committee, records no request for it
    assert "登记委员提议" not in client.get(url).content.decode()
    client.post(act, {"action": "request_meeting", "requesters": [m.pk for m in members[:3]], "reason": "越权"})
    assert MeetingRequest.objects.count() == 1


def test_a_requested_meeting_can_be_scheduled_after_the_request_day(seated, member):
    """The request's 7 days win over the 7-day agenda notice: scheduled the day after the
    request, the meeting on its last day is in time (6 days' notice), the day after is not."""
    committee, members = seated
    request = life.request_meeting(
        actor=member, committee=committee, requesters=members[:3], reason="审议物业费调整", on=date(2026, 5, 1)
    )
    with pytest.raises(ValidationError) as exc:
        life.schedule_meeting(
            actor=member,
            committee=committee,
            held_on=date(2026, 5, 9),
            agenda="审议物业费调整",
            posted_on=date(2026, 5, 2),
            request=request,
        )
    assert "2026-05-08" in exc.value.messages[0] and not Meeting.objects.exists()
    meeting = life.schedule_meeting(
        actor=member,
        committee=committee,
        held_on=date(2026, 5, 8),
        agenda="审议物业费调整",
        posted_on=date(2026, 5, 2),
        request=request,
    )
    assert meeting.agenda_posted_on == date(2026, 5, 2)
    with pytest.raises(ValidationError):  # an ordinary meeting still needs the full notice
        life.schedule_meeting(
            actor=member, committee=committee, held_on=date(2026, 5, 8), agenda="其他", posted_on=date(2026, 5, 2)
        )
