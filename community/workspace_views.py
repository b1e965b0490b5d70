"""The registry as a daily workspace: spreadsheet import (upload → preview → confirm) and search."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, audit, hc_import, import_services, jobs, selectors, tasks, uploads
from .demo import sample_workbook  # the file seed_demo imports into 翠湖苑
from .forms import UploadForm
from .registry_import import HEADERS, NOTES, template_workbook

SALT = "registry-import"
TOKEN_AGE = 3600  # seconds a preview stays confirmable


def _require_importer(user):
    if not access.holds_anywhere(user, access.CHANGE):
        raise PermissionDenied


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=uploads.XLSX.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def import_template(request):
    _require_importer(request.user)
    return _download(template_workbook(), "registry-template.xlsx")


@login_required
def import_sample(request):
    _require_importer(request.user)
    return _download(sample_workbook(), "registry-sample.xlsx")


@login_required
def import_hc_sample(request):
    _require_importer(request.user)
    return _download(hc_import.sample_workbook(), "hc-sample.xlsx")


@login_required
def import_upload(request):
    """Upload a file and see, before anything is written, every error or everything it will change."""
    _require_importer(request.user)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        estates=selectors.importable_estates(request.user),
        initial={"estate": request.GET.get("estate")},
    )
    context = {"form": form, "headers": HEADERS, "notes": NOTES}
    if request.method == "POST" and form.is_valid():
        estate, upload = form.cleaned_data["estate"], form.cleaned_data["file"]
        options = {
            "developer": form.cleaned_data["developer"],
            "area_source": form.cleaned_data["area_source"] or hc_import.SURVEYED,
        }
        content = uploads.read(upload, uploads.IMPORT)  # checked by the form: an .xlsx or a CSV in size
        plan = import_services.preview_import(
            actor=request.user, estate=estate, name=upload.name, content=content, **options
        )
        context.update(
            plan=plan,
            estate=estate,
            filename=upload.name,
            lines=plan.lines(),
            area_label=hc_import.area_label(options["area_source"]),
        )
        if plan.new_owners or plan.changed_owners or plan.new_holdings or plan.ended_holdings or plan.member_plan.new:
            # the preview's change lines name these owners in full
            audit.record(
                "view_personal", request=request, obj=estate, detail={"page": "import_preview", "file": upload.name}
            )
        if not plan.errors and plan.changes:
            # Kept (under a random name) only while it waits for its confirmation: it holds full
            # ID numbers. Confirming, cancelling or an hour's wait deletes it.
            stored = import_services.keep_upload(content)
            context["token"] = signing.dumps(
                {"path": stored, "estate": estate.pk, "user": request.user.pk, "name": upload.name, **options},
                salt=SALT,
            )
    return render(request, "community/import.html", context)


def _ticket(request) -> dict | None:
    """The signed preview ticket of this POST, if it is the user's own, unexpired and its file still waits."""
    try:
        ticket = signing.loads(request.POST.get("token", ""), salt=SALT, max_age=TOKEN_AGE)
    except signing.BadSignature:
        return None
    if ticket["user"] != request.user.pk or not import_services.is_waiting_upload(ticket["path"]):
        return None
    return ticket


@login_required
@require_POST
def import_confirm(request):
    """Write the previewed file. It is read and checked again: the registry may have changed since."""
    _require_importer(request.user)
    ticket = _ticket(request)
    if ticket is None:
        messages.error(request, _("预览已过期或无效，请重新上传文件。"))
        return redirect("community:import")
    estate = selectors.importable_estate(request.user, ticket["estate"])
    if estate is None:
        raise PermissionDenied
    # The import itself runs as a job: the page shows its progress, and a worker (or, with no
    # broker, this request) writes it all or nothing, checking the user's access again.
    started = jobs.start(
        actor=request.user,
        task=tasks.import_registry,
        title=_("导入 %(estate)s 登记信息（%(file)s）") % {"estate": estate.name, "file": ticket["name"]},
        params={
            "estate": estate.pk,
            "path": ticket["path"],
            "name": ticket["name"],
            "developer": ticket.get("developer", ""),
            "area_source": ticket.get("area_source", ""),
        },
    )
    return redirect("community:job", started.pk)


@login_required
@require_POST
def import_cancel(request):
    """Drop a preview: its uploaded file (with full ID numbers) is deleted at once."""
    _require_importer(request.user)
    ticket = _ticket(request)
    if ticket is not None:
        import_services.discard_upload(ticket["path"])
    messages.success(request, _("已取消导入，上传的文件已删除。"))
    return redirect("community:import")


@login_required
def search(request):
    """Find a unit, an owner or an estate in one's own scope: by room or estate name, and (where the
    user sees personal data in full) by an owner's name, mobile or its last four digits."""
    if not access.holds_anywhere(request.user, access.VIEW):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:50]
    results = selectors.search_registry(request.user, query) if query else None
    if results is not None and results.unmasked:
        audit.record(
            "view_personal",
            request=request,
            obj=("community.search", "", query),
            detail={"q": query, "read_as": results.read_as, "owners": results.unmasked},
        )
    personal = access.holds_anywhere(request.user, access.PERSONAL)
    return render(request, "community/search.html", {"q": query, "results": results, "personal": personal})
