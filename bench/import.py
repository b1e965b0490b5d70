"""Benchmark: importing a 10,000-row registry spreadsheet (CSV and .xlsx) against a raw insert
of the same rows.

One empty estate in a throwaway SQLite database and a generated file of 10,000 data rows
(about 9,100 units in 31 buildings, one in ten with a co-owner row; 70% of owners with an ID
number, all with a mobile). The project side is the import as community staff meet it:
``community.import_services.import_registry`` with a real staff user holding the community
role (access check, estate lock, reading the file, checking every row, comparing with the
registry, writing buildings, units, owners and holdings in one transaction, the audit record).
The baseline is plain ``sqlite3``: ``executemany`` of the very rows the import wrote, table by
table, in one transaction. The sides alternate (bench/harness.py), each starting from empty
tables; the figure is project time ÷ raw time, median of three rounds.
Targets (issue 25): CSV ≤ 4×, .xlsx ≤ 8×. A re-import of the unchanged file must change nothing.

Run: .venv/bin/python bench/import.py [--rows N] [--rounds N]
"""

import argparse
import io
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp()
DB = f"{TMP}/import.sqlite3"
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{DB}", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

import csv  # noqa: E402
import random  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench import harness  # noqa: E402
from community import services as registry  # noqa: E402
from community.identifiers import resident_id_check_digit  # noqa: E402
from community.import_services import import_registry  # noqa: E402
from community.models import Building, Community, District, Estate, Grid, Owner, Ownership, Role, Street, Unit  # noqa: E402
from community.registry_import import HEADERS, template_workbook  # noqa: E402

TABLES = [
    (Building, ["estate_id", "name"]),
    (Unit, ["building_id", "room", "floor", "registered_area", "surveyed_area", "contract_area", "delivered"]),
    (Owner, ["kind", "name", "mobile", "id_number", "uscc", "is_developer"]),
    (Ownership, ["unit_id", "owner_id", "started_on", "ended_on"]),
]


def rows(count: int) -> list[list[str]]:
    rng = random.Random(7)
    out, person, unit = [], 0, 0
    while len(out) < count:
        building, room = unit // 300 + 1, f"{(unit % 300) // 4 + 1}{unit % 4 + 1:02d}"
        unit += 1
        person += 1
        born = date(1950, 1, 1) + timedelta(days=person // 999)
        body = f"350404{born:%Y%m%d}{person % 999 + 1:03d}"
        since = date(2015, rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()
        out.append(
            [
                f"{building}号楼",
                room,
                str((unit % 300) // 4 + 1),
                f"{rng.randrange(5500, 16000) / 100:.2f}",
                "",
                "",
                "是",
                "自然人",
                f"业主{person}",
                body + resident_id_check_digit(body) if rng.random() < 0.7 else "",
                f"13{person:09d}",
                since,
            ]
        )
        if rng.random() < 0.1 and len(out) < count:
            person += 1
            out.append(
                [f"{building}号楼", room, "", "", "", "", "", "自然人", f"共有人{person}", "", f"13{person:09d}", since]
            )
    return out


def as_csv(data) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(data)
    return buffer.getvalue().encode("utf-8-sig")


def setup():
    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="B")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="街道", code="S"), name="社区", code="C"
    )
    estate = Estate.objects.create(
        grid=Grid.objects.create(community=community, name="网格", code="G"),
        name="导入小区",
        code="E",
        delivered_on=date(2010, 1, 1),
    )
    staff = get_user_model().objects.create_user("bench-import", password="x")
    registry.assign_role(actor=None, user=staff, role=Role.COMMUNITY_STAFF, scope=community)
    return estate, staff


def clear():
    """Empty the four tables (outside the timed part of either side)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for model, _columns in reversed(TABLES):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def snapshot():
    """The rows the import wrote, with their ids, as plain sqlite3 values."""
    plain = {bool: int}
    return {
        model: [
            tuple(
                str(v) if hasattr(v, "quantize") or hasattr(v, "isoformat") else plain.get(type(v), lambda x: x)(v)
                for v in row
            )
            for row in model.objects.order_by("pk").values_list("pk", *columns)
        ]
        for model, columns in TABLES
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=harness.MIN_ROUNDS)
    args = parser.parse_args()
    estate, staff = setup()
    settings.DEBUG = False  # as in production: no per-query log (DEBUG=1 is only for the settings to load)
    data = rows(args.rows)
    files = {"CSV": ("bench.csv", as_csv(data)), ".xlsx": ("bench.xlsx", template_workbook(data))}

    clear()
    import_registry(actor=staff, estate=estate, name="bench.xlsx", content=files[".xlsx"][1])
    started = time.perf_counter()
    again = import_registry(actor=staff, estate=estate, name="bench.xlsx", content=files[".xlsx"][1])
    again_took = time.perf_counter() - started
    assert again.changes == 0, "a re-import of the same file must change nothing"
    saved = snapshot()
    counts = {m.__name__: len(v) for m, v in saved.items()}
    print(f"rows: {args.rows} ({len(files['.xlsx'][1]) // 1024} KB .xlsx), written: {counts}")
    print(f"re-import of the unchanged .xlsx (no change): {again_took:.2f} s")

    def baseline() -> float:
        clear()
        connection.close()  # the raw side has the database file to itself
        raw = sqlite3.connect(DB, isolation_level=None)
        try:
            started = time.perf_counter()
            raw.execute("BEGIN")
            for model, columns in TABLES:
                names = ["id", *columns]
                sql = f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
                raw.executemany(sql, saved[model])
            raw.execute("COMMIT")
            return time.perf_counter() - started
        finally:
            raw.close()

    def project(name: str, content: bytes):
        def side() -> float:
            clear()
            started = time.perf_counter()
            import_registry(actor=staff, estate=estate, name=name, content=content)
            return time.perf_counter() - started

        return side

    results = []
    for label, (name, content) in files.items():
        ours, raw = harness.alternate(project(name, content), baseline, rounds=args.rounds)
        print(f"import {label}: {ours:.2f} s   raw executemany of the same rows: {raw:.3f} s   ratio {ours / raw:.2f}x")
        results.append((label, ours, raw))
    for label, ours, raw in results:
        harness.report(
            work=f"import {args.rows:,} rows {label}",
            target="<= 4" if label == "CSV" else "<= 8",
            value=ours / raw,
            note=f"{ours:.2f} s vs raw sqlite3 {raw:.3f} s (median of {max(args.rounds, harness.MIN_ROUNDS)})",
        )


if __name__ == "__main__":
    main()
