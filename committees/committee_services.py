"""A committee's life from election to filing (RULES.md §2), one function per step.

TRANSITIONS is the only table of allowed status moves; ``_move`` is the only
place a status changes, and it records who moved it, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms import services as cms
from community import access
from community.legaltime import days_before, last_day_after_days, last_day_after_months
from community.models import Ownership
from community.rules import rules_for

from .models import (
    Committee,
    CommitteeEvent,
    CommitteeKind,
    CommitteeStatus,
    Decision,
    Matter,
    Meeting,
    Member,
    MemberRole,
    Vote,
    VoteStatus,
)
from .services import has_valid_certificate, training_record

S = CommitteeStatus
TRANSITIONS = {
    S.ELECTED: {S.FILING, S.DISSOLVED},
    S.FILING: {S.FILED, S.RETURNED},
    S.RETURNED: {S.FILING, S.DISSOLVED},
    S.FILED: {S.DISSOLVED},
    S.DISSOLVED: set(),
}

NOT_ALLOWED = _("您没有权限进行此操作。")
ILLEGAL_MOVE = _("不能从“%(from)s”转为“%(to)s”。")
NOT_AN_ELECTION = _("选举须依据已结束并获通过的“选举业主委员会”表决（民法典第278条第3项）。")
MEMBER_COUNT = _("委员须为 %(min)s 至 %(max)s 人%(odd)s，现为 %(n)s 人。")
NOT_AN_OWNER = _("委员须为本小区业主：%(names)s 不是。")
LATE_MEETING = _("首次会议应在选举后 %(days)s 日内召开（最迟 %(day)s）。")
ONE_CHAIR = _("首次会议须推选一名主任。")
NOT_READY = _("备案材料不全：%(missing)s")
NO_REASONS = _("退回须写明理由。")
TOO_FEW_REQUESTERS = _("提议召开会议须有三分之一以上委员（现 %(n)s / %(total)s 人）。")
AGENDA_TOO_LATE = _("会议议题须提前 %(days)s 日公告：%(day)s 开会，最迟 %(latest)s 公告。")
NO_PROXIES = _("业主委员会会议不得委托他人出席或表决。")
NOT_MEMBERS = _("出席和表决的须是本届委员。")
NO_QUORUM = _("出席委员未过半数（%(n)s / %(total)s 人），会议不能作出决定。")
FAVOUR_NOT_PRESENT = _("同意的委员须出席会议。")


class IllegalTransition(ValidationError):
    """A status move the transition table does not allow; views show its message."""


def _move(committee: Committee, to: str, *, actor, note: str = "") -> None:
    if to not in TRANSITIONS[committee.status]:
        raise IllegalTransition(ILLEGAL_MOVE, params={"from": S(committee.status).label, "to": S(to).label})
    CommitteeEvent.objects.create(
        committee=committee, from_status=committee.status, to_status=to, actor=actor, at=timezone.now(), note=note
    )
    committee.status = to
    committee.save(update_fields=["status", "review_note"])


@transaction.atomic
def elect_committee(*, actor, estate, vote: Vote, elected_on: date, members, kind: str = CommitteeKind.OWNERS) -> Committee:
    """Record the committee an owners' vote elected: members counted and checked against the rule set."""
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, estate):
        raise PermissionDenied(NOT_ALLOWED)
    if vote.estate_id != estate.pk or vote.matter != Matter.COMMITTEE or vote.status != VoteStatus.CLOSED or not (vote.result or {}).get("decided"):
        raise ValidationError(NOT_AN_ELECTION)
    rules = rules_for(estate)
    members = list(dict.fromkeys(members))
    n = len(members)
    if not rules.committee_min_members <= n <= rules.committee_max_members or (rules.committee_members_odd and n % 2 == 0):
        raise ValidationError(MEMBER_COUNT, params={
            "min": rules.committee_min_members, "max": rules.committee_max_members, "n": n,
            "odd": "且为单数" if rules.committee_members_odd else ""})
    holding = set(Ownership.objects.in_force(elected_on).filter(unit__building__estate=estate, owner__in=members)
                  .values_list("owner_id", flat=True))
    strangers = [m.name for m in members if m.pk not in holding]
    if strangers:
        raise ValidationError(NOT_AN_OWNER, params={"names": "、".join(strangers)})
    committee = Committee.objects.create(
        estate=estate, kind=kind, election_vote=vote, elected_on=elected_on,
        term_ends_on=last_day_after_months(elected_on, 12 * rules.committee_term_max_years),
    )
    Member.objects.bulk_create([Member(committee=committee, owner=m) for m in members])
    CommitteeEvent.objects.create(committee=committee, to_status=S.ELECTED, actor=actor, at=timezone.now(), note=str(vote))
    return committee


@transaction.atomic
def record_first_meeting(*, actor, committee: Committee, held_on: date, chair, vice_chairs=()) -> Committee:
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    days = rules_for(committee.estate).committee_first_meeting_days
    last = last_day_after_days(committee.elected_on, days)
    if held_on > last:
        raise ValidationError(LATE_MEETING, params={"days": days, "day": last})
    seats = {m.owner_id: m for m in committee.members.all()}
    if chair is None or chair.pk not in seats:
        raise ValidationError(ONE_CHAIR)
    for member in seats.values():
        member.role = MemberRole.MEMBER
    seats[chair.pk].role = MemberRole.CHAIR
    for vice in vice_chairs:
        if vice.pk in seats and vice.pk != chair.pk:
            seats[vice.pk].role = MemberRole.VICE_CHAIR
    Member.objects.bulk_update(seats.values(), ["role"])
    committee.first_meeting_on = held_on
    committee.save(update_fields=["first_meeting_on"])
    return committee


@dataclass
class ChecklistItem:
    label: str
    ok: bool


def filing_checklist(committee: Committee, *, on: date | None = None) -> list[ChecklistItem]:
    """What filing needs (RULES.md §2), each item with whether it is there."""
    on = on or timezone.localdate()
    rules = rules_for(committee.estate)
    members = list(committee.members.select_related("owner"))
    deadline = last_day_after_days(committee.elected_on, rules.filing_deadline_days)
    items = [
        ChecklistItem(f"选举结果（表决：{committee.election_vote.question}）", True),
        ChecklistItem("首次会议已推选主任", committee.first_meeting_on is not None),
        ChecklistItem("管理规约", committee.covenant),
        ChecklistItem("业主大会议事规则", committee.procedure_rules),
        ChecklistItem(f"在选举后 {rules.filing_deadline_days} 日内提交（最迟 {deadline}）", on <= deadline),
    ]
    for member in members:
        name = member.owner.name
        items.append(ChecklistItem(f"{name}：书面承诺", member.undertaking_signed))
        if rules.filing_requires_training_record:
            items.append(ChecklistItem(f"{name}：培训记录", training_record(member.owner, until=on).exists()))
        if rules.filing_requires_exam:
            items.append(ChecklistItem(f"{name}：备案前考试合格证书", has_valid_certificate(member.owner, on=on)))
    return items


@transaction.atomic
def submit_filing(*, actor, committee: Committee, on: date | None = None) -> Committee:
    """File with the street office; refused, listing what is missing, until the checklist is complete."""
    committee = Committee.objects.select_for_update().get(pk=committee.pk)
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    missing = [item.label for item in filing_checklist(committee, on=on) if not item.ok]
    if missing:
        raise ValidationError(NOT_READY, params={"missing": "；".join(missing)})
    _move(committee, S.FILING, actor=actor)
    return committee


@transaction.atomic
def review_filing(*, actor, committee: Committee, accept: bool, reasons: str = "") -> Committee:
    """Street staff accept a filing, or return it with reasons."""
    committee = Committee.objects.select_for_update().get(pk=committee.pk)
    if actor is not None and not access.can(actor, access.REVIEW_FILINGS, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if not accept and not reasons.strip():
        raise ValidationError(NO_REASONS)
    committee.review_note = reasons.strip()
    _move(committee, S.FILED if accept else S.RETURNED, actor=actor, note=committee.review_note)
    return committee


def deadlines(committee: Committee, *, on: date | None = None) -> list[tuple[str, date, int]]:
    """(what, last day, days left; negative when overdue) for the staff queue."""
    on = on or timezone.localdate()
    rules = rules_for(committee.estate)
    due = []
    if committee.first_meeting_on is None and committee.status != S.DISSOLVED:
        due.append(("首次会议", last_day_after_days(committee.elected_on, rules.committee_first_meeting_days)))
    if committee.status in (S.ELECTED, S.RETURNED):
        due.append(("备案", last_day_after_days(committee.elected_on, rules.filing_deadline_days)))
    if committee.status != S.DISSOLVED:
        due.append(("任期届满", committee.term_ends_on))
    return [(what, day, (day - on).days) for what, day in due]


# --------------------------------------------------------------------------- meetings


def meeting_requested(*, committee: Committee, requesters, on: date) -> date:
    """Members ask for a meeting: with at least the rule set's share (1/3) it must be held
    within its days (7); returns the last day. Fewer requesters are refused."""
    rules = rules_for(committee.estate)
    seats = set(committee.members.values_list("pk", flat=True))
    asking = {m.pk for m in requesters} & seats
    if not rules.meeting_request_share.met(len(asking), len(seats)):
        raise ValidationError(TOO_FEW_REQUESTERS, params={"n": len(asking), "total": len(seats)})
    return last_day_after_days(on, rules.meeting_request_days)


@transaction.atomic
def schedule_meeting(*, actor, committee: Committee, held_on: date, agenda: str, posted_on: date) -> Meeting:
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    days = rules_for(committee.estate).meeting_agenda_notice_days
    latest = days_before(held_on, days)
    if posted_on > latest:
        raise ValidationError(AGENDA_TOO_LATE, params={"days": days, "day": held_on, "latest": latest})
    meeting = Meeting(committee=committee, held_on=held_on, agenda=agenda, agenda_posted_on=posted_on)
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def record_attendance(*, actor, meeting: Meeting, present, proxies=()) -> Meeting:
    """Who came. A proxy is refused outright; members only."""
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, meeting.committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if list(proxies):
        raise ValidationError(NO_PROXIES)
    present = list(present)
    if any(m.committee_id != meeting.committee_id for m in present):
        raise ValidationError(NOT_MEMBERS)
    meeting.present.set(present)
    return meeting


@transaction.atomic
def record_decision(*, actor, meeting: Meeting, text: str, in_favour) -> Decision:
    """A decision needs a quorum (more than half present) and the votes of at least half of
    ALL members, not of those present. An adopted decision is drafted as a notice at once,
    to be posted within the rule set's days (3)."""
    committee = meeting.committee
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    rules = rules_for(committee.estate)
    total = committee.members.count()
    present = set(meeting.present.values_list("pk", flat=True))
    if not rules.meeting_quorum.met(len(present), total):
        raise ValidationError(NO_QUORUM, params={"n": len(present), "total": total})
    in_favour = list(in_favour)
    if any(m.pk not in present for m in in_favour):
        raise ValidationError(FAVOUR_NOT_PRESENT)
    adopted = rules.meeting_decision.met(len(in_favour), total)
    decision = Decision.objects.create(meeting=meeting, text=text, adopted=adopted)
    decision.in_favour.set(in_favour)
    if adopted:
        decision.notice = cms.draft_notice(
            estate=committee.estate, category="committee", title=f"{committee.estate.name}{committee.get_kind_display()}决定公告",
            body=f"{meeting.held_on:%Y年%m月%d日}会议决定：{text}\n全体委员 {total} 人，同意 {len(in_favour)} 人。",
            publicity_days=rules.decision_posting_days, source=f"committees.Decision:{decision.pk}",
            issuer=f"{committee.estate.name}{committee.get_kind_display()}",
        )
        decision.save(update_fields=["notice"])
    return decision
