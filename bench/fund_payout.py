"""Benchmark: a maintenance-fund payout over 5,000 charged units against a raw bulk insert of the same entries.

One estate of 5,000 units with sub-accounts, and an emergency request cleared for payout
(an emergency skips the vote, which is not what is measured). The people are real: the
community's staff plan the use and apply for the payout, the street's staff (who keep the fund
until it is handed to the owners) review and pay it out; every service checks them.

Each round of our side times, on a freshly cleared request (clearing it is not timed):

* ``pay_out`` whole, by the street's staff: lock the request, check the keeper, read the charged
  areas, apportion the settlement to the cent, reserve 5,000 voucher numbers, insert the
  entries, build the split PDF and draft the settlement notice;
* the posting alone: ``fees.ledger.post_many`` of those 5,000 lines, recorded by the same
  keeper, in its own transaction (what ``pay_out`` runs inside its own).

The baseline is the driver itself (sqlite3 on the same file or psycopg on the same database:
``bench.harness.raw_connection``): executemany of exactly the rows the payout wrote, read back
as stored and renumbered so they fit beside them, in one transaction with one commit. The sides
alternate; medians of --repeat rounds.

Target: posting at most 2x the raw insert (the whole payout's ratio is in the note).
SQLite by default; ``--database-url postgres://...`` runs it on PostgreSQL (a scratch
database named ``estate_bench_fund`` on that server is created and dropped).

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
from bench import harness  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--units", type=int, default=5000)
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--database-url", default="")
ARGS = parser.parse_args()
TMP = tempfile.mkdtemp()
SCRATCH = "estate_bench_fund"
URL = harness.throwaway_database(ARGS.database_url, SCRATCH) if ARGS.database_url else ""
os.environ.update(
    DEBUG="1", DATABASE_URL=URL or f"sqlite:///{TMP}/fund.sqlite3", DJANGO_SETTINGS_MODULE="config.settings"
)

import django  # noqa: E402

django.setup()

import random  # noqa: E402
from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from community.models import Building, Community, District, Estate, Grid, Role, Street, Unit  # noqa: E402
from community.services import assign_role  # noqa: E402
from fees import ledger  # noqa: E402
from fees.fund import services as fund_services  # noqa: E402
from fees.models import ChargedUnit, Ledger, LedgerEntry  # noqa: E402


def setup(count: int):
    call_command("migrate", "--noinput", verbosity=0)
    rng = random.Random(5)
    district = District.objects.create(name="基准区", code="B")
    street = Street.objects.create(district=district, name="街道", code="S")
    community = Community.objects.create(street=street, name="社区", code="C")
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
    users = get_user_model().objects
    proposer = users.create_user("bench-community", password="x")
    assign_role(actor=None, user=proposer, role=Role.COMMUNITY_STAFF, scope=community)
    keeper = users.create_user("bench-street", password="x")
    assign_role(actor=None, user=keeper, role=Role.STREET_STAFF, scope=street)
    account = fund_services.open_account(
        actor=keeper,
        estate=estate,
        bank="建行",
        account_number="1",
        construction_cost="2000",
        deposit_pct="6",
        custodian="中心",
        opened_on=date(2020, 1, 1),
    )
    fund_services.open_subaccounts(actor=keeper, account=account, on=date(2020, 1, 1))
    return estate, proposer, keeper


def cleared(estate, n, proposer, keeper):
    use = fund_services.plan_use(
        actor=proposer,
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
    use = fund_services.record_works_done(actor=proposer, use=use, done_on=today, acceptance="合格")
    use = fund_services.apply_payout(actor=proposer, use=use, settlement="1234567.89")
    return fund_services.review_payout(actor=keeper, use=use, approve=True)


def main():
    estate, proposer, keeper = setup(ARGS.units)
    today = timezone.localdate()
    raw, mark = harness.raw_connection()
    columns = [f.column for f in LedgerEntry._meta.concrete_fields if not f.primary_key]
    at = columns.index("number")
    insert = f"INSERT INTO fees_ledgerentry ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    whole, latest = [], {}

    def payout(n):
        use = cleared(estate, n, proposer, keeper)
        started = time.perf_counter()
        batch = fund_services.pay_out(actor=keeper, use=use, paid_on=today)
        whole.append(time.perf_counter() - started)
        entries = list(batch.entries())
        assert len(entries) == ARGS.units and sum(e.amount for e in entries) == Decimal("-1234567.89")
        rows = raw.execute(
            f"SELECT {', '.join(columns)} FROM fees_ledgerentry WHERE fund_use_id = {mark} ORDER BY number", [use.pk]
        ).fetchall()
        raw.commit()
        latest.update(use=use, entries=entries, rows=rows)

    def ours():
        payout(len(whole))
        use, entries = latest["use"], latest["entries"]
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
        started = time.perf_counter()
        with transaction.atomic():
            ledger.post_many(
                actor=keeper, estate=estate, ledger=Ledger.FUND, entry_date=today, keeper=entries[0].keeper, lines=lines
            )
        return time.perf_counter() - started

    offset = [0]

    def baseline():
        offset[0] += 10_000_000  # the same rows, renumbered beside the originals
        rows = [(*row[:at], row[at] + offset[0], *row[at + 1 :]) for row in latest["rows"]]
        started = time.perf_counter()
        raw.cursor().executemany(insert, rows)
        raw.commit()
        return time.perf_counter() - started

    payout(-1)  # the first rows the baseline writes
    p, b = harness.alternate(ours, baseline, rounds=ARGS.repeat)
    a = statistics.median(whole[1:])
    raw.close()
    charged = ChargedUnit.objects.filter(use=latest["use"]).count()
    print(f"database: {connection.vendor}, charged units: {ARGS.units}, charged rows: {charged}")
    print(f"pay_out (whole, with split PDF and notice, street staff): {a:.3f} s")
    print(f"posting the {ARGS.units} entries (ledger.post_many): {p:.3f} s")
    print(f"raw executemany of the same rows: {b:.3f} s")
    harness.report(
        work=f"fund payout posting, {ARGS.units:,} entries ({connection.vendor})",
        target="<= 2",
        value=p / b,
        note=f"post_many {p:.3f} s vs raw {b:.3f} s; whole pay_out {a:.3f} s = {a / b:.1f}x raw "
        f"(median of {ARGS.repeat})",
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        if URL:
            connection.close()
            harness.drop_database(URL, SCRATCH)
