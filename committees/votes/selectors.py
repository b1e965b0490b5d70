"""Reads for owners' votes: who holds a vote in a scope and with what area, the tally so far
and the live turnout, the vote lists and ballot lists the pages show, and the passed votes a
contract may rest on. Each read runs a fixed number of queries; none writes."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import BigIntegerField, Exists, F, FilteredRelation, Q, Value
from django.db.models.functions import Cast, Coalesce, Round
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access
from community.models import AREA_SOURCES, Estate, Owner, Ownership, Unit, in_force_q
from community.privacy import mask_name
from community.rules import rules_for

from ..models import Ballot, ContractDecision, Matter, Vote, VoteStatus
from .tally import DEVELOPER, NO, YES, TallyResult, UnitInput, count_holders, holder_from, holder_key

# --------------------------------------------------------------------------- who votes, with what area


def _scope_rows(estate, *, buildings=None, units=None, on=None, held_by=None) -> list[tuple]:
    """Each unit of the scope once, as (unit id, effective area in cents, its owners now,
    whether the developer holds it): one query, a unit joined to its ownerships in force.

    ``buildings`` is None for the whole estate, or a list or queryset of buildings;
    ``units`` (None, or a queryset of units) narrows it further.
    ``held_by`` keeps only the units that owner holds now (a holder's key depends on
    its own units alone, so one owner's holdings need no more than that).
    A unit is developer-held when its current owner is the developer, or, under the
    rule set's developer_one_head rule, when it is sold but not yet delivered.
    The effective area (AREA_SOURCES, first present) is read as whole cents: SQLite
    hands back COALESCE of decimals as a float, and rounding that to cents is exact.
    """
    on = on or timezone.localdate()
    undelivered_to_developer = rules_for(estate).developer_one_head
    chosen = units
    units = Unit.objects.filter(building__estate=estate)
    if buildings is not None:
        units = units.filter(building__in=buildings)
    if chosen is not None:
        units = units.filter(pk__in=chosen)
    if held_by is not None:
        units = units.filter(pk__in=Ownership.objects.in_force(on).filter(owner=held_by).values("unit"))
    query = (
        units.annotate(
            held=FilteredRelation("ownerships", condition=in_force_q(on, "ownerships__")),
            cents=Cast(Round(Coalesce(*AREA_SOURCES) * Value(100)), BigIntegerField()),
        )
        .order_by("pk")
        .values_list("pk", "cents", "delivered", "held__owner_id", F("held__owner__is_developer"))
    )
    # Read straight from the cursor: ids, whole cents and flags (0/1 or booleans) need none of
    # the ORM's per-value converters, which would cost more than the query itself here.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _group_units(rows, undelivered_to_developer)


def _group_units(rows, undelivered_to_developer):
    """Fold the joined rows (ordered by unit) into one tuple per unit."""
    current, area, owners, developer = None, 0, set(), False
    units = []
    for pk, cents, delivered, owner_id, is_developer in rows:
        if pk != current:
            if current is not None:
                units.append((current, area, frozenset(owners), developer))
            current, area, owners = pk, cents, set()
            developer = not delivered and undelivered_to_developer
        if owner_id is not None:
            owners.add(owner_id)
            developer = developer or bool(is_developer)
    if current is not None:
        units.append((current, area, frozenset(owners), developer))
    return units


def scope_units(estate, *, buildings=None, units=None, on=None, held_by=None):
    """The tally's input for an estate (or some of its buildings), one UnitInput per unit."""
    return [
        UnitInput(key=pk, area=Decimal(cents).scaleb(-2), owners=owners, developer_held=developer)
        for pk, cents, owners, developer in _scope_rows(
            estate, buildings=buildings, units=units, on=on, held_by=held_by
        )
    ]


def scope_holders(estate, *, buildings=None, units=None, on=None, held_by=None) -> dict:
    """{holder key as stored on ballots: its area in scope}, as tally.holders_in_scope would
    give for scope_units, read in one query without building a UnitInput per unit."""
    separate = rules_for(estate).co_ownership_separate_head
    cents: dict[str, int] = {}
    for pk, area, owners, developer in _scope_rows(estate, buildings=buildings, units=units, on=on, held_by=held_by):
        if area is None or area <= 0:
            raise ValueError(f"unit {pk!r} needs a positive area")
        key = holder_key(holder_from(pk, owners, developer, co_ownership_separate_head=separate))
        cents[key] = cents.get(key, 0) + area
    return {key: Decimal(total).scaleb(-2) for key, total in cents.items()}


def _buildings(vote: Vote):
    """The vote's buildings, or the whole estate's when it names none (a subquery, not a query)."""
    chosen = Vote.buildings.through.objects.filter(vote=vote)
    return vote.estate.buildings.filter(Q(~Exists(chosen)) | Q(pk__in=chosen.values("building")))


def _units(vote: Vote):
    """The vote's units, or every unit when it names none (a subquery, not a query)."""
    chosen = Vote.units.through.objects.filter(vote=vote)
    return Unit.objects.filter(Q(~Exists(chosen)) | Q(pk__in=chosen.values("unit"))).values("pk")


def scope_of(vote: Vote, *, held_by: Owner | None = None):
    """The vote's units, one UnitInput each (one query)."""
    return scope_units(vote.estate, buildings=_buildings(vote), units=_units(vote), held_by=held_by)


def holders_of(vote: Vote, *, held_by: Owner | None = None) -> dict[str, Decimal]:
    """{holder key: area} over the vote's scope (one query)."""
    return scope_holders(vote.estate, buildings=_buildings(vote), units=_units(vote), held_by=held_by)


def holder_keys(vote: Vote) -> set[str]:
    """Every holder key in the vote's scope."""
    return set(holders_of(vote))


def holdings_of(owner: Owner, vote: Vote) -> list[str]:
    """The holder keys ``owner`` may vote for: alone, as a co-owner, or as the developer.

    A person's holdings are read from their own units only; the developer's
    (which include undelivered units sold to others) from the whole scope.
    """
    if owner.is_developer:
        return [DEVELOPER] if DEVELOPER in holder_keys(vote) else []
    mine = str(owner.pk)
    return sorted(k for k in holders_of(vote, held_by=owner) if k != DEVELOPER and mine in k.split(","))


# --------------------------------------------------------------------------- the count


def count(vote: Vote) -> TallyResult:
    """The tally of the ballots so far: two queries (the scope's holders, the ballots)."""
    rules = rules_for(vote.estate)
    return count_holders(
        holders_of(vote),
        dict(Ballot.objects.filter(vote=vote).values_list("holder", "choice")),
        quorum=(rules.vote_quorum_area, rules.vote_quorum_heads),
        approval=rules.approval_thresholds(vote.matter),
    )


def turnout(vote: Vote) -> dict:
    """Live figures for the committee's screen: the count so far and which outcomes remain reachable."""
    rules = rules_for(vote.estate)
    holders = holders_of(vote)
    ballots = dict(Ballot.objects.filter(vote=vote).values_list("holder", "choice"))
    kwargs = dict(
        quorum=(rules.vote_quorum_area, rules.vote_quorum_heads), approval=rules.approval_thresholds(vote.matter)
    )
    now_result = count_holders(holders, ballots, **kwargs)
    missing = [h for h in holders if h not in ballots]
    best = count_holders(holders, {**ballots, **{h: YES for h in missing}}, **kwargs)
    worst = count_holders(holders, {**ballots, **{h: NO for h in missing}}, **kwargs)
    # It can still fail if the rest vote against, or simply stay away.
    can_fail = not (worst.decided and now_result.decided)
    return {"result": now_result, "can_pass": best.decided, "can_fail": can_fail, "waiting": len(missing)}


# --------------------------------------------------------------------------- what the pages list


def votes_with_estate():
    """Votes with their estate joined, for a view to fetch one through access.get_visible_or_404."""
    return Vote.objects.select_related("estate")


def vote_with_estate(pk) -> Vote | None:
    return votes_with_estate().filter(pk=pk).first()


def owner_votes(owner: Owner) -> list[tuple]:
    """The votes of the estates where ``owner`` holds a unit now, newest first, each with the
    choice on the ballot the owner cast themself (None when they have not). Two queries."""
    estates = Ownership.objects.in_force().filter(owner=owner).values("unit__building__estate")
    vote_list = Vote.objects.filter(estate__in=estates).select_related("estate").order_by("-opens_at")
    mine = dict(Ballot.objects.filter(vote__in=vote_list, cast_by=owner).values_list("vote_id", "choice"))
    return [(v, mine.get(v.pk)) for v in vote_list]


def ballots_cast(vote: Vote, holders) -> dict:
    """{holder: ballot} for the holders among ``holders`` whose ballot is in."""
    return {b.holder: b for b in Ballot.objects.filter(vote=vote, holder__in=holders)}


def convened_votes(user):
    """The votes the user may run, newest first (a queryset, for paging)."""
    return access.visible(user, access.CONVENE_VOTES, votes_with_estate()).order_by("-opens_at")


def convening_estates(user):
    """The estates where the user may convene a vote, by code (a queryset)."""
    return access.visible(user, access.CONVENE_VOTES, Estate.objects.order_by("code"))


def convenes_in(user, estate_pk) -> bool:
    """Whether the user may convene a vote in the estate with that primary key."""
    return convening_estates(user).filter(pk=estate_pk).exists()


def estate_choices(user, *, limit: int = 500):
    """(pk, name) of the estates the user may convene in, for the picker."""
    return convening_estates(user).values_list("pk", "name")[:limit]


def paper_ballots(vote: Vote, *, limit: int = 500) -> tuple[list, int]:
    """The latest ``limit`` ballots of a vote with who entered or cast each, every holder shown
    by masked owner names, and how many ballots there are in all. Three queries."""
    ballots = list(
        Ballot.objects.filter(vote=vote).select_related("entered_by", "cast_by").order_by("-cast_at")[:limit]
    )
    owner_ids = {int(pk) for b in ballots if b.holder != DEVELOPER for pk in b.holder.split(",")}
    names = dict(Owner.objects.filter(pk__in=owner_ids).values_list("pk", "name"))
    rows = [
        (
            b,
            _("开发建设单位")
            if b.holder == DEVELOPER
            else "、".join(mask_name(names.get(int(pk), "?")) for pk in b.holder.split(",")),
        )
        for b in ballots
    ]
    return rows, Ballot.objects.filter(vote=vote).count()


# --------------------------------------------------------------------------- contracts and the votes behind them


def passed_manager_votes(estate) -> list:
    """The estate's closed votes on matter 4 (hiring or dismissing the company) that passed:
    those a contract may be linked to. One query."""
    votes = Vote.objects.filter(estate=estate, matter=Matter.MANAGER, status=VoteStatus.CLOSED).order_by("-closes_at")
    return [v for v in votes if (v.result or {}).get("decided")]


def contract_notes(user, contracts) -> dict:
    """For the estate page (community.tenure.selectors): each contract's deciding votes,
    linked to the vote's result page for those who may read it. One query, and one more for
    the permission when there is a decision to show."""
    estate_of = {c.pk: c.estate_id for c in contracts}
    if not estate_of:
        return {}
    decisions = list(
        ContractDecision.objects.filter(contract__in=list(estate_of)).select_related("vote").order_by("kind")
    )
    readable = {
        pk: access.can(user, access.CONVENE_VOTES, Estate(pk=pk))
        for pk in {estate_of[d.contract_id] for d in decisions}
    }
    notes: dict = {}
    for d in decisions:
        text = _("%(kind)s：%(question)s（%(day)s 表决通过）") % {
            "kind": d.get_kind_display(),
            "question": d.vote.question,
            "day": f"{timezone.localdate(d.vote.closes_at):%Y-%m-%d}",
        }
        url = reverse("committees:turnout", args=[d.vote_id]) if readable[estate_of[d.contract_id]] else None
        notes.setdefault(d.contract_id, []).append((text, url))
    return notes
