"""The supervision dashboard (监管看板) and the lists behind its figures.

* District, street and community staff (whoever has grid's dashboard, ``dashboard_scopes``):
  ``/dashboard/`` over the estates they may view, narrowed to a street or community of theirs;
  each figure links to its list: an existing page where one lists exactly those rows (an
  estate's fees, its fund, an exam sitting's results, grid's dashboard for grid cases and the
  no-manager figures), otherwise a list here, read by the same selector with the same filters.
* Every list here exports to .xlsx (``?export=xlsx``, the same filters) through
  ``community.spreadsheet.workbook``. The arrears list names owners only to those who may see
  them (``fees.selectors.sees_owner_names``), masked otherwise; an unmasked page or export is
  recorded in the audit trail.

``community.access`` decides who sees what; the selectors are ``supervision.dashboard``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from community import access, audit, charts, spreadsheet
from community.models import Estate, Grid
from community.privacy import mask_name
from community.web import paged
from fees import selectors as fee_selectors
from grid import selectors as grid_selectors
from grid.forms import ScopeForm
from grid.models import CaseStatus, RequestKind
from residents.coverage import percent

from . import dashboard as selectors
from .dashboard_forms import (
    OUTCOME_LABELS,
    TIMELY_LABELS,
    CollectionFilterForm,
    ListScopeForm,
    MediationFilterForm,
    RequestFilterForm,
)

PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
S = CaseStatus


# --------------------------------------------------------------------------- helpers


def _require_dashboard(user) -> None:
    if not grid_selectors.dashboard_scopes(user):
        raise PermissionDenied


def _form(request, form_class=ScopeForm, **extra):
    """The filter form over the reader's streets and communities (and grids, for the lists that
    take one); None for ``data`` when invalid."""
    _require_dashboard(request.user)
    if issubclass(form_class, ListScopeForm):
        extra["grids"] = access.visible(request.user, access.VIEW, Grid.objects.all())
    params = request.GET.copy()
    for name in ("export", "page"):
        params.pop(name, None)
    form = form_class(params or None, **grid_selectors.territory(request.user), **extra)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, (form.cleaned_data if form.is_bound else {})


def _scope(data: dict) -> dict:
    return {"street": data.get("street"), "community": data.get("community")}


def _list_scope(data: dict) -> dict:
    return {**_scope(data), "grid": data.get("grid")}


def _where(data: dict) -> dict:
    return {k: v.pk for k, v in _scope(data).items() if v is not None}


def _link(name: str, *args, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", False)})
    return reverse(name, args=args) + (f"?{query}" if query else "")


def _percent(share) -> str:
    return percent(share)


def _number(share, places: int = 1) -> str:
    return "—" if share is None else f"{float(share):.{places}f}"


def _exporting(request) -> bool:
    return request.GET.get("export") == "xlsx"


def _xlsx(request, *, name: str, title: str, header: list, rows, widths=None) -> HttpResponse:
    """The list as an .xlsx file (the one writer escapes every cell)."""
    content = spreadsheet.workbook([(title, [header, *rows])], widths={title: widths or []})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename={name}-{stamp}.xlsx"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _list_page(request, template: str, form, rows, **context):
    page, querystring = paged(request, rows, PAGE_SIZE)
    export = "?" + "&".join(p for p in (querystring, "export=xlsx") if p)
    return render(
        request,
        template,
        {"form": form, "page": page, "querystring": querystring, "export_url": export, **context},
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


# --------------------------------------------------------------------------- the dashboard


@login_required
def dashboard(request):
    form, data = _form(request)
    if data is None:
        raise Http404
    board = selectors.dashboard(request.user, **_scope(data))
    where = _where(data)
    level_param = board.level  # street, community or grid: the filter that names a row
    groups = []
    for g in board.groups:
        row_scope = {**where, level_param: g.pk}
        if level_param == "grid":
            row_scope["community"] = g.community_id
        drill = {k: v for k, v in row_scope.items() if k in ("street", "community")}
        groups.append(
            (
                g,
                {
                    "drill": _link("supervision:dashboard", **drill) if level_param != "grid" else "",
                    "collection": _link("supervision:collection", **row_scope),
                    "fund": _link("supervision:fund", **row_scope),
                    "requests": _link("supervision:requests", **row_scope),
                },
                {
                    "rate": _percent(g.collection.rate),
                    "timely": _percent(g.requests.timely_rate),
                    "rating": _number(g.requests.mean_rating, 2),
                },
            )
        )
    trend = [
        (first, figures, _percent(figures.rate), _link("supervision:collection", month=f"{first:%Y-%m}", **where))
        for first, figures in board.trend
    ]
    statuses = [
        (s, label, board.requests.by_status[s], _link("supervision:requests", status=s, **where))
        for s, label in S.choices
    ]
    days = [(s, dict(S.choices)[s], _number(board.days[s])) for s in selectors.TIMED]
    outcomes = [
        (o, OUTCOME_LABELS[o], board.mediation[o], _link("supervision:mediation", outcome=o, **where))
        for o in selectors.OUTCOMES
    ]
    svg = charts.columns(
        [
            (f"{first:%m}", [float(figures.rate or 0) * 100], [rate_text], [url])
            for first, figures, rate_text, url in trend
        ],
        title=_("物业费收缴率（按账期）"),
    )
    return render(
        request,
        "supervision/dashboard.html",
        {
            "form": form,
            "board": board,
            "rate": _percent(board.collection.rate),
            "trend": trend,
            "statuses": statuses,
            "days": days,
            "outcomes": outcomes,
            "groups": groups,
            "group_label": {"street": _("街道"), "community": _("社区"), "grid": _("网格")}[board.level],
            "timely": _percent(board.requests.timely_rate),
            "rating": _number(board.requests.mean_rating, 2),
            "pass_rate": _percent(board.exams.pass_rate),
            "svg": mark_safe(svg),  # built by community.charts, every text escaped
            "links": {
                "collection": _link("supervision:collection", **where),
                "fund": _link("supervision:fund", **where),
                "requests": _link("supervision:requests", **where),
                "in_time": _link("supervision:requests", timely="in_time", **where),
                "late": _link("supervision:requests", timely="late", **where),
                "rated": _link("supervision:requests", rated="on", **where),
                "exams": _link("supervision:exams", **where),
                "mediation": _link("supervision:mediation", **where),
                "grid": _link("grid:dashboard", **where),
                "coverage": _link("grid:dashboard", **where) + "#binding-coverage",
            },
        },
    )


# --------------------------------------------------------------------------- fee collection


@login_required
def collection(request):
    form, data = _form(request, CollectionFilterForm)
    p = selectors.period()
    month = selectors.month_of(p, (data or {}).get("month"))
    if data and data.get("month") and month is None:
        form.add_error("month", _("账期须在统计期内（%(since)s 至 %(last)s）。") % _bounds(p))
        data = None
    rows = [] if data is None else selectors.collection_by_estate(request.user, p, month=month, **_list_scope(data))
    if _exporting(request) and data is not None:
        header = [_("小区"), _("社区"), _("街道"), _("应收（元）"), _("实收（元）"), _("未收（元）"), _("收缴率")]
        lines = (
            [r.estate.name, r.estate.community, r.estate.street, r.billed, r.paid, r.owed, _percent(r.rate)]
            for r in rows
        )
        return _xlsx(request, name="collection", title=_("物业费收缴"), header=header, rows=lines)
    return _list_page(
        request, "supervision/dashboard_collection.html", form, rows, period=p, month=month, percent=_percent
    )


def _bounds(p) -> dict:
    return {"since": f"{p.since:%Y-%m}", "last": f"{p.last:%Y-%m}"}


@login_required
def arrears(request, estate_id):
    """An estate's arrears as fees reads them (``fees.selectors.arrears``), names masked
    unless the reader may see them; an unmasked reading or export is audited."""
    _require_dashboard(request.user)
    estate = fee_selectors.estate_or_404(request.user, estate_id)
    names = fee_selectors.sees_owner_names(request.user, estate)
    rows = fee_selectors.arrears(estate)
    if not names:
        rows = [replace(a, addressee="、".join(mask_name(n) for n in a.addressee.split("、") if n)) for a in rows]
    if _exporting(request):
        header = [_("房屋"), _("应缴业主"), _("欠费（元）"), _("账单数"), _("最早账期")]
        lines = [[a.unit, a.addressee, a.owed, a.bills, f"{a.since:%Y-%m}"] for a in rows]
        response = _xlsx(
            request, name=f"arrears-{estate.code}", title=_("欠费明细"), header=header, rows=lines, widths=[14, 20]
        )
        if names and lines:
            audit.record("export", request=request, obj=estate, detail={"document": "arrears_xlsx", "rows": len(lines)})
        return response
    page, querystring = paged(request, rows, PAGE_SIZE)
    if names and page.object_list:
        audit.record("view_personal", request=request, obj=estate, detail={"page": "supervision_arrears"})
    return render(
        request,
        "supervision/dashboard_arrears.html",
        {
            "estate": estate,
            "page": page,
            "querystring": querystring,
            "export_url": "?export=xlsx",
            "masked": not names,
            "owed": sum((a.owed for a in rows), fee_selectors.ZERO),
        },
    )


# --------------------------------------------------------------------------- the maintenance fund


@login_required
def fund(request):
    form, data = _form(request, ListScopeForm)
    rows = [] if data is None else selectors.fund_balances(request.user, **_list_scope(data))
    if _exporting(request) and data is not None:
        header = [_("小区"), _("社区"), _("街道"), _("维修资金余额（元）")]
        lines = ([e.name, e.community, e.street, balance] for e, balance in rows)
        return _xlsx(request, name="fund", title=_("维修资金余额"), header=header, rows=lines)
    return _list_page(
        request, "supervision/dashboard_fund.html", form, rows, total=sum((b for _e, b in rows), selectors.ZERO)
    )


# --------------------------------------------------------------------------- residents' requests


def _stay_text(stays: dict, status: str) -> str:
    span = stays.get(status)
    return "" if span is None else _number(selectors._days(span))


@login_required
def requests(request):
    estates = access.visible(request.user, access.VIEW, Estate.objects.all())
    form, data = _form(request, RequestFilterForm, estates=estates)
    p = selectors.period()
    rows = (
        selectors.GridCase.objects.none()
        if data is None
        else selectors.requests(
            request.user,
            p,
            estate=data.get("estate"),
            status=data.get("status", ""),
            timely=data.get("timely", ""),
            rated=data.get("rated", False),
            **_list_scope(data),
        ).select_related("estate__grid__community__street", "handling_unit")
    )
    kinds, statuses = dict(RequestKind.choices), dict(S.choices)
    if _exporting(request) and data is not None:
        header = [
            _("案件编号"),
            _("小区"),
            _("社区"),
            _("街道"),
            _("报事类型"),
            _("状态"),
            _("处置单位"),
            _("上报时间"),
            _("办结时限"),
            _("办结时间"),
            _("时效"),
            _("评分"),
            *[_("%(status)s（天）") % {"status": statuses[s]} for s in selectors.TIMED],
        ]

        def lines():
            # A page of rows at a time: the steps of each chunk in one query, the file written as it goes.
            for start in range(0, rows.count(), 500):
                chunk = list(rows[start : start + 500])
                stays = selectors.request_stays(chunk)
                for c in chunk:
                    yield [
                        c.number,
                        c.estate.name,
                        c.estate.grid.community.name,
                        c.estate.grid.community.street.name,
                        kinds.get(c.kind, c.kind),
                        statuses[c.status],
                        c.handling_unit.name if c.handling_unit else "",
                        _when(c.reported_at),
                        _when(c.limit_at),
                        _when(c.handled_at) if c.status in selectors.DONE else "",
                        _timely(c, p.now),
                        c.rating or "",
                        *[_stay_text(stays[c.pk], s) for s in selectors.TIMED],
                    ]

        return _xlsx(request, name="requests", title=_("居民报事"), header=header, rows=lines())
    page, querystring = paged(request, rows, PAGE_SIZE)
    stays = selectors.request_stays(page.object_list)
    lines = [
        (
            c,
            kinds.get(c.kind, c.kind),
            _timely(c, p.now),
            [(statuses[s], _stay_text(stays[c.pk], s)) for s in selectors.TIMED],
        )
        for c in page.object_list
    ]
    export = "?" + "&".join(q for q in (querystring, "export=xlsx") if q)
    return render(
        request,
        "supervision/dashboard_requests.html",
        {
            "form": form,
            "page": page,
            "lines": lines,
            "querystring": querystring,
            "export_url": export,
            "period": p,
            "timed": [statuses[s] for s in selectors.TIMED],
        },
        status=400 if data is None else 200,
    )


def _when(moment) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _timely(case, now) -> str:
    if case.status in selectors.DONE:
        return str(TIMELY_LABELS["in_time"] if case.handled_at <= case.limit_at else TIMELY_LABELS["late"])
    return str(TIMELY_LABELS["late"]) if case.limit_at < now else ""


# --------------------------------------------------------------------------- exams


@login_required
def exams(request):
    form, data = _form(request)
    p = selectors.period()
    rows = [] if data is None else list(selectors.exam_sittings(request.user, p, **_scope(data)))
    if _exporting(request) and data is not None:
        header = [_("考试场次"), _("组织社区"), _("开考时间"), _("报名"), _("参考"), _("合格"), _("合格率")]
        lines = (
            [
                s.title,
                s.community.name,
                _when(s.opens_at),
                s.enrolled,
                s.sat,
                s.passed,
                _percent(selectors.rate(s.passed, s.sat)),
            ]
            for s in rows
        )
        return _xlsx(request, name="exams", title=_("考试场次"), header=header, rows=lines)
    lines = [(s, _percent(selectors.rate(s.passed, s.sat))) for s in rows]
    return _list_page(request, "supervision/dashboard_exams.html", form, lines, period=p)


# --------------------------------------------------------------------------- mediation


def _outcome(case) -> str:
    if case.was_ended:
        return OUTCOME_LABELS["ended"]
    if case.has_agreement:
        return OUTCOME_LABELS["agreed"]
    if case.status in ("refused", "closed"):
        return OUTCOME_LABELS["refused"]
    return OUTCOME_LABELS["open"]


@login_required
def mediation(request):
    form, data = _form(request, MediationFilterForm)
    p = selectors.period()
    rows = (
        selectors.MediationCase.objects.none()
        if data is None
        else selectors.mediation_cases(request.user, p, outcome=data.get("outcome", ""), **_scope(data)).select_related(
            "room__community", "estate"
        )
    )
    if _exporting(request) and data is not None:
        header = [
            _("案号"),
            _("调解室"),
            _("小区"),
            _("纠纷类别"),
            _("状态"),
            _("调解结果"),
            _("登记日期"),
            _("结案日期"),
        ]
        lines = (
            [
                c.number,
                c.room.name,
                c.estate.name,
                c.get_category_display(),
                c.get_status_display(),
                _outcome(c),
                _day(c.opened_on),
                _day(c.closed_on),
            ]
            for c in rows.iterator(chunk_size=500)
        )
        return _xlsx(request, name="mediation", title=_("调解案件"), header=header, rows=lines)
    page, querystring = paged(request, rows, PAGE_SIZE)
    export = "?" + "&".join(q for q in (querystring, "export=xlsx") if q)
    return render(
        request,
        "supervision/dashboard_mediation.html",
        {
            "form": form,
            "page": page,
            "lines": [(c, _outcome(c)) for c in page.object_list],
            "querystring": querystring,
            "export_url": export,
            "period": p,
        },
        status=400 if data is None else 200,
    )


def _day(day: date | None) -> str:
    return "" if day is None else day.isoformat()
