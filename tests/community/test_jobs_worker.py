"""Jobs on a real Celery worker and the local Redis: a worker killed mid-import writes nothing and
the next worker finishes the job; a broker that is down costs the page no time and loses nothing.

The worker is a separate process reading the same (PostgreSQL) test database, so these tests
commit their data (``transaction=True``). They run in the PostgreSQL pass; on SQLite they skip.
Select them with ``-m worker``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from kombu import pools

from community import jobs, tasks
from community.models import Job, JobStatus, Owner, Role, Unit
from tests.community.test_import import GOOD, csv_bytes
from tests.factories import login

pytestmark = [
    pytest.mark.worker,
    # One xdist worker runs them all: they share the Redis database below.
    pytest.mark.xdist_group("redis"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REDIS_DB = 13  # a Redis database of these tests' own: flushed before each
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1
ROOT = Path(__file__).resolve().parents[2]
ROWS = 6000
# How long a check waits before it gives up: a deadline, not a timing (it returns as soon as the
# check holds). A worker started while the other test process and PostgreSQL share the two cores
# can take a minute to load Django before it takes its first task.
PATIENCE = 300


@pytest.fixture
def live_redis():
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=1).flushdb()
    except redis.exceptions.ConnectionError as exc:
        reason = f"Redis at 127.0.0.1:6379 is unreachable ({exc}); start redis-server (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield BROKER


def _point_at(url: str, transport: dict | None = None) -> None:
    """Make this process hand tasks to ``url`` (or run them inline when ``url`` is empty)."""
    conf = current_app.conf
    conf.broker_url = url or "memory://"
    conf.task_always_eager = not url
    if transport is not None:
        conf.broker_transport_options = transport
    pools.reset()  # kombu's connection and producer pools are global, keyed by the broker
    current_app._pool = None
    current_app.amqp._producer_pool = None


@pytest.fixture
def broker(settings, live_redis):
    """This process as a web server with a broker: jobs go to Redis, progress is read from it."""
    saved = current_app.conf.broker_transport_options
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": live_redis,
            "KEY_PREFIX": "estate",
        }
    }
    _point_at(live_redis, {**django_settings.CELERY_BROKER_TRANSPORT_OPTIONS, "visibility_timeout": 3})
    yield live_redis
    _point_at("", saved)


class Worker:
    """``celery -A config worker`` on the test database, in one process (the solo pool), so a
    SIGKILL kills the task with it."""

    def __init__(self, broker_url: str):
        db = connection.settings_dict
        where = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{where}/{db['NAME']}",
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
            "DEBUG": "1",
            "DB_CONN_MAX_AGE": "0",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=warning"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.stderr.read().decode(errors="replace")[-3000:]


def _until(check, seconds: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    log = worker.stop() if worker else ""
    pytest.fail(f"waited {seconds} s for {what}\n{log}")


def _confirm_import(client, estate, content: bytes, name: str = "big.csv"):
    preview = client.post(
        reverse("community:import"), {"estate": estate.pk, "file": SimpleUploadedFile(name, content)}
    ).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    began = time.monotonic()
    response = client.post(reverse("community:import_confirm"), {"token": token})
    return response, time.monotonic() - began


def test_a_worker_killed_mid_import_writes_nothing_and_the_next_one_completes_it(client, world, broker):
    rows = [["1号楼", f"{n}", "1", "80", "", "", "", "", f"业主{n}", "", f"137{n:08d}", ""] for n in range(1, ROWS + 1)]
    before = Unit.objects.filter(building__estate=world.e2).count(), Owner.objects.count()
    login(client, world.users[Role.COMMUNITY_STAFF])
    first = Worker(broker)
    try:
        response, waited = _confirm_import(client, world.e2, csv_bytes(rows))
        assert response.status_code == 302 and waited < 1.0  # the page hands the work over, no more
        job = Job.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))

        def writing():
            job.refresh_from_db()
            return job.status == JobStatus.RUNNING and jobs.progress_of(job)["percent"] >= 10

        _until(writing, PATIENCE, "the import to be under way", first)
        page = client.get(response.url).content.decode()
        assert "进行中" in page and 'data-refresh="2"' in page and "js/refresh.js" in page
        first.kill()
    finally:
        first.stop()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # the claim was committed; the work was not
    assert (Unit.objects.filter(building__estate=world.e2).count(), Owner.objects.count()) == before

    second = Worker(broker)  # Redis hands the unacknowledged message out again
    try:
        _until(
            lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).exists(), PATIENCE, "the job to finish", second
        )
    finally:
        second.stop()
    job.refresh_from_db()
    assert job.attempts == 2 and f"新增房屋 {ROWS} 套" in job.message
    assert Unit.objects.filter(building__estate=world.e2).count() == before[0] + ROWS
    assert Owner.objects.count() == before[1] + ROWS


def test_with_redis_down_the_job_waits_recorded_and_the_sweep_hands_it_over(client, world, broker):
    login(client, world.users[Role.COMMUNITY_STAFF])
    _point_at(DEAD)
    response, waited = _confirm_import(client, world.e2, csv_bytes(GOOD), name="r.csv")
    assert response.status_code == 302 and waited < 2.0
    job = Job.objects.get()
    page = client.get(response.url).content.decode()
    assert job.status == JobStatus.QUEUED and "后台任务服务（Redis）暂时连接不上" in page
    assert not Unit.objects.filter(building__estate=world.e2, room="202").exists()

    _point_at(broker)  # Redis is back; the sweep takes the jobs it finds waiting
    Job.objects.filter(pk=job.pk).update(created_at=job.created_at - jobs.STALE_AFTER)
    worker = Worker(broker)
    try:
        assert tasks.requeue_jobs() == 1
        _until(
            lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).exists(), PATIENCE, "the job to run", worker
        )
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.queue_note == "" and Unit.objects.filter(building__estate=world.e2, room="202").exists()
