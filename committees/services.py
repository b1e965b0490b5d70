"""A committee's life (RULES.md §2), one function per step that changes it: election, the
first meeting, filing and its review, changes, meetings and decisions, and the motions to
remove a member or dissolve the committee (decided by an owners' vote, convened through
committees.votes.services).

TRANSITIONS is the only table of allowed status moves; ``_move`` is the only
place a status changes, and it records who moved it, when and why. What a filing lacks,
the deadlines and a motion's support are reads: committees/selectors.py.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms import services as cms
from community import access, audit, duties
from community.legaltime import days_before, in_time, last_day_after_days, last_day_after_months
from community.locks import lock_one, lock_rows
from community.models import Owner, Ownership
from community.rules import rules_for
from community.workflow import Workflow
from notifications.models import Event
from notifications.services import notify

from . import consents
from .models import (
    Committee,
    CommitteeEvent,
    CommitteeKind,
    CommitteeStatus,
    Decision,
    FilingReview,
    Matter,
    Meeting,
    MeetingRequest,
    Member,
    MemberRole,
    Motion,
    MotionKind,
    MotionStatus,
    ReviewLevel,
    Vote,
    VoteStatus,
)
from .selectors import (
    ACTIVE,
    FILABLE,
    chair_of,
    current_submission,
    filing_checklist,
    filing_deadline,
    levels_required,
    motion_support,
    reviewer_level,
    seated,
)
from .votes.services import close_vote, convene_vote

S = CommitteeStatus
TRANSITIONS = {
    S.ELECTED: {S.FILING, S.ENDED, S.DISSOLVED},
    S.FILING: {S.FILED, S.RETURNED},
    S.RETURNED: {S.FILING, S.ENDED, S.DISSOLVED},
    S.FILED: {S.CHANGED, S.ENDED, S.DISSOLVED},
    S.CHANGED: {S.FILING, S.ENDED, S.DISSOLVED},
    S.ENDED: set(),
    S.DISSOLVED: set(),
}
FLOW = Workflow(S, TRANSITIONS)

NOT_ALLOWED = _("您没有权限进行此操作。")
NOT_AN_ELECTION = _("选举须依据已结束并获通过的“选举业主委员会”表决（民法典第278条第3项）。")
MEMBER_COUNT = _("委员须为 %(min)s 至 %(max)s 人%(odd)s，现为 %(n)s 人。")
NOT_AN_OWNER = _("委员须为本小区业主：%(names)s 不是。")
LATE_MEETING = _("首次会议应在选举后 %(days)s 日内召开（最迟 %(day)s）。")
ONE_CHAIR = _("首次会议须推选一名主任。")
NOT_READY = _("备案材料不全：%(missing)s")
LATE_FILING = _("逾期备案：最迟 %(day)s")
NO_REASONS = _("退回须写明理由。")
TOO_FEW_REQUESTERS = _("提议召开会议须有三分之一以上委员（现 %(n)s / %(total)s 人）。")
AGENDA_TOO_LATE = _("会议议题须提前 %(days)s 日公告：%(day)s 开会，最迟 %(latest)s 公告。")
NO_PROXIES = _("业主委员会会议不得委托他人出席或表决。")
NOT_MEMBERS = _("出席和表决的须是本届委员。")
NO_QUORUM = _("出席委员未过半数（%(n)s / %(total)s 人），会议不能作出决定。")
FAVOUR_NOT_PRESENT = _("同意的委员须出席会议。")
NO_DECISION_TEXT = _("请写明决定事项。")
REQUESTED_MEETING_LATE = _("委员提议召开的会议最迟应于 %(day)s 召开。")
NO_REVIEWER = _("备案审查须由区房管部门或街道办事处的审查人本人办理。")
NOT_A_REVIEWER = _("只有本区房管部门（区管理员）或本街道办事处的工作人员可以审查备案。")
ALREADY_REVIEWED = _("%(level)s已审查过本次报送的备案（%(when)s），不能重复审查。")
NO_RECORDER = _("委员提议须由登记人本人办理。")
NO_REQUEST_REASON = _("请写明提议召开会议的议题。")
REQUEST_OTHER_COMMITTEE = _("该提议不是本委员会委员的提议。")
REQUEST_ANSWERED = _("该提议已安排会议（%(day)s）。")
NO_MINUTES = _("请填写会议记录。")
NOT_ACTIVE = _("该委员会已换届或解散。")
NO_CHANGE = _("请写明变更的备案事项。")
NO_REASONS_GIVEN = _("请写明提议理由。")
NOT_A_SEATED_MEMBER = _("被提议罢免的须是本届在任委员。")
TOO_LITTLE_SUPPORT = _(
    "提议人数不足：须有三分之一以上委员（现 %(members)s），或专有部分面积和人数均达到 %(share)s 的业主"
    "（现面积 %(area)s、人数 %(heads)s）。"
)
MOTION_NOT_PENDING = _("该提议已处理。")
MOTION_VOTE_NOT_CLOSED = _("该提议的业主表决尚未结束计票。")
NOT_AN_ELECTION_VOTE = _("该表决没有候选人和应选名额，不是选举；请用“结束计票”。")


def _move(committee: Committee, to: str, *, actor, note: str = "") -> None:
    left = FLOW.move(committee, to)
    CommitteeEvent.objects.create(
        committee=committee, from_status=left, to_status=to, actor=actor, at=timezone.now(), note=note
    )
    committee.save(update_fields=["status", "review_note", "changed_on"])
    duties.changed()  # filing, review, change, dissolution: the committee's deadlines follow its status


@transaction.atomic
def elect_committee(
    *, actor, estate, vote: Vote, elected_on: date, members, kind: str = CommitteeKind.OWNERS
) -> Committee:
    """Record the committee an owners' vote elected: members counted and checked against the rule set."""
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, estate):
        raise PermissionDenied(NOT_ALLOWED)
    if (
        vote.estate_id != estate.pk
        or vote.matter != Matter.COMMITTEE
        or vote.status != VoteStatus.CLOSED
        or not (vote.result or {}).get("decided")
    ):
        raise ValidationError(NOT_AN_ELECTION)
    rules = rules_for(estate)
    members = list(dict.fromkeys(members))
    n = len(members)
    if not rules.committee_min_members <= n <= rules.committee_max_members or (
        rules.committee_members_odd and n % 2 == 0
    ):
        raise ValidationError(
            MEMBER_COUNT,
            params={
                "min": rules.committee_min_members,
                "max": rules.committee_max_members,
                "n": n,
                "odd": "且为单数" if rules.committee_members_odd else "",
            },
        )
    holding = set(
        Ownership.objects.in_force(elected_on)
        .filter(unit__building__estate=estate, owner__in=members)
        .values_list("owner_id", flat=True)
    )
    strangers = [m.name for m in members if m.pk not in holding]
    if strangers:
        raise ValidationError(NOT_AN_OWNER, params={"names": "、".join(strangers)})
    for predecessor in lock_rows(Committee.objects.filter(estate=estate, status__in=ACTIVE)):
        _move(predecessor, S.ENDED, actor=actor, note=f"换届：{vote}")
    committee = Committee.objects.create(
        estate=estate,
        kind=kind,
        election_vote=vote,
        elected_on=elected_on,
        term_ends_on=last_day_after_months(elected_on, 12 * rules.committee_term_max_years),
    )
    Member.objects.bulk_create([Member(committee=committee, owner=m) for m in members])
    CommitteeEvent.objects.create(
        committee=committee, to_status=S.ELECTED, actor=actor, at=timezone.now(), note=str(vote)
    )
    duties.changed()  # its first meeting and filing fall due
    return committee


@transaction.atomic
def close_election(*, actor, vote: Vote, now=None) -> Vote:
    """Close an election (a vote with seats and candidates) and, when its count is decided, form
    the committee of the elected owners, in their rank order. The day voting ended (the vote's
    ``closes_at``, not the day someone pressed close) is the election date, so the filing and
    first-meeting clocks (selectors.filing_deadline) run from it and a late close moves neither. An election that forms
    no committee (the quorum missed, too few elected, an even number...) keeps the reason its
    count froze in ``result["election"]["reason"]``, and ``committee`` stays null."""
    now = now or timezone.now()
    if not vote.is_election:
        raise ValidationError(NOT_AN_ELECTION_VOTE)
    vote = close_vote(actor=actor, vote=vote, now=now)
    election = vote.result["election"]
    if vote.result["decided"]:
        owner_of = {c["id"]: c["owner"] for c in election["candidates"]}
        owners = Owner.objects.in_bulk([owner_of[pk] for pk in election["elected"]])
        committee = elect_committee(
            actor=actor,
            estate=vote.estate,
            vote=vote,
            elected_on=timezone.localdate(vote.closes_at),
            members=[owners[owner_of[pk]] for pk in election["elected"]],
        )
        election["committee"] = committee.pk
        vote.save(update_fields=["result"])
    return vote


@transaction.atomic
def record_first_meeting(*, actor, committee: Committee, held_on: date, chair, vice_chairs=()) -> Committee:
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    days = rules_for(committee.estate).committee_first_meeting_days
    last = last_day_after_days(committee.elected_on, days)
    if held_on > last:
        raise ValidationError(LATE_MEETING, params={"days": days, "day": last})
    seats = {m.owner_id: m for m in seated(committee)}
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
    duties.changed()
    return committee


@transaction.atomic
def record_change(*, actor, committee: Committee, on: date, what: str) -> Committee:
    """A change to what was filed (a member leaves, the covenant is amended...). A filed
    committee must then re-file within the rule set's days; an unfiled one simply files
    the changed content by its first deadline."""
    committee = lock_one(Committee.objects.select_related("estate"), pk=committee.pk)
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if committee.status not in ACTIVE:
        raise ValidationError(NOT_ACTIVE)
    if not what.strip():
        raise ValidationError(NO_CHANGE)
    if committee.status == S.FILED:
        committee.changed_on = on
        _move(committee, S.CHANGED, actor=actor, note=what.strip())
    else:
        CommitteeEvent.objects.create(
            committee=committee,
            from_status=committee.status,
            to_status=committee.status,
            actor=actor,
            at=timezone.now(),
            note=what.strip(),
        )
    return committee


@transaction.atomic
def submit_filing(*, actor, committee: Committee, on: date | None = None) -> Committee:
    """File with the street office; refused, listing what is missing, until the checklist is complete.
    A filing after its deadline is accepted, its lateness recorded in the event's note."""
    committee = lock_one(Committee, pk=committee.pk)
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if committee.status not in FILABLE:
        raise FLOW.refusal(committee.status, S.FILING)
    missing = [item.label for item in filing_checklist(committee, on=on) if item.required and not item.ok]
    if missing:
        raise ValidationError(NOT_READY, params={"missing": "；".join(missing)})
    _, deadline = filing_deadline(committee)
    late = not in_time(on or timezone.localdate(), deadline)
    _move(committee, S.FILING, actor=actor, note=str(LATE_FILING) % {"day": deadline} if late else "")
    return committee


@transaction.atomic
def review_filing(*, actor, committee: Committee, accept: bool, reasons: str = "") -> Committee:
    """A reviewer accepts the current submission or returns it with reasons, at their own level:
    the district housing department (an administrator of the estate's district) or the street
    office (staff of its street). With the rule set's dual review, each level answers once per
    submission and the committee is filed only when both accepted; a return by either sends it
    back for correction (the other level's answer stays recorded) and the next submission is
    reviewed afresh by both. Without it, one level's answer decides."""
    committee = lock_one(Committee.objects.select_related("estate"), pk=committee.pk)
    if actor is None:
        raise PermissionDenied(NO_REVIEWER)
    access.require(actor, access.REVIEW_FILINGS, committee.estate)
    level = reviewer_level(actor, committee.estate)
    if level is None:
        raise PermissionDenied(NOT_A_REVIEWER)
    if committee.status != S.FILING:
        raise FLOW.refusal(committee.status, S.FILED if accept else S.RETURNED)
    reasons = reasons.strip()
    if not accept and not reasons:
        raise ValidationError(NO_REASONS)
    submission = current_submission(committee)
    done = {r.level: r for r in FilingReview.objects.filter(submission=submission)}
    label = ReviewLevel(level).label
    if level in done:
        raise ValidationError(
            ALREADY_REVIEWED, params={"level": label, "when": f"{timezone.localtime(done[level].at):%Y-%m-%d %H:%M}"}
        )
    review = FilingReview.objects.create(
        committee=committee,
        submission=submission,
        level=level,
        accepted=accept,
        reasons=reasons,
        actor=actor,
        at=timezone.now(),
    )
    audit.record(
        "filing_review",
        user=actor,
        obj=committee,
        detail={"submission": submission.pk, "level": level, "accepted": accept, "reasons": reasons},
    )
    if not accept:
        committee.review_note = f"{label}：{reasons}"
        _move(committee, S.RETURNED, actor=actor, note=committee.review_note)
        return committee
    needed = set(levels_required(committee.estate)) or {level}
    accepted = {r.level for r in done.values() if r.accepted} | {review.level}
    if needed <= accepted:
        committee.review_note = ""
        names = "、".join(str(ReviewLevel(x).label) for x in ReviewLevel.values if x in accepted)
        _move(committee, S.FILED, actor=actor, note=f"{names}同意备案")
    return committee


# --------------------------------------------------------------------------- meetings


def meeting_requested(*, committee: Committee, requesters, on: date) -> date:
    """Members ask for a meeting: with at least the rule set's share (1/3) it must be held
    within its days (7); returns the last day. Fewer requesters are refused."""
    rules = rules_for(committee.estate)
    seats = set(seated(committee).values_list("pk", flat=True))
    asking = {m.pk for m in requesters} & seats
    if not rules.meeting_request_share.met(len(asking), len(seats)):
        raise ValidationError(TOO_FEW_REQUESTERS, params={"n": len(asking), "total": len(seats)})
    return last_day_after_days(on, rules.meeting_request_days)


@transaction.atomic
def request_meeting(*, actor, committee: Committee, requesters, reason: str, on: date) -> MeetingRequest:
    """Record members' request for a meeting. With at least the rule set's share of the seated
    members (1/3) the meeting must be held within its days (7); fewer are refused. The chair is
    told in their inbox (the members, while no chair has been elected)."""
    committee = lock_one(Committee.objects.select_related("estate"), pk=committee.pk)
    if actor is None:
        raise PermissionDenied(NO_RECORDER)
    access.require(actor, access.CONVENE_VOTES, committee.estate)
    if committee.status not in ACTIVE:
        raise ValidationError(NOT_ACTIVE)
    requesters = list(dict.fromkeys(requesters))
    if any(m.committee_id != committee.pk or m.left_on is not None for m in requesters):
        raise ValidationError(NOT_MEMBERS)
    if not reason.strip():
        raise ValidationError(NO_REQUEST_REASON)
    last = meeting_requested(committee=committee, requesters=requesters, on=on)
    request = MeetingRequest.objects.create(
        committee=committee, requested_on=on, reason=reason.strip(), recorded_by=actor
    )
    request.requesters.set(requesters)
    duties.changed()
    audit.record(
        "meeting_request",
        user=actor,
        obj=committee,
        detail={"request": request.pk, "requesters": [m.pk for m in requesters], "last_day": last.isoformat()},
    )
    chair = chair_of(committee)
    told = [chair] if chair is not None else list(seated(committee).select_related("owner__user"))
    names = "、".join(m.owner.name for m in requesters)
    notify(
        event=Event.MEETING_REQUESTED,
        recipients=[m.owner.user for m in told if m.owner.user is not None],
        title=f"{committee.estate.name}：委员提议召开会议，最迟 {last:%Y-%m-%d} 召开",
        body=(
            f"{names} 共 {len(requesters)} 名委员于 {on:%Y年%m月%d日} 提议召开委员会会议。\n"
            f"议题：{reason.strip()}\n依规则，会议应于 {last:%Y年%m月%d日} 前召开。"
        ),
        link=reverse("committees:committee", args=[committee.pk]),
        subject=request,
    )
    return request


@transaction.atomic
def schedule_meeting(
    *,
    actor,
    committee: Committee,
    held_on: date,
    agenda: str,
    posted_on: date,
    request: MeetingRequest | None = None,
) -> Meeting:
    """Schedule a meeting, its agenda posted the rule set's days ahead. A meeting held for
    members' ``request`` must fall within the rule set's days of it, and answers it; its agenda
    needs only the days left from posting to the request's last day, if fewer."""
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    rules = rules_for(committee.estate)
    days = rules.meeting_agenda_notice_days
    if request is not None:
        request = lock_one(MeetingRequest.objects.select_related("meeting"), pk=request.pk)
        if request.committee_id != committee.pk:
            raise ValidationError(REQUEST_OTHER_COMMITTEE)
        if request.meeting is not None:
            raise ValidationError(REQUEST_ANSWERED, params={"day": request.meeting.held_on})
        last = last_day_after_days(request.requested_on, rules.meeting_request_days)
        if held_on > last:
            raise ValidationError(REQUESTED_MEETING_LATE, params={"day": last})
        # The members' deadline wins over the agenda notice: both are 7 days by default, so a
        # full notice would leave the request day as the only day to schedule. The agenda goes
        # up as soon as possible and gives the days left until the request's last day.
        days = min(days, max(0, (last - posted_on).days))
    latest = days_before(held_on, days)
    if posted_on > latest:
        raise ValidationError(AGENDA_TOO_LATE, params={"days": days, "day": held_on, "latest": latest})
    meeting = Meeting(committee=committee, held_on=held_on, agenda=agenda, agenda_posted_on=posted_on)
    meeting.full_clean()
    meeting.save()
    if request is not None:
        request.meeting = meeting
        request.save(update_fields=["meeting"])
        duties.changed()
    return meeting


@transaction.atomic
def record_attendance(*, actor, meeting: Meeting, present, proxies=()) -> Meeting:
    """Who came. A proxy is refused outright; members only."""
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, meeting.committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if list(proxies):
        raise ValidationError(NO_PROXIES)
    present = list(present)
    if any(m.committee_id != meeting.committee_id or m.left_on is not None for m in present):
        raise ValidationError(NOT_MEMBERS)
    meeting.present.set(present)
    return meeting


@transaction.atomic
def record_minutes(*, actor, meeting: Meeting, minutes: str, signed: bool) -> Meeting:
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, meeting.committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if not minutes.strip():
        raise ValidationError(NO_MINUTES)
    meeting.minutes, meeting.minutes_signed = minutes.strip(), signed
    meeting.save(update_fields=["minutes", "minutes_signed"])
    return meeting


@transaction.atomic
def record_decision(*, actor, meeting: Meeting, text: str, in_favour, now=None) -> Decision:
    """A decision needs a quorum (more than half present) and the agreement of at least half of
    ALL members, not of those present, each in their own hand: the members in favour are recorded
    as consents (committees.consents), confirmed at once only for the member whose own login
    records it. The decision takes effect, and its notice is drafted to stay up for the rule set's
    publicity days, when the confirmed consents reach the share (``settle_decision``), here or on
    the confirmation that completes them. The seated members are counted here, at the meeting
    (``members_total``), and the share is measured against them however many are seated later.
    Too few members in favour even if all confirm: not adopted, for good."""
    committee = meeting.committee
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    rules = rules_for(committee.estate)
    total = seated(committee).count()
    present = set(meeting.present.values_list("pk", flat=True))
    if not rules.meeting_quorum.met(len(present), total):
        raise ValidationError(NO_QUORUM, params={"n": len(present), "total": total})
    if not text.strip():
        raise ValidationError(NO_DECISION_TEXT)
    in_favour = list(in_favour)
    if any(m.pk not in present for m in in_favour):
        raise ValidationError(FAVOUR_NOT_PRESENT)
    decision = Decision.objects.create(meeting=meeting, text=text.strip(), adopted=False, members_total=total)
    consents.record(actor=actor, subject=decision, members=in_favour, now=now)
    return settle_decision(decision, actor=actor, now=now, on=meeting.held_on)


def settle_decision(decision: Decision, *, actor, now=None, on: date | None = None) -> Decision:
    """Put a decision into effect once its confirmed consents reach the rule set's share of the
    members seated at its meeting: adopted on ``on`` (the meeting's day when recorded there, else
    the day of the confirmation that completes it), and its notice drafted. Runs in the caller's
    transaction (recording the decision, or a member's confirmation); a decision already in effect
    stays as it is."""
    decision = lock_one(Decision.objects.select_related("meeting__committee__estate"), pk=decision.pk)
    if decision.adopted or decision.revoked_on is not None:
        return decision
    meeting, committee = decision.meeting, decision.meeting.committee
    rules = rules_for(committee.estate)
    total = members_total(decision)
    agreed = consents.confirmed(decision).count()
    if not rules.meeting_decision.met(agreed, total):
        return decision
    decision.adopted = True
    decision.adopted_on = on or timezone.localdate(now)
    decision.notice = cms.draft_notice(
        estate=committee.estate,
        category="committee",
        title=f"{committee.estate.name}{committee.get_kind_display()}决定公告",
        body=f"{meeting.held_on:%Y年%m月%d日}会议决定：{decision.text}\n全体委员 {total} 人，同意 {agreed} 人。",
        publicity_days=rules.decision_publicity_days,
        source=f"committees.Decision:{decision.pk}",
        issuer=f"{committee.estate.name}{committee.get_kind_display()}",
    )
    decision.save(update_fields=["adopted", "adopted_on", "notice"])
    audit.record("decision_adopted", user=actor, obj=decision, detail={"confirmed": agreed, "members": total})
    return decision


def members_total(decision: Decision) -> int:
    """The seated members a decision is measured against: those at its meeting (frozen when it was
    recorded; counted now only for a row made without it)."""
    if decision.members_total is not None:
        return decision.members_total
    return seated(decision.meeting.committee).count()


def decision_waiting(ids) -> dict:
    """Of the decisions ``ids``, those a member may still confirm: not revoked, and either adopted
    already or with enough members in favour, of those seated at the meeting, to pass once they
    confirm. One query, and one more per committee among them."""
    found, thresholds = {}, {}
    for decision in (
        Decision.objects.filter(pk__in=list(ids), revoked_on=None)
        .select_related("meeting__committee__estate")
        .annotate(listed=Count("consents", distinct=True))
    ):
        committee = decision.meeting.committee
        if committee.status not in ACTIVE:
            continue
        if committee.pk not in thresholds:
            thresholds[committee.pk] = rules_for(committee.estate).meeting_decision
        if decision.adopted or thresholds[committee.pk].met(decision.listed, members_total(decision)):
            found[decision.pk] = decision
    return found


def describe_decision(decision: Decision) -> str:
    committee = decision.meeting.committee
    return str(
        _("%(estate)s%(kind)s %(day)s 会议决定：%(text)s")
        % {
            "estate": committee.estate.name,
            "kind": committee.get_kind_display(),
            "day": f"{decision.meeting.held_on:%Y-%m-%d}",
            "text": decision.text,
        }
    )


# --------------------------------------------------------------------------- removal and dissolution


@transaction.atomic
def propose_motion(
    *,
    actor,
    committee: Committee,
    kind: str,
    reasons: str,
    on: date,
    member: Member | None = None,
    by_members=(),
    by_owners=(),
) -> Motion:
    """Record a proposal to remove a member or dissolve the committee. It stands only with
    enough support (see motion_support); the owners then decide it by a vote on matter 3."""
    committee = lock_one(Committee.objects.select_related("estate"), pk=committee.pk)
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if committee.status not in ACTIVE:
        raise ValidationError(NOT_ACTIVE)
    if not reasons.strip():
        raise ValidationError(NO_REASONS_GIVEN)
    if kind == MotionKind.REMOVE_MEMBER:
        if member is None or member.committee_id != committee.pk or member.left_on is not None:
            raise ValidationError(NOT_A_SEATED_MEMBER)
    elif kind == MotionKind.DISSOLVE:
        member = None
    else:
        raise ValidationError(_("提议事项只能是罢免委员或解散委员会。"))
    by_members, by_owners = list(by_members), list(by_owners)
    support = motion_support(committee, members=by_members, owners=by_owners, on=on)
    if not support["met"]:
        raise ValidationError(
            TOO_LITTLE_SUPPORT,
            params={
                "members": support["members"],
                "share": str(rules_for(committee.estate).member_removal_by_owners),
                "area": support["owners_area"],
                "heads": support["owners_heads"],
            },
        )
    motion = Motion.objects.create(
        committee=committee,
        kind=kind,
        member=member,
        reasons=reasons.strip(),
        proposed_on=on,
        support=support,
        recorded_by=actor,
    )
    motion.proposing_members.set(by_members)
    motion.proposing_owners.set(by_owners)
    return motion


def motion_question(motion: Motion) -> str:
    committee = motion.committee
    if motion.kind == MotionKind.REMOVE_MEMBER:
        return f"罢免{committee.estate.name}{committee.get_kind_display()}委员{motion.member.owner.name}"
    return f"解散{committee.estate.name}{committee.get_kind_display()}"


@transaction.atomic
def put_motion_to_vote(*, actor, motion: Motion, opens_at, closes_at, now=None) -> Motion:
    """Convene the owners' vote (matter 3) that decides a proposal."""
    motion = lock_one(Motion.objects.select_related("committee__estate", "member__owner"), pk=motion.pk)
    if motion.status != MotionStatus.PROPOSED or motion.vote_id is not None:
        raise ValidationError(MOTION_NOT_PENDING)
    motion.vote = convene_vote(
        actor=actor,
        estate=motion.committee.estate,
        matter=Matter.COMMITTEE,
        question=motion_question(motion),
        opens_at=opens_at,
        closes_at=closes_at,
        now=now,
    )
    motion.save(update_fields=["vote"])
    return motion


@transaction.atomic
def carry_motion(*, actor, motion: Motion, on: date) -> Motion:
    """Apply the owners' decision: a removed member leaves (and a filed committee must
    re-file); a dissolved committee ends. A vote that did not pass leaves things as they were."""
    motion = lock_one(Motion.objects.select_related("committee__estate", "member__owner", "vote"), pk=motion.pk)
    committee = motion.committee
    if actor is not None and not access.can(actor, access.CONVENE_VOTES, committee.estate):
        raise PermissionDenied(NOT_ALLOWED)
    if motion.status != MotionStatus.PROPOSED:
        raise ValidationError(MOTION_NOT_PENDING)
    if motion.vote is None or motion.vote.status != VoteStatus.CLOSED:
        raise ValidationError(MOTION_VOTE_NOT_CLOSED)
    if not (motion.vote.result or {}).get("decided"):
        motion.status = MotionStatus.REJECTED
    else:
        motion.status = MotionStatus.CARRIED
        if motion.kind == MotionKind.REMOVE_MEMBER:
            Member.objects.filter(pk=motion.member_id).update(left_on=on, left_reason=f"业主表决罢免：{motion.vote}")
            record_change(actor=actor, committee=committee, on=on, what=f"委员{motion.member.owner.name}被罢免")
        else:
            committee = lock_one(Committee, pk=committee.pk)
            _move(committee, S.DISSOLVED, actor=actor, note=f"业主表决解散：{motion.vote}")
    motion.save(update_fields=["status"])
    return motion
