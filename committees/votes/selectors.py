"""Reads for owners' votes: who holds a vote in a scope and with what area, the tally so far
and the live turnout, the vote lists and ballot lists the pages show, and the passed votes a
contract may rest on. Each read runs a fixed number of queries; none writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access
from community.legaltime import last_day_after_days
from community.models import Estate, Owner, Ownership, Unit, area_cents, in_force_q
from community.privacy import mask_mobile, mask_name, mask_text
from community.rules import Threshold, rules_for
from community.selectors import UNITS_NAMED, named_units, people_of, unit_labels
from notifications.models import Channel, DeliveryStatus, Event
from notifications.selectors import deliveries_about, delivery_figures, reached_owner_ids
from residents import coverage

from ..models import Ballot, Candidate, ContractDecision, Matter, Proxy, ServiceMethod, Vote, VoteService, VoteStatus
from .tally import (
    DEVELOPER,
    NO,
    YES,
    ElectionResult,
    TallyResult,
    UnitInput,
    count_election,
    count_holders,
    holder_from,
    holder_key,
    share_text,
)

# --------------------------------------------------------------------------- who votes, with what area


STREAMED_ROWS = 2000  # rows fetched at a time: few calls, and little held at once


def _streamed(query):
    """The rows of a values_list query straight from the cursor, one at a time: ids, whole cents,
    short strings and flags (0/1 or booleans) need none of the ORM's per-value converters, and
    rows read one by one leave no list of tens of thousands of tuples for the garbage collector
    to walk again and again while the count grows."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(STREAMED_ROWS):
            yield from rows


def _scope_rows(estate, *, buildings=None, units=None, on=None, held_by=None):
    """Each unit of the scope once, as (unit id, effective area in cents, its owners now as a
    tuple of ids ascending, whether the developer holds it), streamed from one query: a unit
    joined to its ownerships in force.

    ``buildings`` is None for the whole estate, or a list or queryset of buildings;
    ``units`` (None, or a queryset of units) narrows it further.
    ``held_by`` keeps only the units that owner holds now (a holder's key depends on
    its own units alone, so one owner's holdings need no more than that).
    A unit is developer-held when its current owner is the developer, when it is not yet
    delivered and has no owner (unsold), or, under the rule set's developer_one_head rule,
    when it is sold but not yet delivered.
    The effective area (AREA_SOURCES, first present) is read as whole cents: SQLite
    hands back COALESCE of decimals as a float, and rounding that to cents is exact.
    A unit nobody holds (no owner in force, not the developer's) is not handed on: once every
    unit has gone by, the scope is refused with those units named (_refuse_ownerless).
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
            cents=area_cents(),
        )
        .order_by("pk")
        .values_list("pk", "cents", "delivered", "held__owner_id", F("held__owner__is_developer"))
    )
    nobody = []
    yield from _group_units(_streamed(query), undelivered_to_developer, nobody)
    _refuse_ownerless(nobody)


def _refuse_ownerless(nobody) -> None:
    """A unit with no owner in force that the developer does not hold has no holder: its area
    and head belong to nobody, so no count over it is true. Name the units (one query) instead."""
    if nobody:
        labels = unit_labels(nobody[:UNITS_NAMED])
        raise ValidationError(
            _("以下已交付房屋没有登记业主，无法计票：%(units)s。请先在房屋登记中登记业主（未交付的房屋请如实标注）。")
            % {"units": named_units(labels, len(nobody))},
            code="ownerless_units",
        )


def _group_units(rows, undelivered_to_developer, nobody):
    """Fold the joined rows (ordered by unit) into one tuple per unit held by someone, its owners
    each once and ascending; the ids of the units nobody holds go to ``nobody`` instead."""
    current, area, owners, developer = None, 0, [], False
    for pk, cents, delivered, owner_id, is_developer in rows:
        if pk != current:
            if current is not None:
                if owners or developer:
                    yield current, area, tuple(sorted(set(owners))) if len(owners) > 1 else tuple(owners), developer
                else:
                    nobody.append(current)
            current, area, owners = pk, cents, []
            # An undelivered unit nobody bought is the developer's whatever the rule; the rule
            # decides only the undelivered units sold to others (their owner rows follow).
            developer = not delivered and (undelivered_to_developer or owner_id is None)
        if owner_id is not None:
            owners.append(owner_id)
            developer = developer or bool(is_developer)
    if current is not None:
        if owners or developer:
            yield current, area, tuple(sorted(set(owners))) if len(owners) > 1 else tuple(owners), developer
        else:
            nobody.append(current)


def scope_units(estate, *, buildings=None, units=None, on=None, held_by=None):
    """The tally's input for an estate (or some of its buildings), one UnitInput per unit."""
    return [
        UnitInput(key=pk, area=Decimal(cents).scaleb(-2), owners=frozenset(owners), developer_held=developer)
        for pk, cents, owners, developer in _scope_rows(
            estate, buildings=buildings, units=units, on=on, held_by=held_by
        )
    ]


def _holder_cents(estate, *, buildings=None, units=None, on=None, held_by=None) -> dict[str, int]:
    """{holder key as stored on ballots: its area in scope in whole cents}, folded unit by unit
    as the rows arrive (one query): integers and short strings only, nothing per unit kept."""
    separate = rules_for(estate).co_ownership_separate_head
    cents: dict[str, int] = {}
    get = cents.get
    for pk, area, owners, developer in _scope_rows(estate, buildings=buildings, units=units, on=on, held_by=held_by):
        if area is None or area <= 0:  # the database's constraints make this impossible
            raise ValueError(f"unit {pk!r} needs a positive area")
        if developer:
            key = DEVELOPER
        elif len(owners) == 1:  # the common case, as holder_key(holder_from(...)) gives it
            key = str(owners[0])
        else:
            key = holder_key(holder_from(pk, owners, developer, co_ownership_separate_head=separate))
        cents[key] = get(key, 0) + area
    return cents


def scope_holders(estate, *, buildings=None, units=None, on=None, held_by=None) -> dict:
    """{holder key as stored on ballots: its area in scope}, as tally.holders_in_scope would
    give for scope_units, read in one query without building a UnitInput per unit."""
    return {
        key: Decimal(total).scaleb(-2)
        for key, total in _holder_cents(estate, buildings=buildings, units=units, on=on, held_by=held_by).items()
    }


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


# --------------------------------------------------------------------------- who an online vote can reach


def reachable_holders(holders: dict[str, Decimal], bound: frozenset[int], developer_bound: bool) -> set[str]:
    """The holder keys an online ballot can come from: a holder whose owners include one bound
    to an account (a co-ownership needs only one), the developer when its record is bound."""
    return {
        key
        for key in holders
        if (developer_bound if key == DEVELOPER else any(int(pk) in bound for pk in key.split(",")))
    }


@dataclass(frozen=True)
class Reach:
    """The holders of an estate that bound accounts reach, against the quorum of a vote."""

    holders: int
    reachable: int
    area: Decimal
    reachable_area: Decimal
    area_needed: Threshold
    heads_needed: Threshold

    @property
    def area_share(self) -> Fraction:
        return Fraction(self.reachable_area) / Fraction(self.area) if self.area else Fraction(0)

    @property
    def heads_share(self) -> Fraction:
        return Fraction(self.reachable, self.holders) if self.holders else Fraction(0)

    @property
    def area_short(self) -> bool:
        return not self.area_needed.met(self.reachable_area, self.area)

    @property
    def heads_short(self) -> bool:
        return not self.heads_needed.met(self.reachable, self.holders)

    @property
    def short(self) -> bool:
        """Online ballots alone could not reach the quorum, on area or on heads."""
        return self.area_short or self.heads_short

    @property
    def area_percent(self) -> str:
        return coverage.percent(self.area_share)

    @property
    def heads_percent(self) -> str:
        return coverage.percent(self.heads_share)

    @property
    def needed(self) -> str:
        """The quorum's shares as the warning names them: "2/3", or each when they differ."""

        def text(t: Threshold) -> str:
            share = f"{t.share.numerator}/{t.share.denominator}"
            return share if t.inclusive else _("超过 %(share)s") % {"share": share}

        if self.area_needed == self.heads_needed:
            return text(self.area_needed)
        return _("专有部分面积 %(area)s、人数 %(heads)s") % {
            "area": text(self.area_needed),
            "heads": text(self.heads_needed),
        }


def online_reach(estate, *, on: date | None = None) -> Reach:
    """How much of the estate's area and how many of its holders bound accounts reach, counted
    as the tally counts (``scope_holders``: a co-ownership is one holder, the developer one),
    against the rule set's quorum of area and of heads. Two queries.

    Every unit counts, as in the tally: a delivered unit nobody holds is refused with its name
    (a ValidationError), since no share of the estate is true while its area belongs to nobody."""
    on = on or timezone.localdate()
    rules = rules_for(estate)
    holders = scope_holders(estate, on=on)
    reached = reachable_holders(holders, *coverage.bound_owners(estate, on=on))
    return Reach(
        holders=len(holders),
        reachable=len(reached),
        area=sum(holders.values(), Decimal("0.00")),
        reachable_area=sum((holders[key] for key in reached), Decimal("0.00")),
        area_needed=rules.vote_quorum_area,
        heads_needed=rules.vote_quorum_heads,
    )


# --------------------------------------------------------------------------- the count


def _refuse_strangers(vote: Vote, holders, cast) -> None:
    """A ballot whose holder is no longer in the vote's scope (the unit sold, or its co-owners
    changed, after the ballot was cast) cannot be counted, nor silently dropped: name the units
    of those ballots (one query more, only then) for the conveners to check."""
    strangers = [h for h in cast if h not in holders]
    if not strangers:
        return
    owner_ids = {int(pk) for h in strangers if h != DEVELOPER for pk in h.split(",")}
    units = (
        Ownership.objects.filter(owner__in=owner_ids, unit__building__in=_buildings(vote), unit__in=_units(vote))
        .values_list("unit_id", flat=True)
        .distinct()
    )
    labels = unit_labels(set(units)) if owner_ids else []
    if DEVELOPER in strangers:
        labels.append(_("开发建设单位"))
    raise ValidationError(
        _("以下表决票的表决权人已不在表决范围内（房屋已转让或共有人变更），请核对后再计票：%(units)s。")
        % {"units": named_units(labels)},
        code="ballot_holder_gone",
    )


def _choices(vote: Vote) -> dict[str, str]:
    """{holder key: choice} of the vote's ballots so far (one query)."""
    return dict(_streamed(Ballot.objects.filter(vote=vote).order_by().values_list("holder", "choice")))


def count(vote: Vote) -> TallyResult:
    """The tally of the ballots so far: two queries (the scope's holders, the ballots), with
    areas summed in whole cents. A ballot whose holder left the scope is refused with its units
    named (_refuse_strangers)."""
    rules = rules_for(vote.estate)
    holders = _holder_cents(vote.estate, buildings=_buildings(vote), units=_units(vote))
    ballots = _choices(vote)
    _refuse_strangers(vote, holders, ballots)
    return count_holders(
        holders,
        ballots,
        quorum=(rules.vote_quorum_area, rules.vote_quorum_heads),
        approval=rules.approval_thresholds(vote.matter),
        in_cents=True,
    )


def turnout(vote: Vote) -> dict:
    """Live figures for the committee's screen: the count so far and which outcomes remain reachable."""
    rules = rules_for(vote.estate)
    holders = _holder_cents(vote.estate, buildings=_buildings(vote), units=_units(vote))
    ballots = _choices(vote)
    _refuse_strangers(vote, holders, ballots)
    kwargs = dict(
        quorum=(rules.vote_quorum_area, rules.vote_quorum_heads),
        approval=rules.approval_thresholds(vote.matter),
        in_cents=True,
    )
    now_result = count_holders(holders, ballots, **kwargs)
    missing = [h for h in holders if h not in ballots]
    best = count_holders(holders, {**ballots, **{h: YES for h in missing}}, **kwargs)
    worst = count_holders(holders, {**ballots, **{h: NO for h in missing}}, **kwargs)
    # It can still fail if the rest vote against, or simply stay away.
    can_fail = not (worst.decided and now_result.decided)
    return {"result": now_result, "can_pass": best.decided, "can_fail": can_fail, "waiting": len(missing)}


# --------------------------------------------------------------------------- elections with candidates


def candidates_of(vote: Vote) -> list[Candidate]:
    """An election's candidates by their position on the ballot, with their owner (one query)."""
    return list(Candidate.objects.filter(vote=vote).select_related("owner").order_by("position"))


def election_count(vote: Vote, *, candidates=None, lot=None) -> ElectionResult:
    """The election's count of the ballots so far (tally.count_election): two queries, three
    without ``candidates``. Without a ``lot`` ties past area and heads stay in position order."""
    rules = rules_for(vote.estate)
    candidates = candidates_of(vote) if candidates is None else candidates
    holders = holders_of(vote)
    ballots = {h: chosen or () for h, chosen in Ballot.objects.filter(vote=vote).values_list("holder", "candidates")}
    _refuse_strangers(vote, holders, ballots)
    return count_election(
        holders,
        ballots,
        candidates=[c.pk for c in candidates],
        seats=vote.seats,
        quorum=(rules.vote_quorum_area, rules.vote_quorum_heads),
        threshold=rules.approval_thresholds(vote.matter),
        ranking=rules.election_ranking,
        lot=lot,
    )


def election_figures(vote: Vote, result: ElectionResult, candidates) -> dict:
    """An election's count as frozen in ``vote.result["election"]`` (and shown live in the same
    shape): each candidate's area, heads and shares, who passed and who took a seat. ``short``
    when the seats filled stay below the rule set's smallest committee."""
    by_id = {c.pk: c for c in candidates}
    return {
        "seats": result.seats,
        "candidates": [
            {
                "id": row.candidate,
                "owner": by_id[row.candidate].owner_id,
                "name": by_id[row.candidate].owner.name,
                "position": by_id[row.candidate].position,
                "area": str(row.area),
                "heads": row.heads,
                "area_share": share_text(row.area_share),
                "heads_share": share_text(row.heads_share),
                "passed": row.passed,
                "elected": row.elected,
                "rank": row.rank,
            }
            for row in result.candidates
        ],
        "elected": list(result.elected),
        "lot": list(result.lot),
        "filled": result.filled,
        "short": result.filled < rules_for(vote.estate).committee_min_members,
        "committee": None,
    }


# --------------------------------------------------------------------------- what the pages list


def votes_with_estate():
    """Votes with their estate joined, and what rules_for(estate) reads (the estate's district and
    its rule set), for a view to fetch one through access.get_visible_or_404: the count then
    runs in its own two queries, not four more to climb to the rules."""
    return Vote.objects.select_related("estate__grid__community__street__district__rule_set")


def vote_with_estate(pk) -> Vote | None:
    return votes_with_estate().filter(pk=pk).first()


def owner_votes(owner: Owner) -> list[tuple]:
    """The votes whose scope holds a unit ``owner`` holds now (a vote of the whole estate, or of
    the buildings or units one of theirs is among: the votes whose ballot they may open),
    newest first, each with the choice on the ballot the owner cast themself (None when they
    have not). Two queries."""
    held = Ownership.objects.in_force().filter(owner=owner)
    buildings = Vote.buildings.through.objects.filter(vote=OuterRef("pk"))
    units = Vote.units.through.objects.filter(vote=OuterRef("pk"))
    vote_list = (
        Vote.objects.filter(estate__in=held.values("unit__building__estate"))
        .filter(~Exists(buildings) | Exists(buildings.filter(building__in=held.values("unit__building"))))
        .filter(~Exists(units) | Exists(units.filter(unit__in=held.values("unit"))))
        .select_related("estate")
        .order_by("-opens_at")
    )
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


# --------------------------------------------------------------------------- who is told, and who was reached
# The owners a vote's messages go to are its holders' owners as the scope stands when the
# message is written: each owner of a person's or a co-ownership's units (co-owners each), and
# for the developer's share the developer's own owner record (never the buyers of units not yet
# delivered, who do not vote).

CLOSING_NOTICE_DAYS = 3  # "closing in three days" (issue 19): a reminder, not a legal window
UNREACHED_SHOWN = 200


def _scope_people(vote: Vote):
    """({holder key: [area in cents, owner ids]}, {owner id: [unit ids]}) over the vote's
    scope as it stands now: one query."""
    separate = rules_for(vote.estate).co_ownership_separate_head
    holders: dict[str, list] = {}
    units_of: dict[int, list[int]] = {}
    for pk, cents, owners, developer in _scope_rows(vote.estate, buildings=_buildings(vote), units=_units(vote)):
        key = holder_key(holder_from(pk, owners, developer, co_ownership_separate_head=separate))
        entry = holders.setdefault(key, [0, set()])
        entry[0] += cents
        entry[1].update(owners)
        for owner_id in owners:
            units_of.setdefault(owner_id, []).append(pk)
    return holders, units_of


def _owners_of_holders(holders: dict) -> tuple[dict[str, list[Owner]], dict[int, Owner]]:
    """Each holder's owners to tell, and those owners by id: one query."""
    ids = set().union(*(people for _cents, people in holders.values())) if holders else set()
    owners = Owner.objects.only("pk", "name", "mobile", "user_id", "is_developer").in_bulk(ids)
    told = {
        key: [owners[pk] for pk in sorted(people) if owners[pk].is_developer == (key == DEVELOPER)]
        for key, (_cents, people) in holders.items()
    }
    return told, {o.pk: o for people in told.values() for o in people}


def eligible_owners(vote: Vote) -> list[Owner]:
    """Every owner with a say in the vote now, once each (two queries)."""
    _told, owners = _owners_of_holders(_scope_people(vote)[0])
    return sorted(owners.values(), key=lambda o: o.pk)


def owners_yet_to_vote(vote: Vote) -> list[Owner]:
    """The owners of the holders in scope whose ballot is not in (three queries)."""
    told, _owners = _owners_of_holders(_scope_people(vote)[0])
    cast = set(Ballot.objects.filter(vote=vote).values_list("holder", flat=True))
    waiting = {o.pk: o for key, people in told.items() if key not in cast for o in people}
    return sorted(waiting.values(), key=lambda o: o.pk)


def closing_votes(now=None):
    """Open votes that close within the next three days: running now, and closing no later than
    the end (24:00) of the third day after today (legaltime: today not counted). With the daily
    run at 09:00 that is a reminder 2½ to 3½ days ahead."""
    now = now or timezone.now()
    last_day = last_day_after_days(timezone.localdate(now), CLOSING_NOTICE_DAYS)
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    return (
        votes_with_estate()
        .filter(status=VoteStatus.OPEN, opens_at__lte=now, closes_at__gt=now, closes_at__lte=end)
        .order_by("closes_at", "pk")
    )


def paper_service(vote: Vote):
    """The vote's paper services, newest first, with who recorded them."""
    return vote.services.select_related("owner", "recorded_by")


def service_figures(vote: Vote, *, personal: bool, limit: int = UNREACHED_SHOWN) -> dict:
    """Service of the convening notice (送达) for the vote's staff page, in a fixed number of queries.

    An owner is served when a channel reached them (an SMS or e-mail sent, the inbox message
    read) or a paper service was recorded. A holder (one head, with its area in scope, as the
    tally counts them) is served when every owner of it is. Also: the deliveries per channel and
    status, and the owners still to serve (up to ``limit``, names and mobiles masked unless
    ``personal``) with their units and why no channel reached them."""
    holders, units_of = _scope_people(vote)
    told, owners = _owners_of_holders(holders)
    served = reached_owner_ids(vote, Event.VOTE_CONVENED) | set(
        VoteService.objects.filter(vote=vote).values_list("owner_id", flat=True)
    )
    counts = {"served": [0, 0], "to_serve": [0, 0]}
    for key, (cents, _people) in holders.items():
        # A developer's share without a developer record to tell stays to serve: someone must find them.
        side = "served" if all(o.pk in served for o in told[key]) and told[key] else "to_serve"
        counts[side][0] += 1
        counts[side][1] += cents
    waiting = sorted(pk for pk in owners if pk not in served)
    shown = waiting[:limit]
    why = _why_not_reached(vote, shown)
    labels = dict(
        (pk, f"{b} {r}")
        for pk, b, r in Unit.objects.filter(pk__in={u for pk in shown for u in units_of.get(pk, ())}).values_list(
            "pk", "building__name", "room"
        )
    )
    rows = []
    for pk in shown:
        owner = owners[pk]
        rows.append(
            {
                "id": pk,
                "name": owner.name if personal or owner.is_developer else mask_name(owner.name),
                "mobile": owner.mobile if personal else mask_mobile(owner.mobile),
                "units": "、".join(sorted(labels.get(u, "?") for u in units_of.get(pk, ()))),
                "why": why.get(pk)
                or (_("无手机号、未绑定账号") if not owner.mobile and not owner.user_id else _("未发送")),
            }
        )
    return {
        "heads": {side: n for side, (n, _c) in counts.items()},
        "area": {side: Decimal(c).scaleb(-2) for side, (_n, c) in counts.items()},
        "channel_rows": _channel_rows(delivery_figures(vote, Event.VOTE_CONVENED)),
        "unreached": rows,
        "unreached_total": len(waiting),
    }


def _channel_rows(figures: dict) -> list[tuple]:
    """(channel, its name, {status: count} with every status present) for the channels used."""
    return [
        (channel, label, {status: figures[channel].get(status, 0) for status in DeliveryStatus.values})
        for channel, label in Channel.choices
        if channel in figures
    ]


def _why_not_reached(vote: Vote, owner_ids) -> dict[int, str]:
    """For owners no channel reached: the state of their deliveries, in words (one query)."""
    if not owner_ids:
        return {}
    states: dict[int, list[str]] = {}
    for owner_id, channel, status, reason in (
        deliveries_about(vote, Event.VOTE_CONVENED)
        .filter(owner_id__in=owner_ids)
        .order_by("owner_id", "channel")
        .values_list("owner_id", "channel", "status", "reason")
    ):
        if channel == Channel.INBOX:
            text = _("站内信未读")
        elif status == DeliveryStatus.FAILED:
            text = _("%(channel)s失败：%(reason)s") % {"channel": Channel(channel).label, "reason": reason}
        else:
            text = _("%(channel)s待发送") % {"channel": Channel(channel).label}
        states.setdefault(owner_id, []).append(text)
    return {pk: "；".join(texts) for pk, texts in states.items()}


def service_summary(vote: Vote) -> dict:
    """Served and to serve by heads and area, and the deliveries per channel, for the vote's
    main page (service_figures without the list)."""
    return service_figures(vote, personal=False, limit=0)


# --------------------------------------------------------------------------- proxies (委托)
# A proxy covers a vote when it names the vote, or when its period (both days included) holds
# the vote's whole window. Only a proxy not revoked is active.


def covers(proxy: Proxy, vote: Vote) -> bool:
    """Whether ``proxy`` (active or not) applies to ``vote``."""
    if proxy.vote_id is not None:
        return proxy.vote_id == vote.pk
    return proxy.starts_on <= timezone.localdate(vote.opens_at) and timezone.localdate(vote.closes_at) <= proxy.ends_on


def covering_q(vote: Vote) -> Q:
    """The proxies that cover ``vote`` (revoked or not), as a filter."""
    return Q(vote=vote) | Q(
        vote=None,
        starts_on__lte=timezone.localdate(vote.opens_at),
        ends_on__gte=timezone.localdate(vote.closes_at),
    )


def active_proxies():
    return Proxy.objects.filter(revoked_at__isnull=True)


def principals_of(agent, vote: Vote) -> set[int]:
    """The owners whose active proxies let ``agent`` vote in ``vote`` (one query)."""
    return set(active_proxies().filter(covering_q(vote), agent=agent).values_list("principal_id", flat=True))


def held_for(user, vote: Vote) -> list[Proxy]:
    """The user's active proxies covering ``vote``, with their principals (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(active_proxies().filter(covering_q(vote), agent=user).select_related("principal").order_by("pk"))


def proxied_holdings(user, vote: Vote) -> list[tuple[str, Proxy]]:
    """(holder key, proxy) for each holding the user may vote for as a proxy in ``vote``: one
    query for the proxies and one per principal (at most the rule set's proxy_max_principals)."""
    return [(h, p) for p in held_for(user, vote) for h in holdings_of(p.principal, vote)]


def proxy_votes(user) -> list[tuple[Vote, Proxy]]:
    """The votes the user may vote in (or voted in) as a proxy, newest first, each with the
    proxy: those a vote proxy names, and the open or coming votes a period proxy covers in the
    estates where its principal holds a unit now. Two queries (three with period proxies)."""
    if not getattr(user, "is_authenticated", False):
        return []
    held = list(
        active_proxies().filter(agent=user).select_related("principal", "vote__estate").order_by("created_at", "pk")
    )
    rows = [(p.vote, p) for p in held if p.vote_id is not None]
    periods = [p for p in held if p.vote_id is None]
    if periods:
        estates_of: dict[int, set[int]] = {}
        for owner_id, estate_id in (
            Ownership.objects.in_force()
            .filter(owner__in={p.principal_id for p in periods})
            .values_list("owner_id", "unit__building__estate_id")
        ):
            estates_of.setdefault(owner_id, set()).add(estate_id)
        estates = set().union(*estates_of.values()) if estates_of else set()
        candidates = Vote.objects.filter(estate__in=estates, status=VoteStatus.OPEN).select_related("estate")
        rows += [
            (v, p)
            for v in candidates
            for p in periods
            if v.estate_id in estates_of.get(p.principal_id, ()) and covers(p, v)
        ]
    return sorted(rows, key=lambda row: (row[0].opens_at, row[0].pk, row[1].pk), reverse=True)


def given_proxies(owner: Owner):
    """Every proxy ``owner`` gave, newest first, with the agent, the vote and whether it was
    used (a queryset: one query)."""
    return (
        Proxy.objects.filter(principal=owner)
        .select_related("agent__owner", "vote__estate", "recorded_by")
        .annotate(used=Exists(Ballot.objects.filter(proxy=OuterRef("pk"))))
    )


def held_proxies(user):
    """Every proxy the user holds as agent, newest first, with principal and vote (a queryset)."""
    return (
        Proxy.objects.filter(agent=user)
        .select_related("principal", "vote__estate")
        .annotate(used=Exists(Ballot.objects.filter(proxy=OuterRef("pk"))))
    )


def proxy_of_owner_or_agent(user, pk) -> Proxy | None:
    """A proxy the user gave (through their owner record) or holds; None for any other."""
    if not getattr(user, "is_authenticated", False) or not (str(pk or "").isascii() and str(pk or "").isdigit()):
        return None
    mine = Q(agent=user)
    owner = getattr(user, "owner", None)
    if owner is not None:
        mine |= Q(principal=owner)
    return Proxy.objects.filter(mine, pk=int(pk)).select_related("principal", "vote__estate").first()


def vote_proxies(vote: Vote):
    """The proxies (active or revoked) that cover ``vote`` for an owner in its scope, newest first,
    with principal, agent and who recorded and revoked them, and whether each was used in this
    vote (a queryset: one query)."""
    in_scope = Ownership.objects.in_force().filter(
        owner=OuterRef("principal"), unit__building__in=_buildings(vote), unit__in=_units(vote)
    )
    return (
        Proxy.objects.filter(covering_q(vote))
        .filter(Q(vote=vote) | Exists(in_scope))  # a period proxy, when its owner has a say in the vote
        .select_related("principal", "agent__owner", "recorded_by", "revoked_by")
        .annotate(used=Exists(Ballot.objects.filter(vote=vote, proxy=OuterRef("pk"))))
    )


def agent_label(user) -> str:
    """An agent as others see them: the owner record's masked name, else the masked mobile
    the account signs in with."""
    owner = getattr(user, "owner", None)
    if owner is not None:
        return mask_name(owner.name)
    full = user.get_full_name()
    return mask_name(full) if full else mask_mobile(user.get_username())


def unit_owners(vote: Vote, unit_pk: int) -> list[Owner]:
    """The owners holding the unit now, if the unit lies in the vote's scope (one query)."""
    in_scope = Unit.objects.filter(pk=unit_pk, building__in=_buildings(vote), pk__in=_units(vote))
    return list(
        Owner.objects.filter(
            Exists(Ownership.objects.in_force().filter(owner=OuterRef("pk"), unit__in=in_scope))
        ).order_by("pk")
    )


def proxy_ballots(vote: Vote, *, limit: int = 500) -> tuple[list[dict], int]:
    """The ballots of ``vote`` that came by proxy, newest first, up to ``limit``: the units of
    the principal in the vote's scope, the masked principal and agent, the cast time; and how
    many there are in all. Three queries."""
    ballots = list(
        Ballot.objects.filter(vote=vote, proxy__isnull=False)
        .select_related("cast_by", "proxy__agent__owner")
        .order_by("-cast_at", "-pk")[:limit]
    )
    labels: dict[int, list[str]] = {}
    if ballots:
        for owner_id, building, room in (
            Ownership.objects.in_force()
            .filter(
                owner__in={b.cast_by_id for b in ballots},
                unit__building__in=_buildings(vote),
                unit__in=_units(vote),
            )
            .order_by("unit__building__name", "unit__room")
            .values_list("owner_id", "unit__building__name", "unit__room")
        ):
            labels.setdefault(owner_id, []).append(f"{building} {room}")
    rows = [
        {
            "units": "、".join(labels.get(b.cast_by_id, [])) or "—",
            "principal": mask_name(b.cast_by.name) if b.cast_by else "—",
            "agent": agent_label(b.proxy.agent),
            "cast_at": b.cast_at,
            "choice": b.get_choice_display(),
        }
        for b in ballots
    ]
    total = len(rows) if len(rows) < limit else Ballot.objects.filter(vote=vote, proxy__isnull=False).count()
    return rows, total


def by_proxy(vote: Vote) -> dict:
    """Heads and area of the ballots that came by proxy, counted as the tally counts holders
    (two queries): frozen into the result when the vote closes."""
    holders = holders_of(vote)
    keys = {h for h in Ballot.objects.filter(vote=vote, proxy__isnull=False).values_list("holder", flat=True)}
    counted = [holders[k] for k in keys if k in holders]
    return {"heads": len(counted), "area": str(sum(counted, Decimal("0.00")))}


def service_record(vote: Vote) -> dict:
    """Service of the convening notice as it is frozen into the result when the vote closes:
    heads and area served and to serve, deliveries per channel and status, paper services per
    method, and how many owners were still to serve. Counts only, never a name."""
    figures = service_figures(vote, personal=False, limit=0)
    paper = dict(VoteService.objects.filter(vote=vote).order_by().values_list("method").annotate(n=Count("pk")))
    return {
        "heads": dict(figures["heads"]),
        "area": {side: str(area) for side, area in figures["area"].items()},
        "deliveries": {channel: dict(row) for channel, _label, row in figures["channel_rows"]},
        "paper": {method: paper.get(method, 0) for method in ServiceMethod.values},
        "owners_to_serve": figures["unreached_total"],
    }


# --------------------------------------------------------------------------- the result as a document


def scope_text(vote: Vote) -> str:
    """The vote's scope in words, as its notices state it: "全体业主", buildings, or N units (two queries)."""
    buildings = "、".join(vote.buildings.order_by("name").values_list("name", flat=True))
    units = vote.units.count()
    scope = buildings or _("全体业主")
    if units:
        scope = (
            _("%(scope)s中的 %(n)s 户") % {"scope": scope, "n": units}
            if buildings
            else _("指定的 %(n)s 户") % {"n": units}
        )
    return scope


def result_document(vote: Vote) -> dict:
    """What the public copy of a closed vote's result shows: the vote as convened, its scope in
    words and the result exactly as frozen at the close (figures only; candidates' names are
    masked by the PDF, and the names of the estate's owners in the question here, as a removal
    motion's question names the member). Three queries."""
    return {
        "estate": vote.estate.name,
        "matter": vote.matter,
        "matter_label": str(Matter(vote.matter).label),
        "question": mask_text(vote.question, people_of(vote.estate)),
        "opens_at": timezone.localtime(vote.opens_at),
        "closes_at": timezone.localtime(vote.closes_at),
        "closed_at": timezone.localtime(vote.closed_at) if vote.closed_at else None,
        "scope": scope_text(vote),
        "result": vote.result or {},
        "posted_on": vote.result_posted_on,
        "revoked_on": vote.revoked_on,
    }


def frozen_service(result: dict | None) -> dict | None:
    """The service figures frozen in a closed vote's result, in the shape the service figures
    template reads (with the paper services per method), or None when none were frozen."""
    service = (result or {}).get("service")
    if not service:
        return None
    deliveries = service.get("deliveries", {})
    return {
        "heads": service["heads"],
        "area": service["area"],
        "channel_rows": [(c, label, deliveries[c]) for c, label in Channel.choices if c in deliveries],
        "paper_rows": [(label, service.get("paper", {}).get(m, 0)) for m, label in ServiceMethod.choices],
        "unreached_total": service.get("owners_to_serve", 0),
    }
