"""Legal windows, counted the way the Civil Code counts them (arts. 200-204).

* The day an event happens is not counted: a window "within 30 days" of an
  election held on 1 March starts on 2 March and its last day is 31 March
  (art. 201).
* A window in months or years ends on the corresponding day of the last month;
  where that month has no such day, on its last day (art. 202).
* A window's last day lasts until 24:00 (art. 203). "以内" and "届满" both mean
  the act is in time on the last day itself and late on the day after.
* Art. 203 also moves a last day that falls on a statutory holiday to the next
  working day. The holiday calendar changes every year and is published late,
  so it is not modelled here: callers get the calendar date, which is the
  stricter reading.

Plain Python; no Django.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def last_day_after_days(event: date, days: int) -> date:
    """The last day of a window of ``days`` days that starts the day after ``event``."""
    if days < 0:
        raise ValueError("a window cannot be negative")
    return event + timedelta(days=days)


def last_day_after_months(event: date, months: int) -> date:
    """The last day of a window of ``months`` months (a year is 12) from ``event``."""
    if months < 0:
        raise ValueError("a window cannot be negative")
    index = event.month - 1 + months
    year, month = event.year + index // 12, index % 12 + 1
    return date(year, month, min(event.day, calendar.monthrange(year, month)[1]))


def in_time(act: date, last_day: date) -> bool:
    """Whether an act done on ``act`` is within a window ending on ``last_day``."""
    return act <= last_day


def days_before(event: date, days: int) -> date:
    """The latest day a notice may go out to give ``days`` clear days before ``event``.

    A 15-day notice for an assembly on 16 March must be posted by 1 March:
    2-16 March are the 15 days, the posting day itself not counted.
    """
    if days < 0:
        raise ValueError("a notice period cannot be negative")
    return event - timedelta(days=days)
