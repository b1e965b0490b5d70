"""Benchmark: telling an estate of 8,000 owners that a vote is convened, against a raw bulk insert of the same rows.

One estate of 8,000 units, each with one owner and a mobile; 30% of the owners have bound an
account (so they get an inbox message as well). Times, in the same run:

* record and deliver, as a user's request does it with no broker: convene a vote of the whole
  estate, whose ``notify(...)`` records a message and one delivery per owner and channel, and,
  once that commits, ``send_due`` of the message through the console SMS backend
  writing to a file (read the due rows in locked batches, write the texts, mark them sent);
* the floor: the driver itself (sqlite3 on the same file or psycopg on the same database:
  ``bench.harness.raw_connection``) inserting exactly the delivery rows that run wrote, read back
  as stored (same table, same columns, same count), with executemany in one transaction and one
  commit.

Our side is ``committees.votes.services.convene_vote`` by the community's staff (the vote, its
drafted notice, its message to every owner with a say); the baseline inserts only the delivery
rows, so the vote's own writes count against us.

The sides alternate; medians of --repeat rounds. Prints the medians, the split between recording
and sending, the query count and the ratio.
Target: at most 3x the raw insert. SQLite by default; ``--database-url postgres://...`` runs it on
PostgreSQL (a scratch database named ``notify_bench`` on that server is created and dropped).

Run: .venv/bin/python bench/notify.py [--owners N] [--accounts 0.3] [--repeat N] [--database-url URL]
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
parser.add_argument("--owners", type=int, default=8000)
parser.add_argument("--accounts", type=float, default=0.3, help="share of owners with an account")
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--database-url", default="")
ARGS = parser.parse_args()
TMP = tempfile.mkdtemp()
SCRATCH = "notify_bench"
URL = harness.throwaway_database(ARGS.database_url, SCRATCH) if ARGS.database_url else ""
os.environ.pop("CELERY_BROKER_URL", None)  # tasks inline, as in the demo: the request sends
os.environ.update(
    DEBUG="1",
    DATABASE_URL=URL or f"sqlite:///{TMP}/notify.sqlite3",
    DJANGO_SETTINGS_MODULE="config.settings",
    SMS_BACKEND="notifications.channels.ConsoleSmsBackend",
    SMS_FILE_PATH=f"{TMP}/sms.log",
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)

import django  # noqa: E402

django.setup()

from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from committees.votes import services as votes  # noqa: E402
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
from community.services import assign_role  # noqa: E402
from notifications import services  # noqa: E402
from notifications.models import Delivery, Event, Message  # noqa: E402

# The bench measures recording and sending, not the night's wait: SMS are never held for 08:00 here.
services.quiet = lambda at: False


def setup(count: int, share: float) -> Estate:
    call_command("migrate", "--noinput", verbosity=0)
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
    buildings = Building.objects.bulk_create([Building(estate=estate, name=f"{i}号楼") for i in range(1, 81)])
    units = Unit.objects.bulk_create(
        [
            Unit(building=buildings[i % 80], room=f"{i // 80:04d}", registered_area=Decimal("89.50"))
            for i in range(count)
        ],
        batch_size=2000,
    )
    with_account = int(count * share)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"owner{i}", password="!") for i in range(with_account)], batch_size=2000
    )
    owners = Owner.objects.bulk_create(
        [
            Owner(name=f"业主{i}", mobile=f"139{i:08d}", user=users[i] if i < with_account else None)
            for i in range(count)
        ],
        batch_size=2000,
    )
    Ownership.objects.bulk_create(
        [
            Ownership(unit=unit, owner=owner, started_on=date(2010, 1, 1))
            for unit, owner in zip(units, owners, strict=True)
        ],
        batch_size=5000,
    )
    return estate


def convener(estate: Estate):
    """The community's staff member who convenes the votes (a real actor: convene_vote checks them)."""
    user = get_user_model().objects.create(username="convener", password="!")
    assign_role(actor=None, user=user, role=Role.COMMUNITY_STAFF, scope=estate.grid.community)
    return user


def convene(estate: Estate, run: int, actor):
    """Convening a vote of the whole estate, as staff do it: the vote, its drafted notice, and the
    message to every owner with a say (recorded, then sent once the transaction commits)."""
    opens = timezone.now() + timedelta(days=20)
    vote = votes.convene_vote(
        actor=actor,
        estate=estate,
        matter=5,
        question=f"第 {run + 1} 次业主大会：修改管理规约",
        opens_at=opens,
        closes_at=opens + timedelta(days=15),
    )
    return Message.objects.get(event=Event.VOTE_CONVENED, subject_id=vote.pk)


def main():
    estate = setup(ARGS.owners, ARGS.accounts)
    actor = convener(estate)
    raw, mark = harness.raw_connection()
    columns = [Delivery._meta.get_field(name).column for name in services.DELIVERY_COLUMNS]
    table = Delivery._meta.db_table
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    sending = []
    send_due = services.send_due

    def timed_send_due(**kwargs):  # the task calls services.send_due: time the sending part on its own
        started = time.perf_counter()
        try:
            return send_due(**kwargs)
        finally:
            sending.append(time.perf_counter() - started)

    services.send_due = timed_send_due
    latest = {}

    def ours():
        run = len(sending)
        captured = []

        def count(execute, sql_, *args):
            captured.append(sql_)
            return execute(sql_, *args)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            message = convene(estate, run, actor)
        took = time.perf_counter() - started
        assert len(sending) == run + 1, "the send task did not run inline"
        rows = raw.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE message_id = {mark} ORDER BY id", [message.pk]
        ).fetchall()
        raw.commit()
        unsent = sum(1 for r in rows if r[columns.index("status")] != "sent")
        assert unsent == 0, f"{unsent} deliveries were not sent"
        latest.update(rows=rows, queries=len(captured))
        return took

    def baseline():
        started = time.perf_counter()
        raw.cursor().executemany(insert, latest["rows"])
        raw.commit()
        return time.perf_counter() - started

    ours()  # the first rows the baseline writes (and a vote of its own, not timed)
    first_send = sending[0]
    a, b = harness.alternate(ours, baseline, rounds=ARGS.repeat)
    s = statistics.median(sending[1:])
    raw.close()
    with open(os.environ["SMS_FILE_PATH"], encoding="utf-8") as log:
        texts = sum(1 for _ in log)
    rows = len(latest["rows"])
    print(
        f"database: {connection.vendor}, owners: {ARGS.owners:,} ({ARGS.accounts:.0%} with an account), "
        f"deliveries per vote: {rows:,}, SMS written: {texts // len(sending):,} per run"
    )
    print(f"convene_vote + send_due (record and deliver): {a:.3f} s   queries: {latest['queries']}")
    print(f"  of which send_due (console backend):  {s:.3f} s (first run {first_send:.3f} s)")
    print(f"raw executemany of the same rows:       {b:.3f} s")
    harness.report(
        work=f"notify {ARGS.owners:,} owners of a vote ({connection.vendor})",
        target="<= 3",
        value=a / b,
        note=f"convene+send {a:.3f} s ({latest['queries']} queries, sending {s:.3f} s) vs raw insert of the "
        f"{rows:,} deliveries {b:.3f} s (median of {ARGS.repeat})",
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        if URL:
            connection.close()
            harness.drop_database(URL, SCRATCH)
