"""Benchmark: counting a vote at 10,000 and at 40,000 units against a raw SQL aggregate of the same data.

Two estates in one throwaway SQLite database, of 10,000 and of 40,000 units, built to one shape
(per N units): 0.8·N owners, of whom the last tenth hold two units each; every third unit of the
first 6% co-owned with a second owner (a co-ownership is a head of its own); the remaining 10% of
units the developer's (one head together), a few of them unsold and undelivered (no owner row),
and the last 0.5% of the owners' units sold but not yet delivered (they count for the developer);
every 50th unit has a former owner whose ownership has ended. One vote per estate over the whole
estate, with ballots (yes, yes, no, abstain at random) from 70% of its holders.

The project side is what the turnout page does for a community staff account holding the role on
the community: the vote read through the access check (``access.get_visible_or_404``), then
``committees.votes.selectors.count(vote)`` (the scope's holders, the ballots, the exact tally).
The baseline is one raw SQL statement through a plain ``sqlite3`` connection on the same file
that computes the same figures: each unit's holder (the developer, or its current owners' ids
ascending, comma-joined, exactly as ballots store it), each holder's area in whole cents, and,
joined to the ballots, the eligible area and heads and the area and heads of each choice. Both
sides' figures are compared before timing. The sides run alternately, the median of five.

Target per size: the count at most 2x the raw aggregate's time, in at most 3 queries.

Run: .venv/bin/python bench/tally.py [--rounds N]
"""

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp()
DB_PATH = f"{TMP}/tally.sqlite3"
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{DB_PATH}", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

import random  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import harness  # noqa: E402
from committees.models import Ballot, Vote  # noqa: E402
from committees.votes import selectors as vote_selectors  # noqa: E402
from community import access  # noqa: E402
from community import services as registry  # noqa: E402
from community.identifiers import uscc_check_char  # noqa: E402
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
from community.rules import rules_for  # noqa: E402

SIZES = (10_000, 40_000)
BUILDINGS = 50
SINCE, ENDED = date(2010, 1, 1), date(2012, 6, 30)


def build_estate(grid, developer, n: int, rng: random.Random) -> Vote:
    """One estate of ``n`` units in the shape the module docstring describes, and its vote."""
    estate = Estate.objects.create(grid=grid, name=f"{n}户小区", code=f"E{n}", delivered_on=SINCE)
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=f"{i}号楼") for i in range(1, BUILDINGS + 1)]
    )
    persons, pairs_from, co_owned = n * 8 // 10 - 1, n * 7 // 10, n * 6 // 100
    owned = pairs_from + 2 * (persons - pairs_from)  # units held by people; the rest are the developer's
    undelivered = range(owned - n // 200, owned)  # sold, not yet delivered: the developer's head
    unsold = range(owned, n, 10)  # the developer's, never sold and not delivered: no owner row
    units = Unit.objects.bulk_create(
        [
            Unit(
                building=buildings[i % BUILDINGS],
                room=f"{i // BUILDINGS:05d}",
                registered_area=Decimal(rng.randrange(5000, 15000)) / 100,
                delivered=i not in undelivered and i not in unsold,
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    people = Owner.objects.bulk_create([Owner(name=f"业主{n}-{i}") for i in range(persons)], batch_size=5000)
    rows, u = [], 0
    for i, person in enumerate(people):
        for _ in range(2 if i >= pairs_from else 1):
            rows.append(Ownership(unit=units[u], owner=person, started_on=SINCE))
            u += 1
    rows += [Ownership(unit=units[i], owner=people[i + 1], started_on=SINCE) for i in range(0, co_owned, 3)]
    rows += [Ownership(unit=units[i], owner=developer, started_on=SINCE) for i in range(owned, n) if i not in unsold]
    rows += [
        Ownership(unit=units[i], owner=people[(i * 7 + 3) % persons], started_on=SINCE, ended_on=ENDED)
        for i in range(0, owned, 50)
    ]
    Ownership.objects.bulk_create(rows, batch_size=5000)
    now = timezone.now()
    vote = Vote.objects.create(
        estate=estate, matter=5, question="基准", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1)
    )
    holders = sorted(vote_selectors.holder_keys(vote))
    rng.shuffle(holders)
    Ballot.objects.bulk_create(
        [
            Ballot(vote=vote, holder=h, choice=rng.choice(["yes", "yes", "no", "abstain"]), cast_at=now)
            for h in holders[: len(holders) * 7 // 10]
        ],
        batch_size=5000,
    )
    return vote


def setup():
    call_command("migrate", "--noinput", verbosity=0)
    rng = random.Random(7)
    district = District.objects.create(name="基准区", code="B")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="街道", code="S"), name="社区", code="C"
    )
    grid = Grid.objects.create(community=community, name="网格", code="G")
    body = "91350404DW0000001"
    developer = Owner.objects.create(kind="org", name="开发商", uscc=body + uscc_check_char(body), is_developer=True)
    staff = get_user_model().objects.create_user("bench-community", password="x")
    registry.assign_role(actor=None, user=staff, role=Role.COMMUNITY_STAFF, scope=community)
    return staff, [build_estate(grid, developer, n, rng) for n in SIZES]


# Each unit's holder as ballots store it, under the national defaults the bench's district keeps
# (co-owners one head of their own, every undelivered unit the developer's): the units' current
# ownerships ordered by owner id so that group_concat lists the ids ascending (SQLite 3.40 has no
# ORDER BY inside an aggregate), then each holder's area, then the ballots joined to the holders.
RAW = """
WITH held AS (
  SELECT u.id AS unit, u.delivered,
         CAST(ROUND(COALESCE(u.registered_area, u.surveyed_area, u.contract_area) * 100) AS INTEGER) AS cents,
         o.owner_id, w.is_developer
  FROM community_unit u
  JOIN community_building b ON b.id = u.building_id
  LEFT JOIN community_ownership o
    ON o.unit_id = u.id AND o.started_on <= :on AND (o.ended_on IS NULL OR o.ended_on >= :on)
  LEFT JOIN community_owner w ON w.id = o.owner_id
  WHERE b.estate_id = :estate
  ORDER BY u.id, o.owner_id
), units AS (
  SELECT CASE WHEN MAX(is_developer) OR NOT MAX(delivered) THEN 'developer' ELSE group_concat(owner_id, ',') END
           AS holder,
         MAX(cents) AS cents
  FROM held GROUP BY unit
), holders AS (
  SELECT holder, SUM(cents) AS cents FROM units GROUP BY holder
)
SELECT v.choice, COUNT(*), SUM(h.cents)
FROM holders h LEFT JOIN committees_ballot v ON v.vote_id = :vote AND v.holder = h.holder
GROUP BY v.choice
"""


def raw_figures(rows) -> dict:
    """{"eligible" | choice: (area in cents, heads)} from the raw rows (choice None: no ballot)."""
    figures = {choice: (cents, heads) for choice, heads, cents in rows if choice is not None}
    figures["eligible"] = (sum(cents for _c, _h, cents in rows), sum(heads for _c, heads, _a in rows))
    return figures


def project_figures(result) -> dict:
    figures = {c: (int(count.area * 100), count.heads) for c, count in result.by_choice.items() if count.heads}
    figures["eligible"] = (int(result.eligible.area * 100), result.eligible.heads)
    return figures


def measure(staff, vote: Vote, units: int, rounds: int) -> bool:
    raw = sqlite3.connect(DB_PATH)
    params = {"estate": vote.estate_id, "vote": vote.pk, "on": timezone.localdate().isoformat()}

    def baseline():
        return raw.execute(RAW, params).fetchall()

    def project():
        access.forget(staff)  # each request reads the user's grants afresh
        seen = access.get_visible_or_404(staff, access.CONVENE_VOTES, vote_selectors.votes_with_estate(), pk=vote.pk)
        return vote_selectors.count(seen)

    assert rules_for(vote.estate).developer_one_head and rules_for(vote.estate).co_ownership_separate_head
    with CaptureQueriesContext(connection) as counted:
        result = project()
    seen = vote_selectors.votes_with_estate().get(pk=vote.pk)
    with CaptureQueriesContext(connection) as tally_only:
        vote_selectors.count(seen)
    ours, theirs = project_figures(result), raw_figures(baseline())
    if ours != theirs:
        raise SystemExit(f"the raw aggregate disagrees with the count at {units:,} units: {ours} != {theirs}")
    took_ours, took_raw = harness.alternate(project, baseline, rounds=rounds)
    raw.close()
    ratio = took_ours / took_raw
    heads, area = result.eligible.heads, result.eligible.area
    print(f"{units:,} units: {heads:,} heads, {area} m², {result.participating.heads:,} ballots")
    print(f"  count (access check + tally): {took_ours * 1000:8.1f} ms, {len(counted)} queries")
    print(f"  raw SQL aggregate:            {took_raw * 1000:8.1f} ms, 1 query")
    return harness.report(
        work=f"tally {units:,} units",
        target="<= 2",
        value=ratio,
        note=(
            f"{took_ours * 1000:.0f} ms vs raw {took_raw * 1000:.0f} ms; count(vote) {len(tally_only)} queries"
            f" (+{len(counted) - len(tally_only)} access); {heads:,} heads"
        ),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    started = time.perf_counter()
    staff, votes = setup()
    print(f"built {', '.join(f'{n:,}' for n in SIZES)} units in {time.perf_counter() - started:.0f} s", flush=True)
    for n, vote in zip(SIZES, votes, strict=True):
        measure(staff, vote, n, rounds)


if __name__ == "__main__":
    main()
