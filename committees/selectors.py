"""Reads for the committee's own life: which committees sit, who is seated, what a filing
still lacks and which deadlines come next, how much support a motion has, and the rows the
queue, committee and meeting pages show. Scoped through community.access; none writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cms.panels import Contact
from community import access
from community.legaltime import last_day_after_days
from community.models import Community, District, Estate, Owner, Ownership, Role, Street
from community.privacy import mask_name
from community.rules import rules_for

from .exams.selectors import has_valid_certificate, training_record
from .models import (
    AssemblyProposal,
    BranchMember,
    BranchReview,
    BranchRole,
    Committee,
    CommitteeEvent,
    CommitteeStatus,
    Decision,
    FilingReview,
    Matter,
    Meeting,
    MeetingRequest,
    MemberRole,
    Motion,
    PartyBranch,
    ProposalStatus,
    ProposalSupport,
    ReviewLevel,
    SupportVia,
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
    required: bool = True  # False: shown for information, never blocks filing (the deadline)


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
        # A late filing is still accepted (else the duty could never be done): the deadline is
        # informational, and submit_filing records the lateness.
        ChecklistItem(
            f"{what}（最迟 {deadline}）"
            if on <= deadline
            else _("%(what)s（最迟 %(day)s，逾期 %(n)s 日）")
            % {"what": what, "day": deadline, "n": (on - deadline).days},
            on <= deadline,
            required=False,
        ),
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
    kind: str = ""  # first_meeting, filing, refiling or term (committees.duties keys its duties by it)


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
            (
                gettext_noop("首次会议"),
                last_day_after_days(committee.elected_on, rules.committee_first_meeting_days),
                SOON_DAYS,
                "first_meeting",
            )
        )
    if committee.status in FILABLE:
        what, day = filing_deadline(committee)
        refiling = committee.changed_on is not None
        due.append(
            (
                gettext_noop("重新备案") if refiling else gettext_noop("备案"),
                day,
                SOON_DAYS,
                "refiling" if refiling else "filing",
            )
        )
    # The names stay Chinese here (the duty list and the tests key on them); the page translates them.
    due.append((gettext_noop("任期届满"), committee.term_ends_on, rules.term_expiry_warning_days, "term"))
    return [Deadline(what, day, (day - on).days, (day - on).days <= warn, kind) for what, day, warn, kind in due]


# --------------------------------------------------------------------------- filing review

LEVEL_OF_ROLE = {Role.DISTRICT_ADMIN: ReviewLevel.DISTRICT, Role.STREET_STAFF: ReviewLevel.STREET}


def reviewer_level(user, estate) -> str | None:
    """The level at which ``user`` reviews this estate's committee filings: the district housing
    department for an administrator of its district, the street office for staff of its street
    (the district first for somebody who is both); None for anybody else."""
    held = access.roles_on(user, estate)
    return next((level for role, level in LEVEL_OF_ROLE.items() if role in held), None)


def levels_required(estate) -> tuple[str, ...]:
    """The levels that must each accept a filing: both with the rule set's dual review, else any one."""
    return tuple(ReviewLevel.values) if rules_for(estate).filing_dual_review else ()


def current_submission(committee: Committee) -> CommitteeEvent | None:
    """The latest event that moved the committee to 备案审查中: the submission reviews answer."""
    return committee.events.filter(to_status=S.FILING).order_by("-at", "-pk").first()


@dataclass(frozen=True)
class LevelState:
    level: str
    label: str
    review: FilingReview | None
    pending: bool  # still to review the current submission


def filing_review_states(committee: Committee) -> list[LevelState]:
    """Each level's answer to the current submission (待审查, 同意, 退回 with reasons, who, when)."""
    submission = current_submission(committee)
    if submission is None:
        return []
    reviews = {r.level: r for r in FilingReview.objects.filter(submission=submission).select_related("actor")}
    reviewing = committee.status == S.FILING
    decided_by_one = not levels_required(committee.estate) and bool(reviews)
    return [
        LevelState(
            level,
            label,
            reviews.get(level),
            reviewing and level not in reviews and not decided_by_one,
        )
        for level, label in ReviewLevel.choices
    ]


def pending_levels(committees) -> dict[int, list[str]]:
    """{committee id: the labels of the levels still to review its current submission}, for the
    committees under review among ``committees``: two queries whatever their number."""
    reviewing = [c for c in committees if c.status == S.FILING]
    if not reviewing:
        return {}
    latest: dict[int, int] = {}
    for committee_id, pk in (
        CommitteeEvent.objects.filter(committee__in=[c.pk for c in reviewing], to_status=S.FILING)
        .order_by("at", "pk")
        .values_list("committee_id", "pk")
    ):
        latest[committee_id] = pk
    done: dict[int, set[str]] = {}
    for submission_id, level in FilingReview.objects.filter(submission__in=latest.values()).values_list(
        "submission_id", "level"
    ):
        done.setdefault(submission_id, set()).add(level)
    pending = {}
    for c in reviewing:
        reviewed = done.get(latest.get(c.pk), set())
        if levels_required(c.estate):
            pending[c.pk] = [label for level, label in ReviewLevel.choices if level not in reviewed]
        elif not reviewed:
            pending[c.pk] = [" / ".join(str(label) for _l, label in ReviewLevel.choices)]
    return pending


# --------------------------------------------------------------------------- meeting requests


def open_requests(committee: Committee) -> list[tuple[MeetingRequest, date]]:
    """Members' requests no meeting answers yet, each with the last day it may be held."""
    days = rules_for(committee.estate).meeting_request_days
    return [
        (r, last_day_after_days(r.requested_on, days))
        for r in committee.meeting_requests.filter(meeting=None).prefetch_related("requesters__owner")
    ]


def open_requests_of(committee: Committee):
    """The same requests as a queryset, for the form that schedules a meeting for one."""
    return committee.meeting_requests.filter(meeting=None)


def chair_of(committee: Committee):
    return seated(committee).filter(role=MemberRole.CHAIR).select_related("owner__user").first()


def owners_share(estate, owners, *, on: date, area, heads):
    """The share of the estate's votes that ``owners`` hold, counted as the tally counts them
    (community.rules thresholds ``area`` and ``heads`` for the "quorum" of the result): a
    co-ownership is one head and one co-owner's signature stands for it; the developer's units
    are one head. Used by a motion's owners' support and an extraordinary assembly's."""
    rules = rules_for(estate)
    signers = {str(o.pk) for o in owners}
    developer_signed = any(o.is_developer for o in owners)
    holders = scope_holders(estate, on=on)
    signed = {
        h: YES
        for h in holders
        if (h == DEVELOPER and developer_signed) or (h != DEVELOPER and signers & set(h.split(",")))
    }
    return count_holders(holders, signed, quorum=(area, heads), approval=rules.approval_thresholds(Matter.COMMITTEE))


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
    threshold = rules.member_removal_by_owners
    result = owners_share(committee.estate, owners, on=on, area=threshold, heads=threshold)
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


def public_contacts(estate) -> list[Contact]:
    """The estate's sitting committee on its public page's contact card (cms.panels): its name,
    reached through the community office, since a committee's record holds no public phone of
    its own (its members' numbers are personal data). One query."""
    committee = Committee.objects.filter(estate=estate, status__in=ACTIVE).order_by("-elected_on", "-pk").first()
    if committee is None:
        return [Contact(label=_("业主组织"), name=_("尚未成立业主委员会"), note=_("可向社区居委会反映"))]
    return [
        Contact(
            label=_("业主组织"),
            name=f"{estate.name}{committee.get_kind_display()}",
            note=_("可经社区居委会联系"),
        )
    ]


def branch_of(estate) -> PartyBranch | None:
    return PartyBranch.objects.filter(estate=estate).first()


def committee_page(committee: Committee) -> dict:
    """The lists on a committee's page, as querysets the template reads."""
    branch = (
        PartyBranch.objects.filter(estate=committee.estate)
        .prefetch_related(Prefetch("members", queryset=BranchMember.objects.filter(left_on=None), to_attr="current"))
        .first()
    )
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
    """The meeting's decisions, each against the members seated at the meeting (``total``, the
    members seated now, only for a row made without it): two queries, however many."""
    threshold = rules_for(meeting.committee.estate).meeting_decision
    rows = []
    for decision in decisions_of(meeting):
        consents = list(decision.consents.all())
        confirmed = sum(1 for c in consents if c.confirmed_at is not None)
        of = decision.members_total if decision.members_total is not None else total
        rows.append(DecisionRow(decision, consents, confirmed, least_to_meet(threshold, of), of))
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
    owner_id: int = 0


def _cross(branch_members, seats) -> list[CrossAppointment]:
    """Pair the branch's current members with the committee's seated members by owner record."""
    in_branch = {bm.owner_id: bm for bm in branch_members if bm.owner_id and bm.left_on is None}
    found = []
    for member in seats:
        bm = in_branch.get(member.owner_id)
        if bm is None or member.left_on is not None:
            continue
        found.append(
            CrossAppointment(
                name=member.owner.name,
                committee_role=member.get_role_display(),
                branch_role=bm.get_role_display(),
                secretary_is_chair=bm.role == BranchRole.SECRETARY and member.role == MemberRole.CHAIR,
                owner_id=member.owner_id,
            )
        )
    return found


def cross_appointments(committee: Committee) -> list[CrossAppointment]:
    """Seated members who also sit in the estate's party branch now (matched by owner record).
    ``secretary_is_chair`` marks the one person who is both branch secretary and committee chair
    (一肩挑)."""
    branch = PartyBranch.objects.filter(estate=committee.estate_id).first()
    if branch is None:
        return []
    in_branch = branch.members.filter(left_on=None).exclude(owner=None)
    seats = seated(committee).filter(owner__in=in_branch.values("owner")).select_related("owner")
    return _cross(list(in_branch), seats)


def reads_branch(user, estate) -> bool:
    """Who reads an estate's branch page: those who convene its owners' votes (its committee
    members, community staff; the branch reviews a major matter before the vote) or review its
    committee's filings (street staff, the district); the district and community staff also
    manage the branch. Company staff and owners do not."""
    access.prefetch(user, (access.CONVENE_VOTES, access.REVIEW_FILINGS, access.MANAGE_BRANCHES))
    return any(
        access.can(user, p, estate) for p in (access.MANAGE_BRANCHES, access.CONVENE_VOTES, access.REVIEW_FILINGS)
    )


@dataclass
class BranchPage:
    """An estate's branch with its members now and before, the sitting committee and who sits in both."""

    branch: PartyBranch | None
    members: list = field(default_factory=list)
    former: list = field(default_factory=list)
    committee: Committee | None = None
    cross: list[CrossAppointment] = field(default_factory=list)

    @property
    def one_shoulder(self) -> CrossAppointment | None:
        """一肩挑: the branch secretary who is also the committee's chair."""
        return next((c for c in self.cross if c.secretary_is_chair), None)

    @property
    def rows(self) -> list[tuple]:
        """Each current member with their seat on the committee (a CrossAppointment) or None."""
        by_owner = {c.owner_id: c for c in self.cross}
        return [(m, by_owner.get(m.owner_id) if m.owner_id else None) for m in self.members]


def branch_page(estate) -> BranchPage:
    """The branch page's rows in four queries whatever the number of members: the branch, its
    members (with their owner record), the sitting committee and its seated members."""
    branch = PartyBranch.objects.filter(estate=estate).first()
    if branch is None:
        return BranchPage(branch=None)
    everyone = list(branch.members.select_related("owner").order_by(F("left_on").desc(nulls_first=True), "role", "pk"))
    members = sorted((m for m in everyone if m.left_on is None), key=lambda m: (_ROLE_ORDER[m.role], m.pk))
    committee = sitting_committee(estate)
    seats = list(seated(committee).select_related("owner")) if committee else []
    return BranchPage(
        branch=branch,
        members=members,
        former=[m for m in everyone if m.left_on is not None],
        committee=committee,
        cross=_cross(members, seats),
    )


_ROLE_ORDER = {BranchRole.SECRETARY: 0, BranchRole.DEPUTY: 1, BranchRole.MEMBER: 2}


def owner_choices(estate, on: date) -> list[tuple[int, str]]:
    """The owners holding a unit of ``estate`` on ``on``, each once, masked, with a unit to tell
    them apart (张** · 1栋 101), for the form that links a branch member to an owner. One query."""
    seen, choices = set(), []
    rows = (
        Ownership.objects.in_force(on)
        .filter(unit__building__estate=estate)
        .select_related("owner", "unit__building")
        .order_by("unit__building__name", "unit__room", "pk")
    )
    for holding in rows:
        if holding.owner_id in seen:
            continue
        seen.add(holding.owner_id)
        choices.append(
            (holding.owner_id, f"{mask_name(holding.owner.name)} · {holding.unit.building.name} {holding.unit.room}")
        )
    return choices


def branch_member_of(estate, pk) -> BranchMember | None:
    """A current member of the estate's branch (None when there is no such member now)."""
    return BranchMember.objects.filter(branch__estate=estate, left_on=None, pk=pk or 0).select_related("branch").first()


# --------------------------------------------------------------------------- red steward overview


def _cross_seats(**extra) -> QuerySet:
    """Current branch members whose owner record holds a seat on their estate's sitting committee."""
    return BranchMember.objects.filter(
        left_on=None,
        owner__committee_seats__left_on=None,
        owner__committee_seats__committee__status__in=ACTIVE,
        owner__committee_seats__committee__estate=F("branch__estate"),
        **extra,
    )


# What an overview figure counts, each a filter on estates; the list behind a figure uses the same one.
SHOWS = {
    "all": Q(),
    "branch": Q(party_branch__isnull=False),
    "none": Q(party_branch__isnull=True),
    "cross": Q(pk__in=_cross_seats().values("branch__estate")),
    "one": Q(
        pk__in=_cross_seats(role=BranchRole.SECRETARY, owner__committee_seats__role=MemberRole.CHAIR).values(
            "branch__estate"
        )
    ),
}


def steward_estates(user) -> QuerySet:
    """The estates of the red steward overview: those whose filings the user reviews (street staff,
    the district) or whose branches they manage (community staff, the district)."""
    access.prefetch(user, (access.REVIEW_FILINGS, access.MANAGE_BRANCHES))
    return Estate.objects.filter(
        Q(pk__in=access.visible(user, access.REVIEW_FILINGS, Estate.objects.all()).values("pk"))
        | Q(pk__in=access.visible(user, access.MANAGE_BRANCHES, Estate.objects.all()).values("pk"))
    )


def holds_steward_overview(user) -> bool:
    access.prefetch(user, (access.REVIEW_FILINGS, access.MANAGE_BRANCHES))
    return access.holds_anywhere(user, access.REVIEW_FILINGS) or access.holds_anywhere(user, access.MANAGE_BRANCHES)


@dataclass
class StewardRow:
    """A street's or a community's figures (the total row has no pk)."""

    pk: int | None = None
    name: str = ""
    estates: int = 0
    branch: int = 0
    cross: int = 0
    one: int = 0

    @property
    def none(self) -> int:
        return self.estates - self.branch

    @property
    def coverage(self) -> Fraction | None:
        return Fraction(self.branch, self.estates) if self.estates else None

    def add(self, other: StewardRow) -> None:
        self.estates += other.estates
        self.branch += other.branch
        self.cross += other.cross
        self.one += other.one


@dataclass
class StewardBoard:
    level: str  # "street" or "community": what a row is
    rows: list[StewardRow]
    total: StewardRow


def steward_level(user, *, street=None) -> str:
    """By street for the district (and a superuser), by community inside one street otherwise."""
    if street is not None:
        return "community"
    scopes = access.granted_scopes(user, access.REVIEW_FILINGS)
    return "street" if user.is_superuser or scopes.get(District) else "community"


def steward_board(user, *, street=None) -> StewardBoard:
    """Estates, estates with a branch, estates whose sitting committee has a cross-appointed
    member and 一肩挑 estates, by street or by community over the user's estates (narrowed to
    ``street``): two queries (the counts, the names) whatever the size of the district."""
    estates = steward_estates(user)
    if street is not None:
        estates = estates.filter(grid__community__street=street)
    level = steward_level(user, street=street)
    key = "grid__community__street_id" if level == "street" else "grid__community_id"
    counted = (
        estates.order_by()
        .values(key)
        .annotate(
            n=Count("pk"),
            n_branch=Count("pk", filter=SHOWS["branch"]),
            n_cross=Count("pk", filter=SHOWS["cross"]),
            n_one=Count("pk", filter=SHOWS["one"]),
        )
    )
    figures = {row[key]: row for row in counted}
    names = (Street if level == "street" else Community).objects.filter(pk__in=list(figures)).order_by("code")
    rows, total = [], StewardRow(name=_("合计"))
    for node in names:
        row = figures[node.pk]
        line = StewardRow(
            pk=node.pk, name=node.name, estates=row["n"], branch=row["n_branch"], cross=row["n_cross"], one=row["n_one"]
        )
        rows.append(line)
        total.add(line)
    return StewardBoard(level=level, rows=rows, total=total)


def steward_list(user, *, show: str = "all", street=None, community=None) -> QuerySet:
    """The estates behind one figure of the overview, with their branch, by code."""
    estates = steward_estates(user).filter(SHOWS[show])
    if street is not None:
        estates = estates.filter(grid__community__street=street)
    if community is not None:
        estates = estates.filter(grid__community=community)
    return estates.select_related("grid__community__street", "party_branch").order_by("code")


# --------------------------------------------------------------------------- extraordinary assembly


def owner_in_estate(user, estate, on: date) -> Owner | None:
    """The user's own owner record, when it holds a unit of ``estate`` on ``on``."""
    if user is None or not user.is_authenticated:
        return None
    owner = Owner.objects.filter(user=user).first()
    if owner is None:
        return None
    holds = Ownership.objects.in_force(on).filter(owner=owner, unit__building__estate=estate).exists()
    return owner if holds else None


def sitting_members(estate) -> list:
    """The seated members of the estate's sitting committee, with their accounts (none without one)."""
    committee = Committee.objects.filter(estate=estate, status__in=ACTIVE).first()
    return list(seated(committee).select_related("owner__user")) if committee else []


def sitting_committee(estate) -> Committee | None:
    return Committee.objects.filter(estate=estate, status__in=ACTIVE).first()


def owner_estates(owner: Owner, on: date):
    """The estates where ``owner`` holds a unit on ``on``."""
    return Estate.objects.filter(
        pk__in=Ownership.objects.in_force(on).filter(owner=owner).values("unit__building__estate")
    ).order_by("name")


def owner_proposals(owner: Owner, on: date) -> list[tuple[AssemblyProposal, bool]]:
    """The proposals of the owner's estates, newest first, each with whether the owner supports it:
    two queries whatever their number."""
    proposals = list(
        AssemblyProposal.objects.filter(estate__in=owner_estates(owner, on)).select_related("estate", "vote")[:100]
    )
    mine = set(
        ProposalSupport.objects.filter(proposal__in=[p.pk for p in proposals], owner=owner).values_list(
            "proposal_id", flat=True
        )
    )
    return [(p, p.pk in mine) for p in proposals]


def estate_proposals(estate):
    """An estate's proposals, newest first, with their vote."""
    return AssemblyProposal.objects.filter(estate=estate).select_related("vote", "opened_by")


def proposal_of(estate, pk) -> AssemblyProposal | None:
    return AssemblyProposal.objects.filter(estate=estate, pk=pk or 0).first()


def visible_proposal(user, pk) -> AssemblyProposal | None:
    """A proposal of one of the estates where ``user``'s owner record holds a unit today."""
    owner = Owner.objects.filter(user=user).first() if user.is_authenticated else None
    if owner is None:
        return None
    return (
        AssemblyProposal.objects.filter(pk=pk or 0, estate__in=owner_estates(owner, timezone.localdate()))
        .select_related("estate")
        .first()
    )


def paper_lists(proposals) -> dict[int, list[dict]]:
    """{proposal id: the signed lists recorded for it}: each stored file once, with when, by whom
    and how many owners it added. One query for all the proposals."""
    found: dict[int, dict[str, dict]] = {}
    rows = (
        ProposalSupport.objects.filter(proposal__in=[p.pk for p in proposals], via=SupportVia.PAPER)
        .select_related("recorded_by")
        .order_by("at", "pk")
    )
    for support in rows:
        entry = found.setdefault(support.proposal_id, {}).setdefault(
            support.signed_list.name, {"support": support, "count": 0}
        )
        entry["count"] += 1
    return {pk: list(lists.values()) for pk, lists in found.items()}


def paper_support(estate, pk) -> ProposalSupport | None:
    """One paper support row of the estate's proposals (its list is the file served)."""
    return (
        ProposalSupport.objects.filter(pk=pk or 0, proposal__estate=estate, via=SupportVia.PAPER)
        .exclude(signed_list="")
        .first()
    )


def overdue(proposal: AssemblyProposal, today: date) -> bool:
    """A reached proposal whose assembly is not convened by its last day."""
    return proposal.status == ProposalStatus.REACHED and proposal.convene_by is not None and today > proposal.convene_by
