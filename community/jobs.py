"""Background work, declared one way in every app.

* ``task(...)`` declares a Celery task in an app's ``tasks.py``: acknowledged only when it
  has finished (a worker killed mid-task leaves the message to be handed out again), retried
  with backoff when the database is briefly away, stopped by the time limit in settings. A
  task calls services, which are idempotent: running one twice writes nothing twice.
* ``job(...)`` declares work a user starts and watches (a ``Job`` row and its status page):
  ``start(actor=…, task=…, title=…, params=…)`` records the job and hands it to the broker;
  the worker runs the work and marks the job done in **one** transaction, so a job is done
  exactly when its work is written, and a failed or killed job has written nothing.
* ``enqueue(task, *args)`` hands any task to the broker. When the broker is down it says so
  instead of raising: the job (or the delivery) stays recorded in the database and the
  sweep ``community.tasks.requeue_jobs`` hands it over again once the broker is back.

Without ``CELERY_BROKER_URL`` (the demo, most tests) a task runs inline, at once, in the
process that asked for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .locks import lock_one
from .models import Job, JobStatus
from .web import error_text

logger = logging.getLogger(__name__)

# Passing trouble: the database restarting or a connection dropped. Anything else is a fault.
TRANSIENT = (OperationalError, InterfaceError)
MAX_RETRIES = 5
TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,  # 5 s, 10 s, 20 s … with jitter
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": MAX_RETRIES,
}

BROKER_DOWN = gettext_lazy("后台任务服务（Redis）暂时连接不上：任务已保存，服务恢复后会自动开始，无需重新提交。")
TIMED_OUT = gettext_lazy("任务超过时限未能完成，已停止，未写入任何内容。")
FAULT = gettext_lazy("任务出错，未写入任何内容。错误已记入系统日志，请联系系统管理员。")
GAVE_UP = gettext_lazy("数据库多次连接失败，任务已停止，未写入任何内容。请稍后重新提交。")


def task(*args, **options):
    """``shared_task`` with the project's guarantees (``TASK_OPTIONS``); options override them."""
    return shared_task(*args, **{**TASK_OPTIONS, **options})


def inline() -> bool:
    """True when tasks run in the asking process (no broker configured)."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def enqueue(celery_task, *args) -> str:
    """Hand ``celery_task(*args)`` to the broker (or run it now, inline). Returns "" when handed
    over, else why it could not be, for the page to show; nothing is lost either way, because
    the work is recorded in the database before it is queued.

    ``celery_task`` may be a task's name, for a service that must not import the ``tasks``
    module that imports it."""
    if isinstance(celery_task, str):
        celery_task = _named(celery_task)
    try:
        celery_task.apply_async(args)
    except Exception as exc:  # kombu wraps every broker failure differently; none may lose the work
        if inline():
            raise
        logger.warning("broker unreachable, %s(%s) left for the sweep: %s", celery_task.name, args, exc)
        return str(BROKER_DOWN)
    return ""


def _named(name: str):
    """The task called ``name``. Every app's tasks.py is imported the first time a name is not
    yet known (Celery's import also runs Django's system checks, so it must not run per call)."""
    found = current_app.tasks.get(name)
    if found is None:
        current_app.loader.import_default_modules()
        found = current_app.tasks[name]
    return found


# --------------------------------------------------------------------------- jobs


@dataclass
class Outcome:
    """What a job's work returns: a sentence for the status page, and where to see the result
    (a page, or a file to download)."""

    message: str
    link: str = ""
    file: bytes | None = None
    filename: str = ""


class Progress:
    """Reports a running job's percentage. It goes through the cache (Redis when a broker is
    configured), because the job's own row is inside the work's uncommitted transaction."""

    def __init__(self, job: Job):
        self.key = _progress_key(job.pk)

    def __call__(self, done: int, total: int, step: str = "") -> None:
        percent = 100 if total <= 0 else max(0, min(99, done * 100 // total))
        try:
            cache.set(self.key, {"percent": percent, "step": str(step)}, 24 * 3600)
        except Exception:  # a progress bar is never worth failing the work for
            logger.warning("progress of job %s not recorded", self.key, exc_info=True)


def _progress_key(pk: int) -> str:
    return f"job-progress:{pk}"


def progress_of(job: Job) -> dict:
    """``{"percent": …, "step": …}`` for the status page."""
    if job.status == JobStatus.DONE:
        return {"percent": 100, "step": ""}
    if job.status == JobStatus.QUEUED:
        return {"percent": 0, "step": ""}
    try:
        found = cache.get(_progress_key(job.pk))
    except Exception:
        found = None
    return found or {"percent": 0, "step": ""}


def job(name: str, **options):
    """Declare the work behind a ``Job``: ``work(job, progress) -> Outcome``, run by a task
    named ``name``. The work raises ``ValidationError``/``PermissionDenied`` to refuse; the job
    then fails with that reason."""

    def wrap(work: Callable[[Job, Progress], Outcome]):
        def run(self, job_id: int) -> None:
            _run(self, job_id, work)

        run.__name__ = run.__qualname__ = work.__name__
        run.__doc__ = work.__doc__
        declared = shared_task(name=name, bind=True, acks_late=True, max_retries=MAX_RETRIES, **options)(run)
        declared.work = work
        return declared

    return wrap


def start(*, actor, task, title: str, params: dict) -> Job:
    """Record a job for ``actor`` and hand it to the broker once the caller's transaction commits
    (inline, at once). The returned job says whether the broker took it (``queue_note``)."""
    started = Job.objects.create(kind=task.name, title=title, created_by=actor, params=params)

    def send():
        note = enqueue(task, started.pk)
        if note:
            Job.objects.filter(pk=started.pk, status=JobStatus.QUEUED).update(queue_note=note)

    if inline():
        send()
    else:
        transaction.on_commit(send)
    started.refresh_from_db()
    return started


def _run(celery_task, job_id: int, work) -> None:
    claimed = Job.objects.filter(pk=job_id, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1, queue_note=""
    )
    if not claimed:
        return  # done or failed already: the same message delivered twice
    try:
        with transaction.atomic():
            current = lock_one(Job, pk=job_id)  # a second runner of the same job waits here…
            if current.finished:
                return  # …and finds the work done
            outcome = work(current, Progress(current))
            current.status = JobStatus.DONE
            current.message = outcome.message
            current.result_link = outcome.link
            current.finished_at = timezone.now()
            if outcome.file is not None:
                current.result_name = outcome.filename
                current.result_file.save(outcome.filename, ContentFile(outcome.file), save=False)
            current.save()
    except TRANSIENT as exc:
        if celery_task.request.retries < MAX_RETRIES and not inline():
            raise celery_task.retry(exc=exc, countdown=5 * 2**celery_task.request.retries) from exc
        logger.exception("job %s gave up", job_id)
        _fail(job_id, str(GAVE_UP))
    except (ValidationError, PermissionDenied) as exc:
        _fail(job_id, error_text(exc) or _("无权执行此任务。"))
    except SoftTimeLimitExceeded:
        _fail(job_id, str(TIMED_OUT))
    except Exception:
        logger.exception("job %s failed", job_id)
        _fail(job_id, str(FAULT))


def _fail(job_id: int, reason: str) -> None:
    Job.objects.filter(pk=job_id).exclude(status=JobStatus.DONE).update(
        status=JobStatus.FAILED, message=reason, finished_at=timezone.now()
    )


STALE_AFTER = timedelta(minutes=2)  # a job the broker refused is offered again after this long


def stale():
    """Queued jobs to hand over again: those the broker refused (it was down; they carry its
    ``queue_note``) after ``STALE_AFTER``, and those it took but no worker claimed within the
    broker's visibility timeout (it lost them, say a Redis restarted without its data). A job
    runs once however often it is queued; this only keeps a backlog from being re-sent every
    minute."""
    now = timezone.now()
    lost = timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600))
    return Job.objects.filter(status=JobStatus.QUEUED).filter(
        Q(created_at__lt=now - STALE_AFTER) & ~Q(queue_note="") | Q(created_at__lt=now - lost)
    )


def handed_over(job_id: int) -> None:
    """The broker took a job it had refused before: the page stops saying it is waiting for it."""
    Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(queue_note="")


def visible_job_or_404(user, pk: int) -> Job:
    """A job its starter (or a superuser) may watch; anyone else is told it does not exist."""
    found = Job.objects.filter(pk=pk).select_related("created_by").first()
    if found is None or not (user.is_superuser or found.created_by_id == user.pk):
        raise Http404
    return found
