from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from committees.votes.tally import ABSTAIN, DEVELOPER, NO, YES, UnitInput, holders_in_scope, tally
from community.rules import NATIONAL

QUORUM = (NATIONAL.vote_quorum_area, NATIONAL.vote_quorum_heads)


def units_of(*areas, developer=()):
    """One unit per area, unit i held by owner i, unless i is in ``developer``."""
    return [UnitInput(i, Decimal(a), frozenset({i}), developer_held=i in developer) for i, a in enumerate(areas)]


def run(units, ballots, matter=5):
    return tally(units, ballots, quorum=QUORUM, approval=NATIONAL.approval_thresholds(matter))


class TestQuorum:
    def test_exactly_two_thirds_of_area_and_heads_meets_the_quorum(self):
        units = units_of("100", "100", "100")
        result = run(units, {frozenset({0}): YES, frozenset({1}): NO})
        assert result.quorum_area == result.quorum_heads == Fraction(2, 3)
        assert result.quorum_met

    def test_a_cent_short_of_two_thirds_of_the_area_fails_even_with_enough_heads(self):
        units = units_of("100.00", "99.99", "100.02")
        result = run(units, {frozenset({0}): YES, frozenset({1}): YES})
        assert result.quorum_heads == Fraction(2, 3) and result.quorum_area < Fraction(2, 3)
        assert not result.quorum_met

    def test_enough_area_but_too_few_heads_fails(self):
        units = units_of("500", "10", "10", "10")
        result = run(units, {frozenset({0}): YES, frozenset({1}): YES})
        assert result.quorum_area > Fraction(2, 3) and result.quorum_heads == Fraction(1, 2)
        assert not result.quorum_met


class TestApproval:
    def test_exactly_half_fails_the_ordinary_majority(self):
        units = units_of("100", "100", "100", "100")
        ballots = {frozenset({0}): YES, frozenset({1}): YES, frozenset({2}): NO, frozenset({3}): NO}
        result = run(units, ballots, matter=5)
        assert result.quorum_met and result.approval_area == result.approval_heads == Fraction(1, 2)
        assert not result.approved

    def test_one_cent_over_half_of_the_area_with_a_head_majority_passes(self):
        units = units_of("100.01", "100.00", "50", "50", "50")
        ballots = {
            frozenset({0}): YES,
            frozenset({2}): YES,
            frozenset({3}): YES,
            frozenset({1}): NO,
            frozenset({4}): NO,
        }
        result = run(units, ballots)
        assert result.approval_area > Fraction(1, 2) and result.approved

    def test_exactly_three_quarters_passes_a_special_matter_and_less_fails(self):
        units = units_of("100", "100", "100", "100")
        ballots = {frozenset({i}): YES for i in range(3)} | {frozenset({3}): NO}
        assert run(units, ballots, matter=7).approved  # 3/4 of area and heads
        ballots[frozenset({2})] = ABSTAIN
        assert not run(units, ballots, matter=7).approved

    def test_abstentions_count_as_participation_but_not_as_approval(self):
        units = units_of("100", "100", "100")
        result = run(units, {frozenset({0}): YES, frozenset({1}): ABSTAIN, frozenset({2}): ABSTAIN})
        assert result.quorum_met and not result.approved and result.by_choice[ABSTAIN].heads == 2


class TestHeads:
    def test_an_owner_of_several_units_is_one_head_with_all_their_area(self):
        units = [
            UnitInput("1-101", Decimal("80"), frozenset({"a"})),
            UnitInput("1-102", Decimal("90"), frozenset({"a"})),
            UnitInput("1-201", Decimal("85"), frozenset({"b"})),
        ]
        holders = holders_in_scope(units)
        assert holders == {frozenset({"a"}): Decimal("170"), frozenset({"b"}): Decimal("85")}

    def test_a_co_ownership_is_a_head_apart_from_its_members(self):
        units = [
            UnitInput("1-101", Decimal("80"), frozenset({"a"})),
            UnitInput("1-102", Decimal("90"), frozenset({"a", "b"})),
        ]
        assert len(holders_in_scope(units)) == 2
        assert len(holders_in_scope(units, co_ownership_separate_head=False)) == 1

    def test_all_developer_held_units_are_one_head(self):
        units = units_of("80", "90", "100", "110", developer=(1, 2, 3))
        holders = holders_in_scope(units)
        assert holders[DEVELOPER] == Decimal("300") and len(holders) == 2

    def test_a_ballot_from_outside_the_scope_is_refused(self):
        with pytest.raises(ValueError):
            run(units_of("80"), {frozenset({"stranger"}): YES})

    def test_bad_input_is_refused(self):
        with pytest.raises(ValueError):
            holders_in_scope([UnitInput(1, Decimal("80"), frozenset({1}))] * 2)
        with pytest.raises(ValueError):
            holders_in_scope([UnitInput(1, Decimal("0"), frozenset({1}))])
        with pytest.raises(ValueError):
            holders_in_scope([UnitInput(1, Decimal("80"), frozenset())])
        with pytest.raises(ValueError):
            run(units_of("80"), {frozenset({0}): "maybe"})


areas = st.decimals(min_value=Decimal("10.00"), max_value=Decimal("300.00"), places=2)
estates = st.lists(st.tuples(areas, st.integers(0, 15), st.booleans()), min_size=1, max_size=30)
choices = st.sampled_from([YES, NO, ABSTAIN, None])


def _build(estate):
    return [UnitInput(i, a, frozenset({f"o{owner}"}), developer_held=dev) for i, (a, owner, dev) in enumerate(estate)]


@given(estates, st.data(), st.integers(1, 9))
def test_adding_a_yes_ballot_never_turns_an_approval_into_a_rejection(estate, data, matter):
    units = _build(estate)
    holders = sorted(holders_in_scope(units), key=repr)
    ballots = {}
    for holder in holders:
        choice = data.draw(choices)
        if choice:
            ballots[holder] = choice
    before = run(units, ballots, matter)
    for holder in holders:
        if ballots.get(holder) != YES:
            after = run(units, {**ballots, holder: YES}, matter)
            assert not (before.approved and not after.approved)
            assert not (before.quorum_met and not after.quorum_met)


@given(estates, st.data())
def test_areas_sum_exactly(estate, data):
    units = _build(estate)
    holders = holders_in_scope(units)
    ballots = {h: data.draw(st.sampled_from([YES, NO, ABSTAIN])) for h in holders if data.draw(st.booleans())}
    result = run(units, ballots)
    assert result.eligible.area == sum(u.area for u in units)
    assert result.participating.area == sum(c.area for c in result.by_choice.values())
    assert result.participating.heads == sum(c.heads for c in result.by_choice.values()) == len(ballots)
