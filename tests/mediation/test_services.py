"""The mediation rules of RULES.md §5, at their boundaries, through the services."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community.models import Role, RuleSet
from community.workflow import IllegalTransition
from mediation import selectors, services
from mediation.models import Agreement, Case, CaseStatus, CaseStep, MediatorPost, Session, SessionStatus, Signature
from tests.factories import CommunityFactory, EstateFactory, GridFactory, UserFactory

from .helpers import accepted, agreed, at, effective, open_case, parties, staff_room

S = CaseStatus
pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- rooms and mediators


def test_a_term_is_three_years_and_a_district_may_change_it(world):
    post = world.room.posts.get()
    assert post.term_ends_on == date(post.appointed_on.year + 3, post.appointed_on.month, post.appointed_on.day)
    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="五年", mediator_term_years=5)
    district.save()
    room = type(world.room).objects.get(pk=world.room.pk)
    assert services.term_end(room, date(2024, 2, 29)) == date(2029, 2, 28)


def test_the_committee_holds_at_most_nine_and_hired_mediators_do_not_count(world):
    room = world.room
    today = timezone.localdate()
    for i in range(8):  # the chair is already there: 9 in all
        services.appoint_mediator(
            actor=None, room=room, user=UserFactory(), name=f"委员{i}", position="member", appointed_on=today
        )
    assert services.committee_size(room, today) == 9
    before = MediatorPost.objects.count()
    with pytest.raises(ValidationError, match="上限为 9"):
        services.appoint_mediator(
            actor=None, room=room, user=UserFactory(), name="第十人", position="member", appointed_on=today
        )
    assert MediatorPost.objects.count() == before
    services.appoint_mediator(
        actor=None, room=room, user=UserFactory(), name="聘任", position="hired", appointed_on=today
    )
    assert services.committee_size(room, today) == 9


def test_appointing_gives_the_room_role_and_leaving_takes_it_away(world):
    from community import access

    user = UserFactory()
    post = services.appoint_mediator(
        actor=world.users[Role.COMMUNITY_STAFF],
        room=world.room,
        user=user,
        name="新调解员",
        position="member",
        appointed_on=timezone.localdate(),
    )
    assert access.can(user, access.MEDIATE, world.room)
    services.end_post(actor=world.users[Role.COMMUNITY_STAFF], post=post, left_on=timezone.localdate())
    access.forget(user)
    assert not access.can(user, access.MEDIATE, world.room)


def test_only_staff_over_the_community_appoint(world):
    for role in (Role.STREET_STAFF, Role.GRID_WORKER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR):
        with pytest.raises(PermissionDenied):
            services.appoint_mediator(
                actor=world.users[role],
                room=world.room,
                user=UserFactory(),
                name="某",
                position="member",
                appointed_on=timezone.localdate(),
            )


def test_a_mediator_out_of_term_cannot_mediate(world):
    case = open_case(world)
    old = services.appoint_mediator(
        actor=None,
        room=world.room,
        user=UserFactory(),
        name="老调解员",
        position="member",
        appointed_on=date(2020, 1, 1),
    )
    assert old.term_ends_on == date(2023, 1, 1)
    with pytest.raises(ValidationError, match="任期"):
        services.accept_case(actor=None, case=case, mediator=old)
    with pytest.raises(PermissionDenied):
        services.book_session(actor=old.user, case=case, starts_at=at(1, 9), ends_at=at(1, 10))


# --------------------------------------------------------------------------- cases


def test_a_case_is_numbered_and_its_first_step_recorded(world):
    case = open_case(world, actor=world.users[Role.COMMUNITY_STAFF])
    assert case.status == S.INTAKE and "调〔" in case.number
    assert case.parties.count() == 2
    step = case.steps.get()
    assert step.by == world.users[Role.COMMUNITY_STAFF] and step.status == S.INTAKE


def test_an_estate_of_another_street_goes_to_its_own_room(world):
    with pytest.raises(ValidationError, match="不在调解室所在街道"):
        services.open_case(
            actor=None, room=world.room, estate=world.e4, category="fees", facts="x", claims="y", parties=parties(world)
        )
    assert not Case.objects.exists()


def test_a_case_needs_both_sides_and_facts(world):
    with pytest.raises(ValidationError, match="申请人"):
        services.open_case(
            actor=None,
            room=world.room,
            estate=world.e1,
            category="fees",
            facts="x",
            claims="y",
            parties=parties(world)[:1],
        )
    with pytest.raises(ValidationError, match="纠纷事实"):
        services.open_case(
            actor=None, room=world.room, estate=world.e1, category="fees", facts=" ", claims="y", parties=parties(world)
        )
    assert not Case.objects.exists() and not CaseStep.objects.exists()


def test_an_explicit_refusal_means_no_mediation(world):
    case = open_case(world)
    party = case.parties.get(side="respondent")
    case = services.record_refusal(
        actor=world.users[Role.COMMUNITY_STAFF], case=case, party=party, reason="企业书面回复拒绝"
    )
    assert case.status == S.REFUSED and "第十七条" in case.outcome
    with pytest.raises(IllegalTransition):
        services.accept_case(actor=None, case=case, mediator=world.room.posts.get())
    case = services.close_case(actor=world.users[Role.COMMUNITY_STAFF], case=case)
    assert case.status == S.CLOSED


def test_a_refused_mediator_cannot_take_the_case(world):
    post = world.room.posts.get()
    case = open_case(world, refused_mediators=[post])
    with pytest.raises(ValidationError, match="第二十三条"):
        services.accept_case(actor=None, case=case, mediator=post)
    assert Case.objects.get(pk=case.pk).status == S.INTAKE


def test_a_party_cannot_both_choose_and_refuse_one_mediator(world):
    post = world.room.posts.get()
    with pytest.raises(ValidationError):
        open_case(world, requested_mediator=post, refused_mediators=[post])


def test_ending_without_agreement_tells_the_other_routes(world):
    case = accepted(world)
    case = services.end_case(actor=world.users[Role.MEDIATOR], case=case, reason="双方分歧过大")
    assert case.status == S.ENDED
    for route in ("仲裁", "行政", "诉讼", "第二十六条"):
        assert route in case.outcome
    assert "仲裁" in case.steps.last().note


def test_every_step_says_who_and_when(world):
    agreement = effective(world)
    case = agreement.case
    services.record_follow_up(
        actor=world.users[Role.MEDIATOR], case=case, visited_on=timezone.localdate(), performance="full"
    )
    services.close_case(actor=world.users[Role.MEDIATOR], case=case)
    statuses = list(case.steps.values_list("status", flat=True))
    assert statuses[:4] == [S.INTAKE, S.ACCEPTED, S.MEDIATING, S.AGREED] and statuses[-2:] == [S.FOLLOW_UP, S.CLOSED]
    assert all(s.at is not None for s in case.steps.all())
    assert case.steps.last().by == world.users[Role.MEDIATOR]


def test_no_status_can_be_skipped(world):
    case = open_case(world)
    with pytest.raises(IllegalTransition):
        services.close_case(actor=None, case=case)
    with pytest.raises(IllegalTransition):
        services.record_follow_up(actor=None, case=case, visited_on=timezone.localdate(), performance="full")


def test_the_transition_table_reaches_every_status_and_closed_is_final():
    reached = {to for tos in services.TRANSITIONS.values() for to in tos} | {S.INTAKE}
    assert reached == set(S)
    assert services.TRANSITIONS[S.CLOSED] == set()


def test_no_model_has_a_fee_field():
    from django.apps import apps

    words = ("fee", "price", "amount", "charge", "cost", "收费")
    for model in apps.get_app_config("mediation").get_models():
        for field in model._meta.get_fields():
            assert not any(w in field.name for w in words), f"{model.__name__}.{field.name}"


# --------------------------------------------------------------------------- sessions


def test_a_room_is_never_double_booked(world):
    staff_room(world)
    first, second = accepted(world), open_case(world)
    services.book_session(actor=world.users[Role.MEDIATOR], case=first, starts_at=at(1, 9), ends_at=at(1, 10))
    second = services.accept_case(actor=None, case=second, mediator=world.room.posts.get(name="委员0"))
    with pytest.raises(ValidationError, match="已有调解安排") as exc:
        services.book_session(actor=None, case=second, starts_at=at(1, 9, 30), ends_at=at(1, 11))
    assert "江滨社区物业纠纷调解室" in str(exc.value)
    assert Session.objects.count() == 1 and Case.objects.get(pk=second.pk).status == S.ACCEPTED
    # Back to back is fine: the range is half-open.
    services.book_session(actor=None, case=second, starts_at=at(1, 10), ends_at=at(1, 11))
    assert Session.objects.count() == 2


def test_a_cancelled_session_frees_its_slot(world):
    case = accepted(world)
    session = services.book_session(actor=world.users[Role.MEDIATOR], case=case, starts_at=at(2, 14), ends_at=at(2, 15))
    services.cancel_session(actor=world.users[Role.MEDIATOR], session=session)
    services.book_session(actor=world.users[Role.MEDIATOR], case=case, starts_at=at(2, 14), ends_at=at(2, 15))
    assert Session.objects.filter(status=SessionStatus.BOOKED).count() == 1


def test_bad_times_are_refused(world):
    case = accepted(world)
    with pytest.raises(ValidationError, match="结束时间"):
        services.book_session(actor=None, case=case, starts_at=at(1, 10), ends_at=at(1, 10))
    with pytest.raises(ValidationError, match="已经过去"):
        services.book_session(actor=None, case=case, starts_at=at(-1, 10), ends_at=at(-1, 11))
    assert not Session.objects.exists()


def test_a_session_follows_the_parties_wish_for_a_public_hearing(world):
    case = open_case(world, session_wish="public")
    case = services.accept_case(actor=None, case=case, mediator=world.room.posts.get())
    assert services.book_session(actor=None, case=case, starts_at=at(1, 9), ends_at=at(1, 10)).public is True


def test_a_record_is_kept_only_once_the_session_began(world):
    case = accepted(world)
    session = services.book_session(actor=None, case=case, starts_at=at(1, 9), ends_at=at(1, 10))
    with pytest.raises(ValidationError, match="尚未开始"):
        services.record_session(actor=world.users[Role.MEDIATOR], session=session, record="笔录")
    services.record_session(actor=world.users[Role.MEDIATOR], session=session, record="笔录", now=at(1, 10, 5))
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD and session.record == "笔录"


# --------------------------------------------------------------------------- agreements


def test_a_written_agreement_takes_effect_only_with_every_signature_and_the_seal(world):
    agreement = agreed(world)
    today = timezone.localdate()
    applicant, respondent = agreement.case.parties.order_by("side")
    services.sign_agreement(
        actor=world.users[Role.MEDIATOR], agreement=agreement, party=applicant, method="fingerprint", signed_on=today
    )
    services.mediator_signs(actor=world.users[Role.MEDIATOR], agreement=agreement, signed_on=today)
    services.apply_seal(actor=world.users[Role.MEDIATOR], agreement=agreement, sealed_on=today)
    agreement.refresh_from_db()
    assert agreement.effective_on is None
    assert selectors.missing_for_effect(agreement) == [f"{respondent.name} 签名、盖章或按指印"]
    services.sign_agreement(
        actor=world.users[Role.MEDIATOR], agreement=agreement, party=respondent, method="seal", signed_on=today
    )
    agreement.refresh_from_db()
    assert agreement.effective_on == today


def test_the_effective_day_is_the_last_signature(world):
    day = timezone.localdate() - timedelta(days=5)
    agreement = agreed(world, reached_on=day)
    a, b = agreement.case.parties.all()
    services.sign_agreement(actor=None, agreement=agreement, party=a, method="sign", signed_on=day)
    services.sign_agreement(actor=None, agreement=agreement, party=b, method="sign", signed_on=day + timedelta(days=3))
    services.mediator_signs(actor=None, agreement=agreement, signed_on=day)
    services.apply_seal(actor=None, agreement=agreement, sealed_on=day + timedelta(days=1))
    agreement.refresh_from_db()
    assert agreement.effective_on == day + timedelta(days=3)


def test_only_the_agreements_mediator_signs_as_mediator(world):
    staff_room(world)
    agreement = agreed(world)
    other = world.room.posts.get(name="委员0").user
    with pytest.raises(PermissionDenied):
        services.mediator_signs(actor=other, agreement=agreement, signed_on=timezone.localdate())
    agreement.refresh_from_db()
    assert agreement.mediator_signed_on is None


def test_a_party_signs_once_and_not_before_the_agreement(world):
    agreement = agreed(world)
    party = agreement.case.parties.first()
    with pytest.raises(ValidationError, match="不能早于"):
        services.sign_agreement(
            actor=None,
            agreement=agreement,
            party=party,
            method="sign",
            signed_on=agreement.reached_on - timedelta(days=1),
        )
    services.sign_agreement(actor=None, agreement=agreement, party=party, method="sign", signed_on=agreement.reached_on)
    with pytest.raises(ValidationError, match="已于"):
        services.sign_agreement(
            actor=None, agreement=agreement, party=party, method="seal", signed_on=agreement.reached_on
        )
    assert Signature.objects.count() == 1


def test_an_oral_agreement_takes_effect_when_reached(world):
    agreement = agreed(world, form="oral")
    assert agreement.effective_on == agreement.reached_on
    with pytest.raises(ValidationError, match="口头协议"):
        services.sign_agreement(
            actor=None,
            agreement=agreement,
            party=agreement.case.parties.first(),
            method="sign",
            signed_on=agreement.reached_on,
        )
    with pytest.raises(ValidationError, match="口头协议"):
        services.apply_for_confirmation(
            actor=None, agreement=agreement, applied_on=agreement.reached_on, court="某法院", joint=True
        )


def test_an_agreement_in_force_cannot_be_ended(world):
    agreement = effective(world)
    with pytest.raises(ValidationError, match="已生效"):
        services.end_case(actor=None, case=agreement.case, reason="反悔")


def test_an_unsigned_agreement_may_still_end_without_agreement(world):
    agreement = agreed(world)
    case = services.end_case(actor=None, case=agreement.case, reason="被申请人拒绝签字")
    assert case.status == S.ENDED


# --------------------------------------------------------------------------- judicial confirmation


def test_the_thirtieth_day_is_in_time_and_the_thirty_first_is_late(world):
    start = timezone.localdate() - timedelta(days=40)
    agreement = effective(world, on=start)
    assert selectors.confirmation_deadline(agreement) == start + timedelta(days=30)
    with pytest.raises(ValidationError, match="已逾期"):
        services.apply_for_confirmation(
            actor=None, agreement=agreement, applied_on=start + timedelta(days=31), court="区法院", joint=True
        )
    assert Agreement.objects.get(pk=agreement.pk).applied_on is None
    services.apply_for_confirmation(
        actor=None, agreement=agreement, applied_on=start + timedelta(days=30), court="区法院", joint=True
    )
    assert Agreement.objects.get(pk=agreement.pk).applied_on == start + timedelta(days=30)


def test_confirmation_needs_both_parties(world):
    agreement = effective(world)
    with pytest.raises(ValidationError, match="共同申请"):
        services.apply_for_confirmation(
            actor=None, agreement=agreement, applied_on=timezone.localdate(), court="区法院", joint=False
        )


def test_an_unsigned_agreement_cannot_be_confirmed(world):
    agreement = agreed(world)
    with pytest.raises(ValidationError, match="尚未生效"):
        services.apply_for_confirmation(
            actor=None, agreement=agreement, applied_on=timezone.localdate(), court="区法院", joint=True
        )


def test_the_court_decides_within_fifteen_days_or_twenty_five_extended(world):
    start = timezone.localdate() - timedelta(days=20)
    agreement = effective(world, on=start)
    services.apply_for_confirmation(actor=None, agreement=agreement, applied_on=start, court="区法院", joint=True)
    agreement.refresh_from_db()
    assert selectors.decision_due(agreement) == start + timedelta(days=15)
    with pytest.raises(ValidationError, match="不能早于申请"):
        services.record_court_decision(
            actor=None, agreement=agreement, decided_on=start - timedelta(days=1), decision="confirmed"
        )
    services.record_court_decision(
        actor=None, agreement=agreement, decided_on=start + timedelta(days=18), decision="confirmed", extended=True
    )
    agreement.refresh_from_db()
    assert selectors.decision_due(agreement) == start + timedelta(days=25)
    assert agreement.decision == "confirmed"


# --------------------------------------------------------------------------- follow-up


def test_an_agreed_case_is_followed_up_only_once_in_force(world):
    agreement = agreed(world)
    with pytest.raises(ValidationError, match="尚未生效"):
        services.record_follow_up(actor=None, case=agreement.case, visited_on=timezone.localdate(), performance="full")
    assert not agreement.case.follow_ups.exists()


def test_follow_up_then_close(world):
    agreement = effective(world)
    case = agreement.case
    services.record_follow_up(
        actor=None, case=case, visited_on=timezone.localdate(), performance="partial", notes="已抵扣一个月"
    )
    services.record_follow_up(actor=None, case=case, visited_on=timezone.localdate(), performance="full")
    case = services.close_case(actor=None, case=case)
    assert case.status == S.CLOSED and case.follow_ups.count() == 2 and case.closed_on == timezone.localdate()


def test_other_mediators_and_staff_cannot_work_someone_elses_room(world):
    case = accepted(world)
    stranger_room = services.open_room(
        actor=None, community=CommunityFactory(street=world.e1.street), name="别处", address="x", hours="y"
    )
    stranger = UserFactory()
    services.appoint_mediator(
        actor=None,
        room=stranger_room,
        user=stranger,
        name="别处调解员",
        position="chair",
        appointed_on=timezone.localdate(),
    )
    for user in (stranger, world.users[Role.COMMUNITY_STAFF], world.users[Role.COMMITTEE_MEMBER], world.owner_user):
        with pytest.raises(PermissionDenied):
            services.book_session(actor=user, case=case, starts_at=at(1, 9), ends_at=at(1, 10))
    assert not Session.objects.exists()


def test_estates_of_the_same_street_may_use_a_neighbouring_communitys_room(world):
    estate = EstateFactory(grid=GridFactory(community=CommunityFactory(street=world.e1.street)))
    case = services.open_case(
        actor=None,
        room=world.room,
        estate=estate,
        category="noise",
        facts="噪声",
        claims="停止",
        parties=[
            services.PartySpec(side="applicant", kind="other", name="甲"),
            services.PartySpec(side="respondent", kind="other", name="乙"),
        ],
    )
    assert case.estate == estate
