"""Benchmark: tallying a vote from the database against one raw SQL aggregate.

An estate of 10,000 units and 8,000 owners (some with two units, co-owned
units, 1,002 developer units), and 7,000 ballots, in a throwaway SQLite
database. Times committees.votes.selectors.count(vote) (read the scope and the
ballots, then the exact tally in Python) against a single raw SQL query summing
the same areas and heads. Prints both, the ratio and the query count.
Target: at most 3 queries for the data and at most 2x the raw aggregate.

Run: .venv/bin/python bench/tally.py [--repeat N]
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
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{TMP}/tally.sqlite3", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

import random  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from committees.models import Ballot, Vote  # noqa: E402
from committees.votes import selectors as vote_selectors  # noqa: E402
from community.identifiers import uscc_check_char  # noqa: E402
from community.models import Building, Community, District, Estate, Grid, Owner, Ownership, Street, Unit  # noqa: E402

UNITS, PERSONS, BALLOTS = 10_000, 7_999, 7_000


def setup() -> Vote:
    call_command("migrate", "--noinput", verbosity=0)
    rng = random.Random(7)
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
    units = Unit.objects.bulk_create(
        [
            Unit(
                building=buildings[i % 50],
                room=f"{i // 50:04d}",
                registered_area=Decimal(rng.randrange(5000, 15000)) / 100,
            )
            for i in range(UNITS)
        ],
        batch_size=2000,
    )
    body = "91350404DW0000001"
    developer = Owner.objects.create(kind="org", name="开发商", uscc=body + uscc_check_char(body), is_developer=True)
    people = Owner.objects.bulk_create([Owner(name=f"业主{i}") for i in range(PERSONS)], batch_size=2000)
    rows, u = [], 0
    for i, person in enumerate(people):
        for _ in range(2 if i >= 7_000 else 1):
            rows.append(Ownership(unit=units[u], owner=person, started_on=date(2010, 1, 1)))
            u += 1
    for i in range(0, 600, 3):  # some co-owned units
        rows.append(Ownership(unit=units[i], owner=people[i + 1], started_on=date(2010, 1, 1)))
    rows += [Ownership(unit=unit, owner=developer, started_on=date(2010, 1, 1)) for unit in units[u:]]
    Ownership.objects.bulk_create(rows, batch_size=5000)
    now = timezone.now()
    vote = Vote.objects.create(
        estate=estate, matter=5, question="基准", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1)
    )
    holders = sorted(vote_selectors.holder_keys(vote))
    Ballot.objects.bulk_create(
        [
            Ballot(vote=vote, holder=h, choice=rng.choice(["yes", "yes", "no", "abstain"]), cast_at=now)
            for h in holders[:BALLOTS]
        ],
        batch_size=5000,
    )
    return vote


RAW = """
SELECT
  (SELECT SUM(COALESCE(u.registered_area, u.surveyed_area, u.contract_area)) FROM community_unit u
     JOIN community_building b ON b.id = u.building_id WHERE b.estate_id = %(estate)s),
  (SELECT COUNT(DISTINCT o.owner_id) FROM community_ownership o JOIN community_unit u ON u.id = o.unit_id
     JOIN community_building b ON b.id = u.building_id WHERE b.estate_id = %(estate)s AND o.ended_on IS NULL),
  (SELECT COUNT(*) FROM committees_ballot WHERE vote_id = %(vote)s AND choice = 'yes'),
  (SELECT COUNT(*) FROM committees_ballot WHERE vote_id = %(vote)s)
"""


def timed(fn, repeat):
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    vote = setup()
    vote = Vote.objects.select_related("estate__grid__community__street__district__rule_set").get(pk=vote.pk)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW.replace("%(estate)s", str(vote.estate_id)).replace("%(vote)s", str(vote.pk)))
            return cursor.fetchone()

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
        result = vote_selectors.count(vote)
    ours, baseline = timed(lambda: vote_selectors.count(vote), repeat), timed(raw, repeat)
    print(f"scope: {result.eligible.heads:,} heads, {result.eligible.area} m²; ballots: {result.participating.heads:,}")
    print(f"tally from the database: {ours * 1000:8.1f} ms   queries: {len(queries)}")
    print(f"raw SQL aggregate:       {baseline * 1000:8.1f} ms   queries: 1")
    print(f"ratio tally / raw:       {ours / baseline:8.2f}x   (target <= 2x, <= 3 queries)")


if __name__ == "__main__":
    main()
