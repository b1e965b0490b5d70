from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from committees.exams.marking import mark, question_points
from committees.exams.papers import BlueprintError, draw


def test_single_choice_scores_only_the_right_option():
    assert question_points("single", frozenset({1}), frozenset({1})) == 1
    assert question_points("single", frozenset({1}), frozenset({2})) == 0
    assert question_points("single", frozenset({1}), frozenset()) == 0


def test_multiple_choice_scores_only_when_exactly_right():
    correct = frozenset({1, 2, 3})
    assert question_points("multiple", correct, correct) == 1
    assert question_points("multiple", correct, frozenset({1, 2})) == 0
    assert question_points("multiple", correct, frozenset({1, 2, 3, 4})) == 0


def test_partial_credit_counts_right_options_and_any_wrong_one_loses_all():
    correct = frozenset({1, 2, 3})
    assert question_points("multiple", correct, frozenset({1, 2}), partial_credit=True) == Fraction(2, 3)
    assert question_points("multiple", correct, frozenset({1, 4}), partial_credit=True) == 0
    assert question_points("single", frozenset({1}), frozenset({1, 2}), partial_credit=True) == 0


def test_exactly_the_pass_mark_passes_and_one_point_less_fails():
    right = ("single", {1}, [1])
    wrong = ("single", {1}, [2])
    assert mark([right] * 8 + [wrong] * 2, pass_percent=80).passed
    assert not mark([right] * 7 + [wrong] * 3, pass_percent=80).passed
    result = mark([right] * 4 + [wrong], pass_percent=80)
    assert result.passed and result.percent == 80


def test_a_fraction_just_under_the_mark_fails():
    # 2/3 + 7 points of 10 = 76.67% < 80
    items = [("multiple", {1, 2, 3}, [1, 2])] + [("single", {1}, [1])] * 7 + [("single", {1}, [2])] * 2
    result = mark(items, pass_percent=80, partial_credit=True)
    assert result.points == Fraction(23, 3) and not result.passed


BANK = {
    "votes": [(i, "single", [i * 10 + k for k in range(4)]) for i in range(1, 11)],
    "fund": [(i, "true_false", [i * 10, i * 10 + 1]) for i in range(11, 16)],
}


def test_the_same_seed_draws_the_same_paper_and_another_seed_another():
    paper = draw(42, BANK, {"votes": 5, "fund": 3})
    assert paper == draw(42, BANK, {"votes": 5, "fund": 3})
    assert paper != draw(43, BANK, {"votes": 5, "fund": 3})
    assert len(paper) == 8 and len({item["q"] for item in paper}) == 8


def test_true_false_options_keep_their_order():
    for item in draw(7, BANK, {"fund": 5}):
        assert item["options"] == sorted(item["options"])


def test_a_blueprint_asking_for_more_than_the_bank_has_is_refused():
    with pytest.raises(BlueprintError):
        draw(1, BANK, {"fund": 6})


@given(st.integers(0, 2**48), st.integers(0, 10), st.integers(0, 5))
def test_a_paper_follows_its_blueprint(seed, votes, fund):
    paper = draw(seed, BANK, {"votes": votes, "fund": fund})
    ids = [item["q"] for item in paper]
    assert sum(1 for q in ids if q <= 10) == votes and sum(1 for q in ids if q > 10) == fund
    for item in paper:
        original = next(opts for q, _k, opts in BANK["votes"] + BANK["fund"] if q == item["q"])
        assert sorted(item["options"]) == sorted(original)
