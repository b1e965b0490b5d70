"""The pages of residents' requests (报事报修).

* Residents (owners and household members), ``/me/requests/``: their own requests with status
  and an overdue mark, the report form (kind, unit, location, description, photos from the
  phone's camera), and a request's page with its timeline and photos, where a handled request
  is confirmed and rated or reopened, and a request closed without them is rated. Only the
  reporter reads their request (anyone else: 404).
* Handling units' staff (a company's staff through their company, a utility's or a
  department's staff on their unit), ``/requests/``: the queue of cases handed to their units,
  overdue first, and a case's page with the reporter's contact, where it is assigned to one
  of the unit's staff and its handling recorded with photos of the work.
* The photos are served by ``grid.views.photo`` (the reporter, the unit's staff, the estate's staff).

``grid.selectors`` decides what each reader sees; ``grid.services`` checks again on every action.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from community import access, audit, uploads
from community.models import Ownership, Unit
from community.rules import rules_for
from community.web import act, cleaned, error_text, paged
from residents import household

from . import selectors, services
from .models import CaseStatus, Level, RequestKind
from .request_forms import AssignForm, QueueFilterForm, RateForm, ReopenForm, RequestForm, WorkForm

S = CaseStatus
PAGE_SIZE = 20

# What a resident reads for each status, and a handling unit's staff (the grid's labels speak of
# 分派 and 核查, which a request with the company never goes through).
RESIDENT_STATUS = {
    S.REPORTED: gettext_lazy("已提交，待受理"),
    S.DISPATCHED: gettext_lazy("处理中"),
    S.HANDLED: gettext_lazy("已处理，待您确认"),
    S.CLOSED: gettext_lazy("已办结"),
}
UNIT_STATUS = {
    S.REPORTED: gettext_lazy("新报事，待派工"),
    S.DISPATCHED: gettext_lazy("处理中"),
    S.HANDLED: gettext_lazy("已处理，待报事人确认"),
    S.CLOSED: gettext_lazy("已办结"),
}
AWAITING_COMMUNITY = gettext_lazy("已处理，待社区核查")


def _late(case, now) -> bool:
    """Past its time limit and not yet handled (the resident's overdue mark)."""
    return case.status in (S.REPORTED, S.DISPATCHED) and case.limit_at is not None and case.limit_at < now


def status_text(case, *, labels=RESIDENT_STATUS) -> str:
    if case.status == S.HANDLED and case.level != Level.COMPANY:
        return str(AWAITING_COMMUNITY)
    return str(labels[case.status])


def step_text(step, case) -> str:
    """What a step of a request did, in the words of the request's flow (a reopening, a
    confirmation, an automatic close), rather than the grid's status it moved to."""
    by_reporter = step.by_id is not None and step.by_id == case.reported_by_id
    moves = {
        ("", S.REPORTED): _("已提交"),
        (S.REPORTED, S.DISPATCHED): _("已受理派工") if step.level == Level.COMPANY else _("已分派处置单位"),
        (S.DISPATCHED, S.DISPATCHED): _("改派"),
        (S.DISPATCHED, S.HANDLED): _("已处理"),
        (S.HANDLED, S.DISPATCHED): _("报事人重新打开") if by_reporter else _("核查不通过，继续处理"),
        (S.HANDLED, S.CLOSED): (
            _("报事人确认办结")
            if by_reporter
            else _("逾期未确认，自动办结")
            if step.by_id is None
            else _("核查通过，已办结")
        ),
    }
    return moves.get((step.from_status or "", step.to_status), step.get_to_status_display())


def _timeline(case, now):
    rows = selectors.timeline(case, now=now)
    for row in rows:
        row.label = step_text(row.step, case)
    return rows


def _last_work(rows) -> str:
    """The note of the case's last handling (what the unit says it did)."""
    notes = [r.step.note for r in rows if r.step.to_status == S.HANDLED and not r.step.escalation]
    return notes[-1] if notes else ""


# --------------------------------------------------------------------------- residents


def _my_units(user):
    """The units the user may report on: held as an owner today, or lived in as a household member."""
    today = timezone.localdate()
    owner = getattr(user, "owner", None)
    mine = Q(pk__in=household.memberships(user, today).values("unit"))
    if owner is not None:
        mine |= Q(pk__in=Ownership.objects.in_force(today).filter(owner=owner).values("unit"))
    return (
        Unit.objects.filter(mine)
        .select_related("building__estate")
        .order_by("building__estate__name", "building__name", "room")
    )


def _resident_or_403(user):
    """The units a resident may report on; 403 for an account that is neither an owner, nor a
    household member, nor ever reported anything (staff logins, unbound accounts)."""
    units = _my_units(user)
    if getattr(user, "owner", None) is None and not units.exists() and not selectors.requests_of(user).exists():
        raise PermissionDenied
    return units


@login_required
def my_requests(request):
    user = request.user
    units = _resident_or_403(user)
    now = timezone.now()
    rows = selectors.requests_of(user).select_related("estate", "unit__building", "handling_unit")
    page, querystring = paged(request, rows, PAGE_SIZE)
    for case in page.object_list:
        case.late = _late(case, now)
        case.resident_status = status_text(case)
    return render(
        request,
        "grid/requests_mine.html",
        {"page": page, "querystring": querystring, "can_report": units.exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_request(request):
    user = request.user
    units = _resident_or_403(user)
    first = units.first()
    if first is None:
        messages.error(request, _("您没有可报事的房屋：请先绑定房屋，或由业主邀请您加入家庭。"))
        return redirect("grid:my_requests")
    photos_max = selectors.photos_max(first.building.estate)
    initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in RequestKind.values else {}
    form = RequestForm(request.POST or None, request.FILES or None, units=units, photos_max=photos_max, initial=initial)
    if request.method == "POST":
        try:
            data = cleaned(form)
            case = services.report_request(
                actor=user,
                estate=form.estate(),
                kind=data["kind"],
                description=data["description"],
                location=data["location"],
                unit=data["unit"] if data["kind"] == RequestKind.UNIT_REPAIR else None,
                photos=data["photos"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, _("已提交，编号 %(number)s。处理进展会通过消息通知您。") % {"number": case.number}
            )
            return redirect("grid:my_request", case.pk)
    return render(
        request,
        "grid/request_new.html",
        {"form": form, "photos_max": photos_max, "photo_mb": uploads.max_bytes(uploads.PHOTO) // (1024 * 1024)},
        status=400 if request.method == "POST" else 200,
    )


def _own_request_or_404(user, pk):
    case = (
        selectors.requests_of(user)
        .select_related(
            "estate__grid__community__street__district__rule_set", "unit__building", "handling_unit", "handler"
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


@login_required
@require_http_methods(["GET", "POST"])
def my_request(request, pk):
    user = request.user
    case = _own_request_or_404(user, pk)
    if request.method == "POST":
        post = request.POST
        handler = {
            "confirm": lambda: (
                services.confirm_request(actor=user, case=case, **cleaned(RateForm(post)))
                and _("已确认办结，感谢您的评价。")
            ),
            "reopen": lambda: (
                services.reopen_request(actor=user, case=case, **cleaned(ReopenForm(post)))
                and _("已重新打开，处置单位将继续处理。")
            ),
            "rate": lambda: (
                services.rate_case(actor=user, case=case, **cleaned(RateForm(post))) and _("感谢您的评价。")
            ),
        }.get(post.get("action"))
        if handler is None:
            raise Http404
        return act(request, handler, request.path)
    now = timezone.now()
    timeline = _timeline(case, now)
    rules = rules_for(case.estate)
    checks = case.status == S.HANDLED and case.level == Level.COMPANY  # the reporter checks the company's work
    reopen_max = rules.request_reopen_max
    return render(
        request,
        "grid/request_mine.html",
        {
            "case": case,
            "status": status_text(case),
            "late": _late(case, now),
            "timeline": timeline,
            "work_note": _last_work(timeline),
            "photos": list(case.photos.all()),  # by time: the report's, then the work's
            "confirm_form": RateForm() if checks else None,
            "reopen_form": ReopenForm() if checks else None,
            "reopen_escalates": case.reopened >= reopen_max,
            "reopen_max": reopen_max,
            "confirm_days": rules.request_confirm_days,
            "rate_form": RateForm() if case.status == S.CLOSED and case.rating is None else None,
        },
    )


# --------------------------------------------------------------------------- handling units' staff


def _handler_or_403(user) -> None:
    """The queue is for the staff of a handling unit (a company's staff, a utility's or a department's)."""
    if not access.holds_anywhere(user, access.HANDLE_REQUESTS):
        raise PermissionDenied


@login_required
def queue(request):
    user = request.user
    _handler_or_403(user)
    form = QueueFilterForm(request.GET or None, estates=selectors.queue_estates(user))
    if form.is_bound and not form.is_valid():
        rows = []  # the form shows what was wrong
    else:
        filters = form.cleaned_data if form.is_bound else {}
        rows = selectors.request_queue(user, status=filters.get("status", ""), estate=filters.get("estate"))
    page, querystring = paged(request, rows, PAGE_SIZE)
    for case in page.object_list:
        case.unit_status = status_text(case, labels=UNIT_STATUS)
    return render(request, "grid/queue.html", {"form": form, "page": page, "querystring": querystring})


def _queued_or_404(user, pk):
    case = (
        selectors.request_queue(user, status="any")
        .select_related("estate__grid__community__street__district__rule_set", "unit__building", "handler")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


@login_required
@require_http_methods(["GET", "POST"])
def handle(request, pk):
    user = request.user
    _handler_or_403(user)
    case = _queued_or_404(user, pk)
    photos_max = selectors.photos_max(case.estate)
    if request.method == "POST":
        post, files = request.POST, request.FILES
        handler = {
            "assign": lambda: (
                services.assign_case(
                    actor=user,
                    case=case,
                    **cleaned(AssignForm(post, staff=selectors.unit_staff(case.handling_unit))),
                )
                and _("已派工。")
            ),
            "work": lambda: (
                services.record_handling(actor=user, case=case, **cleaned(WorkForm(post, files, photos_max=photos_max)))
                and _("已记录处理情况，待报事人确认。")
            ),
        }.get(post.get("action"))
        if handler is None:
            raise Http404
        return act(request, handler, request.path)
    now = timezone.now()
    contact = selectors.reporter_contact(user, case)
    if contact is not None and not contact.masked:
        audit.record("view_personal", request=request, obj=case, detail={"page": "request_handle"})
    forms = {}
    if case.status in (S.REPORTED, S.DISPATCHED):
        forms["assign"] = AssignForm(staff=selectors.unit_staff(case.handling_unit))
    if case.status == S.DISPATCHED:
        forms["work"] = WorkForm(photos_max=photos_max)
    return render(
        request,
        "grid/request_handle.html",
        {
            "case": case,
            "contact": contact,
            "overdue": case.due_at is not None and case.due_at < now,
            "status": status_text(case, labels=UNIT_STATUS),
            "timeline": _timeline(case, now),
            "photos": list(case.photos.all()),  # by time: the report's, then the work's
            "forms": forms,
        },
    )
