"""The fee books' and the maintenance fund's publication deadlines, offered to
``community.duties`` (registered in ``apps.py``):

* an estate whose books keep income and expenditure apart (a 酬金制 contract in force, or the
  owners managing it themselves, the 收支分离 the pilots build on 酬金制) publishes its fee
  statement every ``fee_disclosure_months``, counted from the end of the last fee statement it
  published, or, before the first (or when the last one covers an earlier, separate period),
  from the start of the books (the contract or the self-management). A 包干制 estate owes none.
  Those who keep its accounts answer for it.
* each fund account publishes its statement every ``fund_publication_months``, from the end of
  the last fund statement, or, before the first, from the account's opening. Whoever keeps the
  fund that day answers for it (``fund.services.authority``).

Five queries in all, however many estates.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Max
from django.urls import reverse

from community import access
from community.duties import Duty
from community.legaltime import last_day_after_months
from community.models import ContractMode, SelfManagementPeriod, ServiceContract
from community.rules import rules_for

from .fund.services import authority
from .models import FundAccount, Statement, Subject

ESTATE = "estate__grid__community__street__district__rule_set"  # the estate with what rules_for reads
PERMS = (access.KEEP_ACCOUNTS, access.REVIEW_FUND, access.APPROVE_SPENDING)


def _last_ends(subject: str, estate_ids) -> dict[int, date]:
    return dict(
        Statement.objects.filter(subject=subject, estate__in=estate_ids)
        .values("estate")
        .annotate(last=Max("ends_on"))
        .values_list("estate", "last")
    )


def separated_books(on: date) -> dict[int, tuple]:
    """{estate id: (estate, the books' start)} for the estates keeping income and expenditure
    apart on ``on``. A contract in force decides the mode; without one, self-management does."""
    books = {}
    for period in SelfManagementPeriod.objects.in_force(on).select_related(ESTATE):
        books[period.estate_id] = (period.estate, period.started_on)
    for contract in ServiceContract.objects.in_force(on).select_related(ESTATE):
        if contract.mode == ContractMode.REMUNERATION:
            books[contract.estate_id] = (contract.estate, contract.starts_on)
        else:
            books.pop(contract.estate_id, None)  # 包干制: the company's own money, no statement owed
    return books


def fee_statements(on: date):
    books = separated_books(on)
    last = _last_ends(Subject.FEES, list(books))
    for estate_id, (estate, started_on) in books.items():
        # A statement of an earlier, separate period (before a 包干制 spell or another company)
        # does not start the clock of the books kept now.
        since = max(last.get(estate_id, started_on), started_on)
        months = rules_for(estate).fee_disclosure_months
        yield Duty(
            key=f"fees:statement:{estate_id}:{since.isoformat()}",
            what=f"{estate.name}：公布物业费收支（每 {months} 个月至少一次）",
            last_day=last_day_after_months(since, months),
            node=estate,
            perm=access.KEEP_ACCOUNTS,
            link=reverse("fees:statements", args=[estate_id]),
            kind="fee_statement",
        )


def fund_statements(on: date):
    accounts = list(FundAccount.objects.select_related(ESTATE))
    last = _last_ends(Subject.FUND, [a.estate_id for a in accounts])
    for account in accounts:
        estate = account.estate
        since = last.get(account.estate_id, account.opened_on)
        months = rules_for(estate).fund_publication_months
        yield Duty(
            key=f"fees:fund_statement:{account.pk}:{since.isoformat()}",
            what=f"{estate.name}：公布维修资金年度报表（每 {months} 个月至少一次）",
            last_day=last_day_after_months(since, months),
            node=estate,
            perm=authority(account, on),
            link=reverse("fees:fund_statements", args=[account.estate_id]),
            kind="fund_statement",
        )


def source(on: date):
    yield from fee_statements(on)
    yield from fund_statements(on)
