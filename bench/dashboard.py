"""Benchmark: the district's supervision dashboard against raw SQL aggregates of the same figures.

A district of 160 estates (4 streets, 16 communities, 32 grids; 40 units each) with a year of
bills (one a unit a month, most paid), residents' requests and grid workers' cases with their
steps, fund accounts, exam sittings and mediation cases, created with bulk_create in a
throwaway database (SQLite, or PostgreSQL with --database-url). Times
``supervision.dashboard.dashboard`` for the real district administrator (the real access
checks; a fresh user object each run, so its grants are read again) against raw SQL computing
the same figures (collection by estate and month, fund balances, requests by estate with
timeliness and ratings, days in each status, exam and mediation totals, binding coverage by
community) through the driver itself (sqlite3 on the same file or psycopg on the same database:
``bench.harness.raw_connection``), checks both agree, and prints the query count and the ratio.
The sides alternate; medians of --repeat rounds. Target: at most 3x raw, a fixed number of queries.

Run: .venv/bin/python bench/dashboard.py [--repeat N] [--database-url postgres://…/any]
"""

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import harness  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--units", type=int, default=40, help="units per estate")
parser.add_argument("--database-url", default="")
ARGS = parser.parse_args()
TMP = tempfile.mkdtemp()
SCRATCH = "estate_bench_dashboard"
URL = harness.throwaway_database(ARGS.database_url, SCRATCH) if ARGS.database_url else ""
os.environ.update(
    DEBUG="1", DATABASE_URL=URL or f"sqlite:///{TMP}/dashboard.sqlite3", DJANGO_SETTINGS_MODULE="config.settings"
)

import django  # noqa: E402

django.setup()

import random  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from committees.models import Attempt, ExamSession  # noqa: E402
from community import services as registry  # noqa: E402
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
from fees.models import (  # noqa: E402
    Allocation,
    Bill,
    BillingRun,
    FeeItem,
    FeeSchedule,
    FundAccount,
    LedgerEntry,
    Payment,
)
from grid.models import CaseStatus, GridCase, GridCaseStep, Source  # noqa: E402
from grid.selectors import month_start  # noqa: E402
from mediation.models import Agreement, CaseStep, MediatorPost, Room  # noqa: E402
from mediation.models import Case as MediationCase  # noqa: E402
from supervision import dashboard as selectors  # noqa: E402

S = CaseStatus
STREETS, COMMUNITIES, GRIDS, ESTATES = 4, 4, 2, 5  # per parent: 4 × 4 × 2 × 5 = 160 estates
REQUESTS, CASES = 50, 20  # per estate, over the year


def setup():
    call_command("migrate", "--noinput", verbosity=0)
    rng = random.Random(23)
    now = timezone.now()
    today = timezone.localdate()
    district = District.objects.create(name="基准区", code="B")
    streets = Street.objects.bulk_create(
        [Street(district=district, name=f"街道{i}", code=f"S{i}") for i in range(STREETS)]
    )
    communities = Community.objects.bulk_create(
        [
            Community(street=s, name=f"{s.name}社区{i}", code=f"{s.code}C{i}")
            for s in streets
            for i in range(COMMUNITIES)
        ]
    )
    grids = Grid.objects.bulk_create(
        [Grid(community=c, name=f"网格{i}", code=f"{c.code}G{i}") for c in communities for i in range(GRIDS)]
    )
    estates = Estate.objects.bulk_create(
        [
            Estate(grid=g, name=f"{g.code}小区{i}", code=f"{g.code}E{i}", delivered_on=date(2010, 1, 1))
            for g in grids
            for i in range(ESTATES)
        ]
    )
    buildings = Building.objects.bulk_create([Building(estate=e, name=f"{i}号楼") for e in estates for i in (1, 2)])
    units = Unit.objects.bulk_create(
        [
            Unit(
                building=buildings[2 * k + i % 2],
                room=f"{i:04d}",
                registered_area=Decimal(rng.randrange(6000, 14000)) / 100,
            )
            for k in range(len(estates))
            for i in range(ARGS.units)
        ],
        batch_size=5000,
    )
    owners = Owner.objects.bulk_create([Owner(name=f"业主{i}") for i in range(len(units))], batch_size=5000)
    Ownership.objects.bulk_create(
        [Ownership(unit=u, owner=o, started_on=date(2015, 1, 1)) for u, o in zip(units, owners, strict=True)],
        batch_size=5000,
    )
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"o{i}") for i in range(0, len(owners), 3)], batch_size=5000
    )
    for user, owner in zip(users, owners[::3], strict=True):
        owner.user = user
    Owner.objects.bulk_update(owners[::3], ["user"], batch_size=5000)

    # A year of bills, one per unit and month; 85% paid in full, 5% in part.
    schedules = FeeSchedule.objects.bulk_create(
        [
            FeeSchedule(
                estate=e,
                provider="物业",
                service_content="s",
                service_standard="s",
                billing_method="按面积",
                billing_starts_on=date(2020, 1, 1),
                price_type="market",
                legal_basis="合同",
                hotline="12345",
                effective_from=date(2020, 1, 1),
                published_at=now,
            )
            for e in estates
        ]
    )
    items = FeeItem.objects.bulk_create(
        [FeeItem(schedule=s, name="物业服务费", kind="per_area", rate=Decimal("2.00")) for s in schedules]
    )
    firsts = [month_start(today, back) for back in range(11, -1, -1)]
    runs = BillingRun.objects.bulk_create([BillingRun(estate=e, period=p) for e in estates for p in firsts])
    run_of = {(r.estate_id, r.period): r for r in runs}
    unit_estate = {u.pk: estates[k // ARGS.units] for k, u in enumerate(units)}
    item_of = {e.pk: items[k] for k, e in enumerate(estates)}
    bills = Bill.objects.bulk_create(
        [
            Bill(
                estate=unit_estate[u.pk],
                unit=u,
                item=item_of[unit_estate[u.pk].pk],
                period=p,
                starts_on=p,
                ends_on=p + timedelta(days=27),
                quantity=u.registered_area,
                amount=(u.registered_area * 2).quantize(Decimal("0.01")),
                addressee="业主",
                run=run_of[unit_estate[u.pk].pk, p],
            )
            for p in firsts
            for u in units
        ],
        batch_size=5000,
    )
    paying = [
        (b, b.amount if rng.random() < 0.85 / 0.9 else (b.amount / 2).quantize(Decimal("0.01")))
        for b in bills
        if rng.random() < 0.9
    ]
    numbers = {}
    payments = []
    for b, amount in paying:
        key = (b.estate_id, b.period.year)
        numbers[key] = numbers.get(key, 0) + 1
        payments.append(
            Payment(
                estate_id=b.estate_id,
                unit_id=b.unit_id,
                payer="业主",
                amount=amount,
                method="wechat",
                paid_on=b.period,
                recorded_at=now,
                receipt_year=b.period.year,
                receipt_number=numbers[key],
            )
        )
    payments = Payment.objects.bulk_create(payments, batch_size=5000)
    Allocation.objects.bulk_create(
        [Allocation(payment=pay, bill=b, amount=amount) for pay, (b, amount) in zip(payments, paying, strict=True)],
        batch_size=5000,
    )

    # Fund accounts on three estates in four, a deposit per unit.
    funded = estates[: len(estates) * 3 // 4]
    FundAccount.objects.bulk_create(
        [
            FundAccount(
                estate=e,
                bank="银行",
                account_number=f"62{k:08d}",
                construction_cost=Decimal(3000),
                deposit_pct=Decimal(5),
                rate=Decimal(150),
                custodian="住建局",
                opened_on=date(2020, 1, 1),
            )
            for k, e in enumerate(funded)
        ]
    )
    funded_ids = {e.pk for e in funded}
    seq = {}
    entries = []
    for u in units:
        estate = unit_estate[u.pk]
        if estate.pk in funded_ids:
            seq[estate.pk] = seq.get(estate.pk, 0) + 1
            entries.append(
                LedgerEntry(
                    estate=estate,
                    ledger="fund",
                    year=2020,
                    number=seq[estate.pk],
                    entry_date=date(2020, 1, 1),
                    category="deposit",
                    description="首期交存",
                    amount=(u.registered_area * 150).quantize(Decimal("0.01")),
                    keeper="住建局",
                    recorded_at=now,
                    unit=u,
                )
            )
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)

    # A year of residents' requests and grid workers' cases, in every status, with their steps.
    cases, walks = [], []
    n = 0
    for e in estates:
        for i in range(REQUESTS + CASES):
            n += 1
            resident = i < REQUESTS
            reported = now - timedelta(hours=rng.randrange(2, 360 * 24))
            hours = [rng.randrange(1, 30), rng.randrange(2, 90), rng.randrange(1, 48)]
            status = [S.REPORTED, S.DISPATCHED, S.HANDLED, S.CLOSED, S.CLOSED, S.CLOSED][rng.randrange(6)]
            path = [S.REPORTED, S.DISPATCHED, S.HANDLED, S.CLOSED][
                : [S.REPORTED, S.DISPATCHED, S.HANDLED, S.CLOSED].index(status) + 1
            ]
            moments = [reported]
            for h in hours[: len(path) - 1]:
                moments.append(moments[-1] + timedelta(hours=h))
            if moments[-1] > now:
                path, moments = path[:1], moments[:1]
                status = S.REPORTED
            closed = status == S.CLOSED
            rating = rng.randrange(1, 6) if resident and closed and rng.random() < 0.7 else None
            cases.append(
                GridCase(
                    number=f"B{n:07d}",
                    grid_id=e.grid_id,
                    estate=e,
                    source=Source.RESIDENT if resident else Source.GRID,
                    kind="common_repair" if resident else "",
                    category="facility",
                    description="漏水",
                    status=status,
                    level="company" if resident else "grid",
                    reported_at=reported,
                    limit_at=reported + timedelta(hours=72) if resident else None,
                    step_started_at=moments[-1],
                    due_at=None if closed else moments[-1] + timedelta(hours=24),
                    closed_at=moments[-1] if closed else None,
                    rating=rating,
                    rated_at=moments[-1] if rating else None,
                )
            )
            walks.append(list(zip(path, moments, strict=True)))
    cases = GridCase.objects.bulk_create(cases, batch_size=5000)
    GridCaseStep.objects.bulk_create(
        [
            GridCaseStep(case=c, from_status=path[k - 1][0] if k else "", to_status=st, level=c.level, at=at)
            for c, path in zip(cases, walks, strict=True)
            for k, (st, at) in enumerate(path)
        ],
        batch_size=5000,
    )

    # Exams and mediation in every community.
    for c in communities:
        for back in (30, 200):
            session = ExamSession.objects.create(
                community=c,
                title=f"{c.code}考试{back}",
                opens_at=now - timedelta(days=back),
                closes_at=now - timedelta(days=back) + timedelta(hours=2),
                blueprint={"votes": 1},
                duration_minutes=60,
                pass_percent=60,
                retake_limit=1,
                retake_wait_days=7,
            )
            people = owners[rng.randrange(0, len(owners) - 20) :][:20]
            Attempt.objects.bulk_create(
                [
                    Attempt(
                        session=session,
                        candidate=o,
                        number=1,
                        seed=1,
                        paper=[],
                        started_at=session.opens_at,
                        deadline=session.closes_at,
                        submitted_at=session.opens_at + timedelta(minutes=40),
                        passed=rng.random() < 0.7,
                    )
                    for o in people
                ]
            )
        room = Room.objects.create(
            community=c, name=f"{c.name}调解室", address="地址", hours="工作日", opened_on=date(2020, 1, 1)
        )
        post = MediatorPost.objects.create(
            room=room,
            user=get_user_model().objects.create(username=f"m{c.code}"),
            name="调解员",
            position="chair",
            appointed_on=date(2020, 1, 1),
            term_ends_on=date(2030, 1, 1),
        )
        for i in range(20):
            outcome = i % 4
            case = MediationCase.objects.create(
                number=f"{c.code}M{i}",
                room=room,
                estate=estates[rng.randrange(len(estates))],
                category="fees",
                facts="f",
                claims="c",
                status=["closed", "closed", "refused", "mediating"][outcome],
                opened_on=today - timedelta(days=rng.randrange(1, 330)),
            )
            if outcome == 0:
                Agreement.objects.create(
                    case=case,
                    number=f"{c.code}A{i}",
                    form="written",
                    facts="f",
                    issues="i",
                    responsibility="r",
                    terms="t",
                    performance="p",
                    perform_by=today,
                    reached_on=today,
                    mediator=post,
                )
            if outcome == 1:
                CaseStep.objects.create(case=case, status="ended", at=now)

    admin = get_user_model().objects.create_user("district", password="x")
    registry.assign_role(actor=None, user=admin, role=Role.DISTRICT_ADMIN, scope=district)
    return admin, district, len(estates), len(bills), len(cases)


def raw_sql(raw, district_id: int, since: date, last: date, start, now, today: date) -> dict:
    """The same figures, straight from the tables, through the driver's own connection ``raw``."""
    pg = connection.vendor == "postgresql"
    diff = "EXTRACT(EPOCH FROM (next_at - at))" if pg else "(julianday(next_at) - julianday(at)) * 86400"
    true = "TRUE" if pg else "1"
    scope = (
        "SELECT e.id FROM community_estate e JOIN community_grid g ON g.id = e.grid_id "
        "JOIN community_community c ON c.id = g.community_id JOIN community_street s ON s.id = c.street_id "
        "WHERE s.district_id = %(d)s"
    )
    moment = connection.ops.adapt_datetimefield_value  # SQLite keeps UTC text; PostgreSQL takes it as it is
    day = connection.ops.adapt_datefield_value  # ISO text for sqlite3, whose own date adapter is deprecated
    p = {"d": district_id, "since": day(since), "last": day(last), "start": moment(start), "now": moment(now)}
    p["today"] = day(today)
    out = {}
    cur = raw.cursor()

    def run(name, sql):
        # sqlite3 names its parameters :name, psycopg %(name)s
        cur.execute(sql if pg else re.sub(r"%\((\w+)\)s", r":\1", sql), p)
        out[name] = cur.fetchall()

    run(
        "estates",
        "SELECT e.id, e.name, e.code, e.grid_id, g.community_id, c.street_id, c.name, s.name "
        "FROM community_estate e "
        "JOIN community_grid g ON g.id = e.grid_id JOIN community_community c ON c.id = g.community_id "
        "JOIN community_street s ON s.id = c.street_id WHERE s.district_id = %(d)s ORDER BY e.code",
    )
    run(
        "billed",
        f"SELECT estate_id, period, SUM(amount) FROM fees_bill WHERE estate_id IN ({scope}) "
        "AND period >= %(since)s AND period <= %(last)s GROUP BY estate_id, period",
    )
    run(
        "paid",
        f"SELECT b.estate_id, b.period, SUM(a.amount) FROM fees_allocation a JOIN fees_bill b ON b.id = a.bill_id "
        f"WHERE b.estate_id IN ({scope}) AND b.period >= %(since)s AND b.period <= %(last)s "
        "GROUP BY b.estate_id, b.period",
    )
    run(
        "fund",
        f"SELECT f.estate_id, SUM(l.amount) FROM fees_fundaccount f LEFT JOIN fees_ledgerentry l "
        f"ON l.estate_id = f.estate_id AND l.ledger = 'fund' WHERE f.estate_id IN ({scope}) GROUP BY f.estate_id",
    )
    requests = (
        f"SELECT r.id, r.estate_id, r.status, r.limit_at, r.rating, COALESCE(h.at, r.closed_at) AS handled_at "
        f"FROM grid_gridcase r LEFT JOIN (SELECT case_id, MAX(at) AS at FROM grid_gridcasestep "
        f"WHERE to_status = 'handled' AND NOT escalation GROUP BY case_id) h ON h.case_id = r.id "
        f"WHERE r.source = 'resident' AND r.reported_at >= %(start)s AND r.estate_id IN ({scope})"
    )
    run(
        "requests",
        "SELECT estate_id, COUNT(*), "
        + ", ".join(f"SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)" for s in S.values)
        + ", SUM(CASE WHEN status IN ('handled', 'closed') AND handled_at <= limit_at THEN 1 ELSE 0 END)"
        ", SUM(CASE WHEN (status IN ('handled', 'closed') AND handled_at > limit_at) OR "
        "(status IN ('reported', 'dispatched') AND limit_at < %(now)s) THEN 1 ELSE 0 END)"
        f", COUNT(rating), SUM(rating) FROM ({requests}) q GROUP BY estate_id",
    )
    run(
        "days",
        f"SELECT to_status, AVG({diff}) FROM (SELECT to_status, at, LEAD(at) OVER "
        f"(PARTITION BY case_id ORDER BY at, id) AS next_at FROM grid_gridcasestep "
        f"WHERE NOT escalation AND case_id IN "
        f"(SELECT id FROM grid_gridcase WHERE source = 'resident' AND reported_at >= %(start)s "
        f"AND estate_id IN ({scope}))) t WHERE next_at IS NOT NULL AND to_status <> 'closed' GROUP BY to_status",
    )
    run(
        "exams",
        "SELECT COUNT(*), SUM(sat), SUM(passed) FROM (SELECT x.id, COUNT(DISTINCT a.candidate_id) AS sat, "
        f"COUNT(DISTINCT CASE WHEN a.passed = {true} THEN a.candidate_id END) AS passed "
        "FROM committees_examsession x "
        "JOIN community_community c ON c.id = x.community_id JOIN community_street s ON s.id = c.street_id "
        "LEFT JOIN committees_attempt a ON a.session_id = x.id "
        "WHERE s.district_id = %(d)s AND x.opens_at >= %(start)s GROUP BY x.id) t",
    )
    run(
        "mediation",
        "SELECT SUM(CASE WHEN ag AND NOT en THEN 1 ELSE 0 END), SUM(CASE WHEN en THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN NOT en AND NOT ag AND status IN ('refused', 'closed') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN NOT en AND NOT ag AND status NOT IN ('refused', 'closed') THEN 1 ELSE 0 END) FROM "
        "(SELECT m.status, EXISTS(SELECT 1 FROM mediation_agreement a WHERE a.case_id = m.id) AS ag, "
        "EXISTS(SELECT 1 FROM mediation_casestep t WHERE t.case_id = m.id AND t.status = 'ended') AS en "
        "FROM mediation_case m JOIN mediation_room r ON r.id = m.room_id JOIN community_community c ON "
        "c.id = r.community_id JOIN community_street s ON s.id = c.street_id "
        "WHERE s.district_id = %(d)s AND m.opened_on >= %(since)s) t",
    )
    held = (
        "SELECT unit_id FROM community_ownership WHERE started_on <= %(today)s "
        "AND (ended_on IS NULL OR ended_on >= %(today)s)"
    )
    area = "CAST(ROUND(COALESCE(u.registered_area, u.surveyed_area, u.contract_area) * 100) AS BIGINT)"
    run(
        "coverage",
        f"SELECT g.community_id, COUNT(*), SUM(CASE WHEN u.id IN ({held} AND owner_id IN "
        f"(SELECT id FROM community_owner WHERE user_id IS NOT NULL)) THEN 1 ELSE 0 END), SUM({area}) "
        "FROM community_unit u JOIN community_building b ON b.id = u.building_id "
        "JOIN community_estate e ON e.id = b.estate_id JOIN community_grid g ON g.id = e.grid_id "
        f"WHERE e.id IN ({scope}) AND u.id IN ({held}) GROUP BY g.community_id",
    )
    return out


def main():
    started = time.perf_counter()
    admin, district, estates, bills, cases = setup()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum would have them after a year of use
    print(f"setup: {time.perf_counter() - started:.0f} s ({connection.vendor})")
    now = timezone.now()
    today = timezone.localdate(now)
    p = selectors.period(today=today, now=now)

    def ours():
        user = get_user_model().objects.get(pk=admin.pk)  # a fresh user: its grants are read again, every run
        return selectors.dashboard(user, today=today, now=now)

    conn, _mark = harness.raw_connection()

    def raw():
        figures = raw_sql(conn, district.pk, p.since, p.last, p.start, now, today)
        conn.commit()  # end the read transaction psycopg opened, as the project's autocommit does
        return figures

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
        board = ours()
    figures = raw()
    # Both sides computed the same figures.
    billed = sum(Decimal(str(t)) for _e, _p, t in figures["billed"])
    assert board.collection.billed == billed.quantize(Decimal("0.01")), (board.collection.billed, billed)
    assert board.requests.total == sum(row[1] for row in figures["requests"])
    assert board.requests.in_time == sum(row[2 + len(S.values)] for row in figures["requests"])
    assert board.requests.late == sum(row[3 + len(S.values)] for row in figures["requests"])
    for status, seconds in figures["days"]:
        assert abs(float(board.days[status]) - float(seconds) / 86400) < 1e-3, status
    assert board.exams.sittings == figures["exams"][0][0]
    assert board.mediation["agreed"] == figures["mediation"][0][0]
    assert board.coverage.total.units == sum(row[1] for row in figures["coverage"])
    assert board.fund_accounts == len(figures["fund"]) and board.estates == len(figures["estates"]) == estates

    a, b = harness.alternate(ours, raw, rounds=ARGS.repeat)
    conn.close()
    print(f"district: {estates} estates, {bills:,} bills, {cases:,} requests and cases")
    print(
        f"collection {board.collection.percent}, requests {board.requests.total}, in time {board.requests.in_time}, "
        f"late {board.requests.late}, fund {board.fund_balance}"
    )
    print(f"dashboard selector: {a * 1000:8.1f} ms   queries: {len(queries)} (the user's grants included)")
    print(f"raw SQL aggregates: {b * 1000:8.1f} ms   queries: {len(figures)}")
    harness.report(
        work=f"district dashboard, {estates} estates ({connection.vendor})",
        target="<= 3",
        value=a / b,
        note=f"dashboard {a * 1000:.1f} ms ({len(queries)} queries) vs raw SQL {b * 1000:.1f} ms "
        f"({len(figures)} queries), median of {ARGS.repeat}",
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        if URL:
            connection.close()
            harness.drop_database(URL, SCRATCH)
