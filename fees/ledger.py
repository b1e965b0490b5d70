"""The one way anything is written to the books: append-only entries with gapless vouchers.

The income and expenditure ledgers (fees) and the maintenance-fund sub-accounts all
post here. An entry takes the next voucher number of its estate, ledger and year from
a counter row locked in the caller's transaction (community.sequences), so a rolled-back
entry leaves no gap: on PostgreSQL one statement advances the counter and inserts the entry,
so the counter is held for that one round trip and the commit; a batch (a payout over 5,000
sub-accounts) reserves its block of numbers in one statement. A period covered by a
published statement of the same books is closed: nothing more may be dated in it, so a
published fingerprint stays true. Entries are never updated or deleted (a PostgreSQL
trigger refuses both); a mistake is undone by a reversing entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Estate
from community.sequences import insert_numbered, next_number

from .models import LEDGER_CATEGORIES, Ledger, LedgerEntry, Statement, Subject, voucher

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


def _series(estate: Estate, ledger: str) -> str:
    """The voucher series of one estate's ledger (numbered afresh each year)."""
    return f"ledger:{estate.pk}:{ledger}"


def _check(*, estate: Estate, ledger: str, entry_date: date, categories) -> None:
    """Refuse lines that may not be posted: a category of another ledger, a date in a closed period."""
    allowed = LEDGER_CATEGORIES[Ledger(ledger)]
    for category in set(categories):
        if category not in allowed:
            raise ValidationError(WRONG_CATEGORY, params={"category": category, "ledger": Ledger(ledger).label})
    closed = closed_until(estate, SUBJECT_OF[Ledger(ledger)])
    if closed is not None and entry_date <= closed:
        raise ValidationError(PERIOD_CLOSED, params={"day": entry_date})


def post(
    *, actor, estate: Estate, ledger: str, entry_date: date, keeper: str, now: datetime | None = None, **line
) -> LedgerEntry:
    """Append one entry: ``line`` holds category, amount, description, and optionally counterparty,
    unit, fund_use, payment, expenditure, reverses. Runs inside the caller's transaction; the
    voucher number and the row go in one statement (community.sequences.insert_numbered), and
    the counter stays locked until the caller commits, so post last and commit soon."""
    _check(estate=estate, ledger=ledger, entry_date=entry_date, categories=[line["category"]])
    entry = LedgerEntry(
        estate=estate,
        ledger=ledger,
        year=entry_date.year,
        entry_date=entry_date,
        keeper=keeper,
        recorded_at=now or timezone.now(),
        recorded_by=actor,
        **line,
    )
    insert_numbered(entry, series=_series(estate, ledger), year=entry_date.year)
    return entry


@dataclass(frozen=True)
class Batch:
    """Entries posted together: their voucher numbers run from ``first`` for ``count``."""

    estate_id: int
    ledger: str
    year: int
    first: int
    count: int
    total: Decimal

    @property
    def first_voucher(self) -> str:
        return voucher(self.ledger, self.year, self.first)

    @property
    def last_voucher(self) -> str:
        return voucher(self.ledger, self.year, self.first + self.count - 1)

    def entries(self):
        return LedgerEntry.objects.filter(
            estate_id=self.estate_id,
            ledger=self.ledger,
            year=self.year,
            number__range=(self.first, self.first + self.count - 1),
        ).order_by("number")


# The per-line values a batch may carry (a foreign key by object or by id); the rest are the batch's.
LINE_FIELDS = (
    "category",
    "amount",
    "description",
    "counterparty",
    "unit",
    "fund_use",
    "payment",
    "expenditure",
    "reverses",
)


def post_many(
    *,
    actor,
    estate: Estate,
    ledger: str,
    entry_date: date,
    keeper: str,
    lines: list[dict],
    imported: bool = False,
    now: datetime | None = None,
) -> Batch:
    """Append ``lines`` (dicts of ``LINE_FIELDS``) to one ledger, dated ``entry_date``, with consecutive
    voucher numbers, as one executemany of plain rows: at thousands of sub-accounts, model instances
    and the ORM's multi-row INSERTs (SQLite allows ~50 rows each) would cost more than the writing.
    Every value still goes through its field's conversion, and the database's constraints and
    trigger check every row. ``imported`` marks the batch as another system's history.
    Runs inside the caller's transaction."""
    if not lines:
        raise ValidationError(NOTHING_TO_POST)
    _check(estate=estate, ledger=ledger, entry_date=entry_date, categories=[line["category"] for line in lines])
    first = next_number(_series(estate, ledger), entry_date.year, len(lines))
    common = dict(
        estate=estate,
        ledger=ledger,
        year=entry_date.year,
        entry_date=entry_date,
        keeper=keeper,
        recorded_at=now or timezone.now(),
        recorded_by=actor,
        counterparty="",
        imported=imported,  # a plain row gets no model default: every column is named here
    )
    fields = [f for f in LedgerEntry._meta.concrete_fields if not f.primary_key]

    def prep(field, value):
        if field.is_relation and value is not None and not isinstance(value, int):
            value = value.pk
        return field.get_db_prep_save(value, connection)

    constant = {f.name: prep(f, common.get(f.name)) for f in fields if f.name not in LINE_FIELDS and f.name != "number"}
    by_name = {f.name: f for f in fields}
    rows, total = [], Decimal("0")
    for index, line in enumerate(lines):
        values = {name[:-3] if name.endswith("_id") else name: value for name, value in line.items()}
        if not values.keys() <= set(LINE_FIELDS):
            raise TypeError(f"a batch line carries only {LINE_FIELDS}, not {sorted(values.keys() - set(LINE_FIELDS))}")
        total += values["amount"]
        row = []
        for f in fields:
            if f.name == "number":
                row.append(first + index)
            elif f.name in LINE_FIELDS:
                row.append(prep(by_name[f.name], values.get(f.name, "" if f.name == "counterparty" else None)))
            else:
                row.append(constant[f.name])
        rows.append(tuple(row))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(LedgerEntry._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
    return Batch(estate.pk, ledger, entry_date.year, first, len(lines), total)


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
        category=entry.category,
        amount=-entry.amount,
        description=f"冲销 {entry.voucher}：{reason.strip()}"[:200],
        counterparty=entry.counterparty,
        unit_id=entry.unit_id,
        fund_use_id=entry.fund_use_id,
        reverses=entry,
    )
