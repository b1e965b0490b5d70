"""The pure arithmetic of fees: splits sum exactly, a leftover cent goes where rounding lost most."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fees import apportion


def test_split_gives_the_one_cent_of_remainder_to_the_largest_loss():
    # 100 cents over 3 equal parts: 33.33... each; one cent is left and goes to the first (tie).
    assert apportion.split(100, [1, 1, 1]) == [34, 33, 33]
    # 10 cents for 30 days split 10/20: 3.33 and 6.67 -> 3 and 7 (the second lost more).
    assert apportion.split(10, [10, 20]) == [3, 7]


def test_split_with_no_remainder_is_exact():
    assert apportion.split(9000, [10, 20]) == [3000, 6000]


@given(st.integers(0, 10**9), st.lists(st.integers(0, 400), min_size=1, max_size=12).filter(lambda w: sum(w) > 0))
def test_split_always_sums_to_the_total_and_stays_within_a_cent(total, weights):
    parts = apportion.split(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / sum(weights)
        assert abs(part - exact) < 1


def test_split_refuses_negative_and_empty():
    with pytest.raises(ValueError):
        apportion.split(-1, [1])
    with pytest.raises(ValueError):
        apportion.split(1, [0, 0])


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        apportion.cents(1.5)


def test_monthly_amount_rounds_half_up_to_the_cent():
    assert apportion.monthly_cents(185, 8950) == 16558  # 1.85 x 89.50 = 165.575 -> 165.58
    assert apportion.monthly_cents(185, 8930) == 16521  # 165.205 -> 165.21
    assert apportion.monthly_cents(185, 8910) == 16484  # 164.835 -> 164.84
    assert apportion.monthly_cents(200, 8950) == 17900
    assert apportion.monthly_cents(6000, 100) == 6000  # one parking space


@given(st.integers(1, 10**6), st.integers(1, 10**7))
def test_monthly_amount_is_the_decimal_product_rounded_half_up(rate, quantity):
    from decimal import ROUND_HALF_UP

    exact = (Decimal(rate) / 100) * (Decimal(quantity) / 100)
    assert apportion.monthly_cents(rate, quantity) == int((exact * 100).to_integral_value(rounding=ROUND_HALF_UP))


def test_yuan_text_is_what_the_database_stores():
    assert [apportion.yuan_text(v) for v in (0, 5, 123450, -5)] == ["0.00", "0.05", "1234.50", "-0.05"]


def test_a_month_without_a_change_is_one_span():
    spans = apportion.spans(date(2026, 2, 1), [("a", date(2020, 1, 1), None)])
    assert [(s.starts_on, s.ends_on, s.holders) for s in spans] == [(date(2026, 2, 1), date(2026, 2, 28), ("a",))]


def test_a_sale_on_the_tenth_cuts_the_month_at_the_tenth():
    # The seller's last day is the 9th; the buyer holds from the 10th.
    spans = apportion.spans(
        date(2026, 4, 1), [("seller", date(2020, 1, 1), date(2026, 4, 9)), ("buyer", date(2026, 4, 10), None)]
    )
    assert [(s.starts_on.day, s.ends_on.day, s.holders, s.days) for s in spans] == [
        (1, 9, ("seller",), 9),
        (10, 30, ("buyer",), 21),
    ]


def test_days_nobody_held_are_not_billed_and_the_parts_are_the_days_worth():
    # Delivered on the 16th of a 30-day month: the first 15 days have no owner.
    spans = apportion.spans(date(2026, 6, 1), [("first", date(2026, 6, 16), None)])
    parts = apportion.bill_parts(17900, spans)
    assert [(s.starts_on.day, p) for s, p in parts] == [(16, 8950)]


def test_parts_of_a_split_month_add_up_to_the_whole_month():
    spans = apportion.spans(
        date(2026, 1, 1), [("a", date(2020, 1, 1), date(2026, 1, 12)), ("b", date(2026, 1, 13), None)]
    )
    parts = apportion.bill_parts(17900, spans)
    assert sum(p for _s, p in parts) == 17900
    assert [p for _s, p in parts] == [6929, 10971]  # 12/31 and 19/31 of 179.00


def test_co_owners_share_one_span():
    spans = apportion.spans(date(2026, 3, 1), [("a", date(2020, 1, 1), None), ("b", date(2020, 1, 1), None)])
    assert len(spans) == 1 and spans[0].holders == ("a", "b")


def test_month_bounds_in_a_leap_year():
    assert apportion.month_bounds(date(2028, 2, 14)) == (date(2028, 2, 1), date(2028, 2, 29))


# --------------------------------------------------------------------------- apportion (the maintenance fund)

D = Decimal


def test_apportion_one_cent_over_three_equal_units_goes_to_the_smallest_key():
    assert apportion.apportion(1, {"3-101": D("80.00"), "3-102": D("80.00"), "3-103": D("80.00")}) == {
        "3-101": 1,
        "3-102": 0,
        "3-103": 0,
    }


def test_apportion_gives_leftover_cents_to_the_largest_remainders():
    # 100 over 1:2:3 → 16.67, 33.33, 50: floors 16, 33, 50 and one cent left; remainders 4, 2, 0 (of 6) → "a"
    assert apportion.apportion(100, {"a": D("1"), "b": D("2"), "c": D("3")}) == {"a": 17, "b": 33, "c": 50}


def test_on_equal_remainders_the_larger_weight_wins_then_the_smaller_key():
    # 2 cents over 1, 1, 4 (whole 6): floors 0, 0, 1 and one cent left; every remainder is 2 (of 6):
    # the tie goes to the largest weight.
    assert apportion.apportion(2, {"a": D("1"), "b": D("1"), "c": D("4")}) == {"a": 0, "b": 0, "c": 2}
    # equal remainders and equal weights: the smaller key
    assert apportion.apportion(1, {"b": D("5"), "a": D("5")}) == {"a": 1, "b": 0}


def test_the_developers_unsold_units_are_charged_like_any_other():
    parts = apportion.apportion(999999, {"sold": D("80.00"), "developer": D("120.00")})
    assert parts == {"developer": 600000, "sold": 399999} or parts == {"developer": 599999, "sold": 400000}
    assert sum(parts.values()) == 999999


def test_apportion_refuses_floats_and_fractions_of_a_cent():
    with pytest.raises(TypeError):
        apportion.apportion(100, {"a": 1.5})
    with pytest.raises(ValueError):
        apportion.apportion(100, {"a": D("1.005")})
    with pytest.raises(ValueError):
        apportion.apportion(100, {"a": D("0")})
    with pytest.raises(ValueError):
        apportion.apportion(-1, {"a": D("1")})


areas = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@given(
    st.integers(0, 10**11),
    st.dictionaries(st.integers(1, 10**6), areas, min_size=1, max_size=40).filter(lambda w: sum(w.values()) > 0),
)
def test_apportion_always_sums_exactly_and_each_part_is_within_a_cent(total, weights):
    parts = apportion.apportion(total, weights)
    assert set(parts) == set(weights)
    assert sum(parts.values()) == total
    whole = sum(weights.values())
    for key, weight in weights.items():
        exact = D(total) * weight / whole
        assert abs(D(parts[key]) - exact) < 1
        if weight == 0:
            assert parts[key] == 0


@given(st.integers(0, 10**6), st.integers(1, 50), areas.filter(lambda a: a > 0))
def test_equal_weights_differ_by_at_most_a_cent_and_smaller_keys_come_first(total, count, area):
    parts = apportion.apportion(total, {k: area for k in range(count)})
    values = [parts[k] for k in range(count)]
    assert max(values) - min(values) <= 1
    assert values == sorted(values, reverse=True)


def test_the_examples_in_the_module_hold():
    import doctest

    result = doctest.testmod(apportion)
    assert result.attempted >= 4 and result.failed == 0
