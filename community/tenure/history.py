"""An estate's management history as a timeline of segments: plain Python, no ORM.

The records say when a contract or a self-management period was in force;
whatever they do not cover, from the estate's delivery on, is "no manager"
(无物业). Where records overlap, a company contract outranks self-management.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

COMPANY, SELF, NONE = "company", "self", "none"
_RANK = {COMPANY: 2, SELF: 1, NONE: 0}


@dataclass(frozen=True)
class Period:
    start: date
    last: date | None  # inclusive; None = still in force
    state: str  # COMPANY or SELF
    label: str = ""


@dataclass(frozen=True)
class Segment:
    start: date
    last: date | None  # None = continues to today and beyond
    state: str
    label: str

    def days(self, today: date) -> int:
        return ((self.last or today) - self.start).days + 1


def timeline(periods: list[Period], *, since: date, today: date) -> list[Segment]:
    """Cover ``since``..today with segments; adjacent segments with the same state and label merge."""
    if today < since:
        return []
    cuts = {since, today + timedelta(days=1)}
    for p in periods:
        if p.start > today or (p.last is not None and p.last < since):
            continue
        cuts.add(max(p.start, since))
        if p.last is not None and p.last < today:
            cuts.add(p.last + timedelta(days=1))
    bounds = sorted(cuts)
    segments: list[Segment] = []
    for start, nxt in zip(bounds, bounds[1:], strict=False):
        live = [p for p in periods if p.start <= start and (p.last is None or p.last >= start)]
        best = max(live, key=lambda p: (_RANK[p.state], p.start), default=None)
        state, label = (best.state, best.label) if best else (NONE, "")
        last = nxt - timedelta(days=1)
        if segments and segments[-1].state == state and segments[-1].label == label:
            segments[-1] = Segment(segments[-1].start, last, state, label)
        else:
            segments.append(Segment(start, last, state, label))
    if segments:
        # The segment that reaches today stays open when the record behind it is open.
        tail = segments[-1]
        open_ended = (
            any(
                p.last is None or p.last > today
                for p in periods
                if p.state == tail.state and p.label == tail.label and p.start <= today
            )
            or tail.state == NONE
        )
        if open_ended:
            segments[-1] = Segment(tail.start, None, tail.state, tail.label)
    return segments
