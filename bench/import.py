"""Benchmark: importing a 10,000-row registry spreadsheet against a raw bulk insert of the same rows.

One empty estate in a throwaway SQLite database and a generated file of
10,000 data rows (about 9,100 units, one in ten with a co-owner row; 70% of
owners with an ID number, all with a mobile). Times
``community.import_services.import_registry`` from the file's bytes (read the
.xlsx, check every row, compare with the registry, write buildings, units,
owners and holdings in one transaction) against ``executemany`` of the very
rows it wrote, table by table, in one transaction. Also times the same import
from .csv, and a re-import of the unchanged file (which must write nothing).
Prints each figure and the ratios (the issue sets no target; the README records them).

Run: .venv/bin/python bench/import.py [--rows N] [--repeat N]
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp()
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{TMP}/import.sqlite3", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

import csv  # noqa: E402
import random  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from community.identifiers import resident_id_check_digit  # noqa: E402
from community.import_services import import_registry  # noqa: E402
from community.models import Building, Community, District, Estate, Grid, Owner, Ownership, Street, Unit  # noqa: E402
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


def setup() -> Estate:
    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="B")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="街道", code="S"), name="社区", code="C"
    )
    return Estate.objects.create(
        grid=Grid.objects.create(community=community, name="网格", code="G"),
        name="导入小区",
        code="E",
        delivered_on=date(2010, 1, 1),
    )


def clear():
    with transaction.atomic():
        for model, _columns in reversed(TABLES):
            model.objects.all().delete()


def snapshot():
    return {
        model: [
            tuple(str(v) if hasattr(v, "quantize") or hasattr(v, "isoformat") else v for v in row)
            for row in model.objects.order_by("pk").values_list("pk", *columns)
        ]
        for model, columns in TABLES
    }


def raw_insert(saved) -> float:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for model, columns in TABLES:
            names = ["id", *columns]
            sql = f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
            cursor.executemany(sql, saved[model])
    return time.perf_counter() - started


def timed(estate, name, content):
    started = time.perf_counter()
    plan = import_registry(actor=None, estate=estate, name=name, content=content)
    return time.perf_counter() - started, plan


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    estate = setup()
    data = rows(args.rows)
    xlsx, csv_content = template_workbook(data), as_csv(data)
    xlsx_times, csv_times, raw_times, again_times = [], [], [], []
    for _ in range(args.repeat):
        clear()
        took, plan = timed(estate, "bench.xlsx", xlsx)
        xlsx_times.append(took)
        took, again = timed(estate, "bench.xlsx", xlsx)
        assert again.changes == 0, "a re-import of the same file must change nothing"
        again_times.append(took)
        saved = snapshot()
        clear()
        raw_times.append(raw_insert(saved))
        clear()
        took, _plan = timed(estate, "bench.csv", csv_content)
        csv_times.append(took)
    x, c, r, a = (statistics.median(t) for t in (xlsx_times, csv_times, raw_times, again_times))
    counts = {m.__name__: len(v) for m, v in saved.items()}
    print(f"rows: {args.rows} ({len(xlsx) // 1024} KB .xlsx), written: {counts}")
    print(f"import .xlsx: {x:.2f} s   import .csv: {c:.2f} s   re-import (no change): {a:.2f} s")
    print(f"raw executemany of the same rows: {r:.3f} s")
    print(f"ratio .xlsx: {x / r:.1f}x   .csv: {c / r:.1f}x   re-import: {a / r:.1f}x")
    print(
        f"plan of the first import: {len(plan.new_units)} units, {len(plan.new_owners)} owners, "
        f"{len(plan.new_holdings)} holdings"
    )


if __name__ == "__main__":
    main()
