"""Writes for owners' decisions and their windows: the posting day a notice's first
publication records, and the court challenges (民法典第280条) community staff record with
their outcome. A revoking judgment marks the decision."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, audit, duties
from community.locks import lock_one

from ..models import Challenge, ChallengeOutcome, Decision, Vote, VoteStatus
from . import selectors

PAST_WINDOW = _("撤销期限已于 %(day)s 届满（自公告之日起计算），不能再登记起诉。")
NOT_AN_OWNER = _("起诉人须为本小区的业主（起诉之日持有本小区房屋）。")
BEFORE_DECISION = _("起诉日期不能早于决定作出之日（%(day)s）。")
IN_FUTURE = _("日期不能晚于今天。")
NO_COURT = _("请填写受理法院和案号。")
NOT_A_DECISION = _("只能对已结束的业主表决或已通过的业委会决定起诉。")
ALREADY_REVOKED = _("该决定已于 %(day)s 被人民法院撤销。")
ALREADY_DECIDED = _("该诉讼已登记裁判结果，不能再次登记。")
BAD_OUTCOME = _("请选择裁判结果：驳回诉讼请求、撤诉或判决撤销。")
DECIDED_BEFORE_FILED = _("裁判日期不能早于起诉日期（%(day)s）。")


def record_posting(notice) -> int:
    """A notice went live: if it is a vote's result notice or a committee decision's notice
    published for the first time, its day is the posting day (Wagtail's ``page_published``)."""
    at = notice.first_published_at or timezone.now()
    day = timezone.localdate(at)
    posted = Vote.objects.filter(result_notice=notice, result_posted_on=None).update(
        result_posted_on=day
    ) + Decision.objects.filter(notice=notice, posted_on=None).update(posted_on=day)
    if posted:
        duties.changed()  # the posting duty is done
    return posted


@transaction.atomic
def record_challenge(
    *,
    actor,
    vote: Vote | None = None,
    decision: Decision | None = None,
    plaintiff,
    court: str,
    case_number: str,
    filed_on: date,
    now: datetime | None = None,
) -> Challenge:
    """Record an owner's suit to revoke a decision, refused once its window has closed."""
    if (vote is None) == (decision is None):
        raise TypeError("a challenge is against one vote or one decision")
    if actor is None:
        raise TypeError("a challenge is recorded by a person")
    now = now or timezone.now()
    item = lock_one(Vote, pk=vote.pk) if vote else lock_one(Decision.objects.select_related("meeting"), pk=decision.pk)
    estate = vote.estate if vote else decision.meeting.committee.estate
    access.require(actor, access.CHANGE, estate)
    if (vote and item.status != VoteStatus.CLOSED) or (decision and not item.adopted):
        raise ValidationError(NOT_A_DECISION)
    if vote:
        item.estate = estate
    else:
        item.meeting.committee = decision.meeting.committee
    court, case_number = (court or "").strip(), (case_number or "").strip()
    if not court or not case_number:
        raise ValidationError(NO_COURT)
    if item.revoked_on is not None:
        raise ValidationError(ALREADY_REVOKED, params={"day": item.revoked_on})
    if filed_on > timezone.localdate(now):
        raise ValidationError(IN_FUTURE)
    decided = selectors.decided_on(item)
    if filed_on < decided:
        raise ValidationError(BEFORE_DECISION, params={"day": decided})
    ends = selectors.window_ends(item)
    if filed_on > ends:
        raise ValidationError(PAST_WINDOW, params={"day": ends})
    if plaintiff is None or not selectors.holds_in(plaintiff, estate, filed_on):
        raise ValidationError(NOT_AN_OWNER)
    challenge = Challenge.objects.create(
        vote=vote,
        decision=decision,
        plaintiff=plaintiff,
        court=court[:100],
        case_number=case_number[:60],
        filed_on=filed_on,
        recorded_by=actor,
        recorded_at=now,
    )
    audit.record(
        "challenge_record",
        user=actor,
        obj=challenge,
        detail={"against": f"{'vote' if vote else 'decision'}:{item.pk}", "filed_on": filed_on.isoformat()},
    )
    return challenge


@transaction.atomic
def decide_challenge(*, actor, challenge: Challenge, outcome: str, decided_on: date, now=None) -> Challenge:
    """Record how the court decided; a revoking judgment marks the decision revoked from that day."""
    if actor is None:
        raise TypeError("an outcome is recorded by a person")
    now = now or timezone.now()
    challenge = lock_one(
        Challenge.objects.select_related("vote__estate", "decision__meeting__committee__estate"), pk=challenge.pk
    )
    item = challenge.vote or challenge.decision
    access.require(actor, access.CHANGE, selectors.estate_of(item))
    if challenge.outcome != ChallengeOutcome.PENDING:
        raise ValidationError(ALREADY_DECIDED)
    if outcome not in (ChallengeOutcome.DISMISSED, ChallengeOutcome.WITHDRAWN, ChallengeOutcome.REVOKED):
        raise ValidationError(BAD_OUTCOME)
    if decided_on > timezone.localdate(now):
        raise ValidationError(IN_FUTURE)
    if decided_on < challenge.filed_on:
        raise ValidationError(DECIDED_BEFORE_FILED, params={"day": challenge.filed_on})
    challenge.outcome, challenge.decided_on = outcome, decided_on
    challenge.save(update_fields=["outcome", "decided_on"])
    if outcome == ChallengeOutcome.REVOKED and item.revoked_on is None:
        type(item).objects.filter(pk=item.pk).update(revoked_on=decided_on)
        item.revoked_on = decided_on
    audit.record(
        "challenge_decide",
        user=actor,
        obj=challenge,
        detail={"outcome": outcome, "decided_on": decided_on.isoformat()},
    )
    return challenge
