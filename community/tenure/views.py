"""Tenure pages: the forms of the estate page's "管理变更" section and the POSTs behind them
(sign, renew or end a contract early, start or end self-management, mark an estate without a
manager), and the list of estates without a manager (无物业小区).

Each POST calls one service through ``community.web.act``. Only users who may change the estate's
registry (community staff, grid workers, district administrators) reach them; everyone else,
and any estate that does not exist, gets 403.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import access
from ..models import Estate, ServiceContract
from ..web import act, cleaned, paged
from . import selectors, services
from .forms import LastDayForm, RenewContractForm, SignContractForm, StartSelfManagementForm

UNMANAGED_PAGE_SIZE = 30


def management_context(user, estate: Estate, today: date) -> dict:
    """What the estate page's "管理变更" section shows: contracts (with the votes behind them),
    self-management periods, and the forms, only for those who may change the estate."""
    contracts = selectors.estate_contracts(user, estate, today=today)
    periods = list(selectors.self_management_periods(estate))
    context = {"contracts": contracts, "periods": periods, "can_change": access.can(user, access.CHANGE, estate)}
    if context["can_change"]:
        latest = contracts[0].contract if contracts else None
        context.update(
            # Several forms share a field name; each gets its own element ids.
            sign_form=SignContractForm(),
            renew_form=RenewContractForm(auto_id="id_renew_%s"),
            self_end_form=LastDayForm(initial={"last_day": today}, auto_id="id_self_end_%s"),
            unmanaged_form=LastDayForm(initial={"last_day": today}, auto_id="id_unmanaged_%s"),
            self_form=StartSelfManagementForm(initial={"on": today}),
            renewable=latest if latest and latest.terminated_on is None and today <= latest.ends_on else None,
            terminable=[
                (r.contract, LastDayForm(initial={"last_day": today}, auto_id=f"id_terminate_{r.contract.pk}_%s"))
                for r in contracts
                if r.contract.last_day >= today
            ],
            open_period=next((p for p in periods if p.ended_on is None), None),
        )
    return context


def _changeable(request, pk) -> Estate:
    return access.get_permitted_or_403(request.user, access.CHANGE, Estate, pk=pk)


def _contract(estate: Estate, contract_pk) -> ServiceContract:
    contract = selectors.estate_contract(estate, contract_pk)
    if contract is None:
        raise Http404
    return contract


def _back(estate: Estate) -> str:
    return reverse("community:estate_detail", args=[estate.pk]) + "#management"


@login_required
@require_POST
def sign(request, pk):
    estate = _changeable(request, pk)
    form = SignContractForm(request.POST)

    def handler():
        data = cleaned(form)
        terms = {"mode": data["mode"], "starts_on": data["starts_on"], "ends_on": data["ends_on"]}
        if data["company"]:
            contract = services.sign_contract(actor=request.user, estate=estate, company=data["company"], **terms)
        else:
            contract = services.sign_contract_with_new_company(
                actor=request.user,
                estate=estate,
                name=data["new_company_name"],
                uscc=data["new_company_uscc"],
                phone=data["new_company_phone"],
                **terms,
            )
        return _("已登记物业服务合同：%(contract)s。") % {"contract": contract}

    return act(request, handler, _back(estate))


@login_required
@require_POST
def renew(request, pk, contract_pk):
    estate = _changeable(request, pk)
    contract = _contract(estate, contract_pk)
    form = RenewContractForm(request.POST)

    def handler():
        data = cleaned(form)
        renewal = services.renew_contract(
            actor=request.user, contract=contract, ends_on=data["ends_on"], mode=data["mode"] or None
        )
        return _("已续签：%(contract)s。") % {"contract": renewal}

    return act(request, handler, _back(estate))


@login_required
@require_POST
def terminate(request, pk, contract_pk):
    estate = _changeable(request, pk)
    contract = _contract(estate, contract_pk)
    form = LastDayForm(request.POST)

    def handler():
        data = cleaned(form)
        services.terminate_contract(actor=request.user, contract=contract, last_day=data["last_day"])
        return _("已登记提前终止：合同最后一日为 %(day)s。") % {"day": data["last_day"]}

    return act(request, handler, _back(estate))


@login_required
@require_POST
def start_self(request, pk):
    estate = _changeable(request, pk)
    form = StartSelfManagementForm(request.POST)

    def handler():
        data = cleaned(form)
        services.start_self_management(actor=request.user, estate=estate, on=data["on"], note=data["note"])
        return _("已登记：自 %(day)s 起业主自行管理。") % {"day": data["on"]}

    return act(request, handler, _back(estate))


@login_required
@require_POST
def end_self(request, pk):
    estate = _changeable(request, pk)
    form = LastDayForm(request.POST)

    def handler():
        data = cleaned(form)
        services.end_self_management(actor=request.user, estate=estate, last_day=data["last_day"])
        return _("已登记：自行管理至 %(day)s 结束。") % {"day": data["last_day"]}

    return act(request, handler, _back(estate))


@login_required
@require_POST
def mark_unmanaged(request, pk):
    estate = _changeable(request, pk)
    form = LastDayForm(request.POST)
    return act(
        request,
        lambda: services.mark_unmanaged(actor=request.user, estate=estate, last_day=cleaned(form)["last_day"]),
        _back(estate),
    )


@login_required
def unmanaged(request):
    """无物业小区: the estates in the user's scope without a manager today, longest wait first."""
    if not access.holds_anywhere(request.user, access.VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    page, querystring = paged(request, selectors.unmanaged_estates(request.user, today=today), UNMANAGED_PAGE_SIZE)
    rows = []
    for estate in page.object_list:
        since = selectors.unmanaged_since(estate)
        rows.append((estate, since, (today - since).days + 1))
    return render(
        request, "community/unmanaged.html", {"page": page, "rows": rows, "today": today, "querystring": querystring}
    )
