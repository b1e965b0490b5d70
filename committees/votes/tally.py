"""Counting an owners' vote by area and by headcount at once (Civil Code art. 278). Pure Python.

Who is a head (SPC interpretation arts. 8-9, RULES.md §1):
* every unit has a holder: its owner, or its co-owners together as one
  co-ownership, which is a different holder from any of them alone;
* all the units the developer holds, unsold or sold but not yet delivered,
  have one holder: the developer;
* a holder is one head however many units it holds, and carries the area of
  all its units in the matter's scope.

A ballot is cast per holder (co-owners vote through one representative). The
quorum is taken over everyone eligible in the scope; the approval over those
who took part. Every share is an exact Fraction and thresholds come from the
rule set, already parsed (community.rules.Threshold), never written here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

YES, NO, ABSTAIN = "yes", "no", "abstain"
CHOICES = (YES, NO, ABSTAIN)
DEVELOPER = "developer"


class ThresholdLike(Protocol):
    def met(self, part, whole) -> bool: ...


@dataclass(frozen=True)
class UnitInput:
    key: Hashable
    area: Decimal
    owners: frozenset
    developer_held: bool = False


def holder_of(unit: UnitInput, *, co_ownership_separate_head: bool = True) -> Hashable:
    """The holder a unit's area and vote belong to.

    With the (inferred, configurable) co-ownership rule switched off, a co-owned
    unit counts under its first owner (the smallest key) instead of as a
    co-ownership of its own.
    """
    return holder_from(
        unit.key, unit.owners, unit.developer_held, co_ownership_separate_head=co_ownership_separate_head
    )


def holder_from(key, owners, developer_held: bool, *, co_ownership_separate_head: bool = True) -> Hashable:
    """holder_of for a unit given as plain values (the database reader's fast path)."""
    if developer_held:
        return DEVELOPER
    if not owners:
        raise ValueError(f"unit {key!r} has no owner and is not held by the developer")
    if len(owners) == 1 or co_ownership_separate_head:
        return frozenset(owners)
    return frozenset({min(owners)})


def holder_key(holder) -> str:
    """A holder as stored on a ballot: "developer", or its owners' ids ascending, comma-joined."""
    if holder == DEVELOPER:
        return DEVELOPER
    if len(holder) == 1:
        return str(next(iter(holder)))
    return ",".join(str(pk) for pk in sorted(holder))


@dataclass(frozen=True)
class Count:
    area: Decimal = Decimal("0")
    heads: int = 0


@dataclass(frozen=True)
class TallyResult:
    eligible: Count
    participating: Count
    by_choice: Mapping[str, Count]
    quorum_area: Fraction
    quorum_heads: Fraction
    quorum_met: bool
    approval_area: Fraction
    approval_heads: Fraction
    approved: bool
    holders: Mapping[Hashable, Decimal | int] = field(repr=False)  # as counted: m², or whole cents

    @property
    def decided(self) -> bool:
        """Quorum and approval both met: the matter is decided in favour."""
        return self.quorum_met and self.approved


def share_text(value: Fraction) -> str:
    """An exact share as stored and shown: "2/3"."""
    return f"{value.numerator}/{value.denominator}"


def _share(part, whole) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def holders_in_scope(units: Iterable[UnitInput], *, co_ownership_separate_head: bool = True) -> dict[Hashable, Decimal]:
    """{holder: its total area in scope}. Areas are summed exactly as Decimals."""
    holders: dict[Hashable, Decimal] = {}
    seen = set()
    for unit in units:
        if unit.key in seen:
            raise ValueError(f"unit {unit.key!r} appears twice in the scope")
        seen.add(unit.key)
        if not isinstance(unit.area, Decimal) or unit.area <= 0:
            raise ValueError(f"unit {unit.key!r} needs a positive Decimal area")
        holder = holder_of(unit, co_ownership_separate_head=co_ownership_separate_head)
        holders[holder] = holders.get(holder, Decimal("0")) + unit.area
    return holders


def tally(
    units: Iterable[UnitInput],
    ballots: Mapping[Hashable, str],
    *,
    quorum: tuple[ThresholdLike, ThresholdLike],
    approval: tuple[ThresholdLike, ThresholdLike],
    co_ownership_separate_head: bool = True,
) -> TallyResult:
    """Count ``ballots`` ({holder: yes/no/abstain}) over the ``units`` of the matter's scope.

    ``quorum`` and ``approval`` are (area threshold, heads threshold) pairs from the
    rule set (``rules.vote_quorum_area``…, ``rules.approval_thresholds(matter)``).
    A ballot from a holder outside the scope is an error, never silently counted.
    """
    holders = holders_in_scope(units, co_ownership_separate_head=co_ownership_separate_head)
    return count_holders(holders, ballots, quorum=quorum, approval=approval)


def count_holders(
    holders: Mapping[Hashable, Decimal | int],
    ballots: Mapping[Hashable, str],
    *,
    quorum: tuple[ThresholdLike, ThresholdLike],
    approval: tuple[ThresholdLike, ThresholdLike],
    in_cents: bool = False,
) -> TallyResult:
    """The count itself, over holders already resolved ({holder: its area in scope}).

    With ``in_cents`` each holder's area is given in whole cents (an int, as the database
    reader sums them): the sums stay integers and each total becomes square metres once, so a
    scope of tens of thousands of holders costs no Decimal per holder. The result is the same
    either way: the same Decimal totals (``Decimal("0")`` for a choice nobody made), and the same
    exact shares, since a ratio of cents is the ratio of the areas.
    """
    strangers = [h for h in ballots if h not in holders]
    if strangers:
        raise ValueError(f"ballots from holders outside the scope: {strangers[:3]!r}")
    bad = set(ballots.values()).difference(CHOICES)
    if bad:
        raise ValueError(f"unknown choices: {sorted(bad)!r}")

    # One pass over the ballots, integer (or Decimal) sums per choice, no list per choice.
    areas, heads = dict.fromkeys(CHOICES, 0), dict.fromkeys(CHOICES, 0)
    for holder, choice in ballots.items():
        areas[choice] += holders[holder]
        heads[choice] += 1

    def count(total, n: int) -> Count:
        if not n:
            return Count(Decimal("0"), 0)
        return Count(Decimal(total).scaleb(-2) if in_cents else total, n)

    # The shares come from the exact totals as given (cents or m²): the same fractions either way.
    eligible_area, participating_area, yes_area = sum(holders.values()), sum(areas.values()), areas[YES]
    eligible, participating = count(eligible_area, len(holders)), count(participating_area, len(ballots))
    yes_heads = heads[YES]
    quorum_area, quorum_heads = quorum
    approval_area, approval_heads = approval
    return TallyResult(
        eligible=eligible,
        participating=participating,
        by_choice={choice: count(areas[choice], heads[choice]) for choice in CHOICES},
        quorum_area=_share(participating_area, eligible_area),
        quorum_heads=_share(participating.heads, eligible.heads),
        quorum_met=quorum_area.met(participating_area, eligible_area)
        and quorum_heads.met(participating.heads, eligible.heads),
        approval_area=_share(yes_area, participating_area),
        approval_heads=_share(yes_heads, participating.heads),
        approved=approval_area.met(yes_area, participating_area) and approval_heads.met(yes_heads, participating.heads),
        holders=holders,
    )


# --------------------------------------------------------------------------- elections with candidates
# A vote on matter 3 may be an election (差额选举): each holder supports up to as many candidates
# as there are seats. The quorum is the vote's, over the holders who returned an election ballot
# (one supporting nobody included). Each candidate is counted by the area and heads of the
# participants supporting them and passes with the matter's approval threshold over the
# participants (ordinary: more than half of the area AND of the heads). When more pass than there
# are seats, the rule set's ranking orders them (area, heads, then the lot drawn at the close).


@dataclass(frozen=True)
class CandidateCount:
    candidate: Hashable
    area: Decimal
    heads: int
    area_share: Fraction
    heads_share: Fraction
    passed: bool
    elected: bool
    rank: int


@dataclass(frozen=True)
class ElectionResult:
    seats: int
    eligible: Count
    participating: Count
    quorum_area: Fraction
    quorum_heads: Fraction
    quorum_met: bool
    candidates: tuple[CandidateCount, ...]  # in the order the candidates were given (their positions)
    elected: tuple  # candidate ids, best ranked first
    lot: tuple  # the lot order that breaks a tie past area and heads (empty when none was drawn)

    @property
    def filled(self) -> int:
        return len(self.elected)

    @property
    def passed(self) -> tuple:
        return tuple(c.candidate for c in sorted(self.candidates, key=lambda c: c.rank) if c.passed)


def count_election(
    holders: Mapping[Hashable, Decimal],
    ballots: Mapping[Hashable, Iterable],
    *,
    candidates: Iterable[Hashable],
    seats: int,
    quorum: tuple[ThresholdLike, ThresholdLike],
    threshold: tuple[ThresholdLike, ThresholdLike],
    ranking: tuple[str, ...],
    lot: Iterable[Hashable] | None = None,
) -> ElectionResult:
    """Count an election over holders already resolved ({holder: area}) and ballots ({holder:
    the candidate ids it supports}, empty for a ballot supporting nobody).

    ``lot`` is every candidate once, in the order drawn at the close; a recount with the same
    lot gives the same seats. Without a lot (a live count) ties past area and heads stay in the
    candidates' own order and ``lot`` in the result is empty.
    """
    candidates = tuple(candidates)
    if len(set(candidates)) != len(candidates):
        raise ValueError("a candidate appears twice")
    if seats < 1:
        raise ValueError("an election fills at least one seat")
    strangers = [h for h in ballots if h not in holders]
    if strangers:
        raise ValueError(f"ballots from holders outside the scope: {strangers[:3]!r}")
    known = set(candidates)
    support: dict[Hashable, frozenset] = {}
    for holder, chosen in ballots.items():
        chosen = list(chosen)
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"ballot of {holder!r} names a candidate twice")
        if len(chosen) > seats:
            raise ValueError(f"ballot of {holder!r} supports {len(chosen)} candidates for {seats} seats")
        if not set(chosen) <= known:
            raise ValueError(f"ballot of {holder!r} names an unknown candidate")
        support[holder] = frozenset(chosen)
    if lot is not None:
        lot = tuple(lot)
        if len(lot) != len(candidates) or set(lot) != known:
            raise ValueError("the lot must name every candidate exactly once")
    draw = {c: i for i, c in enumerate(lot if lot is not None else candidates)}
    if set(ranking) != {"area", "heads", "lot"} or ranking[-1] != "lot":
        raise ValueError(f"not a ranking: {ranking!r}")

    eligible = Count(sum(holders.values(), Decimal("0")), len(holders))
    participating = Count(sum((holders[h] for h in support), Decimal("0")), len(support))
    quorum_area, quorum_heads = quorum
    quorum_met = quorum_area.met(participating.area, eligible.area) and quorum_heads.met(
        participating.heads, eligible.heads
    )
    threshold_area, threshold_heads = threshold

    figures = []
    for candidate in candidates:
        backers = [h for h, chosen in support.items() if candidate in chosen]
        area, heads = sum((holders[h] for h in backers), Decimal("0")), len(backers)
        figures.append(
            (
                candidate,
                area,
                heads,
                threshold_area.met(area, participating.area) and threshold_heads.met(heads, participating.heads),
            )
        )

    def order(row):
        candidate, area, heads, passed = row
        keys = {"area": -area, "heads": -heads, "lot": draw[candidate]}
        return (not passed, *(keys[k] for k in ranking))

    ranked = sorted(figures, key=order)
    rank_of = {row[0]: n for n, row in enumerate(ranked, start=1)}
    elected = tuple(row[0] for row in ranked if row[3] and quorum_met)[:seats]
    chosen = set(elected)
    return ElectionResult(
        seats=seats,
        eligible=eligible,
        participating=participating,
        quorum_area=_share(participating.area, eligible.area),
        quorum_heads=_share(participating.heads, eligible.heads),
        quorum_met=quorum_met,
        candidates=tuple(
            CandidateCount(
                candidate=candidate,
                area=area,
                heads=heads,
                area_share=_share(area, participating.area),
                heads_share=_share(heads, participating.heads),
                passed=passed,
                elected=candidate in chosen,
                rank=rank_of[candidate],
            )
            for candidate, area, heads, passed in figures
        ),
        elected=elected,
        lot=lot if lot is not None else (),
    )
