"""The committees' legal deadlines, offered to ``community.duties`` (registered in ``apps.py``):

* an owners' vote's result, posted within the rule set's ``decision_posting_days`` of its close;
* an adopted committee decision, posted within the same days of the day it took effect (its meeting,
  or the confirmation that completed it);
* the filing (30 days from the election) or the re-filing (30 days from a change), as
  ``selectors.filing_deadline`` counts it, and the first meeting (7 days from the election);
* a meeting a third of the members asked for, held within ``meeting_request_days``;
* the term's end, from ``term_expiry_warning_days`` before it;
* an extraordinary assembly the owners' proposal reached, convened by its ``convene_by``.

Every duty answers to ``access.CONVENE_VOTES`` on the estate: its committee members and the
community staff who guide them. Five queries in all, however many committees.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils import timezone

from community import access
from community.duties import Duty
from community.legaltime import last_day_after_days
from community.rules import rules_for

from . import selectors
from .models import AssemblyProposal, Decision, MeetingRequest, ProposalStatus, Vote, VoteStatus

PERM = access.CONVENE_VOTES
RULE_SET = "grid__community__street__district__rule_set"  # what rules_for(estate) reads


def decided_on(vote: Vote) -> date:
    """An owners' vote decides on the day it closes (local date)."""
    return timezone.localdate(vote.closes_at)


def vote_results(on: date):
    rows = Vote.objects.filter(status=VoteStatus.CLOSED, result_posted_on=None, revoked_on=None).select_related(
        f"estate__{RULE_SET}"
    )
    for vote in rows:
        days = rules_for(vote.estate).decision_posting_days
        yield Duty(
            key=f"committees:vote_result:{vote.pk}",
            what=f"公告表决结果：{vote.question}",
            last_day=last_day_after_days(decided_on(vote), days),
            node=vote.estate,
            perm=PERM,
            link=reverse("committees:turnout", args=[vote.pk]),
            kind="vote_result",
        )


def decisions(on: date):
    rows = Decision.objects.filter(adopted=True, posted_on=None, revoked_on=None).select_related(
        f"meeting__committee__estate__{RULE_SET}"
    )
    for decision in rows:
        meeting = decision.meeting
        estate = meeting.committee.estate
        yield Duty(
            key=f"committees:decision:{decision.pk}",
            what=f"公告{estate.name}业委会决定：{decision.text[:60]}",
            last_day=last_day_after_days(
                decision.adopted_on or meeting.held_on, rules_for(estate).decision_posting_days
            ),
            node=estate,
            perm=PERM,
            link=reverse("committees:meeting", args=[meeting.pk]),
            kind="decision",
        )


def committee_deadlines(on: date):
    """First meeting, filing or re-filing, and a term ending within the warning days."""
    for committee in selectors.committees_with_estate().filter(status__in=selectors.ACTIVE):
        estate = committee.estate
        for deadline in selectors.deadlines(committee, on=on):
            if deadline.kind == "term" and not deadline.warn:
                continue  # not yet within the warning days
            yield Duty(
                key=f"committees:{deadline.kind}:{committee.pk}:{deadline.day.isoformat()}",
                what=f"{estate.name}：{deadline.what}",
                last_day=deadline.day,
                node=estate,
                perm=PERM,
                link=reverse("committees:committee", args=[committee.pk]),
                kind=deadline.kind,
            )


def meeting_requests(on: date):
    rows = MeetingRequest.objects.filter(meeting=None, committee__status__in=selectors.ACTIVE).select_related(
        f"committee__estate__{RULE_SET}"
    )
    for request in rows:
        estate = request.committee.estate
        yield Duty(
            key=f"committees:meeting_request:{request.pk}",
            what=f"{estate.name}：召开委员提议的会议（{request.requested_on:%Y-%m-%d} 提议）",
            last_day=last_day_after_days(request.requested_on, rules_for(estate).meeting_request_days),
            node=estate,
            perm=PERM,
            link=reverse("committees:committee", args=[request.committee_id]),
            kind="meeting_request",
        )


def assembly_proposals(on: date):
    rows = AssemblyProposal.objects.filter(status=ProposalStatus.REACHED, convene_by__isnull=False).select_related(
        "estate"
    )
    for proposal in rows:
        yield Duty(
            key=f"committees:assembly:{proposal.pk}",
            what=f"{proposal.estate.name}：召开临时业主大会（{proposal.subject}）",
            last_day=proposal.convene_by,
            node=proposal.estate,
            perm=PERM,
            link=reverse("committees:assembly", args=[proposal.estate_id]),  # convenes for the proposal
            kind="assembly",
        )


def source(on: date):
    """Every committee duty open on ``on``."""
    yield from vote_results(on)
    yield from decisions(on)
    yield from committee_deadlines(on)
    yield from meeting_requests(on)
    yield from assembly_proposals(on)
