"""The count that scales (issue 25): summing in whole cents and reading the rows as they arrive
changes nothing in the result, and the count of a vote stays at two queries whatever its size."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from committees.models import Ballot, Vote
from committees.votes import selectors as vote_selectors
from committees.votes.tally import ABSTAIN, CHOICES, DEVELOPER, NO, YES, count_holders, holder_key, holder_of, tally
from community.models import Owner, OwnerKind
from community.rules import NATIONAL, rules_for
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, valid_uscc

QUORUM = (NATIONAL.vote_quorum_area, NATIONAL.vote_quorum_heads)


def reference(holders, ballots, matter=5):
    """The count as first written, a list and a Decimal sum per choice: the specification the
    integer count must match figure for figure, down to how each area is written."""
    approval_area, approval_heads = NATIONAL.approval_thresholds(matter)

    def share(part, whole):
        return Fraction(part) / Fraction(whole) if whole else Fraction(0)

    by_choice = {}
    for choice in CHOICES:
        voters = [h for h, c in ballots.items() if c == choice]
        by_choice[choice] = (sum((holders[h] for h in voters), Decimal("0")), len(voters))
    eligible = (sum(holders.values(), Decimal("0")), len(holders))
    participating = (sum((area for area, _n in by_choice.values()), Decimal("0")), len(ballots))
    yes = by_choice[YES]
    return {
        "eligible": (str(eligible[0]), eligible[1]),
        "participating": (str(participating[0]), participating[1]),
        "by_choice": {c: (str(area), n) for c, (area, n) in by_choice.items()},
        "quorum_area": share(participating[0], eligible[0]),
        "quorum_heads": share(participating[1], eligible[1]),
        "quorum_met": QUORUM[0].met(participating[0], eligible[0]) and QUORUM[1].met(participating[1], eligible[1]),
        "approval_area": share(yes[0], participating[0]),
        "approval_heads": share(yes[1], participating[1]),
        "approved": approval_area.met(yes[0], participating[0]) and approval_heads.met(yes[1], participating[1]),
    }


def figures(result):
    return {
        "eligible": (str(result.eligible.area), result.eligible.heads),
        "participating": (str(result.participating.area), result.participating.heads),
        "by_choice": {c: (str(n.area), n.heads) for c, n in result.by_choice.items()},
        "quorum_area": result.quorum_area,
        "quorum_heads": result.quorum_heads,
        "quorum_met": result.quorum_met,
        "approval_area": result.approval_area,
        "approval_heads": result.approval_heads,
        "approved": result.approved,
    }


@given(
    cents=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=0, max_size=40),
    choices=st.lists(st.sampled_from([None, YES, NO, ABSTAIN]), min_size=40, max_size=40),
)
def test_counting_in_cents_gives_the_figures_of_the_decimal_count(cents, choices):
    in_cents = {str(i): c for i, c in enumerate(cents)}
    in_metres = {key: Decimal(c).scaleb(-2) for key, c in in_cents.items()}
    ballots = {key: choice for key, choice in zip(in_cents, choices, strict=False) if choice is not None}
    expected = reference(in_metres, ballots)
    approval = NATIONAL.approval_thresholds(5)
    assert figures(count_holders(in_metres, ballots, quorum=QUORUM, approval=approval)) == expected
    assert figures(count_holders(in_cents, ballots, quorum=QUORUM, approval=approval, in_cents=True)) == expected


def test_a_choice_nobody_made_reads_zero_as_before():
    result = count_holders(
        {"1": 10_050}, {"1": YES}, quorum=QUORUM, approval=NATIONAL.approval_thresholds(5), in_cents=True
    )
    assert str(result.by_choice[NO].area) == "0" and str(result.by_choice[YES].area) == "100.50"


@pytest.mark.django_db
class TestCountOfAVote:
    def build(self, world, households: int) -> Vote:
        """A building of ``households`` owners and every shape the count must get right: an
        owner of two units, a co-owned unit, the developer's units (one unsold and undelivered,
        one sold but not delivered), and a former owner whose ownership has ended; ballots
        from most of the holders."""
        building = BuildingFactory(estate=world.e1)
        developer = Owner.objects.create(
            kind=OwnerKind.ORGANISATION, name="开发商", uscc=valid_uscc(90 + households, "DY"), is_developer=True
        )
        owners = [OwnerFactory(name=f"业主{i}") for i in range(households)]
        rooms = iter(range(1000))

        def unit(area, **kwargs):
            return UnitFactory(building=building, room=f"{next(rooms):03d}", registered_area=Decimal(area), **kwargs)

        for i, owner in enumerate(owners):
            OwnershipFactory(unit=unit(f"{60 + i}.{i % 100:02d}"), owner=owner)
        OwnershipFactory(unit=unit("45.55"), owner=owners[0])  # one owner, two units, one head
        shared = unit("120.30")
        OwnershipFactory(unit=shared, owner=owners[1])
        OwnershipFactory(unit=shared, owner=owners[2])  # a co-ownership: a head of its own
        OwnershipFactory(unit=unit("99.99"), owner=developer)
        unit("88.01", delivered=False)  # unsold: the developer's
        OwnershipFactory(unit=unit("77.77", delivered=False), owner=owners[-1])  # sold, not delivered
        resold = unit("66.66")
        OwnershipFactory(unit=resold, owner=owners[3], ended_on=date(2020, 1, 1))  # counts no more
        OwnershipFactory(unit=resold, owner=owners[4], started_on=date(2020, 1, 2))
        now = timezone.now()
        vote = Vote.objects.create(
            estate=world.e1,
            matter=5,
            question="规模",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        vote.buildings.set([building])
        keys = sorted(vote_selectors.holder_keys(vote))
        cycle = [YES, YES, NO, ABSTAIN, YES]
        Ballot.objects.bulk_create(
            [Ballot(vote=vote, holder=k, choice=cycle[n % 5], cast_at=now) for n, k in enumerate(keys[:-2])]
        )
        return vote

    @pytest.mark.parametrize("households", [6, 40])
    def test_the_count_is_two_queries_whatever_the_size(self, world, households, django_assert_num_queries):
        vote = self.build(world, households)
        vote = vote_selectors.votes_with_estate().get(pk=vote.pk)  # as the turnout page reads it
        with django_assert_num_queries(2):  # the scope's holders, the ballots
            result = vote_selectors.count(vote)
        with django_assert_num_queries(2):
            live = vote_selectors.turnout(vote)
        assert figures(live["result"]) == figures(result)
        assert result.eligible.heads == households + 2  # the co-ownership and the developer

    @pytest.mark.parametrize("households", [6, 40])
    def test_the_count_matches_the_tally_over_each_unit(self, world, households):
        """count(vote) (holders folded as the rows arrive, sums in cents) against tally() over a
        UnitInput per unit with Decimal areas: the same figures, written the same way."""
        vote = vote_selectors.votes_with_estate().get(pk=self.build(world, households).pk)
        units = vote_selectors.scope_of(vote)
        holder_of_key = {holder_key(holder_of(u)): holder_of(u) for u in units}
        assert DEVELOPER in holder_of_key
        ballots = dict(Ballot.objects.filter(vote=vote).values_list("holder", "choice"))
        rules = rules_for(vote.estate)
        expected = tally(
            units,
            {holder_of_key[k]: c for k, c in ballots.items()},
            quorum=(rules.vote_quorum_area, rules.vote_quorum_heads),
            approval=rules.approval_thresholds(vote.matter),
        )
        assert figures(vote_selectors.count(vote)) == figures(expected)
        assert vote_selectors.holders_of(vote) == {holder_key(h): a for h, a in expected.holders.items()}
