"""Benchmark: gapless ledger entries through the service against raw single-row commits, 8 writers, PostgreSQL.

The project side is fees.services.record_income called by a real company-staff user (the
role that keeps an estate's books, granted on the company that manages the estates): the
access check (the user's grants read afresh for every entry, as a new request would), the
books-keeper and closed-period checks, the voucher number and the insert, one transaction
per entry. The baseline is raw psycopg on the same fees_ledgerentry table (its indexes, its
checks and its append-only trigger): per entry, one transaction holding the statement an
honest raw writer uses to take a gapless number from the same counter row and insert,
``WITH n AS (UPDATE community_numbersequence ... RETURNING last) INSERT ... SELECT ... FROM n``.

Both sides run 8 OS processes (multiprocessing, each with its own connection; threads would
share one GIL and favour the side with less Python), each committing N one-entry
transactions. Two scenarios:

1. one estate: the 8 writers of each side share one estate's income ledger (one counter row);
2. eight estates: each writer has an estate of its own.

Sides alternate, baseline first; the figure is the median of the rounds, as project entries
per second over raw entries per second. After each project run the estates' numbers must run
1..n with no gap and no duplicate. The Django side runs with DEBUG off, as in production.

PG_URL names a server URL ending in /postgres (default postgres://postgres@127.0.0.1:5432/postgres);
a throwaway database estate_bench_ledger is created there and dropped at the end.

Run: .venv/bin/python bench/ledger.py [--entries N] [--rounds R]
"""

import argparse
import multiprocessing
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SERVER = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NAME = "estate_bench_ledger"
DB_URL = urlparse(SERVER)._replace(path=f"/{NAME}").geturl()
os.environ.update(DEBUG="1", DATABASE_URL=DB_URL, DJANGO_SETTINGS_MODULE="config.settings")

from bench import harness  # noqa: E402

WRITERS = 8
FORK = multiprocessing.get_context("fork")

RAW_ENTRY = """
WITH n AS (
    UPDATE community_numbersequence SET last = last + 1 WHERE series = %(series)s AND year = %(year)s RETURNING last
)
INSERT INTO fees_ledgerentry
    (estate_id, ledger, year, number, entry_date, category, description, counterparty, amount, keeper,
     recorded_at, imported, recorded_by_id)
SELECT %(estate)s, 'income', %(year)s, n.last, %(day)s, 'common', %(description)s, '', 1.00, %(keeper)s,
       now(), false, %(user)s
FROM n
"""


def recreate():
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME}")
        conn.execute(f"CREATE DATABASE {NAME}")


def drop():
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME}")


def world():
    """One company keeping the books of 18 estates (9 for each side), and one of its staff."""
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from community import services as community_services
    from community.identifiers import uscc_check_char
    from community.models import Community, District, Estate, Grid, PropertyCompany, Role, ServiceContract, Street

    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="B")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="街道", code="S"), name="社区", code="C"
    )
    grid = Grid.objects.create(community=community, name="网格", code="G")
    body = "91350404WY0000001"
    company = PropertyCompany.objects.create(name="基准物业", uscc=body + uscc_check_char(body))
    estates = []
    for n in range(2 * (WRITERS + 1)):
        estate = Estate.objects.create(grid=grid, name=f"小区{n}", code=f"E{n}", delivered_on=date(2010, 1, 1))
        ServiceContract.objects.create(
            estate=estate, company=company, mode="remuneration", starts_on=date(2020, 1, 1), ends_on=date(2035, 12, 31)
        )
        estates.append(estate.pk)
    user = get_user_model().objects.create_user(username="keeper", password="Bench-keeper-2026")
    community_services.assign_role(actor=None, user=user, role=Role.COMPANY_STAFF, scope=company)
    return user.pk, estates[: WRITERS + 1], estates[WRITERS + 1 :]


def run_writers(work, targets, entries) -> float:
    """Seconds for WRITERS processes, writer w calling work(targets[w], w, entries), from a common start."""
    from django.db import connections

    connections.close_all()  # the children must not share the parent's connection
    ready = FORK.Barrier(WRITERS + 1)
    done = FORK.Queue()

    def child(w):
        try:
            work(targets[w], w, entries, ready)
            done.put(None)
        except BaseException as exc:  # reported in the parent
            done.put(repr(exc))
            raise

    procs = [FORK.Process(target=child, args=(w,)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    ready.wait()
    import time

    started = time.perf_counter()
    failures = [done.get() for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    failures = [f for f in failures if f]
    if failures:
        raise RuntimeError(f"a writer failed: {failures[0]}")
    return elapsed


def project_writer(user_pk):
    def work(estate_pk, w, entries, ready):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from community import access
        from community.models import Estate
        from fees import services

        settings.DEBUG = False  # production keeps no log of every query
        user = get_user_model().objects.get(pk=user_pk)
        estate = Estate.objects.get(pk=estate_pk)
        today = timezone.localdate()
        ready.wait()
        for n in range(entries):
            access.forget(user)  # every entry is a request of its own: its grants are read again
            services.record_income(
                actor=user,
                estate=estate,
                category="common",
                amount="1.00",
                entry_date=today,
                description=f"w{w}-{n}",
            )

    return work


def raw_writer(user_pk):
    def work(estate_pk, w, entries, ready):
        from django.utils import timezone

        today = timezone.localdate()
        params = dict(
            series=f"ledger:{estate_pk}:income",
            year=today.year,
            estate=estate_pk,
            day=today,
            keeper="基准物业",
            user=user_pk,
        )
        with psycopg.connect(DB_URL) as conn:
            ready.wait()
            for n in range(entries):
                with conn.cursor() as cur:
                    cur.execute(RAW_ENTRY, dict(params, description=f"w{w}-{n}"))
                conn.commit()

    return work


def numbers_ok(estate_pks) -> str:
    """'0 gaps, 0 duplicates' when every estate's income vouchers run 1..n; raises otherwise."""
    from django.db.models import Count, Max

    from fees.models import LedgerEntry

    total = 0
    for pk in set(estate_pks):
        got = LedgerEntry.objects.filter(estate_id=pk, ledger="income").aggregate(
            n=Count("pk"), distinct=Count("number", distinct=True), last=Max("number")
        )
        duplicates, gaps = got["n"] - got["distinct"], (got["last"] or 0) - got["distinct"]
        if duplicates or gaps:
            raise AssertionError(f"estate {pk}: {gaps} gaps, {duplicates} duplicates in the voucher numbers")
        total += got["n"]
    return f"{total} entries, 0 gaps, 0 duplicates"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=250, help="transactions per writer per run")
    parser.add_argument("--rounds", type=int, default=harness.MIN_ROUNDS)
    args = parser.parse_args()
    recreate()
    import django

    django.setup()
    from django.db import connections
    from django.utils import timezone

    from community.models import NumberSequence

    try:
        user_pk, ours, theirs = world()
        # The raw writer finds its counters in place (the service makes its own on first use).
        year = timezone.localdate().year
        NumberSequence.objects.bulk_create([NumberSequence(series=f"ledger:{pk}:income", year=year) for pk in theirs])
        total = WRITERS * args.entries
        print(f"writers: {WRITERS} processes, entries each per run: {args.entries}, rounds: {args.rounds}", flush=True)
        scenarios = (
            ("one estate", [ours[0]] * WRITERS, [theirs[0]] * WRITERS),
            ("eight estates", ours[1:], theirs[1:]),
        )
        for title, our_targets, their_targets in scenarios:
            checks = []

            def project(our_targets=our_targets, checks=checks):
                elapsed = run_writers(project_writer(user_pk), our_targets, args.entries)
                checks.append(numbers_ok(our_targets))
                return elapsed

            def baseline(their_targets=their_targets):
                return run_writers(raw_writer(user_pk), their_targets, args.entries)

            mine, raw = harness.alternate(project, baseline, rounds=args.rounds)
            connections.close_all()
            ratio = raw / mine
            print(
                f"{title}: record_income {total / mine:.0f} entries/s, raw {total / raw:.0f} entries/s; {checks[-1]}",
                flush=True,
            )
            harness.report(
                work=f"ledger: 8 writers, {title} (vs raw commits)",
                target=">= 0.5",
                value=ratio,
                note=(
                    f"{total / mine:.0f} vs {total / raw:.0f} entries/s (median of {args.rounds}); "
                    f"raw numbers from the same counter row (UPDATE ... RETURNING in a CTE, one transaction); "
                    f"after each project run: {checks[-1]}"
                ),
            )
    finally:
        connections.close_all()
        drop()


if __name__ == "__main__":
    main()
