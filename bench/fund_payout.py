"""Benchmark: a maintenance-fund payout over 5,000 charged units against a raw bulk insert of the same entries.

One estate of 5,000 units with sub-accounts, and an emergency request cleared for payout
(an emergency skips the vote, which is not what is measured). Times, in the same run:

* ``pay_out`` whole: lock the request, read the charged areas, apportion the settlement to
  the cent, reserve 5,000 voucher numbers, insert the entries, build the
  split PDF and draft the settlement notice;
* the posting alone (``fees.ledger.post_many`` of those 5,000 lines);
* the floor: executemany of exactly the rows the payout wrote (renumbered so they fit beside
  them), in one transaction.

Prints the times and both ratios. Target: posting at most 2x the raw insert.
SQLite by default; ``--database-url postgres://...`` runs it on PostgreSQL (a scratch
database named ``estate_bench`` is created and dropped).

Run: .venv/bin/python bench/fund_payout.py [--units N] [--repeat N] [--database-url URL]
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
parser = argparse.ArgumentParser()
parser.add_argument("--units", type=int, default=5000)
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--database-url", default="")
ARGS = parser.parse_args()
TMP = tempfile.mkdtemp()
URL = ARGS.database_url.rstrip("/")
if URL:
    import psycopg

    admin = URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS estate_bench")
        conn.execute("CREATE DATABASE estate_bench")
    URL = URL.rsplit("/", 1)[0] + "/estate_bench"
os.environ.update(
    DEBUG="1", DATABASE_URL=URL or f"sqlite:///{TMP}/fund.sqlite3", DJANGO_SETTINGS_MODULE="config.settings"
)

import django  # noqa: E402

django.setup()

import random  # noqa: E402
from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from community.models import Building, Community, District, Estate, Grid, Street, Unit  # noqa: E402
from fees import ledger  # noqa: E402
from fees.fund import services as fund_services  # noqa: E402
from fees.models import ChargedUnit, Ledger, LedgerEntry  # noqa: E402


def setup(count: int):
    call_command("migrate", "--noinput", verbosity=0)
    rng = random.Random(5)
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
    buildings = Building.objects.bulk_create([Building(estate=estate, name=f"{i}号楼") for i in range(1, 51)])
    Unit.objects.bulk_create(
        [
            Unit(
                building=buildings[i % 50],
                room=f"{i // 50:04d}",
                registered_area=Decimal(rng.randrange(5000, 15000)) / 100,
            )
            for i in range(count)
        ],
        batch_size=5000,
    )
    account = fund_services.open_account(
        actor=None,
        estate=estate,
        bank="建行",
        account_number="1",
        construction_cost="2000",
        deposit_pct="6",
        custodian="中心",
        opened_on=date(2020, 1, 1),
    )
    fund_services.open_subaccounts(actor=None, account=account, on=date(2020, 1, 1))
    return estate, account


def cleared(estate, n):
    use = fund_services.plan_use(
        actor=None,
        estate=estate,
        title=f"全体屋面防水 {n}",
        kind="roof",
        plan="防水",
        budget="1234567.89",
        contractor="某公司",
        emergency=True,
        emergency_reason="漏水进户",
    )
    today = timezone.localdate()
    use = fund_services.record_works_done(actor=None, use=use, done_on=today, acceptance="合格")
    use = fund_services.apply_payout(actor=None, use=use, settlement="1234567.89")
    return fund_services.review_payout(actor=None, use=use, approve=True)


def main():
    estate, account = setup(ARGS.units)
    fields = [f for f in LedgerEntry._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    sql = f"INSERT INTO fees_ledgerentry ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    whole, posting, raw = [], [], []
    today = timezone.localdate()
    offset = 10_000_000
    for n in range(ARGS.repeat):
        use = cleared(estate, n)
        started = time.perf_counter()
        entries = fund_services.pay_out(actor=None, use=use, paid_on=today)
        whole.append(time.perf_counter() - started)
        entries = list(entries.entries())
        assert len(entries) == ARGS.units and sum(e.amount for e in entries) == Decimal("-1234567.89")
        # the posting alone, with the very lines the payout posted
        lines = [
            dict(
                category=e.category,
                amount=e.amount,
                unit_id=e.unit_id,
                fund_use=use,
                description=e.description,
                counterparty=e.counterparty,
            )
            for e in entries
        ]
        with transaction.atomic():
            started = time.perf_counter()
            ledger.post_many(
                actor=None, estate=estate, ledger=Ledger.FUND, entry_date=today, keeper=entries[0].keeper, lines=lines
            )
            posting.append(time.perf_counter() - started)
        # the floor: the same rows, renumbered beside the originals, in one executemany
        for e in entries:
            e.number += offset
        rows = [tuple(f.get_db_prep_save(getattr(e, f.attname), connection) for f in fields) for e in entries]
        offset += 10_000_000
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        raw.append(time.perf_counter() - started)
    a, p, b = statistics.median(whole), statistics.median(posting), statistics.median(raw)
    print(
        f"database: {connection.vendor}, charged units: {ARGS.units}, "
        f"charged rows: {ChargedUnit.objects.filter(use__estate=estate).count() // ARGS.repeat}"
    )
    print(f"pay_out (whole, with split PDF and notice): {a:.3f} s")
    print(f"posting the {ARGS.units} entries (ledger.post_many): {p:.3f} s")
    print(f"raw executemany of the same rows: {b:.3f} s")
    print(f"posting ratio: {p / b:.2f}x (target <= 2x)   whole payout ratio: {a / b:.2f}x")


if __name__ == "__main__":
    try:
        main()
    finally:
        if URL:
            connection.close()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS estate_bench")
