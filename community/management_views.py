"""Management changes from the estate page: sign, renew or end a contract early, start or end
self-management, mark an estate without a manager; and the list of estates without a manager.

Each POST calls one service through ``views.act``. Only users who may change the estate's
registry (community staff, grid workers, district administrators) reach them; everyone else,
and any estate that does not exist, gets 403.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, services
from .management_forms import LastDayForm, RenewContractForm, SignContractForm, StartSelfManagementForm
from .management_selectors import estate_contracts, self_management_periods, unmanaged_estates, unmanaged_since
from .models import Estate, ServiceContract
from .web import act, cleaned

UNMANAGED_PAGE_SIZE = 30


def management_context(user, estate: Estate, today: date) -> dict:
    """What the estate page's "管理变更" section shows: contracts (with the votes behind them),
    self-management periods, and the forms, only for those who may change the estate."""
    contracts = estate_contracts(user, estate, today=today)
    periods = list(self_management_periods(estate))
    context = {"contracts": contracts, "periods": periods, "can_change": access.can(user, access.CHANGE, estate)}
    if context["can_change"]:
        latest = contracts[0].contract if contracts else None
        context.update(
            sign_form=SignContractForm(),
            renew_form=RenewContractForm(),
            # Several forms share a field name; each gets its own element ids.
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
    estate = Estate.objects.filter(pk=pk).first()
    if estate is None or not access.can(request.user, access.CHANGE, estate):
        raise PermissionDenied
    return estate


def _contract(estate: Estate, contract_pk) -> ServiceContract:
    contract = ServiceContract.objects.filter(pk=contract_pk, estate=estate).select_related("estate", "company").first()
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
        with transaction.atomic():  # a company registered here is kept only if the contract is signed
            company = data["company"] or services.register_company(
                actor=request.user,
                name=data["new_company_name"],
                uscc=data["new_company_uscc"],
                phone=data["new_company_phone"],
            )
            contract = services.sign_contract(
                actor=request.user,
                estate=estate,
                company=company,
                mode=data["mode"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
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
    page = Paginator(unmanaged_estates(request.user, today=today), UNMANAGED_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = []
    for estate in page.object_list:
        since = unmanaged_since(estate)
        rows.append((estate, since, (today - since).days + 1))
    return render(request, "community/unmanaged.html", {"page": page, "rows": rows, "today": today, "querystring": ""})
