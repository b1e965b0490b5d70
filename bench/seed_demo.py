"""Benchmark: seed_demo, the whole demo district on SQLite, against a raw bulk insert of the same rows.

1. Migrate an empty SQLite database once (timed, reported as a figure) and copy it for each run.
2. Time ``manage.py seed_demo`` into one copy: the whole command as `make demo` runs it (Django
   start-up, every app's demo through its services, the progress bar off).
3. Read back every row it wrote and time a raw ``executemany`` of exactly those rows into another
   copy, in one transaction, with sqlite3: the floor for writing that data. Generated columns
   (``mobile_tail``) are left out, as SQLite computes them.
4. Run seed_demo once more on the seeded database: a re-run adds nothing, and says so quickly.

Target: the whole district in at most 60 s. One run, not the median of three: a run is a minute
or more, and the baseline is three orders of magnitude faster, so alternating buys nothing
(``--repeat N`` takes the median of N when there is time).

Run: .venv/bin/python bench/run_all.py seed_demo   (or .venv/bin/python bench/seed_demo.py [--repeat N])
"""

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

TARGET_SECONDS = 60


def manage(db: Path, *args: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one ``manage.py`` command on the SQLite file
    ``db``. The CPU time is what the command costs whatever else the machine runs: on a shared
    machine the wall time also holds the waits for a core."""
    env = dict(os.environ, DEBUG="1", DATABASE_URL=f"sqlite:///{db}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def seeded_tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """{table: its stored columns} for the tables seed_demo wrote rows to. A full-text (FTS5)
    index is copied through its virtual table, which rebuilds it; its shadow tables are never
    written directly. Only ordinary columns (hidden 0 in table_xinfo) are written: generated
    columns (2, 3) are computed, and a virtual table's hidden columns (1) are not data."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    virtual = [name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    names = [name for name, _sql in rows if not any(name.startswith(f"{v}_") for v in virtual)]
    tables = {}
    for name in names:
        if name == "django_migrations" or not conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]:
            continue
        columns = conn.execute(f'PRAGMA table_xinfo("{name}")').fetchall()  # cid, name, type, notnull, dflt, pk, hidden
        tables[name] = [c[1] for c in columns if c[6] == 0]
    return tables


def _columns(names: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in names)


def raw_copy(source: Path, target: Path) -> tuple[float, int, int]:
    """Seconds to write every row seed_demo wrote, with sqlite3 in one transaction; rows; tables."""
    src = sqlite3.connect(source)
    tables = seeded_tables(src)
    rows = {t: src.execute(f'SELECT {_columns(cols)} FROM "{t}"').fetchall() for t, cols in tables.items()}
    src.close()
    dst = sqlite3.connect(target)
    # Some CHECK constraints call Django's SQL functions (django_date_extract): give the raw
    # connection the same functions Django registers on its own connections.
    from django.db.backends.sqlite3._functions import register

    register(dst)
    dst.execute("PRAGMA foreign_keys=OFF")
    for t in tables:  # migrations pre-fill content types, permissions and the Wagtail root; replace them
        dst.execute(f'DELETE FROM "{t}"')
    dst.commit()
    started = time.perf_counter()
    with dst:
        for t, data in rows.items():
            columns = _columns(tables[t])
            marks = ",".join("?" * len(tables[t]))
            dst.executemany(f'INSERT INTO "{t}" ({columns}) VALUES ({marks})', data)
    elapsed = time.perf_counter() - started
    dst.close()
    return elapsed, sum(len(d) for d in rows.values()), len(tables)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        template = tmp / "migrated.sqlite3"
        migrate, migrate_cpu = manage(template, "migrate", "--noinput", "-v", "0")
        print(f"migrate (fresh SQLite file):  {migrate:6.2f} s (CPU {migrate_cpu:.2f} s)", flush=True)
        seed_times, seed_cpu, raw_times = [], [], []
        for i in range(repeat):
            seeded = tmp / f"seeded{i}.sqlite3"
            shutil.copy(template, seeded)
            wall, cpu = manage(seeded, "seed_demo", "--quiet-progress")
            seed_times.append(wall)
            seed_cpu.append(cpu)
            print(f"seed_demo run {i + 1}:              {wall:6.2f} s (CPU {cpu:.2f} s)", flush=True)
            raw = tmp / f"raw{i}.sqlite3"
            shutil.copy(template, raw)
            elapsed, count, tables = raw_copy(seeded, raw)
            raw_times.append(elapsed)
        rerun, _cpu = manage(seeded, "seed_demo", "--quiet-progress")
    seed, cpu, raw = statistics.median(seed_times), statistics.median(seed_cpu), statistics.median(raw_times)
    runs = "one run" if repeat == 1 else f"median of {repeat} runs"
    print(f"rows written by seed_demo:    {count:,} in {tables} tables")
    print(f"seed_demo (whole command):    {seed:6.2f} s ({runs}; CPU {cpu:.2f} s)")
    print(f"raw executemany, same rows:   {raw:6.2f} s")
    print(f"ratio seed_demo / raw:        {seed / raw:6.1f}x")
    print(f"second run (idempotent):      {rerun:6.2f} s")
    harness.report(
        work="seed_demo, whole district (SQLite)",
        target=f"<= {TARGET_SECONDS}",
        value=seed,
        unit="s",
        note=(
            f"{runs} (a run is a minute; not alternated); CPU {cpu:.1f} s; {count:,} rows in {tables} tables; "
            f"raw executemany of the same rows {raw:.2f} s ({seed / raw:.0f}x); "
            f"migrate {migrate:.1f} s; re-run {rerun:.1f} s"
        ),
    )


if __name__ == "__main__":
    main()
