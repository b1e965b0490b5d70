"""The audit trail's page (/audit/): district administrators search it by person, action, object
and date, and export what they found. Reading it is not an audited action; exporting it is."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, audit, selectors, spreadsheet
from .forms import AuditFilterForm
from .models import AuditEvent
from .web import paged, querystring

PAGE_SIZE = 50
EXPORT_LIMIT = 20000  # rows in one export; a larger finding is narrowed first
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_auditor(user):
    if not access.holds_anywhere(user, access.VIEW_AUDIT):
        raise PermissionDenied


def _search(request):
    """(form, rows found or None when the form has an error)."""
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    filters = form.cleaned_data if form.is_bound else {}
    rows = selectors.audit_events(
        request.user,
        user_text=filters.get("user", ""),
        action=filters.get("action", ""),
        obj=filters.get("obj", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    return form, rows


@login_required
def audit_list(request):
    _require_auditor(request.user)
    form, rows = _search(request)
    page, query = paged(request, rows if rows is not None else AuditEvent.objects.none(), PAGE_SIZE)
    events = [(event, audit.label(event.action)) for event in page.object_list]
    return render(
        request,
        "community/audit.html",
        {"form": form, "page": page, "events": events, "querystring": query, "export_limit": EXPORT_LIMIT},
    )


@login_required
def audit_export(request):
    """What the search found as an .xlsx (the same filters), recorded in the trail itself."""
    _require_auditor(request.user)
    form, rows = _search(request)
    back = f"{reverse('community:audit')}?{querystring(request)}"
    if rows is None:
        messages.error(request, _("查询条件有误，请修改后再导出。"))
        return redirect(back)
    found = list(rows[: EXPORT_LIMIT + 1])
    if len(found) > EXPORT_LIMIT:
        messages.error(request, _("查到的记录超过 %(n)s 条，请缩小查询范围后再导出。") % {"n": EXPORT_LIMIT})
        return redirect(back)
    zone = timezone.get_current_timezone()
    header = [
        _("时间"),
        _("用户名"),
        _("来源地址"),
        _("操作"),
        _("对象类型"),
        _("对象编号"),
        _("对象"),
        _("结果"),
        _("详情"),
    ]
    lines = [
        [
            timezone.localtime(e.at, zone).strftime("%Y-%m-%d %H:%M:%S"),
            e.username,
            e.ip or "",
            audit.label(e.action),
            e.object_type,
            e.object_id,
            e.object_repr,
            e.get_result_display(),
            _detail_text(e.detail),
        ]
        for e in found
    ]
    content = spreadsheet.workbook(
        [(_("审计记录"), [header, *lines])], widths={_("审计记录"): [20, 16, 16, 14, 20, 10, 30, 8, 40]}
    )
    filters = {k: str(v) for k, v in form.cleaned_data.items() if v} if form.is_bound else {}
    audit.record(
        "export",
        request=request,
        obj=("community.auditevent", "", _("审计记录")),
        detail={"filters": filters, "rows": len(found)},
    )
    stamp = timezone.localtime(timezone.now(), zone).strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=audit-{stamp}.xlsx"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _detail_text(detail) -> str:
    if not detail:
        return ""
    return "；".join(f"{k}={v}" for k, v in detail.items())
