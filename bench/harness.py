"""What every bench shares: two sides timed alternately, the median of several rounds, and
one result line that `make bench` (bench/run_all.py) gathers into its table.

A bench times the project the way a user meets it (a real actor, the real checks) against a
baseline doing the same work the plain way (raw SQL through psycopg or sqlite3 on the same
table, with the same commits). The two sides take turns, baseline first, so that a busy
machine slows both alike; the figure is the median of at least three rounds.
"""

import json
import statistics
import time
from collections.abc import Callable

RESULT = "BENCH-RESULT "
MIN_ROUNDS = 3


def seconds(work: Callable[[], object]) -> float:
    """Wall time of one call."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def alternate(
    project: Callable[[], float | None], baseline: Callable[[], float | None], *, rounds: int = MIN_ROUNDS
) -> tuple[float, float]:
    """Median seconds of (project, baseline), run in turn `rounds` times, baseline first.

    Each side is a callable; when it returns a number that is its own measured time (for a
    side that sets up outside the timed part), otherwise the whole call is timed.
    """
    rounds = max(rounds, MIN_ROUNDS)
    ours, theirs = [], []
    for _ in range(rounds):
        for side, runs in ((baseline, theirs), (project, ours)):
            started = time.perf_counter()
            measured = side()
            elapsed = time.perf_counter() - started
            runs.append(measured if isinstance(measured, (int, float)) and not isinstance(measured, bool) else elapsed)
    return statistics.median(ours), statistics.median(theirs)


def met(value: float, target: str) -> bool:
    """`target` is '>= 0.5' or '<= 2' (a number, optionally followed by a unit)."""
    op, number = target.split()[:2]
    if op == ">=":
        return value >= float(number)
    if op == "<=":
        return value <= float(number)
    raise ValueError(f"unknown comparison in target {target!r}")


def report(*, work: str, target: str, value: float, unit: str = "×", note: str = "") -> bool:
    """Print the result line `make bench` reads, and return whether the target was met.

    work: what was measured, in a few words. target: '>= 0.5' or '<= 2'. value: the ratio
    (unit '×') or an absolute figure (unit 's', 'ms', …). note: the figures behind it.
    """
    ok = met(value, target)
    line = {"work": work, "target": f"{target} {unit}".strip(), "value": round(value, 3), "unit": unit}
    line.update(met=ok, note=note)
    print(RESULT + json.dumps(line, ensure_ascii=False), flush=True)
    return ok
