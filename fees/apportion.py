"""Money arithmetic for fees: plain Python, integer cents, no Django.

* ``cents`` / ``yuan`` convert between Decimal yuan and integer cents.
* ``monthly_cents`` prices one fee item for a whole month (rate × quantity,
  rounded half up to the cent, as a receipt would show it), in integers.
* ``split`` divides an amount in proportion to weights by the largest remainder:
  the parts always add up to the whole, and a leftover cent goes to the part
  that lost the most to rounding (the earlier part on a tie).
* ``apportion`` does the same for weights keyed by anything sortable (units by
  area, sub-accounts by balance), with the maintenance fund's tie-break.
* ``spans`` cuts a month where the set of owners changes, so each owner is
  billed for their own days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

CENT = Decimal("0.01")
K = TypeVar("K")


def cents(amount: Decimal) -> int:
    if not isinstance(amount, Decimal):
        raise TypeError("money is Decimal, never float")
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def yuan(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(CENT)


def yuan_text(value: int) -> str:
    """Cents as the decimal text a database stores ("-0.05", "1234.50")."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def monthly_cents(rate_cents: int, quantity_hundredths: int) -> int:
    """A whole month of one item, to the cent, rounded half up: a rate in cents (per m², unit
    or space) times a quantity in hundredths (m² to two places; 100 for one unit or space).
    Integer arithmetic, so 100,000 units price fast and exactly."""
    if rate_cents < 0 or quantity_hundredths < 0:
        raise ValueError("rates and quantities are not negative")
    return (rate_cents * quantity_hundredths + 50) // 100


def _largest_remainder(total: int, weights: Sequence[int], order) -> list[int]:
    """Each part is total × weight // whole; the cents left over go one each to the parts
    with the largest remainders, ties in ``order`` (a key on the part's index)."""
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("split takes a non-negative total and weights")
    whole = sum(weights)
    if whole == 0:
        raise ValueError("nothing to split by")
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], order(i)))[:left]:
        parts[index] += 1
    return parts


def split(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` cents in proportion to ``weights`` (non-negative integers), summing exactly to ``total``."""
    return _largest_remainder(total, weights, lambda i: i)


def apportion(total_cents: int, weights: Mapping[K, Decimal]) -> dict[K, int]:
    """Share ``total_cents`` among keys in proportion to their weights, exactly.

    Each key first gets the whole cents of its exact share; the cents still left
    go one each to the keys whose shares lost the most in that rounding. A tie
    goes to the larger weight, then to the smaller key. The parts always add up
    to ``total_cents``; a key of weight 0 gets nothing.

    Weights are Decimal (areas in m², balances in yuan) and are compared exactly,
    in hundredths, so no float ever rounds them.

    >>> from decimal import Decimal
    >>> apportion(10000, {"1-101": Decimal("90.00"), "1-102": Decimal("90.00"), "1-201": Decimal("120.00")})
    {'1-101': 3000, '1-102': 3000, '1-201': 4000}

    The one cent left over goes, among equal weights, to the smaller key:

    >>> apportion(1, {"A": Decimal("80"), "B": Decimal("80"), "C": Decimal("80")})
    {'A': 1, 'B': 0, 'C': 0}

    16.67, 33.33 and 50: B and C round down, A takes the remaining cent:

    >>> apportion(100, {"A": Decimal("1"), "B": Decimal("2"), "C": Decimal("3")})
    {'A': 17, 'B': 33, 'C': 50}
    """
    keys = sorted(weights)
    scaled = []
    for key in keys:
        weight = weights[key]
        if not isinstance(weight, (Decimal, int)) or isinstance(weight, bool):
            raise TypeError("weights are Decimal or int, never float")
        hundredths = Decimal(weight) * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"weight {weight} has more than two decimal places")
        scaled.append(int(hundredths))
    parts = _largest_remainder(total_cents, scaled, lambda i: (-scaled[i], i))
    return dict(zip(keys, parts, strict=True))


def month_bounds(period: date) -> tuple[date, date]:
    first = period.replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


@dataclass(frozen=True)
class Span:
    starts_on: date
    ends_on: date
    holders: tuple  # the ownership keys in force on every day of the span; () when nobody holds the unit

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def spans(period: date, holdings: Iterable[tuple[object, date, date | None]]) -> list[Span]:
    """Cut the month of ``period`` into spans over which the same holdings are in force.

    ``holdings`` are (key, started_on, ended_on or None), ended_on inclusive.
    """
    first, last = month_bounds(period)
    holdings = [(key, start, end) for key, start, end in holdings if start <= last and (end is None or end >= first)]
    cuts = {first, last + timedelta(days=1)}
    for _key, start, end in holdings:
        if first < start <= last:
            cuts.add(start)
        if end is not None and first <= end < last:
            cuts.add(end + timedelta(days=1))
    edges = sorted(cuts)
    result = []
    for begin, after in zip(edges, edges[1:], strict=False):
        end = after - timedelta(days=1)
        holders = tuple(
            sorted((key for key, start, stop in holdings if start <= begin and (stop is None or stop >= end)), key=str)
        )
        if result and result[-1].holders == holders:
            result[-1] = Span(result[-1].starts_on, end, holders)
        else:
            result.append(Span(begin, end, holders))
    return result


def bill_parts(monthly: int, month_spans: Sequence[Span]) -> list[tuple[Span, int]]:
    """The month's amount shared by days among the spans that have holders.

    The month is split over all its days first, so the parts of the held spans
    are exactly what those days are worth; days nobody held are not billed.
    """
    parts = split(monthly, [span.days for span in month_spans])
    return [(span, part) for span, part in zip(month_spans, parts, strict=True) if span.holders]
