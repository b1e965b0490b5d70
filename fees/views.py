"""Fee pages.

* Public, no login: an estate's price board, its published statements (PDF), and the
  page that verifies a statement's fingerprint against the live ledger.
* Owners: their own bills, payments and receipts.
* Staff: an estate's fees (billing, arrears, payments), its ledgers, its price lists and its
  expenditures. What a user may do on them is ``community.access``'s answer; the services
  check it again, so no path skips it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Member
from committees.selectors import seated
from community import access
from community.models import Estate, Unit
from community.privacy import mask_name
from community.web import act, cleaned, error_text

from . import pdf, selectors, services
from .forms import (
    BillingForm,
    DecisionForm,
    ExpenditureForm,
    IncomeForm,
    PaymentForm,
    PeriodForm,
    ReversalForm,
    ScheduleForm,
    VoteForm,
)
from .models import (
    Bill,
    BillingRun,
    DemandLetter,
    Expenditure,
    FeeSchedule,
    Ledger,
    LedgerEntry,
    Payment,
    Statement,
    Subject,
)

# --------------------------------------------------------------------------- public


def _schedules(estate):
    today = timezone.localdate()
    current = services.schedule_in_force(estate, today)
    upcoming = (
        FeeSchedule.objects.filter(estate=estate, effective_from__gt=today)
        .prefetch_related("items")
        .order_by("effective_from")
    )
    return current, upcoming


def prices(request, estate_id):
    """明码标价: the price list in force and any announced change, for anyone."""
    estate = get_object_or_404(Estate.objects.select_related("grid__community"), pk=estate_id)
    current, upcoming = _schedules(estate)
    return render(request, "fees/prices.html", {"estate": estate, "current": current, "upcoming": upcoming})


def statements(request, estate_id):
    estate = get_object_or_404(Estate, pk=estate_id)
    return render(
        request,
        "fees/statements.html",
        {
            "estate": estate,
            "statements": Statement.objects.filter(estate=estate, subject=Subject.FEES).order_by("-ends_on", "kind"),
        },
    )


def statement_pdf(request, pk):
    statement = get_object_or_404(Statement.objects.select_related("estate"), pk=pk)
    try:
        handle = statement.pdf.open("rb")
    except FileNotFoundError:
        raise Http404(_("报表文件缺失，请联系发布单位。")) from None
    return FileResponse(
        handle,
        content_type="application/pdf",
        filename=f"{statement.estate.code}-{statement.starts_on:%Y%m}-{statement.kind}.pdf",
    )


def verify(request, code, start, end):
    """Anyone holding a statement checks its fingerprint against the live ledger for that period."""
    estate = get_object_or_404(Estate, code=code)
    return verified(
        request,
        estate,
        start,
        end,
        subject=Subject.FEES,
        read=lambda s, e: selectors.statement(estate, s, e),
        template="fees/verify.html",
    )


def verified(request, estate, start: str, end: str, *, subject: str, read, template: str):
    """The verify page of any disclosure: recompute the period with ``read(start, end)`` and compare
    its fingerprint with the one claimed (``?fp=``). A mismatch answers 404, so a scanner sees it."""
    try:
        start_day, end_day = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise Http404 from None
    if end_day < start_day:
        raise Http404
    claimed = "".join(request.GET.get("fp", "").split()).lower()
    live = read(start_day, end_day)
    ok = bool(claimed) and claimed == live.fingerprint
    return render(
        request,
        template,
        {
            "estate": estate,
            "start": start_day,
            "end": end_day,
            "claimed": claimed,
            "ok": ok,
            "live": live,
            "published": Statement.objects.filter(
                estate=estate, subject=subject, starts_on=start_day, ends_on=end_day
            ).first(),
        },
        status=200 if ok or not claimed else 404,
    )


# --------------------------------------------------------------------------- owners


@login_required
def my_bills(request):
    owner = getattr(request.user, "owner", None)
    if owner is None:
        raise PermissionDenied
    bills = list(selectors.bills_of_owner(owner)[:120])
    return render(
        request,
        "fees/my_bills.html",
        {
            "bills": bills,
            "owed": sum((b.owed for b in bills), selectors.ZERO),
            "payments": selectors.payments_of_owner(owner)[:60],
        },
    )


@login_required
def receipt_pdf(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("unit__building__estate", "ledger_entry"), pk=pk)
    if not selectors.may_see_payment(request.user, payment):
        raise Http404
    allocations = payment.allocations.select_related("bill__item").order_by("bill__period", "bill__starts_on")
    response = HttpResponse(pdf.receipt_pdf(payment, allocations), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_no}.pdf"'
    return response


# --------------------------------------------------------------------------- staff


def _estate(user, estate_id) -> Estate:
    """An estate the user may see; the same 404 whether it exists elsewhere or not."""
    return access.get_visible_or_404(
        user, access.VIEW, Estate.objects.select_related("grid__community__street__district"), pk=estate_id
    )


def _abilities(user, estate) -> dict:
    return {
        "keep": access.can(user, access.KEEP_ACCOUNTS, estate),
        "approve": access.can(user, access.APPROVE_SPENDING, estate),
        "names": selectors.sees_owner_names(user, estate),
    }


def _names(can: dict, text: str) -> str:
    return text if can["names"] else "、".join(mask_name(name) for name in text.split("、") if name)


@login_required
def workspace(request):
    perms = (access.KEEP_ACCOUNTS, access.APPROVE_SPENDING, access.VIEW)
    if not any(access.holds_anywhere(request.user, p) for p in perms):
        raise PermissionDenied
    keep = access.visible(request.user, access.KEEP_ACCOUNTS, Estate.objects.all()).values("pk")
    estates = (
        access.visible(request.user, access.VIEW, Estate.objects.select_related("grid__community"))
        .filter(Q(Exists(FeeSchedule.objects.filter(estate=OuterRef("pk")))) | Q(pk__in=keep))
        .order_by("code")[:200]
    )
    return render(request, "fees/workspace.html", {"estates": estates})


@login_required
def estate_fees(request, estate_id):
    estate = _estate(request.user, estate_id)
    can = _abilities(request.user, estate)
    here = request.path
    if request.method == "POST":
        if request.POST.get("action") != "bill":
            raise Http404

        def bill():
            period = cleaned(BillingForm(request.POST))["period"]
            run = services.run_billing(actor=request.user, estate=estate, period=period)
            if run is None:
                return _("%(period)s 的账单已全部生成，本次没有新增。") % {"period": f"{period:%Y-%m}"}
            return _("已出账 %(n)s 笔，合计 %(amount)s 元。") % {"n": run.bills_created, "amount": run.amount}

        return act(request, bill, here)
    today = timezone.localdate()
    current, upcoming = _schedules(estate)
    runs = list(BillingRun.objects.filter(estate=estate).order_by("-period", "-started_at")[:12])
    return render(
        request,
        "fees/estate.html",
        {
            "estate": estate,
            "can": can,
            "books": selectors.books(estate, today),
            "current": current,
            "upcoming": upcoming,
            "runs": runs,
            "arrears": [replace(a, addressee=_names(can, a.addressee)) for a in selectors.arrears(estate)[:100]],
            "payments": Payment.objects.filter(estate=estate)
            .select_related("unit__building")
            .order_by("-recorded_at")[:20],
            "billing_form": BillingForm(initial={"period": f"{today:%Y-%m}"}),
        },
    )


@login_required
def unit_fees(request, estate_id, unit_id):
    estate = _estate(request.user, estate_id)
    unit = get_object_or_404(Unit.objects.select_related("building"), pk=unit_id, building__estate=estate)
    can = _abilities(request.user, estate)
    here = request.path
    open_bills = (
        selectors.with_paid(Bill.objects.filter(unit=unit).select_related("item"))
        .filter(open_amount__gt=0)
        .order_by("period", "starts_on")
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "pay":

            def pay():
                data = cleaned(PaymentForm(request.POST, bills=open_bills))
                payment = services.record_payment(
                    actor=request.user,
                    unit=unit,
                    amount=data["amount"],
                    paid_on=data["paid_on"],
                    method=data["method"],
                    payer=data["payer"],
                    bills=data["bills"],
                    note=data["note"],
                )
                return _("已收款 %(amount)s 元，收据 %(no)s。") % {"amount": payment.amount, "no": payment.receipt_no}

            return act(request, pay, here)
        if action == "demand":
            return act(
                request,
                lambda: services.issue_demand_letter(actor=request.user, unit=unit),
                here,
                _("催交通知书已生成。"),
            )
        raise Http404
    holders = "、".join(dict.fromkeys(b.addressee for b in open_bills if b.addressee))
    bills = list(selectors.unit_bills(unit)[:120])
    payments = list(unit.payments.select_related("ledger_entry").order_by("-paid_on", "-pk"))
    for row in bills:
        row.addressee = _names(can, row.addressee)
    for row in payments:
        row.payer = _names(can, row.payer)
    return render(
        request,
        "fees/unit.html",
        {
            "estate": estate,
            "unit": unit,
            "can": can,
            "bills": bills,
            "payments": payments,
            "letters": DemandLetter.objects.filter(unit=unit),
            "form": PaymentForm(bills=open_bills, initial={"bills": list(open_bills), "payer": holders})
            if can["keep"] and open_bills
            else None,
        },
    )


@login_required
def letter_pdf(request, pk):
    letter = get_object_or_404(DemandLetter.objects.select_related("estate", "unit__building"), pk=pk)
    if not _abilities(request.user, _estate(request.user, letter.estate_id))["names"]:
        raise Http404
    bills = selectors.with_paid(letter.bills.select_related("item")).order_by("period", "starts_on")
    keeper = selectors.books(letter.estate, timezone.localdate(letter.issued_at))
    response = HttpResponse(
        pdf.demand_letter_pdf(letter, bills, keeper=keeper.keeper if keeper else letter.estate.name),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="demand-{letter.pk}.pdf"'
    return response


@login_required
def schedule_new(request, estate_id):
    estate = _estate(request.user, estate_id)
    if not access.can(request.user, access.KEEP_ACCOUNTS, estate):
        raise PermissionDenied
    form = ScheduleForm(request.POST or None)
    if request.method == "POST":
        try:
            data = cleaned(form)
            services.publish_schedule(actor=request.user, estate=estate, **data)
            messages.success(request, _("收费标准已公示，公示公告草稿已生成。"))
            return redirect("fees:estate", estate.pk)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
    return render(request, "fees/schedule_form.html", {"estate": estate, "form": form})


@login_required
def ledger(request, estate_id):
    estate = _estate(request.user, estate_id)
    can = _abilities(request.user, estate)
    here = request.path
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "income":
            return act(
                request,
                lambda: services.record_income(actor=request.user, estate=estate, **cleaned(IncomeForm(request.POST))),
                here,
            )
        if action == "reverse":

            def reverse():
                data = cleaned(ReversalForm(request.POST))
                entry = get_object_or_404(LedgerEntry, pk=data["entry"], estate=estate)
                return _("已冲销，冲销凭证 %(v)s。") % {
                    "v": services.reverse_entry(actor=request.user, entry=entry, reason=data["reason"]).voucher
                }

            return act(request, reverse, here)
        if action == "publish":

            def publish():
                data = cleaned(PeriodForm(request.POST))
                statement = services.publish_statement(
                    actor=request.user,
                    estate=estate,
                    kind=data["kind"],
                    start=data["start"],
                    base_url=request.build_absolute_uri("/"),
                )
                return _("%(label)s 报表已发布，公告草稿已生成。") % {"label": statement.label}

            return act(request, publish, here)
        raise Http404
    income, income_total = selectors.ledger_page(estate, Ledger.INCOME)
    spending, spending_total = selectors.ledger_page(estate, Ledger.EXPENDITURE)
    return render(
        request,
        "fees/ledger.html",
        {
            "estate": estate,
            "can": can,
            "books": selectors.books(estate, timezone.localdate()),
            "income": income,
            "income_total": income_total,
            "spending": spending,
            "spending_total": spending_total,
            "balance": income_total - spending_total,
            "income_form": IncomeForm(),
            "period_form": PeriodForm(),
            "statements": Statement.objects.filter(estate=estate, subject=Subject.FEES).order_by("-ends_on")[:12],
        },
    )


@login_required
def export(request, estate_id):
    """Any period's statement as a PDF for staff, verifiable like a published one."""
    estate = _estate(request.user, estate_id)
    form = PeriodForm(request.GET)
    try:
        data = cleaned(form)
        start, end = services.period_bounds(data["kind"], data["start"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("fees:ledger", estate.pk)
    statement = selectors.statement(estate, start, end, kind=data["kind"])
    body = pdf.statement_pdf(statement, verify_url=selectors.verify_url(request.build_absolute_uri("/"), statement))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{estate.code}-{start:%Y%m}-{data["kind"]}.pdf"'
    return response


@login_required
def expenditures(request, estate_id):
    estate = _estate(request.user, estate_id)
    can = _abilities(request.user, estate)
    if request.method == "POST":

        def ask():
            data = cleaned(ExpenditureForm(request.POST, request.FILES))
            services.request_expenditure(actor=request.user, estate=estate, **data)
            return _("支出申请已提交，等待业主委员会审批。")

        return act(request, ask, request.path)
    return render(
        request,
        "fees/expenditures.html",
        {
            "estate": estate,
            "can": can,
            "form": ExpenditureForm() if can["keep"] else None,
            "expenditures": Expenditure.objects.filter(estate=estate)
            .select_related("ledger_entry", "requested_by")
            .order_by("-requested_at")[:100],
        },
    )


def _expenditure(user, pk) -> Expenditure:
    return access.get_visible_or_404(user, access.VIEW, Expenditure.objects.select_related("estate", "vote"), pk=pk)


@login_required
def expenditure(request, pk):
    item = _expenditure(request.user, pk)
    estate = item.estate
    committee = selectors.committee_of(estate)
    seats = seated(committee).select_related("owner") if committee else Member.objects.none()
    here = request.path
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "decide":

            def decide():
                data = cleaned(DecisionForm(request.POST, seats=seats))
                done = services.decide_expenditure(actor=request.user, expenditure=item, **data)
                if done.status == "posted":
                    return _("已批准并入账，凭证号 %(v)s。") % {"v": done.ledger_entry.voucher}
                return _("已记录：%(status)s。") % {"status": done.get_status_display()}

            return act(request, decide, here)
        if action == "vote":
            return act(
                request,
                lambda: services.put_expenditure_to_vote(
                    actor=request.user, expenditure=item, **cleaned(VoteForm(request.POST))
                ),
                here,
                _("业主表决已召集，表决公告草稿已生成。"),
            )
        if action == "settle":
            return act(
                request,
                lambda: services.settle_expenditure_vote(actor=request.user, expenditure=item).get_status_display(),
                here,
            )
        raise Http404
    can = _abilities(request.user, estate)
    return render(
        request,
        "fees/expenditure.html",
        {
            "item": item,
            "estate": estate,
            "can": can,
            "committee": committee,
            "entry": LedgerEntry.objects.filter(expenditure=item).first(),
            "in_favour": item.in_favour.select_related("owner"),
            "decision_form": DecisionForm(seats=seats)
            if committee is not None and can["approve"] and item.status == "requested"
            else None,
            "vote_form": VoteForm() if can["approve"] and item.status == "vote" and item.vote_id is None else None,
        },
    )


@login_required
def attachment(request, pk):
    item = _expenditure(request.user, pk)
    if not item.attachment:
        raise Http404
    return FileResponse(
        item.attachment.open("rb"), as_attachment=True, filename=item.attachment.name.rsplit("/", 1)[-1]
    )
