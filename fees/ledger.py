"""The one way anything is written to the books: append-only entries with gapless vouchers.

The income and expenditure ledgers (fees) and the maintenance-fund sub-accounts all
post here. An entry takes the next voucher number of its estate, ledger and year from
a counter row locked in the caller's transaction (community.sequences), so a rolled-back
entry leaves no gap; a batch (a payout over 5,000 sub-accounts) reserves its block of
numbers in one statement. A period covered by a published statement of the same books
is closed: nothing more may be dated in it, so a published fingerprint stays true.
Entries are never updated or deleted (a PostgreSQL trigger refuses both); a mistake
is undone by a reversing entry.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Estate
from community.sequences import next_number

from .models import LEDGER_CATEGORIES, Ledger, LedgerEntry, Statement, Subject

PERIOD_CLOSED = _("%(day)s 所在期间的报表已公布，不能再记入该期间；请按今天的日期入账并在摘要中说明。")
WRONG_CATEGORY = _("类别“%(category)s”不属于%(ledger)s。")
NOTHING_TO_POST = _("没有要入账的金额。")
NO_REASON = _("请写明理由。")
ALREADY_REVERSED = _("凭证 %(voucher)s 已经冲销过。")
CANNOT_REVERSE_REVERSAL = _("冲销凭证不能再冲销；如需更正，请重新入账。")

SUBJECT_OF = {Ledger.INCOME: Subject.FEES, Ledger.EXPENDITURE: Subject.FEES, Ledger.FUND: Subject.FUND}


def closed_until(estate: Estate, subject: str = Subject.FEES) -> date | None:
    """The last day of the latest published statement of these books: nothing may be dated on or before it."""
    return Statement.objects.filter(estate=estate, subject=subject).aggregate(last=Max("ends_on"))["last"]


def post_many(*, actor, estate: Estate, ledger: str, entry_date: date, keeper: str, lines: list[dict],
              now: datetime | None = None) -> list[LedgerEntry]:
    """Append ``lines`` (each: category, amount, description, and optionally counterparty, unit,
    fund_use, payment, expenditure, reverses) to one ledger, dated ``entry_date``, with
    consecutive voucher numbers. Runs inside the caller's transaction."""
    if not lines:
        raise ValidationError(NOTHING_TO_POST)
    allowed = LEDGER_CATEGORIES[Ledger(ledger)]
    for line in lines:
        if line["category"] not in allowed:
            raise ValidationError(WRONG_CATEGORY, params={"category": line["category"], "ledger": Ledger(ledger).label})
    closed = closed_until(estate, SUBJECT_OF[Ledger(ledger)])
    if closed is not None and entry_date <= closed:
        raise ValidationError(PERIOD_CLOSED, params={"day": entry_date})
    first = next_number(f"ledger:{estate.pk}:{ledger}", entry_date.year, len(lines))
    recorded_at = now or timezone.now()
    entries = [
        LedgerEntry(estate=estate, ledger=ledger, year=entry_date.year, number=first + index, entry_date=entry_date,
                    keeper=keeper, recorded_at=recorded_at, recorded_by=actor, **line)
        for index, line in enumerate(lines)
    ]
    if len(entries) == 1:
        entries[0].save(force_insert=True)
        return entries
    _insert(entries)
    return list(
        LedgerEntry.objects.filter(estate=estate, ledger=ledger, year=entry_date.year, number__range=(first, first + len(entries) - 1))
        .order_by("number")
    )


def _insert(entries: list[LedgerEntry]) -> None:
    """A batch as one executemany of plain rows: at thousands of sub-accounts the ORM's
    multi-row INSERTs (SQLite allows ~50 rows each) cost more than the writing. Every
    value still goes through its field's own conversion, and the database's constraints
    and trigger still check each row."""
    fields = [f for f in LedgerEntry._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (f"INSERT INTO {connection.ops.quote_name(LedgerEntry._meta.db_table)} ({columns}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    rows = [tuple(f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields) for entry in entries]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start:start + 5000])


def post(*, actor, estate: Estate, ledger: str, entry_date: date, keeper: str, now: datetime | None = None, **line) -> LedgerEntry:
    """Append one entry (``line`` as in ``post_many``)."""
    return post_many(actor=actor, estate=estate, ledger=ledger, entry_date=entry_date, keeper=keeper, lines=[line], now=now)[0]


def reversal(entry: LedgerEntry, reason: str) -> dict:
    """The line that undoes ``entry`` (locked by the caller): its negation, pointing at it,
    for ``post``. A reversal is never itself reversed, and an entry is reversed once."""
    if not reason.strip():
        raise ValidationError(NO_REASON)
    if entry.reverses_id is not None:
        raise ValidationError(CANNOT_REVERSE_REVERSAL)
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(ALREADY_REVERSED, params={"voucher": entry.voucher})
    return dict(
        category=entry.category, amount=-entry.amount, description=f"冲销 {entry.voucher}：{reason.strip()}"[:200],
        counterparty=entry.counterparty, unit_id=entry.unit_id, fund_use_id=entry.fund_use_id, reverses=entry,
    )
