"""Each member signs for themself (issue 22, item 9): a member's agreement to a committee decision
counts only once confirmed from that member's own login; the decision takes effect on the
confirmation that brings the confirmed members to at least half of ALL seated members."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from committees import consents, selectors
from committees import services as life
from committees.models import Consent, Decision, Meeting
from community.models import AuditEvent, Role
from community.rules import rules_for
from community.services import assign_role
from tests.committees.test_committee_life import _elect
from tests.factories import UserFactory, login

pytestmark = pytest.mark.django_db


def _board(world, owners, size):
    """A committee of ``size`` of the election's owners, each with their own login, all present at
    a meeting today. The first member also holds the committee role, so records from the meeting."""
    vote, people = owners
    committee = _elect(world, vote, people[:size])
    members = list(committee.members.select_related("owner").order_by("pk"))
    for i, member in enumerate(members):
        member.owner.user = UserFactory(username=f"member{i}")
        member.owner.save(update_fields=["user"])
    assign_role(actor=None, user=members[0].owner.user, role=Role.COMMITTEE_MEMBER, scope=world.e1)
    today = timezone.localdate()
    meeting = Meeting.objects.create(
        committee=committee, held_on=today, agenda="审议门禁改造", agenda_posted_on=today - timedelta(days=7)
    )
    meeting.present.set(members)
    return committee, members, meeting


@pytest.fixture
def five(world, election):
    return _board(world, election, 5)


def _confirm(decision, member):
    return consents.confirm(actor=member.owner.user, consent=decision.consents.get(member=member))


def _fresh(decision):
    return Decision.objects.get(pk=decision.pk)


class TestRecording:
    def test_the_members_own_login_confirms_at_once_others_wait_for_theirs(self, five):
        _committee, members, meeting = five
        decision = life.record_decision(
            actor=members[0].owner.user, meeting=meeting, text="更换门禁", in_favour=members[:3]
        )
        by_member = {c.member_id: c for c in decision.consents.all()}
        assert by_member[members[0].pk].confirmed and by_member[members[0].pk].recorded_by == members[0].owner.user
        assert not by_member[members[1].pk].confirmed and not by_member[members[2].pk].confirmed
        assert [c.member for c in consents.confirmed(decision)] == [members[0]]
        assert {c.member for c in consents.pending(decision)} == set(members[1:3])
        assert not decision.adopted and decision.notice is None

    def test_the_chair_recording_for_everybody_confirms_nobody(self, world, five):
        _committee, members, meeting = five
        chair = world.users[Role.COMMITTEE_MEMBER]  # holds the role, has no seat
        decision = life.record_decision(actor=chair, meeting=meeting, text="更换门禁", in_favour=members)
        assert consents.confirmed(decision).count() == 0 and consents.pending(decision).count() == 5
        assert not decision.adopted

    def test_each_recording_and_confirmation_is_in_the_audit_trail(self, world, five):
        _committee, members, meeting = five
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="更换门禁", in_favour=members[:3]
        )
        recorded = AuditEvent.objects.filter(action="consent_recorded").order_by("pk")
        assert recorded.count() == 3 and all(e.detail["confirmed"] is False for e in recorded)
        assert recorded[0].detail["subject"] == f"committees.Decision:{decision.pk}"
        _confirm(decision, members[1])
        [confirmed] = AuditEvent.objects.filter(action="consent_confirmed")
        assert confirmed.user == members[1].owner.user and confirmed.detail["member"] == members[1].pk

    def test_a_member_not_present_is_refused_and_nothing_is_written(self, world, five):
        _committee, members, meeting = five
        meeting.present.set(members[:3])
        with pytest.raises(ValidationError, match="须出席"):
            life.record_decision(
                actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="x", in_favour=members[2:4]
            )
        assert not Decision.objects.exists() and not Consent.objects.exists()


class TestThreshold:
    def test_of_five_members_two_confirmed_do_not_adopt_and_the_third_does(self, world, five):
        _committee, members, meeting = five
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="更换门禁系统", in_favour=members[:4]
        )
        _confirm(decision, members[0])
        _confirm(decision, members[1])
        assert not _fresh(decision).adopted and _fresh(decision).notice is None  # 2 of 5 < 1/2
        _confirm(decision, members[2])  # 3 of 5: in force on this call
        decision = _fresh(decision)
        assert decision.adopted and "同意 3 人" in decision.notice.body and "全体委员 5 人" in decision.notice.body
        days = rules_for(world.e1).decision_publicity_days
        assert (decision.notice.publicity_end - decision.notice.publicity_start).days == days - 1
        _confirm(decision, members[3])  # a later confirmation changes nothing already in force
        assert _fresh(decision).notice_id == decision.notice_id

    def test_six_seated_after_a_vacancy_three_confirmed_suffice_two_do_not(self, world, election):
        committee, members, meeting = _board(world, election, 7)
        members[6].left_on = timezone.localdate()
        members[6].save()
        meeting.present.set(members[:6])
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="补选委员", in_favour=members[:4]
        )
        _confirm(decision, members[0])
        _confirm(decision, members[1])
        assert not _fresh(decision).adopted  # 2 of 6 < 1/2
        _confirm(decision, members[2])  # exactly 3 of 6: 半数以上 includes the half
        assert _fresh(decision).adopted

    def test_too_few_in_favour_is_not_adopted_and_waits_for_nobody(self, world, five):
        _committee, members, meeting = five
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="甲", in_favour=members[:2]
        )
        assert not decision.adopted and consents.pending_for(members[0].owner.user) == []
        with pytest.raises(ValidationError, match="无需再确认"):
            _confirm(decision, members[0])
        assert consents.confirmed(decision).count() == 0


class TestConfirming:
    @pytest.fixture
    def waiting(self, world, five):
        _committee, members, meeting = five
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="更换门禁", in_favour=members[:4]
        )
        return decision, members

    def test_confirming_twice_is_refused(self, waiting):
        decision, members = waiting
        first = _confirm(decision, members[0])
        with pytest.raises(ValidationError, match="无需再次确认"):
            _confirm(decision, members[0])
        assert Consent.objects.get(pk=first.pk).confirmed_at == first.confirmed_at

    def test_nobody_confirms_for_another_member(self, world, waiting):
        decision, members = waiting
        consent = decision.consents.get(member=members[1])
        for someone in (members[0].owner.user, world.users[Role.COMMITTEE_MEMBER], world.users[Role.DISTRICT_ADMIN]):
            with pytest.raises(PermissionDenied):
                consents.confirm(actor=someone, consent=consent)
        with pytest.raises(PermissionDenied):
            consents.confirm(actor=None, consent=consent)
        assert not Consent.objects.get(pk=consent.pk).confirmed

    def test_a_member_who_has_left_can_no_longer_confirm(self, waiting):
        decision, members = waiting
        members[3].left_on = timezone.localdate()
        members[3].save()
        with pytest.raises(ValidationError, match="不是在任委员"):
            _confirm(decision, members[3])

    def test_the_member_sees_only_their_own_pending_agreements(self, waiting):
        decision, members = waiting
        [row] = consents.pending_for(members[1].owner.user)
        assert row.subject == decision and "更换门禁" in row.what and row.consent.member == members[1]
        _confirm(decision, members[1])
        assert consents.pending_for(members[1].owner.user) == []
        assert consents.pending_for(members[4].owner.user) == []  # not in favour: nothing to confirm


class TestPages:
    @pytest.fixture
    def waiting(self, world, five):
        _committee, members, meeting = five
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="更换小区门禁系统", in_favour=members[:3]
        )
        return decision, members, meeting

    def test_a_member_confirms_from_their_page_and_the_third_puts_it_in_force(self, client, waiting):
        decision, members, _meeting = waiting
        url = reverse("committees:confirmations")
        for member in members[:3]:
            login(client, member.owner.user)
            page = client.get(url)
            body = page.content.decode()
            assert page.status_code == 200 and "更换小区门禁系统" in body and "待我确认 <span" in body
            consent = decision.consents.get(member=member)
            response = client.post(url, {"consent": consent.pk}, follow=True)
            assert "已确认" in response.content.decode()
            assert Consent.objects.get(pk=consent.pk).confirmed
            assert "更换小区门禁系统" not in client.get(url).content.decode()
        assert _fresh(decision).adopted

    def test_a_members_page_refuses_anothers_consent(self, client, waiting):
        decision, members, _meeting = waiting
        login(client, members[0].owner.user)
        other = decision.consents.get(member=members[1])
        assert client.post(reverse("committees:confirmations"), {"consent": other.pk}).status_code == 404
        assert client.post(reverse("committees:confirmations"), {"consent": "x"}).status_code == 404
        assert not Consent.objects.get(pk=other.pk).confirmed

    def test_non_members_are_refused(self, client, world, waiting):
        url = reverse("committees:confirmations")
        assert client.get(url).status_code == 302  # signed out: to the sign-in page
        for role in (Role.COMMITTEE_MEMBER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN):
            login(client, world.users[role])
            assert client.get(url).status_code == 403
        login(client, world.owner_user)  # an owner of the estate with no seat
        assert client.get(url).status_code == 403
        assert "待我确认" not in client.get(reverse("fees:my_bills")).content.decode()

    def test_a_member_with_nothing_pending_sees_an_empty_page(self, client, waiting):
        _decision, members, _meeting = waiting
        login(client, members[4].owner.user)
        body = client.get(reverse("committees:confirmations")).content.decode()
        assert "没有待您确认的事项" in body and "待我确认</a>" in body

    def test_the_meeting_page_shows_who_confirmed_and_what_is_still_needed(self, client, waiting):
        decision, members, meeting = waiting
        _confirm(decision, members[0])
        login(client, members[0].owner.user)
        body = client.get(reverse("committees:meeting", args=[meeting.pk])).content.decode()
        assert "尚未生效（已确认 1 / 需 3）" in body
        assert body.count("待本人确认") == 2 and f"{members[0].owner.name} 已确认" in body

    def test_the_page_runs_a_fixed_number_of_queries(self, client, world, waiting, django_assert_max_num_queries):
        decision, members, meeting = waiting
        for i in range(5):
            life.record_decision(
                actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text=f"事项{i}", in_favour=members[:3]
            )
        login(client, members[1].owner.user)
        with django_assert_max_num_queries(30):
            body = client.get(reverse("committees:confirmations")).content.decode()
        assert body.count("本人确认同意") == 6


class TestMeasuredAtTheMeeting:
    """The share is measured against the members seated at the meeting, frozen there; the day the
    decision takes effect is the day the posting days count from."""

    def test_three_of_seven_is_final_even_after_a_member_leaves(self, world, election):
        _committee, members, meeting = _board(world, election, 7)
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="补选委员", in_favour=members[:3]
        )
        assert decision.members_total == 7 and not decision.adopted
        members[6].left_on = timezone.localdate()
        members[6].save()  # six seated now: three would be half of them, but not of those at the meeting
        assert life.decision_waiting([decision.pk]) == {}
        assert consents.pending_for(members[0].owner.user) == []
        with pytest.raises(ValidationError, match="无需再确认"):
            _confirm(decision, members[0])
        [row] = selectors.decision_rows(meeting, total=6)
        assert row.total == 7 and row.needed == 4 and not row.waiting
        assert not _fresh(decision).adopted and _fresh(decision).adopted_on is None

    def test_adopted_on_the_confirmation_day_and_posted_within_the_days_of_it(self, world, five):
        from committees import duties
        from committees.decisions.selectors import decided_on
        from community.legaltime import last_day_after_days

        _committee, members, meeting = five
        meeting.held_on = timezone.localdate() - timedelta(days=10)
        meeting.save(update_fields=["held_on"])
        decision = life.record_decision(
            actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="更换门禁系统", in_favour=members[:3]
        )
        for member in members[:3]:
            _confirm(decision, member)
        decision = _fresh(decision)
        today = timezone.localdate()
        assert decision.adopted and decision.adopted_on == today and decided_on(decision) == today
        [duty] = [d for d in duties.decisions(today) if d.key == f"committees:decision:{decision.pk}"]
        assert duty.last_day == last_day_after_days(today, rules_for(world.e1).decision_posting_days)

    def test_adopted_at_the_meeting_takes_the_meetings_day(self, five):
        _committee, members, meeting = five
        meeting.held_on = timezone.localdate() - timedelta(days=1)
        meeting.save(update_fields=["held_on"])
        decision = life.record_decision(actor=None, meeting=meeting, text="甲", in_favour=members[:3])
        assert decision.adopted and decision.adopted_on == meeting.held_on


def test_moving_the_in_favour_lists_is_refused_backwards_rather_than_silently_losing_them():
    from importlib import import_module

    from django.db.migrations import RunPython

    for module in ("committees.migrations.0014_consents", "fees.migrations.0005_consents"):
        moves = [op for op in import_module(module).Migration.operations if isinstance(op, RunPython)]
        assert moves and not any(op.reversible for op in moves), module


def test_the_migration_freezes_the_members_seated_on_the_meeting_day_of_earlier_decisions(five):
    from importlib import import_module

    from django.apps import apps

    _committee, members, meeting = five
    members[4].left_on = meeting.held_on - timedelta(days=1)  # gone before the meeting
    members[4].save()
    members[3].left_on = meeting.held_on + timedelta(days=1)  # seated at it, gone since
    members[3].save()
    adopted = Decision.objects.create(meeting=meeting, text="甲", adopted=True)
    failed = Decision.objects.create(meeting=meeting, text="乙", adopted=False)
    import_module("committees.migrations.0015_decision_dates").backfill(apps, None)
    adopted, failed = _fresh(adopted), _fresh(failed)
    assert adopted.members_total == failed.members_total == 4
    assert adopted.adopted_on == meeting.held_on and failed.adopted_on is None
