"""Every change to mediation goes through here (人民调解法, RULES.md §5).

* Rooms and mediators: ``open_room``, ``appoint_mediator`` (a term from the rule set,
  the committee kept within its 3-9 members), ``end_post``.
* A case walks ``TRANSITIONS``: ``open_case`` → ``accept_case`` or ``record_refusal``
  (art. 17) → ``book_session`` / ``record_session`` → ``record_agreement`` or
  ``end_case`` (art. 26: the parties are told their other routes) → ``record_follow_up``
  → ``close_case``. Each move writes a ``CaseStep`` with who and when.
* A written agreement takes effect when every party has signed, sealed or fingerprinted,
  the mediator has signed and the committee's seal is on it (art. 29): ``sign_agreement``,
  ``mediator_signs``, ``apply_seal``. An oral one takes effect when reached (art. 30).
* Judicial confirmation (art. 33): ``apply_for_confirmation`` within the rule set's days of
  the agreement taking effect, jointly; ``record_court_decision``.
* ``publish_directory`` drafts and publishes the public room directory on a community's site.

Who may act: ``open_cases`` (community staff, district administrators, a room's mediators)
registers cases and reads their files; ``mediate`` (a room's mediators, in term) works them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms import services as cms
from community import access
from community import services as registry
from community.legaltime import last_day_after_months
from community.locks import hold, lock_one
from community.models import Community, Estate, Owner, PropertyCompany, Role, RoleAssignment, Unit
from community.rules import rules_for
from community.sequences import next_number
from community.workflow import Workflow
from notifications.models import Event
from notifications.services import notify

from .models import (
    COMMITTEE_POSITIONS,
    Agreement,
    AgreementForm,
    Case,
    CaseParty,
    CaseStatus,
    CaseStep,
    FollowUp,
    MediatorPost,
    PartyKind,
    Position,
    Room,
    Session,
    SessionStatus,
    SessionWish,
    Side,
    Signature,
)
from .selectors import confirmation_deadline, missing_for_effect, party_recipients

S = CaseStatus

TRANSITIONS = {
    S.INTAKE: {S.ACCEPTED, S.REFUSED},
    S.ACCEPTED: {S.MEDIATING, S.REFUSED, S.ENDED},
    S.MEDIATING: {S.AGREED, S.REFUSED, S.ENDED},
    S.AGREED: {S.FOLLOW_UP, S.ENDED},  # to ENDED only while a written agreement has not taken effect
    S.ENDED: {S.FOLLOW_UP, S.CLOSED},
    S.REFUSED: {S.CLOSED},
    S.FOLLOW_UP: {S.CLOSED},
    S.CLOSED: set(),
}
FLOW = Workflow(S, TRANSITIONS)

OTHER_ROUTES = _(
    "调解终止。当事人可以依法通过仲裁、行政、司法等途径维护自己的权利：申请仲裁，"
    "请求有关行政机关处理，或者向人民法院提起诉讼（人民调解法第二十六条）。"
)

ROOM_NOT_IN_COMMUNITY = _("调解室只能设在本社区。")
COMMITTEE_FULL = _("调解委员会已有 %(count)s 名委员，法定上限为 %(max)s 名（人民调解法第八条）；可聘任为调解员。")
ALREADY_SERVING = _("%(name)s 已在本调解室任职。")
APPOINTED_IN_FUTURE = _("任职日期不能晚于今天。")
LEFT_BEFORE_APPOINTED = _("离任日期不能早于任职日期。")
ESTATE_OUT_OF_REACH = _("小区“%(estate)s”不在调解室所在街道，请到该小区所在街道的调解室登记。")
UNIT_NOT_IN_ESTATE = _("房屋不属于所选小区。")
NEEDS_BOTH_SIDES = _("至少要有一名申请人和一名被申请人。")
MISSING = _("请填写“%(field)s”。")
NOT_A_MEDIATOR_HERE = _("所选调解员不在本调解室任职。")
MEDIATOR_REFUSED = _("当事人已拒绝由 %(name)s 调解，请另选调解员（人民调解法第二十三条）。")
MEDIATOR_OUT_OF_TERM = _("%(name)s 的任期已于 %(day)s 届满或已离任，不能主持调解。")
NOT_YOUR_ROOM = _("您不是本调解室在任的调解员。")
NOT_A_PARTY = _("该当事人不属于本案。")
DOUBLE_BOOKED = _("调解室“%(room)s”在 %(start)s 至 %(end)s 已有调解安排，请另选时间。")
ENDS_BEFORE_START = _("结束时间须晚于开始时间。")
SESSION_IN_PAST = _("不能预约已经过去的时间。")
SESSION_NOT_BOOKED = _("该调解会不是待举行状态。")
SESSION_NOT_STARTED = _("调解会尚未开始，不能记录笔录。")
NO_RECORD = _("请填写调解笔录。")
FUTURE_DAY = _("%(field)s不能晚于今天。")
BEFORE_AGREEMENT = _("%(field)s不能早于协议达成日期 %(day)s。")
PERFORM_BEFORE_AGREEMENT = _("履行期限不能早于协议达成日期。")
ALREADY_SIGNED = _("%(party)s 已于 %(day)s 签署。")
ORAL_NEEDS_NO_SIGNATURE = _("口头协议自达成之日起生效，无需签署。")
NOT_THE_MEDIATOR = _("只有承办本协议的调解员 %(name)s 本人能签名。")
ALREADY_DONE = _("已记录，不能重复。")
AGREEMENT_IN_FORCE = _("调解协议已生效，不能再终止调解。")
NOT_EFFECTIVE = _("调解协议尚未生效，不能申请司法确认。")
ORAL_NOT_CONFIRMABLE = _("口头协议没有书面文本，不能申请司法确认；可先补签书面调解协议。")
CONFIRMATION_LATE = _(
    "申请司法确认须在协议生效之日起 %(days)s 日内（至 %(day)s）提出，已逾期（人民调解法第三十三条）。"
)
NOT_JOINT = _("司法确认须由双方当事人共同申请（人民调解法第三十三条）。")
ALREADY_APPLIED = _("已于 %(day)s 申请司法确认。")
NOT_APPLIED = _("尚未申请司法确认。")
DECIDED_BEFORE_APPLIED = _("裁定日期不能早于申请日期。")
ALREADY_DECIDED = _("法院已于 %(day)s 作出裁定。")


def _number(room: Room, kind: str, year: int) -> str:
    """A case (调) or agreement (调协) number: the community's code, 〔year〕, a per-room sequence."""
    return f"{room.community.code}{kind}〔{year}〕{next_number(f'{kind}/{room.pk}', year)}号"


def _room_role(user, room: Room) -> RoleAssignment | None:
    """The mediator role ``user`` holds on ``room``, if any."""
    return RoleAssignment.objects.filter(
        user=user, role=Role.MEDIATOR, scope_id=room.pk, scope_type=ContentType.objects.get_for_model(Room)
    ).first()


def _today(now: datetime | None = None) -> date:
    return timezone.localdate(now) if now else timezone.localdate()


def _not_future(day: date, label, today: date) -> None:
    if day > today:
        raise ValidationError(FUTURE_DAY, params={"field": label})


def _step(case: Case, to: str, *, actor, now: datetime | None = None, note: str = "") -> None:
    FLOW.move(case, to)
    case.save(update_fields=["status", "outcome", "closed_on", "mediator"])
    CaseStep.objects.create(case=case, status=to, at=now or timezone.now(), by=actor, note=str(note))


def _locked(case: Case) -> Case:
    return lock_one(Case.objects.select_related("room__community", "estate", "mediator"), pk=case.pk)


# --------------------------------------------------------------------------- rooms and mediators


def term_end(room: Room, appointed_on: date) -> date:
    """The last day of a term that starts on ``appointed_on`` (art. 9: three years by default)."""
    return last_day_after_months(appointed_on, 12 * rules_for(room).mediator_term_years)


def committee_size(room: Room, on: date) -> int:
    return sum(1 for p in room.posts.filter(position__in=COMMITTEE_POSITIONS) if p.serving_on(on))


@transaction.atomic
def open_room(
    *, actor, community: Community, name: str, address: str, hours: str, phone: str = "", opened_on: date | None = None
) -> Room:
    access.require(actor, access.OPEN_CASES, community)
    for label, value in ((_("名称"), name), (_("地址"), address), (_("开放时间"), hours)):
        if not (value or "").strip():
            raise ValidationError(MISSING, params={"field": label})
    room = Room(
        community=community,
        name=name.strip(),
        address=address.strip(),
        hours=hours.strip(),
        phone=phone.strip(),
        opened_on=opened_on or _today(),
    )
    room.full_clean()
    room.save()
    return room


@transaction.atomic
def appoint_mediator(
    *, actor, room: Room, user, name: str, position: str, appointed_on: date, mobile: str = ""
) -> MediatorPost:
    """A mediator's term in a room, and the room's mediator role for their login.

    The committee (chair, vice-chairs, members) may not grow past the rule set's maximum;
    hired mediators do not count towards it."""
    access.require(actor, access.OPEN_CASES, room.community)
    if not (name or "").strip():
        raise ValidationError(MISSING, params={"field": _("姓名")})
    if appointed_on > _today():
        raise ValidationError(APPOINTED_IN_FUTURE)
    hold(room)
    if position in COMMITTEE_POSITIONS:
        rules = rules_for(room)
        size = committee_size(room, appointed_on)
        if size >= rules.mediation_committee_max:
            raise ValidationError(COMMITTEE_FULL, params={"count": size, "max": rules.mediation_committee_max})
    if MediatorPost.objects.filter(room=room, user=user, left_on__isnull=True).exists():
        raise ValidationError(ALREADY_SERVING, params={"name": name})
    post = MediatorPost(
        room=room,
        user=user,
        name=name.strip(),
        mobile=mobile,
        position=Position(position),
        appointed_on=appointed_on,
        term_ends_on=term_end(room, appointed_on),
    )
    post.full_clean(validate_constraints=False)
    post.save()
    if _room_role(user, room) is None:
        # The appointing staff member is checked above; the role follows the appointment.
        registry.assign_role(actor=None, user=user, role=Role.MEDIATOR, scope=room)
    return post


@transaction.atomic
def end_post(*, actor, post: MediatorPost, left_on: date) -> MediatorPost:
    """A mediator leaves the room (or is re-appointed: end this term, then appoint anew)."""
    access.require(actor, access.OPEN_CASES, post.room.community)
    if left_on < post.appointed_on:
        raise ValidationError(LEFT_BEFORE_APPOINTED)
    post.left_on = left_on
    post.save(update_fields=["left_on"])
    role = _room_role(post.user, post.room)
    if role is not None:
        registry.revoke_role(actor=None, assignment=role)
    return post


def serving_post(user, room: Room, on: date | None = None) -> MediatorPost | None:
    """The user's post in ``room`` that is in term on ``on`` (today), if any."""
    on = on or _today()
    for post in MediatorPost.objects.filter(room=room, user=user, left_on__isnull=True):
        if post.serving_on(on):
            return post
    return None


def _acting_mediator(actor, room: Room, today: date) -> MediatorPost | None:
    """Mediating needs the ``mediate`` permission and a term in force in the room.
    ``actor=None`` is the system (seed_demo); the caller then names the mediator."""
    if actor is None:
        return None
    access.require(actor, access.MEDIATE, room)
    post = serving_post(actor, room, today)
    if post is None and not actor.is_superuser:
        raise PermissionDenied(NOT_YOUR_ROOM)
    return post


def _check_mediator(case: Case, post: MediatorPost, today: date) -> None:
    if post.room_id != case.room_id:
        raise ValidationError(NOT_A_MEDIATOR_HERE)
    if not post.serving_on(today):
        raise ValidationError(
            MEDIATOR_OUT_OF_TERM, params={"name": post.name, "day": post.left_on or post.term_ends_on}
        )
    if case.refused_mediators.filter(pk=post.pk).exists():
        raise ValidationError(MEDIATOR_REFUSED, params={"name": post.name})


# --------------------------------------------------------------------------- cases


@dataclass
class PartySpec:
    side: str
    kind: str
    name: str = ""
    owner: Owner | None = None
    company: PropertyCompany | None = None
    representative: str = ""
    address: str = ""
    mobile: str = ""


def _party(case: Case, spec: PartySpec) -> CaseParty:
    name = spec.name
    if spec.kind == PartyKind.OWNER and spec.owner is not None:
        name = name or spec.owner.name
    elif spec.kind == PartyKind.COMPANY and spec.company is not None:
        name = name or spec.company.name
    elif spec.kind == PartyKind.COMMITTEE:
        name = name or f"{case.estate.name}业主委员会"
    party = CaseParty(
        case=case,
        side=spec.side,
        kind=spec.kind,
        owner=spec.owner,
        company=spec.company,
        name=name,
        representative=spec.representative,
        address=spec.address,
        mobile=spec.mobile,
    )
    if not name:
        raise ValidationError(MISSING, params={"field": _("当事人姓名或名称")})
    party.full_clean(exclude=["case"], validate_constraints=False)
    if spec.kind == PartyKind.OWNER and spec.owner is None or spec.kind == PartyKind.COMPANY and spec.company is None:
        raise ValidationError(MISSING, params={"field": PartyKind(spec.kind).label})
    return party


@transaction.atomic
def open_case(
    *,
    actor,
    room: Room,
    estate: Estate,
    category: str,
    facts: str,
    claims: str,
    parties: list[PartySpec],
    unit: Unit | None = None,
    session_wish: str = SessionWish.NONE,
    requested_mediator: MediatorPost | None = None,
    refused_mediators=(),
    opened_on: date | None = None,
    now: datetime | None = None,
) -> Case:
    """Register a dispute (the registration of the case file, art. 27)."""
    access.require(actor, access.OPEN_CASES, room)
    if estate.grid.community.street_id != room.community.street_id:
        raise ValidationError(ESTATE_OUT_OF_REACH, params={"estate": estate.name})
    if unit is not None and unit.building.estate_id != estate.pk:
        raise ValidationError(UNIT_NOT_IN_ESTATE)
    for label, value in ((_("纠纷事实"), facts), (_("申请事项"), claims)):
        if not (value or "").strip():
            raise ValidationError(MISSING, params={"field": label})
    if {p.side for p in parties} != {Side.APPLICANT, Side.RESPONDENT}:
        raise ValidationError(NEEDS_BOTH_SIDES)
    for post in [requested_mediator, *refused_mediators]:
        if post is not None and post.room_id != room.pk:
            raise ValidationError(NOT_A_MEDIATOR_HERE)
    if requested_mediator is not None and requested_mediator in list(refused_mediators):
        raise ValidationError(MEDIATOR_REFUSED, params={"name": requested_mediator.name})
    opened_on = opened_on or _today(now)
    case = Case(
        number=_number(room, "调", opened_on.year),
        room=room,
        estate=estate,
        unit=unit,
        category=category,
        facts=facts.strip(),
        claims=claims.strip(),
        session_wish=session_wish,
        requested_mediator=requested_mediator,
        opened_on=opened_on,
        opened_by=actor,
    )
    case.full_clean(exclude=["number"])
    case.save()
    CaseParty.objects.bulk_create([_party(case, spec) for spec in parties])
    if refused_mediators:
        case.refused_mediators.set(refused_mediators)
    CaseStep.objects.create(case=case, status=S.INTAKE, at=now or timezone.now(), by=actor, note=str(_("登记纠纷")))
    return case


@transaction.atomic
def accept_case(*, actor, case: Case, mediator: MediatorPost, now: datetime | None = None) -> Case:
    """Accept a registered case and give it a mediator the parties have not refused (art. 23)."""
    case = _locked(case)
    _acting_mediator(actor, case.room, _today(now))
    _check_mediator(case, mediator, _today(now))
    case.mediator = mediator
    _step(case, S.ACCEPTED, actor=actor, now=now, note=_("承办调解员：%(name)s") % {"name": mediator.name})
    return case


@transaction.atomic
def record_refusal(*, actor, case: Case, party: CaseParty, reason: str = "", now: datetime | None = None) -> Case:
    """A party explicitly refuses mediation: there is none (art. 17)."""
    case = _locked(case)
    access.require(actor, access.OPEN_CASES, case.room)
    if party.case_id != case.pk:
        raise ValidationError(NOT_A_PARTY)
    party.refused = True
    party.save(update_fields=["refused"])
    case.outcome = str(_("%(party)s 明确拒绝调解，依法不予调解（人民调解法第十七条）。") % {"party": party.name})
    if reason.strip():
        case.outcome += f"\n{reason.strip()}"
    case.sessions.filter(status=SessionStatus.BOOKED).update(status=SessionStatus.CANCELLED)
    _step(case, S.REFUSED, actor=actor, now=now, note=case.outcome)
    return case


@transaction.atomic
def end_case(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """Mediation ends without agreement; the parties are told their other routes (art. 26)."""
    case = _locked(case)
    _acting_mediator(actor, case.room, _today(now))
    if not (reason or "").strip():
        raise ValidationError(MISSING, params={"field": _("终止原因")})
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is not None and agreement.effective_on is not None:
        raise ValidationError(AGREEMENT_IN_FORCE)
    case.outcome = f"{reason.strip()}\n{OTHER_ROUTES}"
    case.sessions.filter(status=SessionStatus.BOOKED).update(status=SessionStatus.CANCELLED)
    _step(case, S.ENDED, actor=actor, now=now, note=case.outcome)
    return case


# --------------------------------------------------------------------------- sessions


def _overlapping(room: Room, starts_at: datetime, ends_at: datetime):
    return Session.objects.filter(room=room, starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(
        status=SessionStatus.CANCELLED
    )


@transaction.atomic
def book_session(
    *,
    actor,
    case: Case,
    starts_at: datetime,
    ends_at: datetime,
    public: bool | None = None,
    mediator: MediatorPost | None = None,
    now: datetime | None = None,
) -> Session:
    """Book the case's room for a session. A slot already taken is refused with a clear message:
    the service looks first, holding the room's row so that bookings of one room queue; on
    PostgreSQL the exclusion constraint stands behind it. (Without the hold, concurrent inserts
    checking the exclusion constraint wait on each other, and PostgreSQL breaks the circle by
    failing them with a deadlock.)"""
    now = now or timezone.now()
    case = _locked(case)
    hold(case.room)
    acting = _acting_mediator(actor, case.room, _today(now))
    mediator = mediator or case.mediator or acting
    if mediator is None:
        raise ValidationError(MISSING, params={"field": _("调解员")})
    _check_mediator(case, mediator, _today(now))
    if ends_at <= starts_at:
        raise ValidationError(ENDS_BEFORE_START)
    if starts_at < now:
        raise ValidationError(SESSION_IN_PAST)
    if public is None:
        public = case.session_wish == SessionWish.PUBLIC
    taken = _overlapping(case.room, starts_at, ends_at).first()
    params = {"room": case.room.name}
    if taken is not None:
        local = timezone.localtime
        raise ValidationError(
            DOUBLE_BOOKED,
            params={
                **params,
                "start": f"{local(taken.starts_at):%Y-%m-%d %H:%M}",
                "end": f"{local(taken.ends_at):%H:%M}",
            },
        )
    session = Session(
        case=case,
        room=case.room,
        mediator=mediator,
        starts_at=starts_at,
        ends_at=ends_at,
        public=public,
        booked_by=actor,
    )
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as exc:
        if "mediation_room_never_double_booked" not in str(exc):
            raise
        local = timezone.localtime
        raise ValidationError(
            DOUBLE_BOOKED,
            params={**params, "start": f"{local(starts_at):%Y-%m-%d %H:%M}", "end": f"{local(ends_at):%H:%M}"},
        ) from None
    if case.status == S.ACCEPTED:
        if case.mediator_id is None:
            case.mediator = mediator
        _step(
            case,
            S.MEDIATING,
            actor=actor,
            now=now,
            note=_("预约首次调解会：%(at)s") % {"at": f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M}"},
        )
    elif case.status != S.MEDIATING:
        raise FLOW.refusal(case.status, S.MEDIATING)
    _tell_parties(session, cancelled=False)
    return session


def _tell_parties(session: Session, *, cancelled: bool) -> None:
    """Tell each party of the case that a session was booked (or called off). Each booking is
    its own message, keyed by the session and its time: a new time is told anew."""
    case, room = session.case, session.room
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    when = f"{start:%Y年%m月%d日 %H:%M} 至 {end:%H:%M}"
    key = f"{Event.MEDIATION_SESSION}:{session.pk}:{session.starts_at.isoformat()}"
    if cancelled:
        key += ":cancelled"
        title = f"调解会取消：案件 {case.number}，原定 {start:%m月%d日 %H:%M}"
        body = f"您作为当事人的调解案件 {case.number} 原定于 {when} 在{room.name}举行的调解会已取消，新的安排另行通知。"
    else:
        title = f"调解会安排：案件 {case.number}，{start:%m月%d日 %H:%M}，{room.name}"
        body = (
            f"您作为当事人的调解案件 {case.number} 定于 {when} 在{room.name}（{room.address}）举行调解会，"
            f"调解员：{session.mediator.name}。{'本次为公开调解。' if session.public else ''}"
            f"如需改期，请联系调解室{f'（电话 {room.phone}）' if room.phone else ''}。"
        )
    notify(
        event=Event.MEDIATION_SESSION,
        recipients=party_recipients(case),
        title=title,
        body=body,
        link=reverse("mediation:my_cases"),
        subject=session,
        key=key,
    )


@transaction.atomic
def cancel_session(*, actor, session: Session, now: datetime | None = None) -> Session:
    session = lock_one(Session.objects.select_related("case__room"), pk=session.pk)
    _acting_mediator(actor, session.case.room, _today(now))
    if session.status != SessionStatus.BOOKED:
        raise ValidationError(SESSION_NOT_BOOKED)
    session.status = SessionStatus.CANCELLED
    session.save(update_fields=["status"])
    _tell_parties(session, cancelled=True)
    return session


@transaction.atomic
def record_session(
    *, actor, session: Session, record: str, attendees: str = "", now: datetime | None = None
) -> Session:
    """The session record (调解笔录), kept in the case file (art. 27)."""
    now = now or timezone.now()
    session = lock_one(Session.objects.select_related("case__room"), pk=session.pk)
    _acting_mediator(actor, session.case.room, _today(now))
    if session.status != SessionStatus.BOOKED:
        raise ValidationError(SESSION_NOT_BOOKED)
    if session.starts_at > now:
        raise ValidationError(SESSION_NOT_STARTED)
    if not (record or "").strip():
        raise ValidationError(NO_RECORD)
    session.status = SessionStatus.HELD
    session.record, session.attendees, session.recorded_at = record.strip(), attendees.strip(), now
    session.save(update_fields=["status", "record", "attendees", "recorded_at"])
    return session


# --------------------------------------------------------------------------- agreements


@transaction.atomic
def record_agreement(
    *,
    actor,
    case: Case,
    form: str,
    facts: str,
    issues: str,
    responsibility: str,
    terms: str,
    performance: str,
    perform_by: date,
    reached_on: date,
    now: datetime | None = None,
) -> Agreement:
    """Write down what the parties agreed (art. 29's contents). An oral agreement takes effect
    the day it is reached (art. 30); a written one once every signature and the seal are on it."""
    case = _locked(case)
    today = _today(now)
    acting = _acting_mediator(actor, case.room, today)
    mediator = acting or case.mediator
    if mediator is None:
        raise ValidationError(MISSING, params={"field": _("调解员")})
    for label, value in (
        (_("纠纷的主要事实"), facts),
        (_("争议事项"), issues),
        (_("各方当事人的责任"), responsibility),
        (_("协议内容"), terms),
        (_("履行方式"), performance),
    ):
        if not (value or "").strip():
            raise ValidationError(MISSING, params={"field": label})
    _not_future(reached_on, _("达成日期"), today)
    if perform_by < reached_on:
        raise ValidationError(PERFORM_BEFORE_AGREEMENT)
    oral = form == AgreementForm.ORAL
    agreement = Agreement(
        case=case,
        number=_number(case.room, "调协", reached_on.year),
        form=AgreementForm(form),
        facts=facts.strip(),
        issues=issues.strip(),
        responsibility=responsibility.strip(),
        terms=terms.strip(),
        performance=performance.strip(),
        perform_by=perform_by,
        reached_on=reached_on,
        mediator=mediator,
        recorded_by=actor,
        effective_on=reached_on if oral else None,
    )
    _step(
        case,
        S.AGREED,
        actor=actor,
        now=now,
        note=_("口头协议，自达成之日起生效") if oral else _("书面调解协议待各方签署"),
    )
    agreement.save()
    return agreement


def _take_effect(agreement: Agreement, actor, now) -> None:
    if agreement.effective_on is not None or missing_for_effect(agreement):
        return
    days = [s.signed_on for s in agreement.signatures.all()] + [agreement.mediator_signed_on, agreement.sealed_on]
    agreement.effective_on = max(days)
    agreement.save(update_fields=["effective_on"])
    CaseStep.objects.create(
        case=agreement.case,
        status=agreement.case.status,
        at=now or timezone.now(),
        by=actor,
        note=str(_("调解协议自 %(day)s 起生效") % {"day": agreement.effective_on}),
    )


def _locked_agreement(agreement: Agreement) -> Agreement:
    return lock_one(Agreement.objects.select_related("case__room__community", "mediator"), pk=agreement.pk)


def _signing_day(agreement: Agreement, day: date, label, today: date) -> None:
    if agreement.form == AgreementForm.ORAL:
        raise ValidationError(ORAL_NEEDS_NO_SIGNATURE)
    _not_future(day, label, today)
    if day < agreement.reached_on:
        raise ValidationError(BEFORE_AGREEMENT, params={"field": label, "day": agreement.reached_on})


@transaction.atomic
def sign_agreement(
    *, actor, agreement: Agreement, party: CaseParty, method: str, signed_on: date, now: datetime | None = None
) -> Signature:
    """A party signs, seals or fingerprints the written agreement (the mediator records it)."""
    agreement = _locked_agreement(agreement)
    today = _today(now)
    _acting_mediator(actor, agreement.case.room, today)
    if party.case_id != agreement.case_id:
        raise ValidationError(NOT_A_PARTY)
    _signing_day(agreement, signed_on, _("签署日期"), today)
    earlier = agreement.signatures.filter(party=party).first()
    if earlier is not None:
        raise ValidationError(ALREADY_SIGNED, params={"party": party.name, "day": earlier.signed_on})
    signature = Signature.objects.create(agreement=agreement, party=party, method=method, signed_on=signed_on)
    _take_effect(agreement, actor, now)
    return signature


def _record_day(actor, agreement: Agreement, field: str, day: date, label, now, *, mediator_only: bool) -> Agreement:
    agreement = _locked_agreement(agreement)
    today = _today(now)
    acting = _acting_mediator(actor, agreement.case.room, today)
    if mediator_only and actor is not None and (acting is None or acting.user_id != agreement.mediator.user_id):
        raise PermissionDenied(NOT_THE_MEDIATOR % {"name": agreement.mediator.name})
    _signing_day(agreement, day, label, today)
    if getattr(agreement, field) is not None:
        raise ValidationError(ALREADY_DONE)
    setattr(agreement, field, day)
    agreement.save(update_fields=[field])
    _take_effect(agreement, actor, now)
    return agreement


@transaction.atomic
def mediator_signs(*, actor, agreement: Agreement, signed_on: date, now: datetime | None = None) -> Agreement:
    """The mediator who recorded the agreement signs it; no one else may sign for them."""
    return _record_day(actor, agreement, "mediator_signed_on", signed_on, _("调解员签名日期"), now, mediator_only=True)


@transaction.atomic
def apply_seal(*, actor, agreement: Agreement, sealed_on: date, now: datetime | None = None) -> Agreement:
    """The mediation committee's seal (any mediator of the room records it)."""
    return _record_day(actor, agreement, "sealed_on", sealed_on, _("盖章日期"), now, mediator_only=False)


# --------------------------------------------------------------------------- judicial confirmation


@transaction.atomic
def apply_for_confirmation(
    *, actor, agreement: Agreement, applied_on: date, court: str, joint: bool, now: datetime | None = None
) -> Agreement:
    agreement = _locked_agreement(agreement)
    today = _today(now)
    access.require(actor, access.OPEN_CASES, agreement.case.room)
    if agreement.form == AgreementForm.ORAL:
        raise ValidationError(ORAL_NOT_CONFIRMABLE)
    if agreement.effective_on is None:
        raise ValidationError(NOT_EFFECTIVE)
    if agreement.applied_on is not None:
        raise ValidationError(ALREADY_APPLIED, params={"day": agreement.applied_on})
    if not joint:
        raise ValidationError(NOT_JOINT)
    if not (court or "").strip():
        raise ValidationError(MISSING, params={"field": _("受理法院")})
    _not_future(applied_on, _("申请日期"), today)
    if applied_on < agreement.effective_on:
        raise ValidationError(BEFORE_AGREEMENT, params={"field": _("申请日期"), "day": agreement.effective_on})
    deadline = confirmation_deadline(agreement)
    if applied_on > deadline:
        days = rules_for(agreement.case.room).judicial_confirmation_days
        raise ValidationError(CONFIRMATION_LATE, params={"days": days, "day": deadline})
    agreement.applied_on, agreement.court = applied_on, court.strip()
    agreement.save(update_fields=["applied_on", "court"])
    CaseStep.objects.create(
        case=agreement.case,
        status=agreement.case.status,
        at=now or timezone.now(),
        by=actor,
        note=str(_("双方当事人共同向%(court)s申请司法确认") % {"court": agreement.court}),
    )
    return agreement


@transaction.atomic
def record_court_decision(
    *, actor, agreement: Agreement, decided_on: date, decision: str, extended: bool = False, now: datetime | None = None
) -> Agreement:
    agreement = _locked_agreement(agreement)
    today = _today(now)
    access.require(actor, access.OPEN_CASES, agreement.case.room)
    if agreement.applied_on is None:
        raise ValidationError(NOT_APPLIED)
    if agreement.decided_on is not None:
        raise ValidationError(ALREADY_DECIDED, params={"day": agreement.decided_on})
    _not_future(decided_on, _("裁定日期"), today)
    if decided_on < agreement.applied_on:
        raise ValidationError(DECIDED_BEFORE_APPLIED)
    agreement.decided_on, agreement.decision, agreement.court_extended = decided_on, decision, extended
    agreement.full_clean(exclude=["case", "mediator", "recorded_by"], validate_unique=False, validate_constraints=False)
    agreement.save(update_fields=["decided_on", "decision", "court_extended"])
    CaseStep.objects.create(
        case=agreement.case,
        status=agreement.case.status,
        at=now or timezone.now(),
        by=actor,
        note=str(_("法院裁定：%(decision)s") % {"decision": agreement.get_decision_display()}),
    )
    return agreement


# --------------------------------------------------------------------------- follow-up and close


@transaction.atomic
def record_follow_up(
    *, actor, case: Case, visited_on: date, performance: str, notes: str = "", now: datetime | None = None
) -> FollowUp:
    case = _locked(case)
    today = _today(now)
    _acting_mediator(actor, case.room, today)
    _not_future(visited_on, _("回访日期"), today)
    if case.status == S.AGREED:
        agreement = case.agreement
        if agreement.effective_on is None:
            raise ValidationError(
                _("调解协议尚未生效，尚缺：%(missing)s。") % {"missing": "、".join(missing_for_effect(agreement))}
            )
        if visited_on < agreement.effective_on:
            raise ValidationError(BEFORE_AGREEMENT, params={"field": _("回访日期"), "day": agreement.effective_on})
        _step(case, S.FOLLOW_UP, actor=actor, now=now, note=_("首次回访"))
    elif case.status == S.ENDED:
        _step(case, S.FOLLOW_UP, actor=actor, now=now, note=_("首次回访"))
    elif case.status != S.FOLLOW_UP:
        raise FLOW.refusal(case.status, S.FOLLOW_UP)
    follow_up = FollowUp(case=case, visited_on=visited_on, performance=performance, notes=notes.strip(), by=actor)
    follow_up.full_clean(exclude=["case"])
    follow_up.save()
    return follow_up


@transaction.atomic
def close_case(
    *, actor, case: Case, closed_on: date | None = None, note: str = "", now: datetime | None = None
) -> Case:
    case = _locked(case)
    today = _today(now)
    if case.status == S.REFUSED:
        access.require(actor, access.OPEN_CASES, case.room)  # no mediation happened: whoever registered it closes it
    else:
        _acting_mediator(actor, case.room, today)
    closed_on = closed_on or today
    _not_future(closed_on, _("结案日期"), today)
    if closed_on < case.opened_on:
        raise ValidationError(_("结案日期不能早于登记日期。"))
    case.closed_on = closed_on
    _step(case, S.CLOSED, actor=actor, now=now, note=note or _("结案归档"))
    return case


# --------------------------------------------------------------------------- the public directory


def directory_text(community: Community, rooms) -> str:
    """The directory as the notice prints it: rooms, addresses, hours, office phones. No one's name."""
    lines = [
        str(
            _(
                "%(community)s居民发生物业纠纷，可以到以下物业纠纷调解室申请调解。人民调解不收取任何费用"
                "（人民调解法第四条）。当事人可以选择或者接受调解员，可以要求调解公开或者不公开进行。"
            )
            % {"community": community.name}
        )
    ]
    for room in rooms:
        line = f"{room.name}：{room.address}；{_('开放时间')}：{room.hours}"
        if room.phone:
            line += f"；{_('电话')}：{room.phone}"
        if room.community_id != community.pk:
            line += f"（{room.community.name}）"
        lines.append(line)
    return "\n".join(lines)


def rooms_serving(community: Community):
    """The rooms a community's residents go to: its own, else those of its street."""
    own = Room.objects.filter(community=community).select_related("community")
    if own.exists():
        return list(own)
    return list(Room.objects.filter(community__street_id=community.street_id).select_related("community"))


@transaction.atomic
def publish_directory(*, actor, community: Community):
    """Draft and publish the room directory on the community's public site."""
    if actor is not None and not access.can(actor, access.PUBLISH_NOTICES, community):
        raise PermissionDenied(access.NOT_ALLOWED)
    rooms = rooms_serving(community)
    notice = cms.draft_notice(
        community=community,
        category="mediation",
        title=str(_("%(community)s物业纠纷调解室名录") % {"community": community.name}),
        body=directory_text(community, rooms),
        issuer=str(_("%(community)s人民调解委员会") % {"community": community.name}),
        source="mediation.directory",
    )
    return cms.publish_notice(actor=actor, notice=notice)
