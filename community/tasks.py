"""The registry's scheduled work, and the sweep that keeps jobs from being lost."""

from __future__ import annotations

from celery import current_app

from . import import_services, jobs


@jobs.task(name="community.requeue_jobs")
def requeue_jobs() -> int:
    """Hand over again the jobs the broker never took (it was down when they were started)."""
    handed = 0
    for waiting in jobs.stale():
        known = current_app.tasks.get(waiting.kind)
        if known is not None and not jobs.enqueue(known, waiting.pk):
            handed += 1
    return handed


@jobs.task(name="community.delete_import_previews")
def delete_import_previews() -> int:
    """Delete uploaded registry files whose preview was never confirmed (they hold ID numbers)."""
    return import_services.delete_stale_uploads()
