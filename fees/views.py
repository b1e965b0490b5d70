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

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import access, audit, import_services, jobs, pagecache, uploads
from community.models import Estate
from community.pdf import JOB_ROWS
from community.privacy import mask_name
from community.web import act, cleaned, error_text
from residents import household

from . import history_import, pdf, selectors, services, tasks
from .forms import (
    BillingForm,
    DecisionForm,
    ExpenditureForm,
    HistoryUploadForm,
    IncomeForm,
    PaymentForm,
    PeriodForm,
    ReversalForm,
    ScheduleForm,
    VoteForm,
)
from .models import Ledger, Subject
from .verify import verify_page

# --------------------------------------------------------------------------- public


def prices(request, estate_id):
    """明码标价: the price list in force and any announced change, for anyone."""
    pagecache.public(request, pagecache.scope_of(Estate, estate_id))
    estate = get_object_or_404(selectors.public_estates(), pk=estate_id)
    current, upcoming = selectors.schedules(estate, timezone.localdate())
    return render(request, "fees/prices.html", {"estate": estate, "current": current, "upcoming": upcoming})


def statements(request, estate_id):
    pagecache.public(request, pagecache.scope_of(Estate, estate_id))
    estate = get_object_or_404(selectors.public_estates(), pk=estate_id)
    return render(
        request,
        "fees/statements.html",
        {
            "estate": estate,
            "statements": selectors.published_statements(estate, Subject.FEES),
            "members": selectors.committee_fee_status(estate),
        },
    )


def statement_pdf(request, pk):
    statement = get_object_or_404(selectors.statement_files(), pk=pk)
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
    estate = get_object_or_404(selectors.public_estates(), code__iexact=code)
    return verify_page(
        request,
        estate,
        start,
        end,
        subject=Subject.FEES,
        read=lambda s, e: selectors.statement(estate, s, e),
        template="fees/verify.html",
    )


# --------------------------------------------------------------------------- owners


@login_required
def my_bills(request):
    """An owner's own bills (units held today) by month, the months still owed first with whom to
    pay and whom to ask; payments and receipts; and the bills of units a household member was
    shared, read-only. Anyone else: 403."""
    owner = getattr(request.user, "owner", None)
    shared = household.shared_units(request.user)
    if owner is None and not shared:
        raise PermissionDenied
    book = selectors.bill_book(selectors.bills_of_owner(owner)) if owner else None
    shared_book = selectors.bill_book(selectors.bills_of_holdings(shared)) if shared else None
    return render(
        request,
        "fees/my_bills.html",
        {
            "is_owner": owner is not None,
            "book": book,
            "bills": book.bills if book else [],
            "owed": book.owed if book else selectors.ZERO,
            "payments": selectors.payments_of_owner(owner)[:60] if owner else [],
            "contacts": selectors.pay_contacts(owner=owner, unit_ids=[u.pk for u, _o in shared]),
            "shared": shared,
            "shared_book": shared_book,
            "shared_bills": shared_book.bills if shared_book else [],
            "shared_owed": shared_book.owed if shared_book else selectors.ZERO,
        },
    )


@login_required
def receipt_pdf(request, pk):
    payment = get_object_or_404(selectors.receipts(), pk=pk)
    if not selectors.may_see_payment(request.user, payment):
        raise Http404
    check = selectors.receipt_check(request.build_absolute_uri("/"), payment)
    response = HttpResponse(
        pdf.receipt_pdf(payment, selectors.receipt_lines(payment), check=check), content_type="application/pdf"
    )
    audit.record("export", request=request, obj=payment, detail={"document": "receipt_pdf"})
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_no}.pdf"'
    return response


# --------------------------------------------------------------------------- staff


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
    return render(request, "fees/workspace.html", {"estates": selectors.fee_estates(request.user)})


@login_required
def estate_fees(request, estate_id):
    estate = selectors.estate_or_404(request.user, estate_id)
    can = _abilities(request.user, estate)
    here = request.path
    if request.method == "POST":
        if request.POST.get("action") != "bill":
            raise Http404
        # The run itself is a job (thousands of units take a while): the page shows its progress.
        try:
            period = cleaned(BillingForm(request.POST))["period"]
            access.require(request.user, access.KEEP_ACCOUNTS, estate)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return redirect(here)
        started = jobs.start(
            actor=request.user,
            task=tasks.run_billing,
            title=_("%(estate)s %(period)s 出账") % {"estate": estate.name, "period": f"{period:%Y-%m}"},
            params={"estate": estate.pk, "period": period.isoformat()},
        )
        return redirect("community:job", started.pk)
    today = timezone.localdate()
    current, upcoming = selectors.schedules(estate, today)
    arrears = [replace(a, addressee=_names(can, a.addressee)) for a in selectors.arrears(estate)[:100]]
    if can["names"] and arrears:
        audit.record("view_personal", request=request, obj=estate, detail={"page": "fees_arrears"})
    return render(
        request,
        "fees/estate.html",
        {
            "estate": estate,
            "can": can,
            "books": selectors.books(estate, today),
            "current": current,
            "upcoming": upcoming,
            "runs": selectors.billing_runs(estate),
            "arrears": arrears,
            "payments": selectors.recent_payments(estate),
            "billing_form": BillingForm(initial={"period": f"{today:%Y-%m}"}),
        },
    )


@login_required
def unit_fees(request, estate_id, unit_id):
    estate = selectors.estate_or_404(request.user, estate_id)
    unit = get_object_or_404(selectors.units_of(estate), pk=unit_id)
    can = _abilities(request.user, estate)
    here = request.path
    open_bills = selectors.open_bills(unit)
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
    payments = selectors.unit_payments(unit)
    for row in bills:
        row.addressee = _names(can, row.addressee)
    for row in payments:
        row.payer = _names(can, row.payer)
    if can["names"] and (holders or bills or payments):
        audit.record("view_personal", request=request, obj=unit, detail={"page": "fees_unit"})
    return render(
        request,
        "fees/unit.html",
        {
            "estate": estate,
            "unit": unit,
            "can": can,
            "bills": bills,
            "payments": payments,
            "letters": selectors.demand_letters(unit),
            "form": PaymentForm(bills=open_bills, initial={"bills": list(open_bills), "payer": holders})
            if can["keep"] and open_bills
            else None,
        },
    )


@login_required
def letter_pdf(request, pk):
    letter = get_object_or_404(selectors.letters(), pk=pk)
    if not _abilities(request.user, selectors.estate_or_404(request.user, letter.estate_id))["names"]:
        raise Http404
    bills = selectors.letter_bills(letter)
    keeper = selectors.books(letter.estate, timezone.localdate(letter.issued_at))
    response = HttpResponse(
        pdf.demand_letter_pdf(
            letter,
            bills,
            keeper=keeper.keeper if keeper else letter.estate.name,
            contact=selectors.letter_contact(letter),
        ),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="demand-{letter.pk}.pdf"'
    audit.record("export", request=request, obj=letter, detail={"document": "demand_letter_pdf"})
    return response


@login_required
def schedule_new(request, estate_id):
    estate = selectors.estate_or_404(request.user, estate_id)
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
    estate = selectors.estate_or_404(request.user, estate_id)
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
                entry = get_object_or_404(selectors.entries_of(estate), pk=data["entry"])
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
            # the same fields again for publishing, with ids of their own so each label finds its field
            "publish_form": PeriodForm(auto_id="id_publish_%s"),
            "statements": selectors.published_statements(estate, Subject.FEES)[:12],
        },
    )


@login_required
def export(request, estate_id):
    """Any period's statement as a PDF for staff, verifiable like a published one."""
    estate = selectors.estate_or_404(request.user, estate_id)
    form = PeriodForm(request.GET)
    try:
        data = cleaned(form)
        start, end = services.period_bounds(data["kind"], data["start"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("fees:ledger", estate.pk)
    statement = selectors.statement(estate, start, end, kind=data["kind"])
    base_url = request.build_absolute_uri("/")
    if len(statement.rows) > JOB_ROWS:  # a long one is made by a job; the page shows it coming
        started = jobs.start(
            actor=request.user,
            task=tasks.statement_pdf,
            title=_("%(estate)s %(label)s 报表 PDF") % {"estate": estate.name, "label": statement.label},
            params={"estate": estate.pk, "kind": data["kind"], "start": f"{data['start']}", "base_url": base_url},
        )
        return redirect("community:job", started.pk)
    body = pdf.statement_pdf(statement, verify=selectors.verify_link(base_url, statement))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf.statement_filename(estate.code, start, data["kind"])}"'
    return response


@login_required
def expenditures(request, estate_id):
    estate = selectors.estate_or_404(request.user, estate_id)
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
            "expenditures": selectors.expenditures_of(estate),
        },
    )


@login_required
def expenditure(request, pk):
    item = selectors.visible_expenditure(request.user, pk)
    estate = item.estate
    committee = selectors.committee_of(estate)
    seats = selectors.seats(committee)
    here = request.path
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "decide":

            def decide():
                data = cleaned(DecisionForm(request.POST, seats=seats))
                done = services.decide_expenditure(actor=request.user, expenditure=item, **data)
                if done.status == "posted":
                    return _("已批准并入账，凭证号 %(v)s。") % {"v": done.ledger_entry.voucher}
                if done.status == "requested":
                    return _("审批已登记，须待同意的委员本人登录确认后生效。")
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
            "entry": selectors.expenditure_entry(item),
            "applicant": selectors.expenditure_applicant(item),
            "agreement": selectors.expenditure_agreement(item),
            "decision_form": DecisionForm(seats=seats)
            if committee is not None and can["approve"] and item.status == "requested"
            else None,
            "vote_form": VoteForm() if can["approve"] and item.status == "vote" and item.vote_id is None else None,
        },
    )


@login_required
def attachment(request, pk):
    """An expenditure's attachment, to those who may see the expenditure (media is never served bare)."""
    item = selectors.visible_expenditure(request.user, pk)
    return uploads.serve(item.attachment, filename=f"expenditure-{item.pk}")


# --------------------------------------------------------------------------- HC小区's payment history

HISTORY_SALT = "fee-history-import"
HISTORY_TOKEN_AGE = 3600  # seconds a preview stays confirmable (its file is swept after an hour)


def _history_estate(request, estate_id):
    """The estate whose books the user keeps: 404 if they may not see it, 403 if they may see but not keep."""
    estate = selectors.estate_or_404(request.user, estate_id)
    if not access.can(request.user, access.KEEP_ACCOUNTS, estate):
        raise PermissionDenied
    return estate


@login_required
def history_sample(request, estate_id):
    _history_estate(request, estate_id)
    response = HttpResponse(history_import.sample_workbook(), content_type=uploads.XLSX.content_type)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''hc-fee-history-sample.xlsx"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def history_import_page(request, estate_id):
    """Upload HC's 房屋缴费历史 and see, before anything is written, every error or what it will write."""
    estate = _history_estate(request, estate_id)
    form = HistoryUploadForm(request.POST or None, request.FILES or None)
    context = {
        "estate": estate,
        "form": form,
        "notes": history_import.NOTES,
        "items": history_import.item_names(estate),
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = uploads.read(upload, uploads.IMPORT)
        plan = history_import.preview_history(actor=request.user, estate=estate, name=upload.name, content=content)
        context.update(plan=plan, filename=upload.name)
        if not plan.errors and plan.changes:
            stored = import_services.keep_upload(content)  # swept with the registry's previews
            context["token"] = signing.dumps(
                {"path": stored, "estate": estate.pk, "user": request.user.pk, "name": upload.name}, salt=HISTORY_SALT
            )
    return render(request, "fees/history_import.html", context)


@login_required
@require_POST
def history_confirm(request, estate_id):
    """Start the previewed import as a job (it re-reads and re-checks the file), or cancel it."""
    estate = _history_estate(request, estate_id)
    try:
        ticket = signing.loads(request.POST.get("token", ""), salt=HISTORY_SALT, max_age=HISTORY_TOKEN_AGE)
    except signing.BadSignature:
        ticket = None
    if (
        ticket is None
        or ticket["user"] != request.user.pk
        or ticket["estate"] != estate.pk
        or not import_services.is_waiting_upload(ticket["path"])
    ):
        messages.error(request, _("预览已过期或无效，请重新上传文件。"))
        return redirect("fees:history_import", estate.pk)
    if request.POST.get("action") == "cancel":
        import_services.discard_upload(ticket["path"])
        messages.success(request, _("已取消导入，上传的文件已删除。"))
        return redirect("fees:history_import", estate.pk)
    started = jobs.start(
        actor=request.user,
        task=tasks.import_fee_history,
        title=_("导入 %(estate)s 的 HC 缴费历史（%(file)s）") % {"estate": estate.name, "file": ticket["name"]},
        params={"estate": estate.pk, "path": ticket["path"], "name": ticket["name"]},
    )
    return redirect("community:job", started.pk)
