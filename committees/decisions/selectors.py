"""Reads for owners' decisions and their windows: the day each was made, the day it was posted,
the last day an owner may ask a court to revoke it (民法典第280条, within the rule set's
``revocation_window_months`` of knowing of it, counted from the posting), its challenges, and
the mark a revoked one carries on every page and public notice that shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from community.legaltime import last_day_after_months
from community.models import Owner, Ownership
from community.rules import rules_for

from ..models import Challenge, Decision, Vote, VoteStatus


def decided_on(item: Vote | Decision) -> date:
    """An owners' vote decides on the day it closes; a committee decision on the day it took effect
    (the meeting's day, or the confirmation that completed it)."""
    if isinstance(item, Vote):
        return timezone.localdate(item.closes_at)
    return item.adopted_on or item.meeting.held_on


def posted_on(item: Vote | Decision) -> date | None:
    return item.result_posted_on if isinstance(item, Vote) else item.posted_on


def estate_of(item: Vote | Decision):
    return item.estate if isinstance(item, Vote) else item.meeting.committee.estate


def window_ends(item: Vote | Decision) -> date:
    """The last day of the revocation window: the rule set's months from the posting, or from the
    decision itself while it is not posted."""
    start = posted_on(item) or decided_on(item)
    return last_day_after_months(start, rules_for(estate_of(item)).revocation_window_months)


def revoked_mark(day: date | None) -> str:
    return _("已被人民法院撤销（%(day)s）") % {"day": f"{day:%Y-%m-%d}"} if day else ""


@dataclass
class DecisionRow:
    item: Vote | Decision
    kind: str  # "vote" or "decision"
    text: str
    decided_on: date
    posted_on: date | None
    window_ends: date
    revoked_on: date | None
    challenges: list = field(default_factory=list)

    @property
    def mark(self) -> str:
        return revoked_mark(self.revoked_on)

    def open_on(self, on: date) -> bool:
        return on <= self.window_ends and self.revoked_on is None


def _challenges():
    return Prefetch("challenges", queryset=Challenge.objects.select_related("plaintiff").order_by("filed_on", "pk"))


def decisions_of(estate) -> list[DecisionRow]:
    """The estate's owners' decisions (closed votes) and adopted committee decisions, newest
    first, each with its three dates and its challenges. Four queries, however many."""
    rows = []
    votes = Vote.objects.filter(estate=estate, status=VoteStatus.CLOSED).select_related("estate")
    for vote in votes.prefetch_related(_challenges()):
        vote.estate = estate  # its rules are the estate's, read once
        rows.append(
            DecisionRow(
                vote,
                "vote",
                vote.question,
                decided_on(vote),
                vote.result_posted_on,
                window_ends(vote),
                vote.revoked_on,
                list(vote.challenges.all()),
            )
        )
    decisions = Decision.objects.filter(meeting__committee__estate=estate, adopted=True).select_related(
        "meeting__committee"
    )
    for decision in decisions.prefetch_related(_challenges()):
        decision.meeting.committee.estate = estate
        rows.append(
            DecisionRow(
                decision,
                "decision",
                decision.text,
                decided_on(decision),
                decision.posted_on,
                window_ends(decision),
                decision.revoked_on,
                list(decision.challenges.all()),
            )
        )
    rows.sort(key=lambda r: (r.decided_on, r.kind, r.item.pk), reverse=True)
    return rows


def vote_of(estate, pk) -> Vote | None:
    return Vote.objects.filter(estate=estate, status=VoteStatus.CLOSED, pk=pk or 0).select_related("estate").first()


def decision_of(estate, pk) -> Decision | None:
    return (
        Decision.objects.filter(meeting__committee__estate=estate, adopted=True, pk=pk or 0)
        .select_related("meeting__committee__estate")
        .first()
    )


def challenge_of(estate, pk) -> Challenge | None:
    found = (
        Challenge.objects.filter(pk=pk or 0)
        .select_related("vote__estate", "decision__meeting__committee__estate", "plaintiff")
        .first()
    )
    if found is None or estate_of(found.vote or found.decision).pk != estate.pk:
        return None
    return found


def owner_of_unit(estate, building: str, room: str, name: str, on: date) -> Owner | None:
    """The owner called ``name`` who holds the unit ``building``-``room`` of ``estate`` on ``on``."""
    holding = (
        Ownership.objects.in_force(on)
        .filter(unit__building__estate=estate, unit__building__name=building, unit__room=room, owner__name=name)
        .select_related("owner")
        .first()
    )
    return holding.owner if holding else None


def holds_in(owner: Owner, estate, on: date) -> bool:
    return Ownership.objects.in_force(on).filter(owner=owner, unit__building__estate=estate).exists()


def marks_for_notices(notice_ids) -> dict[int, str]:
    """{notice id: "已被人民法院撤销（日期）"} for the result and decision notices of revoked
    decisions among ``notice_ids`` (the public site asks, through cms's hook). Two queries."""
    ids = list(notice_ids)
    if not ids:
        return {}
    marks = {
        notice: revoked_mark(day)
        for notice, day in Vote.objects.filter(result_notice__in=ids, revoked_on__isnull=False).values_list(
            "result_notice", "revoked_on"
        )
    }
    marks.update(
        (notice, revoked_mark(day))
        for notice, day in Decision.objects.filter(notice__in=ids, revoked_on__isnull=False).values_list(
            "notice", "revoked_on"
        )
    )
    return marks
