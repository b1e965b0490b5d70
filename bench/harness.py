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


def raw_connection():
    """The baseline's own connection: the driver itself, not Django, on the database Django is
    set up on (the same SQLite file, or the same PostgreSQL database), and its placeholder.

    SQLite: ``sqlite3.connect`` with the busy timeout of the settings and the one pragma Django
    switches on for each connection (foreign keys), so the raw side checks what ours checks.
    PostgreSQL: ``psycopg.connect`` with the same credentials. Both start a transaction on the
    first write and end it on ``commit()``, as Django's ``atomic`` does.
    Returns (connection, placeholder): '?' for sqlite3, '%s' for psycopg.
    """
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        conn = sqlite3.connect(settings["NAME"], timeout=settings.get("OPTIONS", {}).get("timeout", 5))
        conn.execute("PRAGMA foreign_keys = ON")
        return conn, "?"
    import psycopg

    params = {"dbname": settings["NAME"], "user": settings["USER"], "password": settings["PASSWORD"]}
    params.update({k.lower(): settings[k] for k in ("HOST", "PORT") if settings.get(k)})
    return psycopg.connect(**{k: v for k, v in params.items() if v not in (None, "")}), "%s"


def throwaway_database(url: str, name: str) -> str:
    """Create (again) the PostgreSQL database ``name`` on the server of ``url`` and return its URL;
    ``drop_database(url, name)`` removes it when the bench is done."""
    import psycopg

    server = url.rstrip("/").rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def drop_database(url: str, name: str) -> None:
    import psycopg

    server = url.rstrip("/").rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
