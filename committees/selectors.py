"""Reads for the committee's own life: which committees sit, who is seated, what a filing
still lacks and which deadlines come next, how much support a motion has, and the rows the
queue, committee and meeting pages show. Scoped through community.access; none writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from community import access
from community.legaltime import last_day_after_days
from community.models import Ownership
from community.rules import rules_for

from .exams.selectors import has_valid_certificate, training_record
from .models import (
    BranchReview,
    BranchRole,
    Committee,
    CommitteeStatus,
    Decision,
    Matter,
    Meeting,
    MemberRole,
    Motion,
    PartyBranch,
    Vote,
)
from .votes.selectors import scope_holders
from .votes.tally import DEVELOPER, YES, count_holders, share_text

S = CommitteeStatus

# A committee in one of these statuses is the estate's sitting committee.
ACTIVE = (
    CommitteeStatus.ELECTED,
    CommitteeStatus.FILING,
    CommitteeStatus.RETURNED,
    CommitteeStatus.FILED,
    CommitteeStatus.CHANGED,
)
# A committee in one of these statuses may (re)file.
FILABLE = (S.ELECTED, S.RETURNED, S.CHANGED)
SOON_DAYS = 7  # a filing or meeting deadline this close stands out on the queue


def seated(committee: Committee):
    """The members now in office (a removed member keeps their row, with the day they left)."""
    return committee.members.filter(left_on=None)


# --------------------------------------------------------------------------- filing and deadlines


@dataclass
class ChecklistItem:
    label: str
    ok: bool


def filing_checklist(committee: Committee, *, on: date | None = None) -> list[ChecklistItem]:
    """What filing needs (RULES.md §2), each item with whether it is there."""
    on = on or timezone.localdate()
    rules = rules_for(committee.estate)
    members = list(seated(committee).select_related("owner"))
    what, deadline = filing_deadline(committee)
    items = [
        ChecklistItem(f"选举结果（表决：{committee.election_vote.question}）", True),
        ChecklistItem("首次会议已推选主任", committee.first_meeting_on is not None),
        ChecklistItem("管理规约", committee.covenant),
        ChecklistItem("业主大会议事规则", committee.procedure_rules),
        ChecklistItem(f"{what}（最迟 {deadline}）", on <= deadline),
    ]
    for member in members:
        name = member.owner.name
        items.append(ChecklistItem(f"{name}：书面承诺", member.undertaking_signed))
        if rules.filing_requires_training_record:
            items.append(ChecklistItem(f"{name}：培训记录", training_record(member.owner, until=on).exists()))
        if rules.filing_requires_exam:
            items.append(ChecklistItem(f"{name}：备案前考试合格证书", has_valid_certificate(member.owner, on=on)))
    return items


def filing_deadline(committee: Committee) -> tuple[str, date]:
    """What the next filing is and its last day: 30 days from the election, or, once a filed
    committee has changed, 30 days from the change (both per the rule set)."""
    rules = rules_for(committee.estate)
    if committee.changed_on is not None:
        days = rules.refiling_deadline_days
        return f"变更后 {days} 日内重新备案", last_day_after_days(committee.changed_on, days)
    days = rules.filing_deadline_days
    return f"选举后 {days} 日内备案", last_day_after_days(committee.elected_on, days)


@dataclass(frozen=True)
class Deadline:
    what: str
    day: date
    left: int  # days; negative when overdue
    warn: bool  # close enough to stand out


def deadlines(committee: Committee, *, on: date | None = None) -> list[Deadline]:
    """What a committee must do next and by when, for the staff queue. A term nearing its
    end is flagged the rule set's warning days ahead, so the re-election can be organised."""
    on = on or timezone.localdate()
    rules = rules_for(committee.estate)
    if committee.status not in ACTIVE:
        return []
    due = []
    if committee.first_meeting_on is None:
        due.append(
            ("首次会议", last_day_after_days(committee.elected_on, rules.committee_first_meeting_days), SOON_DAYS)
        )
    if committee.status in FILABLE:
        what, day = filing_deadline(committee)
        due.append(("重新备案" if committee.changed_on else "备案", day, SOON_DAYS))
    due.append(("任期届满", committee.term_ends_on, rules.term_expiry_warning_days))
    return [Deadline(what, day, (day - on).days, (day - on).days <= warn) for what, day, warn in due]


def motion_support(committee: Committee, *, members=(), owners=(), on: date) -> dict:
    """How much support a removal or dissolution proposal has, two ways (RULES.md §2):
    the share of members now seated, and the owners' share of the estate's votes.

    "Owners holding 20% of the votes" is read as the Civil Code counts votes: by area
    and by headcount, both at least the rule set's share, with heads counted as in the
    tally (a co-ownership is one head and one signature from a co-owner stands for it).
    """
    rules = rules_for(committee.estate)
    seats = set(seated(committee).values_list("pk", flat=True))
    asking = {m.pk for m in members} & seats
    by_members = rules.member_removal_by_members.met(len(asking), len(seats))
    signers = {str(o.pk) for o in owners}
    developer_signed = any(o.is_developer for o in owners)
    holders = scope_holders(committee.estate, on=on)
    signed = {
        h: YES
        for h in holders
        if (h == DEVELOPER and developer_signed) or (h != DEVELOPER and signers & set(h.split(",")))
    }
    threshold = rules.member_removal_by_owners
    result = count_holders(
        holders, signed, quorum=(threshold, threshold), approval=rules.approval_thresholds(Matter.COMMITTEE)
    )
    return {
        "members": f"{len(asking)}/{len(seats)}",
        "members_met": by_members,
        "owners_area": share_text(result.quorum_area),
        "owners_heads": share_text(result.quorum_heads),
        "owners_met": bool(signers) and result.quorum_met,
        "met": by_members or (bool(signers) and result.quorum_met),
    }


# --------------------------------------------------------------------------- what the pages show


def committees_with_estate():
    """Committees with their estate up to the rule set and the vote that elected them."""
    return Committee.objects.select_related("estate__grid__community__street__district__rule_set", "election_vote")


def meetings_with_committee():
    return Meeting.objects.select_related("committee__estate")


def committee_queue(user):
    """The sitting committees the user may see, by status and election day."""
    return (
        access.visible(user, access.VIEW, committees_with_estate())
        .filter(status__in=ACTIVE)
        .order_by("status", "elected_on")
    )


def branch_of(estate) -> PartyBranch | None:
    return PartyBranch.objects.filter(estate=estate).first()


def committee_page(committee: Committee) -> dict:
    """The lists on a committee's page, as querysets the template reads."""
    branch = PartyBranch.objects.filter(estate=committee.estate).prefetch_related("members").first()
    return {
        "members": committee.members.select_related("owner").order_by("left_on", "role", "pk"),
        "events": committee.events.select_related("actor"),
        "motions": committee.motions.select_related("member__owner", "vote"),
        "meetings": committee.meetings.all(),
        "votes": Vote.objects.filter(estate=committee.estate).order_by("-opens_at")[:20],
        "branch": branch,
        "reviews": branch.reviews.select_related("vote") if branch else [],
    }


def seats_of(committee: Committee):
    """The seated members with their owner record, for the forms that choose among them."""
    return seated(committee).select_related("owner")


def motion_of(committee: Committee, pk) -> Motion | None:
    return Motion.objects.filter(committee=committee, pk=pk or 0).first()


def owners_of_units(units, on: date) -> list:
    """The owners holding any of ``units`` on ``on``, each once."""
    return list({o.owner for o in Ownership.objects.in_force(on).filter(unit__in=units).select_related("owner")})


def present_at(meeting: Meeting):
    return meeting.present.select_related("owner")


def decisions_of(meeting: Meeting):
    return meeting.decisions.prefetch_related("consents__member__owner").select_related("notice")


def least_to_meet(threshold, total: int) -> int | None:
    """The fewest members out of ``total`` that meet ``threshold`` (None when no number does)."""
    return next((n for n in range(total + 1) if threshold.met(n, total)), None)


@dataclass
class DecisionRow:
    """A decision on its meeting's page: each member in favour, confirmed or still to confirm
    in their own hand, and whether it has taken effect."""

    decision: Decision
    consents: list
    confirmed: int
    needed: int | None
    total: int

    @property
    def waiting(self) -> bool:
        """Enough members are listed in favour, but not enough have confirmed yet."""
        return (
            not self.decision.adopted
            and self.needed is not None
            and len(self.consents) >= self.needed
            and self.decision.revoked_on is None
        )


def decision_rows(meeting: Meeting, *, total: int) -> list[DecisionRow]:
    """The meeting's decisions against ``total`` seated members: two queries, however many."""
    needed = least_to_meet(rules_for(meeting.committee.estate).meeting_decision, total)
    rows = []
    for decision in decisions_of(meeting):
        consents = list(decision.consents.all())
        confirmed = sum(1 for c in consents if c.confirmed_at is not None)
        rows.append(DecisionRow(decision, consents, confirmed, needed, total))
    return rows


# --------------------------------------------------------------------------- party branch


def needs_review(estate, matter: int) -> bool:
    """Whether this estate's branch must review ``matter`` first (only estates with a branch)."""
    return matter in rules_for(estate).branch_review_matters and PartyBranch.objects.filter(estate=estate).exists()


def pending_reviews(estate):
    """Reviews recorded for this estate that no vote has used yet."""
    return BranchReview.objects.filter(branch__estate=estate, vote=None)


@dataclass(frozen=True)
class CrossAppointment:
    name: str
    committee_role: str
    branch_role: str
    secretary_is_chair: bool


def cross_appointments(committee: Committee) -> list[CrossAppointment]:
    """Seated members who also sit in the estate's party branch (matched by owner record).
    ``secretary_is_chair`` marks the one person who is both branch secretary and committee chair."""
    branch = PartyBranch.objects.filter(estate=committee.estate_id).first()
    if branch is None:
        return []
    in_branch = {bm.owner_id: bm for bm in branch.members.exclude(owner=None)}
    found = []
    for member in committee.members.filter(left_on=None, owner__in=list(in_branch)).select_related("owner"):
        bm = in_branch[member.owner_id]
        found.append(
            CrossAppointment(
                name=member.owner.name,
                committee_role=member.get_role_display(),
                branch_role=bm.get_role_display(),
                secretary_is_chair=bm.role == BranchRole.SECRETARY and member.role == MemberRole.CHAIR,
            )
        )
    return found
