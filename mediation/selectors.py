"""Reads for the mediation pages, already limited to what the reader may see.

A case file is seen by the mediators of its room, by staff holding ``open_cases`` over
the room (community staff, district administrators), and by the parties themselves:
an owner through their login, a company's staff, an estate's committee members.
Statistics carry counts only, never a name.
"""

from __future__ import annotations

import operator
import statistics as stats
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import reduce

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access
from community.backup import Fingerprint
from community.legaltime import last_day_after_days
from community.models import Community, Estate, PropertyCompany, Role, RoleAssignment, Street
from community.pdf import fingerprint, ungrouped
from community.rules import rules_for

from .models import (
    COMMITTEE_POSITIONS,
    Agreement,
    AgreementForm,
    Case,
    CaseParty,
    CaseStatus,
    CaseStep,
    Category,
    Decision,
    MediatorPost,
    PartyKind,
    Room,
    Session,
    SessionStatus,
)

CASE_RELATED = ("room__community", "estate", "unit__building", "mediator")


def _party_filter(user) -> Q:
    """Cases in which the user is (or speaks for) a party."""
    scopes = access.granted_scopes(user, access.VIEW)
    mine = Q(owner__user=user)
    if scopes.get(PropertyCompany):
        mine |= Q(kind=PartyKind.COMPANY, company__in=scopes[PropertyCompany])
    if scopes.get(Estate):
        mine |= Q(kind=PartyKind.COMMITTEE, case__estate__in=scopes[Estate])
    return Q(Exists(CaseParty.objects.filter(mine, case=OuterRef("pk"))))


def party_cases(user) -> QuerySet:
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(_party_filter(user)).select_related(*CASE_RELATED)


def party_recipients(case: Case) -> list:
    """Whom a message to the case's parties can reach: an owner party as the registry's owner
    (its mobile, its account); a company party as its staff's accounts; a committee party as the
    accounts of the estate's committee members. A party recorded only by a name and a phone
    (``other``) has no one behind it to reach. Two queries at most."""
    parties = list(case.parties.select_related("owner").only("kind", "company_id", "owner__user_id", "owner__mobile"))
    people: list = [p.owner for p in parties if p.owner_id is not None]
    companies = {p.company_id for p in parties if p.kind == PartyKind.COMPANY and p.company_id}
    speakers = []
    if companies:
        scope = ContentType.objects.get_for_model(PropertyCompany)
        speakers.append(Q(role=Role.COMPANY_STAFF, scope_type=scope, scope_id__in=companies))
    if any(p.kind == PartyKind.COMMITTEE for p in parties):
        scope = ContentType.objects.get_for_model(Estate)
        speakers.append(Q(role=Role.COMMITTEE_MEMBER, scope_type=scope, scope_id=case.estate_id))
    if speakers:
        roles = RoleAssignment.objects.filter(reduce(operator.or_, speakers))
        people += get_user_model().objects.filter(is_active=True, pk__in=roles.values("user")).only("pk", "email")
    return people


def staff_cases(user) -> QuerySet:
    """Case files the user may read as a mediator or authorised staff."""
    return access.visible(user, access.OPEN_CASES, Case.objects.select_related(*CASE_RELATED))


def case_for(user, pk: int) -> tuple[Case | None, bool]:
    """(the case, whether the user reads it as staff); (None, False) when it is not theirs to see."""
    case = staff_cases(user).filter(pk=pk).first()
    if case is not None:
        return case, True
    return party_cases(user).filter(pk=pk).first(), False


def case_file(case: Case) -> dict:
    """Everything of one case, in a fixed number of queries."""
    parties = list(case.parties.select_related("owner", "company"))
    agreement = Agreement.objects.filter(case=case).select_related("mediator").prefetch_related("signatures").first()
    if agreement is not None:
        agreement.case = case
    sessions = list(case.sessions.select_related("mediator").order_by("starts_at"))
    return {
        "parties": parties,
        "steps": list(case.steps.select_related("by")),
        "sessions": sessions,
        "agreement": agreement,
        "follow_ups": list(case.follow_ups.select_related("by")),
        "refused": list(case.refused_mediators.all()),
    }


def room_mediators(room: Room, on: date | None = None) -> list[MediatorPost]:
    on = on or timezone.localdate()
    return [p for p in room.posts.filter(left_on__isnull=True).order_by("position", "name") if p.serving_on(on)]


def mediator_choices(room: Room, on: date | None = None, *, excluding=None) -> QuerySet:
    """The room's mediators in term on ``on`` (today) as a queryset for a form's choices,
    without those in ``excluding`` (the mediators the parties refused)."""
    choices = MediatorPost.objects.filter(pk__in=[p.pk for p in room_mediators(room, on)])
    if excluding is not None:
        choices = choices.exclude(pk__in=[m.pk for m in excluding])
    return choices


def open_cases(user, *, limit: int = 100) -> QuerySet:
    """The workspace's list: case files the user works on that are not closed, newest first."""
    return staff_cases(user).exclude(status=CaseStatus.CLOSED).order_by("-opened_on", "-pk")[:limit]


def my_cases(user, *, limit: int = 50) -> list[Case]:
    """A party's own cases, newest first."""
    return list(party_cases(user).order_by("-opened_on", "-pk")[:limit])


def party_sessions(cases, *, now=None) -> QuerySet:
    """The sessions still to come in these (the party's own) cases."""
    now = now or timezone.now()
    return (
        Session.objects.filter(case__in=[c.pk for c in cases], status=SessionStatus.BOOKED, ends_at__gte=now)
        .select_related("room", "case")
        .order_by("starts_at")
    )


def case_session(case: Case, pk) -> Session | None:
    return Session.objects.filter(pk=pk, case=case).first()


def case_agreement(case: Case) -> Agreement | None:
    """The case's agreement with its mediator, or None."""
    return Agreement.objects.select_related("mediator").filter(case=case).first()


def verify_code(agreement: Agreement) -> str:
    """The short code in an agreement's printed verify address: digits a person types, where its
    number (JB01调协〔2026〕3号) would be percent-encoded into something nobody can."""
    return str(agreement.pk)


def agreement_by_number(number: str) -> Agreement | None:
    """An agreement by its verify code (``verify_code``, as typed) or by its printed number (the
    address on copies printed before the code), with what its document needs (the public verify page)."""
    code = ungrouped(number)
    found = Q(pk=int(code)) if code.isdigit() and len(code) < 12 else Q(number=number)
    return (
        Agreement.objects.select_related("case__room__community", "mediator")
        .prefetch_related("signatures")
        .filter(found)
        .first()
    )


def unsigned_parties(case: Case, agreement: Agreement) -> QuerySet | None:
    """The case's parties who have not yet signed the agreement, or None when all have."""
    signed = {s.party_id for s in agreement.signatures.all()}
    unsigned = case.parties.exclude(pk__in=signed)
    return unsigned if unsigned.exists() else None


# --------------------------------------------------------------------------- rooms


def sees_rooms(user) -> bool:
    """Whether any room is the user's to view (its mediators, staff over it)."""
    return access.visible(user, access.VIEW, Room.objects.all()).exists()


def may_work_in_mediation(user) -> bool:
    return access.holds_anywhere(user, access.OPEN_CASES) or sees_rooms(user)


def room_communities(user) -> QuerySet:
    """The communities where the user may open a room (and register cases)."""
    return access.visible(user, access.OPEN_CASES, Community.objects.all()).order_by("code")


def may_open_rooms(user) -> bool:
    return room_communities(user).exists()


def publishable_communities(user, rooms: list[RoomView]):
    """The communities of these rooms on whose site the user may publish the room directory."""
    if not rooms:
        return []
    communities = Community.objects.filter(pk__in={v.room.community_id for v in rooms})
    return access.visible(user, access.PUBLISH_NOTICES, communities).order_by("code")


def community(pk) -> Community | None:
    return Community.objects.filter(pk=pk).first()


def rooms_with_place() -> QuerySet:
    """Rooms with their community and street, for a page that fetches one through
    ``access.get_visible_or_404``."""
    return Room.objects.select_related("community__street")


def room_post(room: Room, pk) -> MediatorPost | None:
    return MediatorPost.objects.filter(pk=pk, room=room).first()


def street_estates(room: Room) -> QuerySet:
    """The estates of the room's street: those whose disputes it may register."""
    return Estate.objects.filter(grid__community__street_id=room.community.street_id).order_by("code")


@dataclass
class RoomView:
    room: Room
    posts: list
    committee: int
    expiring: list
    expired: list
    warnings: list = field(default_factory=list)
    open_cases: int = 0


def rooms_for(user, *, today: date | None = None, only: Room | None = None) -> list[RoomView]:
    """The rooms the user may view (or just ``only``), with each room's mediators, committee size
    and term warnings."""
    today = today or timezone.localdate()
    rooms = Room.objects.filter(pk=only.pk) if only is not None else Room.objects.all()
    rooms = (
        access.visible(user, access.VIEW, rooms.select_related("community__street__district__rule_set"))
        .prefetch_related(
            Prefetch("posts", MediatorPost.objects.filter(left_on__isnull=True).order_by("position", "name"))
        )
        .order_by("community__code", "name")
    )
    open_counts = Counter(
        Case.objects.filter(room__in=[r.pk for r in rooms])
        .exclude(status=CaseStatus.CLOSED)
        .values_list("room_id", flat=True)
    )
    views = []
    for room in rooms:
        rules = rules_for(room)
        posts = list(room.posts.all())
        serving = [p for p in posts if p.serving_on(today)]
        committee = sum(1 for p in serving if p.position in COMMITTEE_POSITIONS)
        warn_from = rules.mediator_term_warning_days
        expiring = [p for p in serving if (p.term_ends_on - today).days <= warn_from]
        expired = [p for p in posts if p.term_ends_on < today]
        view = RoomView(room, posts, committee, expiring, expired, open_cases=open_counts.get(room.pk, 0))
        if committee < rules.mediation_committee_min:
            view.warnings.append(("committee", committee, rules.mediation_committee_min))
        views.append(view)
    return views


def upcoming_sessions(user, *, now=None, limit: int = 50) -> QuerySet:
    now = now or timezone.now()
    return (
        Session.objects.filter(case__in=staff_cases(user).values("pk"), status=SessionStatus.BOOKED, ends_at__gte=now)
        .select_related("room", "mediator", "case")
        .order_by("starts_at")[:limit]
    )


def room_schedule(room: Room, *, now=None, limit: int = 60) -> QuerySet:
    now = now or timezone.now()
    return (
        Session.objects.filter(room=room, ends_at__gte=now)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("mediator", "case")
        .order_by("starts_at")[:limit]
    )


# --------------------------------------------------------------------------- statistics

LEVELS = {
    "room": ("room_id", Room, "name"),
    "community": ("room__community_id", Community, "name"),
    "street": ("room__community__street_id", Street, "name"),
}


@dataclass
class GroupStats:
    name: str
    total: int = 0
    categories: Counter = field(default_factory=Counter)
    agreed: int = 0
    ended: int = 0
    refused: int = 0
    days_to_close: list = field(default_factory=list)
    applied: int = 0
    confirmed: int = 0
    pk: int | None = None  # the room's, community's or street's id (None for the total)

    @property
    def concluded(self) -> int:
        return self.agreed + self.ended

    @property
    def agreement_rate(self) -> float | None:
        return self.agreed / self.concluded if self.concluded else None

    @property
    def mean_days(self) -> float | None:
        return stats.fmean(self.days_to_close) if self.days_to_close else None

    @property
    def median_days(self) -> float | None:
        return stats.median(self.days_to_close) if self.days_to_close else None


def statistics(user, level: str, year: int | None = None) -> tuple[list[GroupStats], GroupStats]:
    """Counts per room, community or street over the rooms the user may view: cases by
    category, the agreement rate (agreed / agreed or ended), days from registration to close,
    and judicial confirmations. Three queries, however many cases."""
    key, model, label = LEVELS[level]
    rooms = access.visible(user, access.VIEW, Room.objects.all())
    cases = Case.objects.filter(room__in=rooms)
    if year:
        cases = cases.filter(opened_on__year=year)
    rows = cases.annotate(
        ended=Exists(CaseStep.objects.filter(case=OuterRef("pk"), status=CaseStatus.ENDED)),
        has_agreement=Exists(Agreement.objects.filter(case=OuterRef("pk"))),
    ).values_list(
        key,
        "category",
        "status",
        "ended",
        "has_agreement",
        "opened_on",
        "closed_on",
        "agreement__applied_on",
        "agreement__decision",
    )
    groups: dict[int, GroupStats] = {}
    total = GroupStats(name="")
    for gid, category, status, ended, agreed, opened_on, closed_on, applied_on, decision in rows:
        group = groups.setdefault(gid, GroupStats(name=""))
        for g in (group, total):
            g.total += 1
            g.categories[category] += 1
            if ended:
                g.ended += 1
            elif agreed:
                g.agreed += 1
            if status == CaseStatus.REFUSED or (status == CaseStatus.CLOSED and not ended and not agreed):
                g.refused += 1
            if closed_on:
                g.days_to_close.append((closed_on - opened_on).days)
            if applied_on:
                g.applied += 1
            if decision == Decision.CONFIRMED:
                g.confirmed += 1
    if groups:
        for pk, name in model.objects.filter(pk__in=groups).values_list("pk", label):
            groups[pk].name = name
            groups[pk].pk = pk
    ordered = sorted(groups.values(), key=lambda g: g.name)
    return ordered, total


def category_labels() -> dict[str, str]:
    return {c.value: str(c.label) for c in Category}


# --------------------------------------------------------------------------- the agreement as a document


@dataclass
class AgreementDocument:
    agreement: Agreement
    parties: list
    signatures: dict
    payload: dict
    fingerprint: str


def agreement_document(agreement: Agreement) -> AgreementDocument:
    """What the agreement PDF prints, and its fingerprint: the same on every copy, and the
    same whenever it is printed again while nothing recorded about it changes."""
    case = agreement.case
    parties = list(case.parties.all())
    signatures = {s.party_id: s for s in agreement.signatures.all()}
    payload = {
        "number": agreement.number,
        "case": case.number,
        "room": case.room.name,
        "form": agreement.form,
        "parties": [[p.side, p.kind, p.name, p.representative, p.address] for p in parties],
        "text": [agreement.facts, agreement.issues, agreement.responsibility, agreement.terms, agreement.performance],
        "perform_by": agreement.perform_by,
        "reached_on": agreement.reached_on,
        "mediator": agreement.mediator.name,
        "signatures": sorted([s.party_id, s.method, s.signed_on.isoformat()] for s in signatures.values()),
        "mediator_signed_on": agreement.mediator_signed_on,
        "sealed_on": agreement.sealed_on,
        "effective_on": agreement.effective_on,
    }
    return AgreementDocument(agreement, parties, signatures, payload, fingerprint(payload))


def agreement_fingerprints():
    """Every agreement's fingerprint recomputed from its rows, as the verify page does (the
    backup keeps them; its drill recomputes them from the restored rows)."""
    agreements = (
        Agreement.objects.select_related("case__room", "mediator")
        .prefetch_related("signatures", "case__parties")
        .order_by("pk")
    )
    for agreement in agreements:
        doc = agreement_document(agreement)
        yield Fingerprint(f"mediation.agreement:{agreement.pk}", agreement.number, doc.fingerprint)


# --------------------------------------------------------------------------- an agreement's standing


def missing_for_effect(agreement: Agreement) -> list[str]:
    """What a written agreement still lacks before it takes effect (art. 29), in words."""
    if agreement.form == AgreementForm.ORAL:
        return []
    signed = {s.party_id for s in agreement.signatures.all()}
    missing = [
        str(_("%(party)s 签名、盖章或按指印") % {"party": p.name})
        for p in agreement.case.parties.all()
        if p.pk not in signed
    ]
    if agreement.mediator_signed_on is None:
        missing.append(str(_("调解员签名")))
    if agreement.sealed_on is None:
        missing.append(str(_("调解委员会盖章")))
    return missing


def confirmation_deadline(agreement: Agreement) -> date | None:
    """The last day to apply jointly for judicial confirmation (art. 33), once in effect."""
    if agreement.effective_on is None or agreement.form == AgreementForm.ORAL:
        return None
    return last_day_after_days(agreement.effective_on, rules_for(agreement.case.room).judicial_confirmation_days)


def decision_due(agreement: Agreement) -> date | None:
    """When the court should decide: 15 days from the application, 25 if it extended."""
    if agreement.applied_on is None:
        return None
    rules = rules_for(agreement.case.room)
    days = rules.court_decision_days + (rules.court_extension_days if agreement.court_extended else 0)
    return last_day_after_days(agreement.applied_on, days)
