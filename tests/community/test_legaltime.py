from datetime import date

import pytest

from community.legaltime import days_before, in_time, last_day_after_days, last_day_after_months


def test_thirty_days_after_an_election_the_event_day_not_counted():
    # Election 1 March: the 30 days are 2-31 March; filing on 31 March is in time, 1 April is late.
    last = last_day_after_days(date(2026, 3, 1), 30)
    assert last == date(2026, 3, 31)
    assert in_time(date(2026, 3, 31), last)
    assert not in_time(date(2026, 4, 1), last)


def test_a_month_ends_on_the_corresponding_day_or_the_month_end():
    assert last_day_after_months(date(2026, 1, 15), 1) == date(2026, 2, 15)
    assert last_day_after_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert last_day_after_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert last_day_after_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert last_day_after_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_a_fifteen_day_notice_leaves_fifteen_clear_days():
    assert days_before(date(2026, 3, 16), 15) == date(2026, 3, 1)


@pytest.mark.parametrize("func", [last_day_after_days, last_day_after_months, days_before])
def test_negative_windows_are_refused(func):
    with pytest.raises(ValueError):
        func(date(2026, 1, 1), -1)
