"""Benchmark: importing a 2,000-row HC小区 资产信息 workbook against a raw insert of the same rows.

2,000 rows is HC's own upload limit. One empty estate and a generated HC workbook: about
1,500 rooms over 7 buildings of units 0–3 (unit 0: HC's shops), one owner
row per sold room (one in ten naming two co-owners in one cell, half with an ID number, all with
a mobile as an Excel number), about 15% family rows (1002), 6% tenant rows (1003), 2% temporary
rows (1004, skipped) and 3% unsold rooms (2002, the developer's). Times
``community.import_services.import_registry`` from the file's bytes (detect the layout, read,
check, plan, write buildings, units, owners, holdings and household invitations in one
transaction) against ``executemany`` of the very rows it wrote, table by table, in one
transaction; and a re-import of the unchanged file (which must change nothing). The import runs
as community staff (a real user with the community role); the baseline is raw sqlite3 (or
psycopg) on the same tables; the sides alternate (bench/harness.py), median of three.
Target: ≤ 8× the raw insert, as for any .xlsx import (issue 25).

Run: .venv/bin/python bench/hc_import.py [--rows N] [--repeat N] [--database-url URL]
(SQLite in a throwaway file by default; for PostgreSQL give an empty database's URL).
"""

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_parser = argparse.ArgumentParser()
_parser.add_argument("--rows", type=int, default=2_000)
_parser.add_argument("--repeat", type=int, default=3)
_parser.add_argument("--database-url", default=f"sqlite:///{tempfile.mkdtemp()}/hc.sqlite3")
ARGS = _parser.parse_args()
os.environ.update(DEBUG="1", DATABASE_URL=ARGS.database_url, DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

import random  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench import harness  # noqa: E402
from community import services as registry  # noqa: E402
from community.hc_import import HEADERS, SHEET  # noqa: E402
from community.identifiers import resident_id_check_digit  # noqa: E402
from community.import_services import import_registry  # noqa: E402
from community.models import (  # noqa: E402
    Building,
    Community,
    District,
    Estate,
    Grid,
    Owner,
    Ownership,
    Role,
    Street,
    Unit,
)
from residents.models import Household  # noqa: E402

DEVELOPER = "基准置业有限公司"
TABLES = [
    (Building, ["estate_id", "name"]),
    (Unit, ["building_id", "room", "floor", "registered_area", "surveyed_area", "contract_area", "delivered"]),
    (Owner, ["kind", "name", "mobile", "id_number", "uscc", "is_developer"]),
    (Ownership, ["unit_id", "owner_id", "started_on", "ended_on"]),
    (Household, ["unit_id", "owner_id", "mobile", "name", "relation", "invited_at", "shares_bills"]),
]


def hc_rows(count: int) -> list[list]:
    rng = random.Random(11)
    out, person, room_no = [], 0, 0

    def mobile():
        return float(f"13{person:09d}")  # as HC's export holds it: an Excel number

    while len(out) < count:
        building, unit = room_no // 250 + 1, (room_no // 80) % 4  # unit 0: the building's shops
        room = f"{(room_no % 80) // 4 + 1}{room_no % 4 + 1:02d}"
        room_no += 1
        area = f"{rng.randrange(5500, 16000) / 100:.2f}"
        base = [
            str(building),
            str(unit),
            room,
            str((room_no % 80) // 4 + 1),
            "18",
            "是",
            "住宅",
            "三室",
            area,
            "80",
            "0",
        ]
        if rng.random() < 0.03:
            out.append([*base, "2002", "", "", "", "", "1001"])
            continue
        person += 1
        born = date(1950, 1, 1) + timedelta(days=person // 999)
        body = f"350404{born:%Y%m%d}{person % 999 + 1:03d}"
        id_card = body + resident_id_check_digit(body) if rng.random() < 0.5 else ""
        names = f"业主{person}"
        if rng.random() < 0.1:
            names += f"，共有人{person}"
        out.append([*base, "2001", names, "男", mobile(), id_card, "1001"])
        for kind, share in (("1002", 0.2), ("1003", 0.08), ("1004", 0.03)):
            if rng.random() < share and len(out) < count:
                person += 1
                out.append([*base, "2001", f"成员{person}", "女", mobile(), "", kind])
    return out[:count]


def as_hc_xlsx(data) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()  # numbers stay numbers and the sheet's size is recorded, as HC's own export writes it
    sheet = book.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for row in data:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def setup():
    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="HB")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="街道", code="HS"), name="社区", code="HC"
    )
    estate = Estate.objects.create(
        grid=Grid.objects.create(community=community, name="网格", code="HG"),
        name="HC导入小区",
        code="HE",
        delivered_on=date(2010, 1, 1),
    )
    staff = get_user_model().objects.create_user("bench-hc-import", password="x")
    registry.assign_role(actor=None, user=staff, role=Role.COMMUNITY_STAFF, scope=community)
    return estate, staff


def clear():
    """Empty the written tables (outside the timed part of either side)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for model, _columns in reversed(TABLES):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def snapshot():
    """The rows the import wrote, with their ids; for sqlite3 as plain values."""
    sqlite = connection.vendor == "sqlite"

    def plain(v):
        if sqlite and (hasattr(v, "quantize") or hasattr(v, "isoformat")):
            return str(v)
        return int(v) if sqlite and isinstance(v, bool) else v

    return {
        model: [tuple(plain(v) for v in row) for row in model.objects.order_by("pk").values_list("pk", *columns)]
        for model, columns in TABLES
    }


def raw_connection():
    """The database without Django: sqlite3 on the file, or psycopg on the server."""
    if connection.vendor == "sqlite":
        return sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None), "?"
    import psycopg

    return psycopg.connect(ARGS.database_url, autocommit=True), "%s"


def main():
    estate, staff = setup()
    settings.DEBUG = False  # as in production: no per-query log (DEBUG=1 is only for the settings to load)
    data = hc_rows(ARGS.rows)
    content = as_hc_xlsx(data)

    clear()
    plan = import_registry(actor=staff, estate=estate, name="hc.xlsx", content=content, developer=DEVELOPER)
    started = time.perf_counter()
    second = import_registry(actor=staff, estate=estate, name="hc.xlsx", content=content, developer=DEVELOPER)
    again = time.perf_counter() - started
    assert second.changes == 0, "a re-import of the same workbook must change nothing"
    saved = snapshot()

    def baseline() -> float:
        clear()
        connection.close()  # the raw side has the database to itself
        raw, mark = raw_connection()
        try:
            started = time.perf_counter()
            raw.execute("BEGIN")
            for model, columns in TABLES:
                names = ["id", *columns]
                marks = ", ".join([mark] * len(names))
                sql = f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) VALUES ({marks})"
                if hasattr(raw, "executemany"):
                    raw.executemany(sql, saved[model])
                else:
                    raw.cursor().executemany(sql, saved[model])
            raw.execute("COMMIT")
            return time.perf_counter() - started
        finally:
            raw.close()

    def project() -> float:
        clear()
        started = time.perf_counter()
        import_registry(actor=staff, estate=estate, name="hc.xlsx", content=content, developer=DEVELOPER)
        return time.perf_counter() - started

    ours, raw = harness.alternate(project, baseline, rounds=ARGS.repeat)
    counts = {m.__name__: len(v) for m, v in saved.items()}
    print(f"database: {connection.vendor}; rows: {len(data)} ({len(content) // 1024} KB .xlsx), written: {counts}")
    print(f"HC import: {ours:.2f} s   re-import (no change): {again:.2f} s   raw executemany: {raw:.3f} s")
    report = plan.report
    print(
        f"mapped: owners {report.owners}, co-owners {report.co_owners}, family {report.family}, "
        f"tenants {report.tenants}, temporary skipped {report.temporary}, unsold {report.unsold}"
    )
    harness.report(
        work=f"import {len(data):,}-row HC workbook",
        target="<= 8",
        value=ours / raw,
        note=f"{ours:.2f} s vs raw {connection.vendor} {raw:.3f} s (median of {max(ARGS.repeat, harness.MIN_ROUNDS)})",
    )


if __name__ == "__main__":
    main()
