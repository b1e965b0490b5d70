"""The registry's background work: the import a user confirms (a job), the sweep of unconfirmed
uploads, and the sweep that keeps jobs from being lost."""

from __future__ import annotations

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import import_services, jobs, selectors
from .models import Estate

# How far an import has come when it reaches each of its steps (import_services.STEPS labels,
# in order: read, compare, buildings and units, owners, holdings, done).
IMPORT_PERCENT = (2, 10, 40, 65, 85, 99)


@jobs.task(name="community.requeue_jobs")
def requeue_jobs() -> int:
    """Hand over again the jobs the broker never took (it was down when they were started)."""
    current_app.loader.import_default_modules()  # every app's tasks.py, as a worker has them
    handed = 0
    for waiting in jobs.stale():
        known = current_app.tasks.get(waiting.kind)
        if known is not None and not jobs.enqueue(known, waiting.pk):
            jobs.handed_over(waiting.pk)
            handed += 1
    return handed


@jobs.task(name="community.delete_import_previews")
def delete_import_previews() -> int:
    """Delete uploaded registry files whose preview was never confirmed (they hold ID numbers)."""
    return import_services.delete_stale_uploads()


def import_summary(plan) -> str:
    text = _(
        "导入完成：新增房屋 %(units)s 套、业主 %(owners)s 位，修改房屋 %(changed)s 套、业主 %(changed_owners)s 位。"
    ) % {
        "units": len(plan.new_units),
        "owners": len(plan.new_owners),
        "changed": len(plan.changed_units),
        "changed_owners": len(plan.changed_owners),
    }
    if plan.member_plan.new:
        text += _("邀请家庭成员和租户 %(n)s 位（凭手机号注册后加入）。") % {"n": len(plan.member_plan.new)}
    return text


@jobs.job("community.import_registry")
def import_registry(job, progress) -> jobs.Outcome:
    """Write a previewed registry file (``params``: estate, path of the stored upload, file name).

    The service checks the starter's access again and writes all or nothing; the upload is
    deleted once the import is committed, or at once when the file is refused."""
    params = job.params
    estate = Estate.objects.filter(pk=params["estate"]).first()
    if estate is None or selectors.importable_estate(job.created_by, estate.pk) is None:
        raise PermissionDenied(_("您无权向该小区导入登记信息。"))
    path = params["path"]
    content = import_services.read_upload(path)
    reached = iter(IMPORT_PERCENT)

    def step(label: str) -> None:
        progress(next(reached, 99), 100, label)

    try:
        plan = import_services.import_registry(
            actor=job.created_by,
            estate=estate,
            name=params["name"],
            content=content,
            progress=step,
            developer=params.get("developer", ""),
            area_source=params.get("area_source", ""),
        )
    except import_services.ImportRefused as refused:
        import_services.discard_upload(path)  # a refused file is uploaded again, corrected
        n = len(refused.rows)
        head = ngettext(
            "发现 %(n)s 处错误，未写入任何内容。请修改后重新上传。",
            "发现 %(n)s 处错误，未写入任何内容。请修改后重新上传。",
            n,
        ) % {"n": n}
        raise ValidationError("\n".join([head, *(str(e) for e in refused.rows)])) from refused
    transaction.on_commit(lambda: import_services.discard_upload(path))
    return jobs.Outcome(message=import_summary(plan), link=reverse("community:estate_detail", args=[estate.pk]))
