"""Grid pages.

* Grid workers (and community staff): report a problem from a phone, with photos.
* Everyone who may view an estate's registry, and the staff of the unit a case was handed to:
  the case list (filters, overdue flags, the 督办 queue) and a case's page with its timeline,
  its photos (each served through access) and the reporter's contact (masked unless the reader
  works the case or may see personal data).
* Community staff dispatch (to one of the district's handling units), re-dispatch and check
  cases on the case page; the handling unit's staff (or, for a unit with no logins, the grid
  worker) record the handling there.
* District, street and community staff: the dashboard, where each figure links to its list
  (estates by management state, the no-manager trend, committees formed, grid cases).

``community.access`` decides who sees what; ``grid.services`` checks again on every action.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from community import access, audit, charts, uploads
from community.models import ManagementState
from community.web import act, cleaned, error_text, paged
from residents import coverage as binding_coverage

from . import selectors, services
from .forms import CaseFilterForm, DayScopeForm, DispatchForm, HandleForm, ReportForm, ScopeForm, VerifyForm
from .models import CaseStatus, Level, Source

S = CaseStatus
PAGE_SIZE = 30


# --------------------------------------------------------------------------- reporting


@login_required
def report(request):
    if not selectors.may_report(request.user):
        raise PermissionDenied
    initial = {"estate": request.GET.get("estate")} if request.GET.get("estate", "").isdigit() else {}
    estates = selectors.reportable_estates(request.user)
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        estates=estates,
        photos_max=selectors.photos_max(estates.first()),
        initial=initial,
    )
    if request.method == "POST":
        try:
            data = cleaned(form)
            case = services.report_case(
                actor=request.user,
                estate=data["estate"],
                category=data["category"],
                description=data["description"],
                location=data["location"],
                photos=data["photos"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("已上报，案件编号 %(number)s。") % {"number": case.number})
            return redirect("grid:case", case.pk)
    return render(request, "grid/report.html", {"form": form}, status=400 if request.method == "POST" else 200)


# --------------------------------------------------------------------------- cases


@login_required
def case_list(request):
    if not selectors.may_read_cases(request.user):
        raise PermissionDenied
    user = request.user
    form = CaseFilterForm(request.GET or None, **selectors.case_filter_choices(user))
    if form.is_bound and not form.is_valid():
        filters, rows = {}, []
    else:
        filters = form.cleaned_data if form.is_bound else {}
        rows = selectors.case_list(user, **filters)
    page, querystring = paged(request, rows, PAGE_SIZE)
    return render(
        request,
        "grid/cases.html",
        {
            "form": form,
            "page": page,
            "querystring": querystring,
            "estate": filters.get("estate"),
            "can_report": selectors.may_report(user),
            "dashboard": selectors.dashboard_scopes(user),
        },
    )


def _case_or_404(user, pk):
    case = selectors.case_for(user, pk)
    if case is None:
        raise Http404
    return case


@login_required
def case(request, pk):
    user = request.user
    case = _case_or_404(user, pk)
    if request.method == "POST":
        post = request.POST
        handler = {
            "dispatch": lambda: (
                services.dispatch_case(
                    actor=user, case=case, **cleaned(DispatchForm(post, units=selectors.dispatch_units(case)))
                )
                and _("已分派。")
            ),
            "handle": lambda: (
                services.record_handling(
                    actor=user,
                    case=case,
                    **cleaned(HandleForm(post, request.FILES, photos_max=selectors.photos_max(case.estate))),
                )
                and _("已记录处置情况。")
            ),
            "pass": lambda: (
                services.verify_case(actor=user, case=case, passed=True, **cleaned(VerifyForm(post)))
                and _("核查通过，已结案。")
            ),
            "fail": lambda: (
                services.verify_case(actor=user, case=case, passed=False, **cleaned(VerifyForm(post)))
                and _("核查不通过，已退回处置。")
            ),
        }.get(post.get("action"))
        if handler is None:
            raise Http404
        return act(request, handler, request.path)
    now = timezone.now()
    dispatcher = access.can(user, access.DISPATCH_CASES, case)
    forms = {}
    if dispatcher and case.status in (S.REPORTED, S.DISPATCHED):
        forms["dispatch"] = DispatchForm(units=selectors.dispatch_units(case), auto_id="id_dispatch_%s")
    if case.status == S.DISPATCHED and services.may_record(user, case):
        forms["handle"] = HandleForm(photos_max=selectors.photos_max(case.estate))
    if dispatcher and case.status == S.HANDLED and case.level != Level.COMPANY:
        forms["verify"] = VerifyForm(auto_id="id_verify_%s")  # its note is not the handling form's note
    contact = selectors.reporter_contact(user, case)
    if contact is not None and not contact.masked and case.source == Source.RESIDENT:
        audit.record("view_personal", request=request, obj=case, detail={"page": "grid_case"})
    return render(
        request,
        "grid/case.html",
        {
            "case": case,
            "timeline": selectors.timeline(case, now=now),
            "photos": list(case.photos.all()),
            "contact": contact,
            "forms": forms,
            "overdue": case.due_at is not None and case.due_at < now,
        },
    )


@login_required
def photo(request, pk):
    """One photo of a case, to those who may read the case or reported it (media files are never
    served bare)."""
    photo = selectors.photo_for(request.user, pk)
    if photo is None:
        raise Http404
    return uploads.serve(photo.image, filename=f"grid-case-{photo.case_id}-{photo.pk}")


# --------------------------------------------------------------------------- dashboard


def _scope(request, form_class=ScopeForm):
    """The dashboard's scope form and the street / community it names (404 outside the reader's scope)."""
    if not selectors.dashboard_scopes(request.user):
        raise PermissionDenied
    form = form_class(request.GET or None, **selectors.territory(request.user))
    if form.is_bound and not form.is_valid():
        raise Http404
    data = form.cleaned_data if form.is_bound else {}
    return form, data.get("street"), data.get("community"), data


def _link(name: str, **params) -> str:
    return reverse(name) + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "", False)})


@login_required
def dashboard(request):
    form, street, community, _data = _scope(request)
    board = selectors.dashboard(request.user, street=street, community=community)
    coverage = binding_coverage.district_coverage(request.user, street=street, community=community)
    where = {"street": street.pk if street else None, "community": community.pk if community else None}
    since = board.since.isoformat()
    state_labels = dict(ManagementState.choices)
    states = [
        (state, state_labels[state], n, _link("community:directory", state=state, **where))
        for state, n in board.states.items()
    ]
    trend = [(first, day, n, _link("grid:no_manager", on=day.isoformat(), **where)) for first, day, n in board.trend]
    monthly = [
        (
            first,
            opened,
            closed,
            _link("grid:cases", opened=f"{first:%Y-%m}", **where),
            _link("grid:cases", closed=f"{first:%Y-%m}", **where),
        )
        for first, opened, closed in board.monthly
    ]
    percent = lambda v: "—" if v is None else f"{v:.2%}"  # noqa: E731
    group_param = {"street": "street", "community": "community", "grid": "grid"}[board.level]
    groups = [
        (
            g,
            {
                # The directory names a grid within its community.
                "none": _link(
                    "community:directory",
                    state=ManagementState.NONE,
                    **{**where, group_param: g.pk, **({"community": g.community_id} if group_param == "grid" else {})},
                ),
                "opened": _link("grid:cases", since=since, **{**where, group_param: g.pk}),
                "closed": _link("grid:cases", since=since, status=S.CLOSED, **{**where, group_param: g.pk}),
                "open": _link("grid:cases", open="on", **{**where, group_param: g.pk}),
                "overdue": _link("grid:cases", overdue="on", **{**where, group_param: g.pk}),
            },
            percent(g.rate),
        )
        for g in board.groups
    ]
    svg = {
        "states": charts.bars([(label, n, str(n), url) for _s, label, n, url in states], title=_("小区管理状态")),
        "trend": charts.columns(
            [(f"{first:%m}", [n], [str(n)], [url]) for first, _d, n, url in trend],
            title=_("无物业小区数（每月末）"),
            colours=("#a33",),
        ),
        "cases": charts.columns(
            [(f"{first:%m}", [o, c], [str(o), str(c)], [ou, cu]) for first, o, c, ou, cu in monthly],
            title=_("网格案件：每月上报与结案"),
        ),
    }
    return render(
        request,
        "grid/dashboard.html",
        {
            "form": form,
            "board": board,
            "coverage": coverage,
            "states": states,
            "trend": trend,
            "monthly": monthly,
            "groups": groups,
            "svg": {k: mark_safe(v) for k, v in svg.items()},  # built by community.charts, every text escaped
            "rate": percent(board.rate),
            "percent": percent,
            "links": {
                "opened": _link("grid:cases", since=since, **where),
                "closed": _link("grid:cases", since=since, status=S.CLOSED, **where),
                "overdue": _link("grid:cases", overdue="on", **where),
                "open": _link("grid:cases", open="on", **where),
                "committees": _link("grid:committees", since=since, **where),
                **{f"level_{lv}": _link("grid:cases", level=lv, **where) for lv in Level.values},
            },
            "group_label": {"street": _("街道"), "community": _("社区"), "grid": _("网格")}[board.level],
        },
    )


@login_required
def no_manager(request):
    """The estates with no manager on a day: the list behind a point of the trend."""
    form, street, community, data = _scope(request, DayScopeForm)
    on = data.get("on") or timezone.localdate()
    estates = selectors.no_manager_estates(request.user, on=on, street=street, community=community)
    page, querystring = paged(request, estates, PAGE_SIZE)
    return render(request, "grid/no_manager.html", {"form": form, "page": page, "on": on, "querystring": querystring})


@login_required
def committees(request):
    """Committees elected in the period: the list behind the dashboard's figure."""
    form, street, community, data = _scope(request, DayScopeForm)
    today = timezone.localdate()
    since = data.get("since") or selectors.period_start(today)
    rows = selectors.committees_formed(request.user, since=since, today=today, street=street, community=community)
    page, querystring = paged(request, rows, PAGE_SIZE)
    return render(
        request, "grid/committees.html", {"form": form, "page": page, "since": since, "querystring": querystring}
    )
