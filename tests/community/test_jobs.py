"""Jobs run inline (no broker, as in the demo): the registry import as a job, its failures, the
access check inside the job, who may watch a job, and the upload files a job needs."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from community import import_services, jobs, tasks
from community.models import Job, JobStatus, Role, Unit
from tests.community.test_import import GOOD, csv_bytes
from tests.factories import UserFactory, login

pytestmark = pytest.mark.django_db


def _stored(content: bytes) -> str:
    return default_storage.save(f"{import_services.UPLOADS}/{uuid.uuid4().hex}.csv", ContentFile(content))


def _import(actor, estate, content: bytes, captured=None) -> Job:
    path = _stored(content)
    started = jobs.start(
        actor=actor,
        task=tasks.import_registry,
        title="导入测试文件 r.csv",
        params={"estate": estate.pk, "path": path, "name": "r.csv"},
    )
    started.refresh_from_db()
    started.path = path
    return started


def test_an_import_job_writes_the_file_reports_and_deletes_the_upload(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = _import(world.users[Role.COMMUNITY_STAFF], world.e2, csv_bytes(GOOD))
    assert job.status == JobStatus.DONE and job.finished_at and job.attempts == 1
    assert job.message.startswith("导入完成：新增房屋 4 套、业主 3 位")
    assert job.result_link == reverse("community:estate_detail", args=[world.e2.pk])
    assert Unit.objects.filter(building__estate=world.e2, room="202").exists()
    assert not default_storage.exists(job.path)  # the ID numbers do not stay on disk
    assert jobs.progress_of(job) == {"percent": 100, "step": ""}


def test_a_refused_file_fails_the_job_with_its_rows_and_writes_nothing(world):
    bad = [list(r) for r in GOOD]
    bad[2][10] = "1370000"  # a short mobile
    job = _import(world.users[Role.COMMUNITY_STAFF], world.e2, csv_bytes(bad))
    assert job.status == JobStatus.FAILED and job.message.startswith("发现 1 处错误，未写入任何内容")
    assert "手机号码" in job.message
    assert not Unit.objects.filter(building__estate=world.e2, room__in=["101", "202"]).exists()
    assert not default_storage.exists(job.path)


def test_access_is_checked_again_inside_the_job(world):
    # A grid worker keeps only their own grid's registry (e1): a job for e2 is refused when it runs.
    job = _import(world.users[Role.GRID_WORKER], world.e2, csv_bytes(GOOD))
    assert job.status == JobStatus.FAILED and "无权" in job.message
    assert not Unit.objects.filter(building__estate=world.e2, room="202").exists()


def test_an_upload_gone_before_the_job_runs_fails_it_clearly(world):
    job = Job.objects.create(
        kind=tasks.import_registry.name,
        title="导入",
        created_by=world.users[Role.COMMUNITY_STAFF],
        params={"estate": world.e2.pk, "path": "imports/gone.csv", "name": "r.csv"},
    )
    tasks.import_registry.apply((job.pk,))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "预览已过期或无效" in job.message


def test_a_job_runs_once_however_often_it_is_delivered(world):
    job = _import(world.users[Role.COMMUNITY_STAFF], world.e2, csv_bytes(GOOD))
    units = Unit.objects.count()
    tasks.import_registry.apply((job.pk,))  # the same message handed out again
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 1 and Unit.objects.count() == units


def test_the_stale_upload_sweep_keeps_the_file_of_a_job_still_waiting(world):
    waiting, unconfirmed = _stored(b"a"), _stored(b"b")
    Job.objects.create(
        kind=tasks.import_registry.name,
        title="导入",
        created_by=world.users[Role.COMMUNITY_STAFF],
        params={"estate": world.e2.pk, "path": waiting, "name": "r.csv"},
    )
    tasks.delete_import_previews.apply()
    assert default_storage.exists(waiting) and default_storage.exists(unconfirmed)  # both fresh
    later = timezone.now() + import_services.UPLOAD_AGE + timedelta(minutes=1)
    assert import_services.delete_stale_uploads(now=later) >= 1
    assert default_storage.exists(waiting) and not default_storage.exists(unconfirmed)


def test_only_the_starter_watches_a_job(client, world):
    starter = world.users[Role.COMMUNITY_STAFF]
    job = _import(starter, world.e2, csv_bytes(GOOD))
    page = reverse("community:job", args=[job.pk])
    assert client.get(page).status_code == 302 and "login" in client.get(page).url  # anonymous
    login(client, world.users[Role.DISTRICT_ADMIN])  # more rights, but not their job
    assert client.get(page).status_code == 404
    assert client.get(reverse("community:job_download", args=[job.pk])).status_code == 404
    assert job.title not in client.get(reverse("community:jobs")).content.decode()
    login(client, starter)
    body = client.get(page).content.decode()
    assert "已完成" in body and "导入完成" in body and "data-refresh" not in body
    assert job.title in client.get(reverse("community:jobs")).content.decode()
    login(client, UserFactory(is_superuser=True, is_staff=True))
    assert client.get(page).status_code == 200


def test_a_waiting_job_page_refreshes_itself_and_shows_why_it_waits(client, world):
    starter = world.users[Role.COMMUNITY_STAFF]
    job = Job.objects.create(
        kind=tasks.import_registry.name, title="导入", created_by=starter, queue_note=str(jobs.BROKER_DOWN)
    )
    login(client, starter)
    body = client.get(reverse("community:job", args=[job.pk])).content.decode()
    assert "排队中" in body and 'data-refresh="2"' in body and "后台任务服务（Redis）暂时连接不上" in body


def test_the_sweep_offers_again_what_the_broker_refused_not_a_mere_backlog():
    user = UserFactory()
    now = timezone.now()

    def queued(age, note=""):
        return Job.objects.create(kind="x", title="t", created_by=user, created_at=now - age, queue_note=note)

    refused = queued(timedelta(minutes=3), note=str(jobs.BROKER_DOWN))
    queued(timedelta(minutes=1), note=str(jobs.BROKER_DOWN))  # too fresh
    queued(timedelta(minutes=30))  # the broker has it; workers are busy
    lost = queued(timedelta(hours=2))  # longer than the visibility timeout: the broker lost it
    assert set(jobs.stale()) == {refused, lost}
    jobs.handed_over(refused.pk)
    assert set(jobs.stale()) == {lost}
