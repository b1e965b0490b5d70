"""Load test: a day under load (issue 25, item 7).

gunicorn with 3 workers on a throwaway PostgreSQL database, configured as production runs it
(DEBUG off, a secret key, ALLOWED_HOSTS, whitenoise serving the collected static files, the
TLS-terminating proxy's X-Forwarded-Proto). One estate of 2,000 owners, each with an account
bound from the registry (residents.demo.bind_in_bulk: the demo's bulk path, one password hash
for all), an open vote and a few published notices.

Two kinds of traffic, both open-loop (each request starts at its scheduled time whatever the
server is doing, so a slow server is not given a rest):
- owners, each arriving at a random moment of the run (uniform, seeded): the sign-in form, signing in
  (POST /login/ with the form's CSRF token), the ballot page, casting the ballot (POST to the
  ballot page's form) and the page the cast redirects to, which must show the success message,
  with a second or two of thinking between steps;
- anonymous visitors at --rate requests a second on the public pages: the site's home, the
  estate page, notice pages and the price board, in turn.

The default run lasts 120 s at the full day's pace (2,000 ballots in 10 minutes, so 400 owners
vote); --full runs all 2,000 owners over 600 s. Latency is from a request's scheduled start to
its last byte, so a late start of the generator counts against the figure; the generator's own
lag and its CPU use are printed beside it, and so are gunicorn's and the machine's. Before the
load, the CPU that one public page and one sign-in cost gunicorn is measured a request at a time,
and from it the cores the chosen load needs (a machine's worth or not, whoever else is on it).

After the run: ballots in the database == successful casts, one per holding, none twice.

Read the figures with the CPU line: on a machine where other work takes the cores (the
"rest of the machine" figure well above what PostgreSQL needs, a load average above the core
count), gunicorn gets a fraction of a core and the latencies measure the machine, not the code.

Run: .venv/bin/python bench/load.py [--full] [--duration S] [--owners N] [--rate R] [--keep]
     [--reuse NAME]   (again on a kept database, with the owners who have not voted yet)
PG_URL: the server, ending in /postgres (default postgres://postgres@127.0.0.1:5432/postgres).
"""

import argparse
import asyncio
import os
import random
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import report  # noqa: E402

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
HOST = "127.0.0.1"
ESTATE_OWNERS = 2000
DAY_SECONDS = 600  # the day: 2,000 ballots within 10 minutes
WORKERS = 3
NOTICES = 6
TIMEOUT = 30.0  # gunicorn's own worker timeout: a request still unanswered then has failed
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HOLDER = re.compile(r'name="holder" value="([^"]*)"')
SUCCESS = '<li class="success">'
QUESTION = "修改业主大会议事规则（压测）"


# ---------------------------------------------------------------- the database and the estate
def create_database() -> tuple[str, str]:
    name = f"load_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(owners: int) -> None:
    """Migrate, then one estate with ``owners`` owners bound to accounts, a company keeping its
    books, a published price list, published notices and an open vote."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    from cms import services as cms_services
    from committees.votes import services as votes
    from community import services
    from community.demo import DEMO_PASSWORD, _uscc
    from community.models import (
        Community,
        ContractMode,
        District,
        Grid,
        Owner,
        Ownership,
        PropertyCompany,
        Street,
        Unit,
    )
    from community.tenure import services as tenure
    from fees import services as fees
    from fees.demo import BOARD
    from residents.demo import bind_in_bulk

    started = time.perf_counter()
    call_command("migrate", "--noinput", verbosity=0)
    migrated = time.perf_counter()
    district = District.objects.create(name="压测区", code="L")
    street = Street.objects.create(district=district, name="压测街道", code="LS")
    community = Community.objects.create(street=street, name="压测社区", code="LC")
    grid = Grid.objects.create(community=community, name="第1网格", code="LG")
    per_building = 100
    buildings = [
        services.BuildingSpec(
            name=f"{b + 1}号楼",
            units=[
                services.UnitSpec(
                    room=f"{k // 4 + 1}{k % 4 + 1:02d}",
                    floor=k // 4 + 1,
                    registered_area=Decimal(60 + (b * per_building + k) % 90),
                )
                for k in range(min(per_building, owners - b * per_building))
            ],
        )
        for b in range(-(-owners // per_building))
    ]
    delivered = date(2015, 1, 1)
    estate = services.register_estate(
        actor=None, grid=grid, name="压测花园", code="LE", delivered_on=delivered, buildings=buildings
    )
    units = list(Unit.objects.filter(building__estate=estate).order_by("building_id", "pk"))
    people = services.register_owners(
        actor=None,
        owners=[Owner(name=f"业主{i + 1}", mobile=f"139{i + 1:08d}") for i in range(len(units))],
    )
    services.record_ownerships(
        actor=None,
        estate=estate,
        ownerships=[Ownership(unit=u, owner=o, started_on=delivered) for u, o in zip(units, people, strict=True)],
    )
    bind_in_bulk(people)
    company = PropertyCompany(name="压测物业服务有限公司", uscc=_uscc("PM", 1), phone="0598-8000001")
    services.save_registry_object(actor=None, obj=company)
    tenure.sign_contract(
        actor=None,
        estate=estate,
        company=company,
        mode=ContractMode.LUMP_SUM,
        starts_on=delivered,
        ends_on=date(2035, 12, 31),
    )
    today = timezone.localdate()
    fees.publish_schedule(
        actor=None,
        estate=estate,
        effective_from=today.replace(day=1),
        billing_starts_on=today.replace(day=1),
        items=[("物业服务费", "per_area", "1.80"), ("生活垃圾清运费", "per_unit", "8.00")],
        **BOARD,
    )
    notices = []
    for i in range(NOTICES):
        notice = cms_services.draft_notice(
            estate=estate,
            category="general",
            title=f"第{i + 1}号公告：二次供水设施清洗",
            body="小区二次供水设施将于本周六上午清洗，届时停水四小时，请各位业主提前储水。" * 8,
            publicity_days=7 if i % 2 else None,
        )
        notices.append(cms_services.publish_notice(actor=None, notice=notice).url)
    now = timezone.now()
    votes.convene_vote(
        actor=None,
        estate=estate,
        matter=1,
        question=QUESTION,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        now=now - timedelta(days=30),
    )
    print(
        f"built: migrate {migrated - started:.0f} s, estate {time.perf_counter() - migrated:.0f} s: "
        f"{len(units)} units and owner accounts (password {DEMO_PASSWORD}), {len(notices)} notices, one open vote",
        flush=True,
    )


def plan() -> dict:
    """What the load needs, read from the database: the open vote, the logins of the owners who
    have not voted in it yet (all of them on a fresh database), the public addresses."""
    from django.urls import reverse

    from cms.models import EstatePage, NoticePage
    from committees.models import Ballot, Vote
    from community.demo import DEMO_PASSWORD
    from community.models import Owner

    vote = Vote.objects.select_related("estate").get(question=QUESTION, status="open")
    voted = Ballot.objects.filter(vote=vote).values("cast_by")
    logins = list(
        Owner.objects.filter(ownerships__unit__building__estate=vote.estate, user__isnull=False)
        .exclude(pk__in=voted)
        .order_by("pk")
        .values_list("user__username", flat=True)
    )
    page = EstatePage.objects.get(estate=vote.estate)
    notices = [n.url for n in NoticePage.objects.live().descendant_of(page).order_by("pk")]
    public = ["/", page.url, *notices, reverse("fees:prices", args=[vote.estate.pk])]
    return {"vote": vote.pk, "logins": logins, "password": DEMO_PASSWORD, "public": public}


def ballots_in_database(vote_id: int) -> tuple[int, int, int]:
    """(ballots, distinct holdings, ballots cast online by their own owner) of the vote."""
    from django.db.models import Count, Q

    from committees.models import Ballot

    figures = Ballot.objects.filter(vote_id=vote_id).aggregate(
        n=Count("pk"), holders=Count("holder", distinct=True), online=Count("pk", filter=Q(cast_by__isnull=False))
    )
    return figures["n"], figures["holders"], figures["online"]


# ---------------------------------------------------------------- gunicorn
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def production_env(database_url: str, tmp: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        TRUST_X_FORWARDED_PROTO="1",  # behind the TLS proxy the README's deployment puts in front
        SMS_FILE_PATH=os.path.join(tmp, "sms.txt"),
        MEDIA_ROOT=os.path.join(tmp, "media"),
    )
    # Production shares one Redis cache between its processes (README, deploying): the public
    # pages' copies and their generation tokens. A scratch Redis database, emptied first.
    cache_url = os.environ.get("LOAD_CACHE_URL", "redis://127.0.0.1:6379/5")
    try:
        import redis

        redis.Redis.from_url(cache_url, socket_connect_timeout=2).flushdb()
        env["CACHE_URL"] = cache_url
        print(f"public page cache: {cache_url} (emptied)")
    except Exception as error:  # noqa: BLE001 - a bench without Redis still runs, on per-process memory
        print(f"!! no Redis at {cache_url} ({error}): each gunicorn worker caches in its own memory")
    return env


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "config.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(WORKERS)],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {proc.returncode}); see {log}")
        try:
            status, _h, _b = asyncio.run(fetch(port, "GET", "/"))
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    sys.exit(f"gunicorn did not answer within 60 s; see {log}")


def cpu_seconds(pids) -> float:
    """user + system CPU seconds of the processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# ---------------------------------------------------------------- a small HTTP client
async def fetch(port: int, method: str, path: str, *, cookies=None, form=None, referer=None):
    """One request on its own connection (gunicorn's sync workers close each one):
    (status, headers as (lowercase name, value) pairs, body)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}:{port}",
            "X-Forwarded-Proto: https",
            "Connection: close",
            "User-Agent: estate-load/1",
        ]
        if cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if referer:
            head.append(f"Referer: https://{HOST}:{port}{referer}")
        data = b""
        if form is not None:
            data = urlencode(form).encode()
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(data)}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        raw = await reader.read()
    finally:
        writer.close()
    header, _sep, body = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = [(n.strip().lower(), v.strip()) for n, _c, v in (line.partition(":") for line in lines[1:])]
    if ("transfer-encoding", "chunked") in headers:
        body = dechunk(body)
    return status, headers, body


def dechunk(body: bytes) -> bytes:
    out, at = [], 0
    while True:
        end = body.index(b"\r\n", at)
        size = int(body[at:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(body[end + 2 : end + 2 + size])
        at = end + 2 + size + 2


def keep_cookies(jar: dict, headers) -> None:
    for name, value in headers:
        if name == "set-cookie":
            pair, *attrs = value.split(";")
            key, _eq, val = pair.strip().partition("=")
            if not val or any(a.strip().lower() == "max-age=0" for a in attrs):
                jar.pop(key, None)
            else:
                jar[key] = val


def header(headers, name: str) -> str:
    return next((v for n, v in headers if n == name), "")


# ---------------------------------------------------------------- the load
class Recorder:
    def __init__(self):
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.lag: list[float] = []

    def ok(self, kind: str, seconds: float) -> None:
        self.samples.setdefault(kind, []).append(seconds)

    def fail(self, kind: str, why: str) -> None:
        self.errors.setdefault(kind, []).append(why)


async def timed(rec: Recorder, kind: str, due: float, call, check=None):
    """Run ``call`` and record its time from ``due`` (its scheduled start) to the last byte; a
    status outside 2xx/3xx, an exception, a timeout or a failed ``check`` is an error."""
    rec.lag.append(time.perf_counter() - due)
    try:
        status, headers, body = await asyncio.wait_for(call(), TIMEOUT)
    except Exception as exc:  # noqa: BLE001 — every failure of a request is an error to count
        rec.fail(kind, type(exc).__name__)
        return None
    took = time.perf_counter() - due
    if not 200 <= status < 400:
        rec.fail(kind, f"HTTP {status}")
        return None
    why = check(status, headers, body) if check else None
    if why:
        rec.fail(kind, why)
        return None
    rec.ok(kind, took)
    return status, headers, body


async def owner(rec: Recorder, port: int, vote: int, username: str, password: str, think, casts: list) -> None:
    jar: dict = {}
    ballot_path = f"/votes/{vote}/"

    def step(method, path, **kw):
        async def call():
            status, headers, body = await fetch(port, method, path, cookies=jar, **kw)
            keep_cookies(jar, headers)
            return status, headers, body

        return call

    got = await timed(rec, "owner pages", time.perf_counter(), step("GET", "/login/"))
    if got is None:
        return
    token = TOKEN.search(got[2].decode())
    await asyncio.sleep(think())
    signed_in = await timed(
        rec,
        "login",
        time.perf_counter(),
        step(
            "POST",
            "/login/",
            form={"csrfmiddlewaretoken": token.group(1) if token else "", "username": username, "password": password},
            referer="/login/",
        ),
        check=lambda s, h, b: None if s == 302 and "sessionid" in jar else "sign-in refused",
    )
    if signed_in is None:
        return
    page = await timed(
        rec,
        "owner pages",
        time.perf_counter(),
        step("GET", ballot_path),
        check=lambda s, h, b: None if s == 200 and HOLDER.search(b.decode()) else f"no ballot (HTTP {s})",
    )
    if page is None:
        return
    text = page[2].decode()
    await asyncio.sleep(think())
    form = {
        "csrfmiddlewaretoken": TOKEN.search(text).group(1),
        "holder": HOLDER.search(text).group(1),
        "choice": random.choice(("yes", "yes", "yes", "no", "abstain")),
    }
    cast = await timed(
        rec,
        "ballot",
        time.perf_counter(),
        step("POST", ballot_path, form=form, referer=ballot_path),
        check=lambda s, h, b: None if s == 302 else f"cast answered HTTP {s}",
    )
    if cast is None:
        return
    shown = await timed(
        rec,
        "owner pages",
        time.perf_counter(),
        step("GET", header(cast[1], "location") or ballot_path),
        check=lambda s, h, b: None if SUCCESS in b.decode() else "cast refused",
    )
    if shown is not None:
        casts.append(username)
    else:
        rec.fail("ballot", "cast not confirmed")


async def visitor(rec: Recorder, port: int, path: str, due: float) -> None:
    await timed(rec, "public pages", due, lambda: fetch(port, "GET", path))


async def load(port: int, plan: dict, *, duration: float, owners: int, rate: float, think: float, seed: int):
    rec, casts, tasks = Recorder(), [], []
    rng = random.Random(seed)
    random.seed(seed)
    logins = plan["logins"][:]
    rng.shuffle(logins)
    logins = logins[:owners]
    arrivals = sorted(rng.uniform(0, duration) for _ in logins)
    public = plan["public"]
    n_public = int(duration * rate)

    def pause():
        return rng.uniform(0.5, 1.5) * think

    start = time.perf_counter()
    events = [(t, "owner", login) for t, login in zip(arrivals, logins, strict=True)]
    events += [(i / rate, "public", public[i % len(public)]) for i in range(n_public)]
    events.sort(key=lambda e: e[0])
    for offset, kind, what in events:
        due = start + offset
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        if kind == "owner":
            coro = owner(rec, port, plan["vote"], what, plan["password"], pause, casts)
        else:
            coro = visitor(rec, port, what, due)
        tasks.append(asyncio.create_task(coro))
    await asyncio.gather(*tasks)
    return rec, casts, time.perf_counter() - start


async def server_cost(port: int, server: list[int], work: dict, *, pages: int, signins: int) -> tuple[float, float]:
    """gunicorn's CPU seconds per public page and per sign-in (the form and its POST), one
    request at a time: what each costs the server, however busy the machine is (PostgreSQL's
    side not included). The owners who sign in here are the last ones of the list; signing in
    does not vote."""
    before = cpu_seconds(server)
    for i in range(pages):
        await fetch(port, "GET", work["public"][i % len(work["public"])])
    page = (cpu_seconds(server) - before) / pages
    before = cpu_seconds(server)
    for username in work["logins"][-signins:]:
        jar: dict = {}
        _s, headers, body = await fetch(port, "GET", "/login/")
        keep_cookies(jar, headers)
        form = {"csrfmiddlewaretoken": TOKEN.search(body.decode()).group(1), "username": username}
        status, _h, _b = await fetch(
            port, "POST", "/login/", cookies=jar, form=form | {"password": work["password"]}, referer="/login/"
        )
        if status != 302:
            sys.exit(f"{username} could not sign in (HTTP {status})")
    return page, (cpu_seconds(server) - before) / signins


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the whole day: 2,000 owners over 600 s")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--owners", type=int, help="owners who vote (default: the day's pace, 2,000 per 600 s)")
    parser.add_argument("--rate", type=float, default=200, help="public page requests a second (default 200)")
    parser.add_argument("--think", type=float, default=1.0, help="an owner's mean pause between steps, seconds")
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--reuse", metavar="NAME", help="run again on a kept database: its owners who have not voted")
    args = parser.parse_args()
    if args.full:
        args.duration = DAY_SECONDS
    owners = args.owners if args.owners is not None else round(ESTATE_OWNERS * args.duration / DAY_SECONDS)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one socket per request in flight

    tmp = tempfile.mkdtemp(prefix="load-")
    if args.reuse:
        name, database_url = args.reuse, PG_URL.rsplit("/", 1)[0] + "/" + args.reuse
    else:
        name, database_url = create_database()
    print(f"database {name}", flush=True)
    os.environ.update(
        DEBUG="1",
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        SMS_FILE_PATH=os.path.join(tmp, "sms.txt"),
        MEDIA_ROOT=os.path.join(tmp, "media"),
    )
    import django

    django.setup()
    from django.db import connections

    proc = None
    try:
        if not args.reuse:
            build(ESTATE_OWNERS)
        work = plan()
        if owners > len(work["logins"]):
            sys.exit(f"only {len(work['logins'])} owners of the estate have not voted yet")
        before = ballots_in_database(work["vote"])
        connections.close_all()

        port = free_port()
        log = Path(tmp) / "gunicorn.log"
        proc = start_gunicorn(production_env(database_url, tmp), port, log)
        for path in work["public"] * 5:  # each worker has answered each page before the clock starts
            status, _h, _b = asyncio.run(fetch(port, "GET", path))
            if status != 200:
                sys.exit(f"public page {path} answered HTTP {status}, not a page; see {log}")
        server = [proc.pid, *children(proc.pid)]
        print(
            f"gunicorn: {WORKERS} workers on {HOST}:{port} (pids {server}); load: {owners} owners voting and "
            f"{args.rate:g} public requests/s over {args.duration:g} s; load average before: "
            f"{os.getloadavg()[0]:.1f}",
            flush=True,
        )

        page_cpu, signin_cpu = asyncio.run(server_cost(port, server, work, pages=60, signins=5))
        needed = args.rate * page_cpu + owners / args.duration * signin_cpu
        print(
            f"gunicorn CPU, one request at a time: {page_cpu * 1000:.1f} ms per public page, "
            f"{signin_cpu * 1000:.0f} ms per sign-in (form and POST); this load needs about {needed:.2f} cores "
            f"of gunicorn for those alone, PostgreSQL and the ballot pages besides",
            flush=True,
        )

        usage = resource.getrusage(resource.RUSAGE_SELF)
        mine = usage.ru_utime + usage.ru_stime
        theirs = cpu_seconds(server)
        busy = machine_busy()
        rec, casts, wall = asyncio.run(
            load(port, work, duration=args.duration, owners=owners, rate=args.rate, think=args.think, seed=args.seed)
        )
        usage = resource.getrusage(resource.RUSAGE_SELF)
        mine = usage.ru_utime + usage.ru_stime - mine
        theirs = cpu_seconds(server) - theirs
        after = machine_busy()
        machine = (after[0] - busy[0]) / max(1, after[1] - busy[1])
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        try:
            if proc is not None:
                stored, distinct, online = (
                    x - y for x, y in zip(ballots_in_database(work["vote"]), before, strict=True)
                )
            connections.close_all()
        finally:
            if args.keep or args.reuse:
                print(f"kept database {name} (rerun with --reuse {name})")
            else:
                drop_database(name)

    cores = os.cpu_count() or 1
    print(f"\nran {wall:.1f} s (scheduled {args.duration:g} s), {cores} cores")
    print(f"{'class':<13} {'count':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    figures = {}
    for kind in ("ballot", "login", "owner pages", "public pages"):
        done = rec.samples.get(kind, [])
        failed = rec.errors.get(kind, [])
        p50, p95, p99 = (percentile(done, q) * 1000 for q in (50, 95, 99))
        figures[kind] = (len(done), p50, p95, p99, len(failed))
        print(
            f"{kind:<13} {len(done) + len(failed):>6} {len(done) / wall:>7.1f} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f} "
            f"{len(failed):>6}"
        )
    for kind, failed in rec.errors.items():
        kinds = statistics.multimode(failed)
        print(f"  errors in {kind}: {len(failed)}, most often {kinds[0]!r} ({failed.count(kinds[0])})")
    lag95 = percentile(rec.lag, 95) * 1000
    rest = machine * cores - (mine + theirs) / wall
    print(
        f"CPU over the run, in cores: load generator {mine / wall:.2f}, gunicorn ({WORKERS} workers) "
        f"{theirs / wall:.2f}, the rest of the machine (PostgreSQL and any other work) {rest:.2f}, "
        f"of {cores} cores {machine:.0%} busy; generator start lag p95 {lag95:.1f} ms"
    )
    mismatch = abs(stored - len(casts)) + (stored - distinct) + abs(online - stored)
    print(
        f"ballots: {len(casts)} casts confirmed, {stored} in the database, {distinct} distinct holdings, "
        f"{online} cast online by their owner" + ("" if not mismatch else f"  MISMATCH {mismatch}")
    )

    killed = log.read_text(errors="replace").count("WORKER TIMEOUT")
    print(f"gunicorn log {log}: {killed} workers killed for running past their timeout")

    errors = sum(len(v) for v in rec.errors.values())
    load_note = (
        f"{owners} owners in {args.duration:g} s + {args.rate:g} public req/s, gunicorn {WORKERS} workers, "
        f"PostgreSQL; CPU in cores: generator {mine / wall:.2f}, gunicorn {theirs / wall:.2f}, rest {rest:.2f} "
        f"of {cores} ({machine:.0%} busy), load average {os.getloadavg()[0]:.1f}; gunicorn CPU alone: "
        f"{page_cpu * 1000:.1f} ms a public page, {signin_cpu * 1000:.0f} ms a sign-in, {needed:.2f} cores needed"
    )
    n, p50, p95, p99, failed = figures["ballot"]
    login = figures["login"]
    report(
        work="load: ballot cast, p95",
        target="<= 500",
        unit="ms",
        value=p95,
        note=f"{n} casts, p50 {p50:.0f} p99 {p99:.0f} ms; sign-in p50 {login[1]:.0f} p95 {login[2]:.0f} ms; "
        + load_note,
    )
    n, p50, p95, p99, failed = figures["public pages"]
    report(
        work="load: public pages, p95",
        target="<= 100",
        unit="ms",
        value=p95,
        note=f"{n} requests ({n / wall:.0f}/s), p50 {p50:.0f} p99 {p99:.0f} ms; " + load_note,
    )
    report(
        work="load: errors + ballot mismatches",
        target="<= 0",
        unit="",
        value=errors + mismatch,
        note=f"{errors} failed requests, {stored} ballots stored for {len(casts)} confirmed casts, "
        f"{stored - distinct} twice, {stored - online} not cast online by their owner",
    )


if __name__ == "__main__":
    main()
