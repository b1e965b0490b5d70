"""Fees' background work: a billing run, an import of HC小区's payment history, and a long
statement or split PDF started from a page (jobs the user watches), and the scheduled
monthly billing of estates that bill automatically."""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from community import jobs
from community.import_services import ImportRefused, discard_upload, read_upload
from community.models import Estate

from . import history_import, pdf, selectors, services
from .fund import pdf as fund_pdf
from .fund import selectors as fund_selectors
from .fund import services as fund_services

logger = logging.getLogger(__name__)


@jobs.task(name="fees.bill_automatically")
def bill_automatically() -> dict:
    """This month's bills for every estate whose price list bills automatically (idempotent)."""
    done = services.run_automatic_billing()
    for estate, reason in done["refused"].items():
        logger.warning("automatic billing of %s refused: %s", estate, reason)
    return done


@jobs.task(name="fees.alert_topups")
def alert_topups() -> int:
    """Daily: owners of sub-accounts below the top-up line are told, at most once in 30 days
    per account (fund.services.alert_topups)."""
    return fund_services.alert_topups()


def counted(progress, label: str, every: int = 500):
    """A ``run_billing`` progress wrapper (tqdm's shape) that reports to a job's progress bar."""

    def wrap(rows, **_options):
        total = len(rows)
        for number, row in enumerate(rows):
            if number % every == 0:
                progress(number, total, label)
            yield row

    return wrap


def billing_message(run, period: date) -> str:
    if run is None:
        return _("%(period)s 的账单已全部生成，本次没有新增。") % {"period": f"{period:%Y-%m}"}
    return _("已出账 %(n)s 笔，合计 %(amount)s 元。") % {"n": run.bills_created, "amount": run.amount}


@jobs.job("fees.run_billing")
def run_billing(job, progress) -> jobs.Outcome:
    """One estate's billing run for one month (``params``: estate, period). The service checks
    the starter may keep the estate's accounts, and never bills a month twice."""
    estate = Estate.objects.get(pk=job.params["estate"])
    period = date.fromisoformat(job.params["period"])
    run = services.run_billing(
        actor=job.created_by, estate=estate, period=period, progress=counted(progress, _("计算账单"))
    )
    return jobs.Outcome(message=billing_message(run, period), link=reverse("fees:estate", args=[estate.pk]))


def _seen(find, user, pk):
    """What ``find`` (a 404-raising selector) gives ``user``; refused as the job's failure."""
    try:
        return find(user, pk)
    except Http404:
        raise PermissionDenied(_("您无权查看该内容，或它已不存在。")) from None


@jobs.job("fees.statement_pdf")
def statement_pdf(job, progress) -> jobs.Outcome:
    """A long statement for any period as a verifiable PDF (``params``: estate, kind, start, base_url)."""
    params = job.params
    estate = _seen(selectors.estate_or_404, job.created_by, params["estate"])
    start, end = services.period_bounds(params["kind"], date.fromisoformat(params["start"]))
    progress(10, 100, _("读取账目"))
    statement = selectors.statement(estate, start, end, kind=params["kind"])
    progress(30, 100, _("生成 PDF"))
    body = pdf.statement_pdf(statement, verify=selectors.verify_link(params["base_url"], statement))
    done = _("%(label)s 报表 PDF 已生成，共 %(n)s 笔记录。") % {"label": statement.label, "n": len(statement.rows)}
    return jobs.Outcome(
        message=done,
        file=body,
        filename=pdf.statement_filename(estate.code, start, params["kind"]),
    )


@jobs.job("fees.fund_split_pdf")
def fund_split_pdf(job, progress) -> jobs.Outcome:
    """A fund use's split over many units as a PDF (``params``: use)."""
    use = _seen(fund_selectors.visible_use, job.created_by, job.params["use"])
    progress(10, 100, _("读取分摊明细"))
    rows = fund_selectors.split_rows(use)
    progress(30, 100, _("生成 PDF"))
    return jobs.Outcome(
        message=_("分摊明细 PDF 已生成，共 %(n)s 户。") % {"n": len(rows)},
        file=fund_pdf.fund_split_pdf(use, rows),
        filename=f"fund-use-{use.pk}.pdf",
    )


@jobs.job("fees.import_fee_history")
def import_fee_history(job, progress) -> jobs.Outcome:
    """Write a previewed HC payment-history file (``params``: estate, path of the stored upload,
    file name). The service checks the starter keeps the estate's accounts and writes all or
    nothing; the upload is deleted once the import is committed, or at once when it is refused."""
    params = job.params
    estate = _seen(selectors.estate_or_404, job.created_by, params["estate"])
    path = params["path"]
    content = read_upload(path)
    try:
        plan = history_import.import_history(
            actor=job.created_by, estate=estate, name=params["name"], content=content, progress=progress
        )
    except ImportRefused as refused:
        discard_upload(path)  # a refused file is uploaded again, corrected
        head = _("发现 %(n)s 处错误，未写入任何内容。请修改后重新上传。") % {"n": len(refused.rows)}
        raise ValidationError("\n".join([head, *(str(e) for e in refused.rows)])) from refused
    transaction.on_commit(lambda: discard_upload(path))
    return jobs.Outcome(message=history_summary(plan), link=reverse("fees:estate", args=[estate.pk]))


def history_summary(plan) -> str:
    return _(
        "导入完成：历史账单 %(bills)s 笔（%(due)s 元），历史收款 %(payments)s 笔（%(paid)s 元），"
        "已导入过、未变化的 %(same)s 行。"
    ) % {
        "bills": len(plan.new_bills),
        "due": plan.due_total,
        "payments": len(plan.new_payments),
        "paid": plan.paid_total,
        "same": plan.unchanged,
    }
