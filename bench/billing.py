"""Benchmark: a billing run over 100,000 units against a raw bulk insert of the same rows.

One estate of 100,000 units (1% sold in the middle of the month, 20% with a
parking space) and a price list of three items, in a throwaway SQLite database.
Times fees.services.run_billing for one month (read the units, the owners and the
spaces; cut the month at each sale; price and split to the cent; insert) against
executemany of the very rows it wrote, in one transaction. Prints both and the ratio.
Target: at most 2x the raw insert.

Run: .venv/bin/python bench/billing.py [--units N] [--repeat N]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp()
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{TMP}/billing.sqlite3", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

import random  # noqa: E402
from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from community.identifiers import uscc_check_char  # noqa: E402
from community.models import (
    Building,
    Community,
    District,
    Estate,
    Grid,
    Owner,
    Ownership,
    PropertyCompany,
    ServiceContract,
    Street,
    Unit,
)  # noqa: E402
from fees import services  # noqa: E402
from fees.models import Bill, BillingRun, ParkingSpace  # noqa: E402

PERIOD = date(2026, 3, 1)
COLUMNS = [
    "estate_id",
    "unit_id",
    "item_id",
    "period",
    "starts_on",
    "ends_on",
    "quantity",
    "amount",
    "addressee",
    "run_id",
]


def setup(count: int) -> Estate:
    call_command("migrate", "--noinput", verbosity=0)
    rng = random.Random(11)
    district = District.objects.create(name="基准区", code="B")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="街道", code="S"), name="社区", code="C"
    )
    estate = Estate.objects.create(
        grid=Grid.objects.create(community=community, name="网格", code="G"),
        name="大型小区",
        code="E",
        delivered_on=date(2010, 1, 1),
    )
    body = "91350404WY0000001"
    company = PropertyCompany.objects.create(name="基准物业", uscc=body + uscc_check_char(body))
    ServiceContract.objects.create(
        estate=estate, company=company, mode="remuneration", starts_on=date(2020, 1, 1), ends_on=date(2030, 12, 31)
    )
    buildings = Building.objects.bulk_create([Building(estate=estate, name=f"{i}号楼") for i in range(1, 201)])
    units = Unit.objects.bulk_create(
        [
            Unit(
                building=buildings[i % 200],
                room=f"{i // 200:04d}",
                registered_area=Decimal(rng.randrange(5000, 15000)) / 100,
            )
            for i in range(count)
        ],
        batch_size=5000,
    )
    owners = Owner.objects.bulk_create([Owner(name=f"业主{i}") for i in range(count + count // 100)], batch_size=5000)
    rows = []
    for i, unit in enumerate(units):
        if i % 100 == 0:  # sold on the 13th
            rows.append(Ownership(unit=unit, owner=owners[i], started_on=date(2015, 1, 1), ended_on=date(2026, 3, 12)))
            rows.append(Ownership(unit=unit, owner=owners[count + i // 100], started_on=date(2026, 3, 13)))
        else:
            rows.append(Ownership(unit=unit, owner=owners[i], started_on=date(2015, 1, 1)))
    Ownership.objects.bulk_create(rows, batch_size=5000)
    ParkingSpace.objects.bulk_create(
        [ParkingSpace(estate=estate, number=f"P{i}", unit=u) for i, u in enumerate(units[::5])], batch_size=5000
    )
    services.publish_schedule(
        actor=None,
        estate=estate,
        effective_from=date(2026, 1, 1),
        billing_starts_on=date(2026, 1, 1),
        items=[
            ("物业服务费", "per_area", "1.85"),
            ("生活垃圾清运费", "per_unit", "8.00"),
            ("车位管理费", "parking", "60.00"),
        ],
        service_content="保洁、秩序维护",
        service_standard="二级",
        billing_method="按月",
        price_type="market",
        legal_basis="合同",
    )
    return estate


def clear():
    with transaction.atomic():
        Bill.objects.all().delete()
        BillingRun.objects.all().delete()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    estate = setup(args.units)
    ours_times, raw_times = [], []
    for _ in range(args.repeat):
        clear()
        started = time.perf_counter()
        run = services.run_billing(actor=None, estate=estate, period=PERIOD)
        ours_times.append(time.perf_counter() - started)
        rows = list(Bill.objects.order_by("pk").values_list(*COLUMNS))
        rows = [tuple(str(v) if hasattr(v, "quantize") or hasattr(v, "isoformat") else v for v in row) for row in rows]
        Bill.objects.all().delete()
        sql = f"INSERT INTO fees_bill ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        raw_times.append(time.perf_counter() - started)
        again = services.run_billing(actor=None, estate=estate, period=PERIOD)
        assert again is None, "the raw rows are the same bills, so a second run must find nothing new"
    a, b = statistics.median(ours_times), statistics.median(raw_times)
    print(f"units: {args.units}, bills per run: {run.bills_created}")
    print(f"run_billing: {a:.2f} s   raw executemany of the same rows: {b:.2f} s")
    print(f"ratio: {a / b:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
