"""Decisions and their windows: the posting day a notice's first publication records, the
revocation window's end, court challenges at its boundary, a revoking judgment marking the
decision, and the estate's decisions page."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cms import services as cms
from committees.decisions import selectors, services
from committees.models import Challenge, ChallengeOutcome, Decision, Meeting, Vote
from community import duties
from community.legaltime import last_day_after_months
from community.models import AuditEvent, Role
from tests.factories import OwnerFactory, login

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2025, 3, 20, 10, 0))


@pytest.fixture
def decided(election):
    """The election vote, closed on 2024-03-10 and its result posted on 2024-03-12."""
    vote, owners = election
    Vote.objects.filter(pk=vote.pk).update(
        opens_at=timezone.make_aware(datetime(2024, 3, 1, 9)),
        closes_at=timezone.make_aware(datetime(2024, 3, 10, 18)),
        result_posted_on=date(2024, 3, 12),
    )
    vote.refresh_from_db()
    return vote, owners


def _challenge(world, vote, owner, filed_on, **kwargs):
    return services.record_challenge(
        actor=kwargs.pop("actor", world.users[Role.COMMUNITY_STAFF]),
        vote=vote,
        plaintiff=owner,
        court="三元区人民法院",
        case_number="(2025)闽0404民初1号",
        filed_on=filed_on,
        now=NOW,
        **kwargs,
    )


def test_publishing_the_result_notice_records_the_posting_day_once(election):
    vote, _owners = election
    assert vote.result_posted_on is None
    cms.publish_notice(actor=None, notice=vote.result_notice)
    vote.refresh_from_db()
    assert vote.result_posted_on == timezone.localdate()
    Vote.objects.filter(pk=vote.pk).update(result_posted_on=date(2024, 1, 2))
    cms.publish_notice(actor=None, notice=vote.result_notice)  # a later revision is not the posting
    vote.refresh_from_db()
    assert vote.result_posted_on == date(2024, 1, 2)


def test_publishing_a_decision_notice_records_its_posting_day(world, election):
    from committees.services import record_decision
    from tests.committees.test_committee_life import _elect

    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    today = timezone.localdate()
    meeting = Meeting.objects.create(committee=committee, held_on=today, agenda="议题", agenda_posted_on=today)
    meeting.present.set(committee.members.all())
    decision = record_decision(actor=None, meeting=meeting, text="更换电梯维保单位", in_favour=committee.members.all())
    cms.publish_notice(actor=None, notice=decision.notice)
    decision.refresh_from_db()
    assert decision.posted_on == today
    assert selectors.window_ends(decision) == last_day_after_months(today, 12)


@pytest.mark.parametrize(
    "posted,ends",
    [(date(2024, 3, 12), date(2025, 3, 12)), (date(2024, 2, 29), date(2025, 2, 28)), (None, date(2025, 3, 10))],
)
def test_the_window_ends_twelve_months_after_the_posting_or_the_decision(decided, posted, ends):
    vote, _owners = decided
    vote.result_posted_on = posted
    assert selectors.window_ends(vote) == ends


def test_a_challenge_on_the_last_day_is_recorded_and_the_day_after_refused(world, decided):
    vote, owners = decided
    with pytest.raises(ValidationError) as refused:
        _challenge(world, vote, owners[0], date(2025, 3, 13))
    assert "2025-03-12" in refused.value.messages[0]
    assert not Challenge.objects.exists()
    challenge = _challenge(world, vote, owners[0], date(2025, 3, 12))
    assert challenge.outcome == ChallengeOutcome.PENDING and challenge.recorded_by == world.users[Role.COMMUNITY_STAFF]
    assert AuditEvent.objects.filter(action="challenge_record", object_id=str(challenge.pk)).exists()


def test_only_an_owner_of_the_estate_may_be_the_plaintiff_and_only_staff_record(world, decided):
    vote, owners = decided
    with pytest.raises(ValidationError) as refused:
        _challenge(world, vote, OwnerFactory(name="外人"), date(2025, 3, 1))
    assert "业主" in refused.value.messages[0]
    with pytest.raises(PermissionDenied):
        _challenge(world, vote, owners[0], date(2025, 3, 1), actor=world.users[Role.COMMITTEE_MEMBER])
    with pytest.raises(ValidationError):
        _challenge(world, vote, owners[0], date(2024, 3, 9))  # before the decision
    assert not Challenge.objects.exists()


def test_a_revoking_judgment_marks_the_vote_everywhere(client, world, decided):
    vote, owners = decided
    challenge = _challenge(world, vote, owners[0], date(2025, 3, 1))
    staff = world.users[Role.COMMUNITY_STAFF]
    with pytest.raises(ValidationError):
        services.decide_challenge(actor=staff, challenge=challenge, outcome="revoked", decided_on=date(2025, 2, 1))
    services.decide_challenge(
        actor=staff, challenge=challenge, outcome=ChallengeOutcome.REVOKED, decided_on=date(2025, 3, 18), now=NOW
    )
    vote.refresh_from_db()
    assert vote.revoked_on == date(2025, 3, 18)
    assert AuditEvent.objects.filter(action="challenge_decide", object_id=str(challenge.pk)).exists()
    with pytest.raises(ValidationError):  # decided once
        services.decide_challenge(actor=staff, challenge=challenge, outcome="dismissed", decided_on=date(2025, 3, 18))
    mark = "已被人民法院撤销（2025-03-18）"
    login(client, world.users[Role.COMMITTEE_MEMBER])
    assert mark in client.get(reverse("committees:turnout", args=[vote.pk])).content.decode()
    cms.publish_notice(actor=None, notice=vote.result_notice)
    client.logout()
    estate_page = world.e1.page.url
    assert mark in client.get(estate_page).content.decode()
    assert mark in client.get(vote.result_notice.url).content.decode()
    assert not [d for d in duties.due(date(2025, 3, 20)) if d.key == f"committees:vote_result:{vote.pk}"]


def test_a_revoked_committee_decision_is_marked_on_its_meeting_page(client, world, election):
    from tests.committees.test_committee_life import _elect

    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    held = timezone.localdate() - timedelta(days=20)
    meeting = Meeting.objects.create(committee=committee, held_on=held, agenda="议题", agenda_posted_on=held)
    decision = Decision.objects.create(meeting=meeting, text="更换门禁系统", adopted=True, posted_on=held)
    staff = world.users[Role.COMMUNITY_STAFF]
    challenge = services.record_challenge(
        actor=staff, decision=decision, plaintiff=owners[6], court="三元区人民法院", case_number="甲1", filed_on=held
    )
    services.decide_challenge(actor=staff, challenge=challenge, outcome="revoked", decided_on=timezone.localdate())
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = client.get(reverse("committees:meeting", args=[meeting.pk])).content.decode()
    assert f"已被人民法院撤销（{timezone.localdate():%Y-%m-%d}）" in page


# --------------------------------------------------------------------------- the decisions page


@pytest.mark.parametrize(
    "role,status,forms",
    [
        (Role.DISTRICT_ADMIN, 200, True),
        (Role.STREET_STAFF, 200, False),
        (Role.COMMUNITY_STAFF, 200, True),
        (Role.COMMITTEE_MEMBER, 200, False),
        (Role.COMPANY_STAFF, 200, False),
    ],
)
def test_the_decisions_page_role_matrix(client, world, election, role, status, forms):
    vote, _owners = election  # closed yesterday, not yet posted: its window runs from the decision
    login(client, world.users[role])
    response = client.get(reverse("committees:decisions", args=[world.e1.pk]))
    assert response.status_code == status
    page = response.content.decode()
    decided = timezone.localdate(vote.closes_at)
    assert vote.question in page and f"{decided:%Y-%m-%d}" in page and "尚未公告" in page
    assert f"{last_day_after_months(decided, 12):%Y-%m-%d}" in page
    assert ('name="action" value="challenge"' in page) == forms
    other = client.get(reverse("committees:decisions", args=[world.other[role].pk]))
    assert other.status_code == 404
    if not forms:
        posted = client.post(reverse("committees:decisions", args=[world.e1.pk]), {"action": "challenge"})
        assert posted.status_code == 403


def test_owners_and_anonymous_are_refused(client, world, decided):
    url = reverse("committees:decisions", args=[world.e1.pk])
    assert client.get(url).status_code == 302
    login(client, world.owner_user)
    assert client.get(url).status_code == 403


def test_a_bad_challenge_shows_why_and_writes_nothing(client, world, decided):
    vote, owners = decided
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("committees:decisions", args=[world.e1.pk])
    unit = owners[0].ownerships.select_related("unit__building").first().unit
    form = {
        "action": "challenge",
        "target": f"vote:{vote.pk}",
        "building": unit.building.name,
        "room": unit.room,
        "name": owners[0].name,
        "court": "三元区人民法院",
        "case_number": "(2025)1号",
        "filed_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
    }
    page = client.post(url, form, follow=True).content.decode()
    assert "不能晚于今天" in page and not Challenge.objects.exists()
    page = client.post(url, {**form, "name": "不是业主", "filed_on": "2025-03-01"}, follow=True).content.decode()
    assert "起诉人须为本小区的业主" in page and not Challenge.objects.exists()
    page = client.post(url, {**form, "filed_on": "2025-03-13"}, follow=True).content.decode()
    assert "2025-03-12" in page and not Challenge.objects.exists()
    page = client.post(url, {**form, "filed_on": "2025-03-12"}, follow=True).content.decode()
    assert "已登记撤销决定之诉" in page and Challenge.objects.count() == 1


def test_the_decisions_page_runs_a_fixed_number_of_queries(client, world, decided, django_assert_max_num_queries):
    vote, owners = decided
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("committees:decisions", args=[world.e1.pk])
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
    for n in range(4):
        _challenge(world, vote, owners[n], date(2025, 3, 1 + n))
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
