"""Benchmark: gapless ledger appends against unnumbered inserts, 8 writers, on PostgreSQL.

Both sides run 8 threads, each committing N one-entry transactions to the same
estate's income ledger. "Gapless" is fees.services.record_income (the access and
closed-period checks, the counter row taken FOR UPDATE, the insert). "Unnumbered"
inserts the same row through the ORM with a number handed out by Python, taking no
lock at all. Prints entries per second for each and their ratio, and checks that the
gapless numbers run 1..n with no hole. Target: gapless keeps at least 50% of the throughput.

Needs PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
server where a throwaway database estate_bench_ledger is created and dropped.

Run: .venv/bin/python bench/ledger.py [--entries N]
"""

import argparse
import itertools
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SERVER = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NAME = "estate_bench_ledger"
url = urlparse(SERVER)
os.environ.update(
    DEBUG="1", DATABASE_URL=url._replace(path=f"/{NAME}").geturl(), DJANGO_SETTINGS_MODULE="config.settings"
)

WRITERS = 8


def recreate():
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME}")
        conn.execute(f"CREATE DATABASE {NAME}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=300, help="transactions per writer")
    args = parser.parse_args()
    recreate()
    import django

    django.setup()
    from datetime import date

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from community.identifiers import uscc_check_char
    from community.models import Community, District, Estate, Grid, PropertyCompany, ServiceContract, Street
    from fees import services
    from fees.models import LedgerEntry

    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="B")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="街道", code="S"), name="社区", code="C"
    )
    grid = Grid.objects.create(community=community, name="网格", code="G")
    body = "91350404WY0000001"
    company = PropertyCompany.objects.create(name="基准物业", uscc=body + uscc_check_char(body))
    estates = []
    for code in ("E1", "E2"):
        estate = Estate.objects.create(grid=grid, name=code, code=code, delivered_on=date(2010, 1, 1))
        ServiceContract.objects.create(
            estate=estate, company=company, mode="remuneration", starts_on=date(2020, 1, 1), ends_on=date(2035, 12, 31)
        )
        estates.append(estate)
    today = timezone.localdate()
    numbers = itertools.count(1)
    lock = threading.Lock()

    def gapless(writer):
        for n in range(args.entries):
            services.record_income(
                actor=None,
                estate=estates[0],
                category="common",
                amount="1.00",
                entry_date=today,
                description=f"w{writer}-{n}",
            )

    def unnumbered(writer):
        for n in range(args.entries):
            with lock:
                number = next(numbers)
            with transaction.atomic():
                LedgerEntry.objects.create(
                    estate=estates[1],
                    ledger="income",
                    year=today.year,
                    number=number,
                    entry_date=today,
                    category="common",
                    description=f"w{writer}-{n}",
                    amount="1.00",
                    keeper="基准物业",
                    recorded_at=timezone.now(),
                )

    def timed(work):
        barrier = threading.Barrier(WRITERS + 1)

        def run(writer):
            try:
                barrier.wait()
                work(writer)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        barrier.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        return time.perf_counter() - started

    base = timed(unnumbered)
    ours = timed(gapless)
    total = WRITERS * args.entries
    got = sorted(LedgerEntry.objects.filter(estate=estates[0]).values_list("number", flat=True))
    assert got == list(range(1, total + 1)), "gap or duplicate in the voucher numbers"
    print(f"writers: {WRITERS}, entries each: {args.entries}, total per side: {total}")
    print(f"gapless (record_income): {total / ours:.0f} entries/s   unnumbered inserts: {total / base:.0f} entries/s")
    print(f"throughput ratio: {base / ours:.0%} (target >= 50%); numbers 1..{total}, no gap, no duplicate")
    connection.close()
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME}")


if __name__ == "__main__":
    main()
