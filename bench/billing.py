"""Benchmark: a billing run over 100,000 units against a raw bulk insert of the same rows.

One estate of 100,000 units (1% sold in the middle of the month, 20% with a
parking space) and a price list of three items, in a throwaway SQLite database.
Times fees.services.run_billing for one month, run by the property company's staff member
(the real access check: keeping this estate's accounts through the contract in force; read
the units, the owners and the spaces; cut the month at each sale; price and split to the cent;
insert the run and its bills) against the driver itself (sqlite3 on the same file, or psycopg
on the same database: bench.harness.raw_connection) inserting the very run row and bill rows
the project wrote, read back as stored, with executemany in one transaction and one commit.
Before each round of either side both tables are emptied (not timed). The sides alternate;
medians of --repeat rounds. Target: at most 2x the raw insert.

Run: .venv/bin/python bench/billing.py [--units N] [--repeat N]
"""

import argparse
import os
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench import harness  # noqa: E402
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
    Role,
    ServiceContract,
    Street,
    Unit,
)  # noqa: E402
from community.services import assign_role  # noqa: E402
from fees import services  # noqa: E402
from fees.models import BillingRun, ParkingSpace  # noqa: E402

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


def setup(count: int) -> tuple[Estate, object]:
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
    # The property company's staff member who prices and bills the month (a real actor: both
    # services check that they keep this estate's accounts through the contract in force).
    staff = get_user_model().objects.create_user("bench-company", password="x")
    assign_role(actor=None, user=staff, role=Role.COMPANY_STAFF, scope=company)
    services.publish_schedule(
        actor=staff,
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
    return estate, staff


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    estate, staff = setup(args.units)
    raw, mark = harness.raw_connection()

    def clear():
        raw.execute("DELETE FROM fees_bill")
        raw.execute("DELETE FROM fees_billingrun")
        raw.commit()

    # The rows the run writes, read back as the driver stores them: the baseline writes these.
    first = services.run_billing(actor=staff, estate=estate, period=PERIOD)
    run_columns = [f.column for f in BillingRun._meta.concrete_fields]
    run_row = raw.execute(f"SELECT {', '.join(run_columns)} FROM fees_billingrun").fetchone()
    rows = raw.execute(f"SELECT {', '.join(COLUMNS)} FROM fees_bill ORDER BY id").fetchall()
    raw.commit()
    clear()

    def ours():
        clear()
        return harness.seconds(lambda: services.run_billing(actor=staff, estate=estate, period=PERIOD))

    def baseline():
        clear()
        started = time.perf_counter()
        raw.execute(
            f"INSERT INTO fees_billingrun ({', '.join(run_columns)}) VALUES ({', '.join([mark] * len(run_columns))})",
            run_row,
        )
        raw.cursor().executemany(
            f"INSERT INTO fees_bill ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})", rows
        )
        raw.commit()
        return time.perf_counter() - started

    a, b = harness.alternate(ours, baseline, rounds=args.repeat)
    # The raw side wrote the very bills: a run after it finds nothing new.
    clear()
    baseline()
    assert services.run_billing(actor=staff, estate=estate, period=PERIOD) is None, "the raw rows are not the bills"
    raw.close()
    print(f"units: {args.units:,}, bills per run: {first.bills_created:,}")
    print(f"run_billing (company staff): {a:.2f} s   raw executemany of the same rows: {b:.2f} s")
    harness.report(
        work=f"billing run, {args.units:,} units",
        target="<= 2",
        value=a / b,
        note=f"run_billing {a:.2f} s vs raw insert {b:.2f} s ({first.bills_created:,} bills, median of {args.repeat})",
    )


if __name__ == "__main__":
    main()
