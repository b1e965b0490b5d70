"""Benchmark: seed_demo against a raw bulk insert of the same rows, on SQLite.

1. Migrate an empty SQLite database once (not timed) and copy it for each run.
2. Time ``manage.py seed_demo`` into one copy (the whole command: Django start-up,
   services, validation, progress bar).
3. Read back every row it wrote and time a raw ``executemany`` of exactly those
   rows into another copy, in one transaction: the floor for writing that data.
4. Print both times and their ratio. Target: the whole demo in under 60 s.

Run: make bench   (or .venv/bin/python bench/seed_demo.py [--repeat N])
"""

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60


def manage(db: Path, *args: str) -> None:
    env = dict(os.environ, DEBUG="1", DATABASE_URL=f"sqlite:///{db}")
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def seeded_tables(db: Path) -> list[str]:
    """Tables seed_demo wrote rows to. A full-text (FTS5) index is copied through its
    virtual table, which rebuilds it; its shadow tables are never written directly."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        virtual = [name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL TABLE")]
        names = [name for name, _sql in rows if not any(name.startswith(f"{v}_") for v in virtual)]
        return [
            n for n in names if n != "django_migrations" and conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
        ]


def raw_copy(source: Path, target: Path, tables: list[str]) -> tuple[float, int]:
    src = sqlite3.connect(source)
    rows = {t: src.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
    src.close()
    dst = sqlite3.connect(target)
    # Some CHECK constraints call Django's SQL functions (django_date_extract): give the raw
    # connection the same functions Django registers on its own connections.
    from django.db.backends.sqlite3._functions import register

    register(dst)
    dst.execute("PRAGMA foreign_keys=OFF")
    for t in tables:  # migrations pre-fill content types and permissions; replace them
        dst.execute(f'DELETE FROM "{t}"')
    dst.commit()
    started = time.perf_counter()
    with dst:
        for t, data in rows.items():
            marks = ",".join("?" * len(data[0]))
            dst.executemany(f'INSERT INTO "{t}" VALUES ({marks})', data)
    elapsed = time.perf_counter() - started
    dst.close()
    return elapsed, sum(len(d) for d in rows.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        template = tmp / "migrated.sqlite3"
        manage(template, "migrate", "--noinput", "-v", "0")
        seed_times, raw_times = [], []
        for i in range(repeat):
            seeded = tmp / f"seeded{i}.sqlite3"
            shutil.copy(template, seeded)
            started = time.perf_counter()
            manage(seeded, "seed_demo", "--quiet-progress")
            seed_times.append(time.perf_counter() - started)
            tables = seeded_tables(seeded)
            raw = tmp / f"raw{i}.sqlite3"
            shutil.copy(template, raw)
            elapsed, count = raw_copy(seeded, raw, tables)
            raw_times.append(elapsed)
        started = time.perf_counter()
        manage(seeded, "seed_demo", "--quiet-progress")
        rerun = time.perf_counter() - started
    seed, raw = statistics.median(seed_times), statistics.median(raw_times)
    print(f"rows written by seed_demo:   {count:,} in {len(tables)} tables")
    print(
        f"seed_demo (whole command):   {seed:6.2f} s   "
        f"target < {TARGET_SECONDS} s: {'met' if seed < TARGET_SECONDS else 'MISSED'}"
    )
    print(f"raw executemany, same rows:  {raw:6.2f} s")
    print(f"ratio seed_demo / raw:       {seed / raw:6.1f}x")
    print(f"second run (idempotent):     {rerun:6.2f} s")


if __name__ == "__main__":
    main()
