"""Marking of the pre-filing exam (pure Python, exact fractions).

Each question is worth one point.
* Single choice and true/false: the point when the one correct option is chosen.
* Multiple choice: the point only for exactly the correct set. With partial
  credit allowed, a selection that contains no wrong option earns the share of
  the correct options it found (2 of 3 correct: two thirds of a point); any wrong option
  chosen earns nothing, so guessing everything never pays.
The pass mark is a percentage; passing means score / total >= pass mark / 100,
compared exactly (以上 includes the mark itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "true_false"


def question_points(kind: str, correct: frozenset, chosen: frozenset, *, partial_credit: bool = False) -> Fraction:
    if not correct:
        raise ValueError("a question needs at least one correct option")
    if chosen == correct:
        return Fraction(1)
    if kind == MULTIPLE and partial_credit and chosen and chosen <= correct:
        return Fraction(len(chosen), len(correct))
    return Fraction(0)


@dataclass(frozen=True)
class Result:
    points: Fraction
    total: int
    passed: bool

    @property
    def percent(self) -> Fraction:
        return self.points * 100 / self.total if self.total else Fraction(0)


def mark(items, *, pass_percent: int, partial_credit: bool = False) -> Result:
    """``items``: (kind, correct option ids, chosen option ids) per question on the paper."""
    items = list(items)
    points = sum(
        (
            question_points(kind, frozenset(correct), frozenset(chosen), partial_credit=partial_credit)
            for kind, correct, chosen in items
        ),
        Fraction(0),
    )
    total = len(items)
    passed = total > 0 and points * 100 >= pass_percent * total
    return Result(points, total, passed)
