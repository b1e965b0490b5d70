"""Reads for fees: who keeps the books, bills and arrears, ledgers and statements.

A statement (``statement``) is the single reading of a period's ledgers: the
PDF prints it, the fingerprint hashes it, and the verify page recomputes it
from the live entries. Each list here runs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from committees.models import Committee
from committees.selectors import ACTIVE
from community import access
from community.models import ContractMode, Estate, Owner, Ownership, SelfManagementPeriod, ServiceContract, money_field
from community.pdf import fingerprint

from .models import (
    Allocation,
    Bill,
    Category,
    Ledger,
    LedgerEntry,
    Payment,
    period_label,
    voucher,
)

ZERO = Decimal("0.00")

# --------------------------------------------------------------------------- who keeps the books

SEPARATED = "separated"  # income and expenditure ledgers, both disclosed
COLLECTION = "collection"  # lump-sum: collection only


@dataclass(frozen=True)
class Books:
    mode: str  # SEPARATED or COLLECTION
    keeper: str  # the company or committee that keeps them
    contract: ServiceContract | None

    @property
    def label(self) -> str:
        return str(_("收支分离（酬金制或自管）")) if self.mode == SEPARATED else str(_("包干制（仅公开收费）"))


def books(estate: Estate, on: date) -> Books | None:
    """Who keeps the estate's books on ``on``, and how; None when nobody manages it."""
    contract = ServiceContract.objects.in_force(on).filter(estate=estate).select_related("company").first()
    if contract is not None:
        mode = SEPARATED if contract.mode == ContractMode.REMUNERATION else COLLECTION
        return Books(mode, contract.company.name, contract)
    if SelfManagementPeriod.objects.in_force(on).filter(estate=estate).exists():
        return Books(SEPARATED, f"{estate.name}{_('业主自管会')}", None)
    return None


def committee_of(estate: Estate) -> Committee | None:
    return Committee.objects.filter(estate=estate, status__in=ACTIVE).order_by("-elected_on", "-pk").first()


# --------------------------------------------------------------------------- bills


def with_paid(bills):
    """Annotate ``paid_total`` (allocated so far) and ``open_amount`` (still owed) on a bill
    queryset, in the same query; ``Bill.paid`` and ``Bill.owed`` read them to the cent.
    Filter on ``open_amount`` (SQLite returns computed decimals unrounded)."""
    paid = Allocation.objects.filter(bill=OuterRef("pk")).values("bill").annotate(total=Sum("amount")).values("total")
    return bills.annotate(
        paid_total=Coalesce(Subquery(paid, output_field=money_field("")), Value(ZERO), output_field=money_field(""))
    ).annotate(open_amount=ExpressionWrapper(F("amount") - F("paid_total"), output_field=money_field("")))


def bills_of_owner(owner: Owner):
    """Bills for the days this owner held the unit (alone or with co-owners), newest first."""
    held = Ownership.objects.filter(owner=owner, unit=OuterRef("unit"), started_on__lte=OuterRef("starts_on")).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("ends_on"))
    )
    return with_paid(
        Bill.objects.filter(Exists(held))
        .select_related("unit__building__estate", "item")
        .prefetch_related("allocations__payment")
    ).order_by("-period", "unit_id", "item_id")


def payments_of_owner(owner: Owner):
    """Payments received for a unit while this owner held it."""
    held = Ownership.objects.filter(owner=owner, unit=OuterRef("unit"), started_on__lte=OuterRef("paid_on")).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("paid_on"))
    )
    return Payment.objects.filter(Exists(held)).select_related("unit__building__estate").order_by("-paid_on", "-pk")


def sees_owner_names(user, obj) -> bool:
    """Whoever collects the fees needs the owners' names; other staff without
    view_personal_data (a committee beside a company, a mediator) see them masked."""
    return access.can(user, access.KEEP_ACCOUNTS, obj) or access.can(user, access.PERSONAL, obj)


def may_see_payment(user, payment: Payment) -> bool:
    """The owner who paid (for the unit they held that day), or staff entitled to owners' names."""
    owner = getattr(user, "owner", None) if user.is_authenticated else None
    if owner is not None and payments_of_owner(owner).filter(pk=payment.pk).exists():
        return True
    return sees_owner_names(user, payment)


def unit_bills(unit):
    return (
        with_paid(Bill.objects.filter(unit=unit).select_related("item"))
        .prefetch_related("allocations__payment")
        .order_by("-period", "item_id", "starts_on")
    )


@dataclass
class Arrears:
    unit_id: int
    unit: str
    addressee: str
    owed: Decimal
    bills: int
    since: date


def arrears(estate: Estate) -> list[Arrears]:
    """Units with open bills, largest debt first: one query however many bills."""
    rows = (
        with_paid(Bill.objects.filter(estate=estate))
        .filter(open_amount__gt=0)
        .values_list("unit_id", "unit__building__name", "unit__room", "addressee", "open_amount", "period")
        .order_by("unit_id", "period")
    )
    found: dict[int, Arrears] = {}
    for unit_id, building, room, addressee, owed, period in rows:
        owed = Decimal(owed).quantize(ZERO)
        entry = found.get(unit_id)
        if entry is None:
            found[unit_id] = Arrears(unit_id, f"{building}-{room}", addressee, owed, 1, period)
        else:
            entry.owed += owed
            entry.bills += 1
            if addressee and addressee not in entry.addressee.split("、"):
                entry.addressee += f"、{addressee}"
    return sorted(found.values(), key=lambda a: (-a.owed, a.unit))


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Row:
    ledger: str
    voucher: str
    date: date
    category: str
    description: str
    counterparty: str
    amount: Decimal

    def as_list(self) -> list[str]:
        return [
            self.ledger,
            self.voucher,
            self.date.isoformat(),
            self.category,
            self.description,
            self.counterparty,
            str(self.amount),
        ]


@dataclass(frozen=True)
class Total:
    ledger: str
    label: str
    amount: Decimal


@dataclass
class StatementData:
    estate: str
    code: str
    start: date
    end: date
    label: str
    keeper: str
    mode: str
    rows: list[Row]
    opening: Decimal | None
    category_totals: list[Total] = field(default_factory=list)
    income_total: Decimal = ZERO
    spending_total: Decimal = ZERO
    closing: Decimal | None = None
    fingerprint: str = ""

    @property
    def mode_label(self) -> str:
        return str(_("收支分离")) if self.mode == SEPARATED else str(_("包干制，仅公开收费"))

    def rows_of(self, ledger: str) -> list[Row]:
        label = str(Ledger(ledger).label)
        return [row for row in self.rows if row.ledger == label]

    def payload(self) -> dict:
        return {
            "estate": self.code,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "mode": self.mode,
            "opening": None if self.opening is None else str(self.opening),
            "rows": [row.as_list() for row in self.rows],
        }


def statement(estate: Estate, start: date, end: date, *, kind: str | None = None) -> StatementData:
    """Every entry dated in [start, end], totals by category, and the balance before and after.

    In a 包干制 estate only the collection (income ledger) is shown, with no balance:
    the money is the company's. Two queries.
    """
    keeper = books(estate, end)
    mode = keeper.mode if keeper else SEPARATED
    ledgers = [Ledger.INCOME] if mode == COLLECTION else [Ledger.INCOME, Ledger.EXPENDITURE]
    entries = (
        LedgerEntry.objects.filter(estate=estate, ledger__in=ledgers, entry_date__range=(start, end))
        .order_by("ledger", "year", "number")
        .values_list("ledger", "year", "number", "entry_date", "category", "description", "counterparty", "amount")
    )
    labels = {c.value: str(c.label) for c in Category}
    ledger_labels = {lg.value: str(lg.label) for lg in Ledger}
    rows = [
        Row(ledger_labels[lg], voucher(lg, year, number), day, labels[cat], desc, party, amount)
        for lg, year, number, day, cat, desc, party, amount in entries
    ]
    # income first, then expenditure (the ledger codes sort the other way)
    rows.sort(key=lambda r: (r.ledger != ledger_labels[Ledger.INCOME],))
    opening = None
    if mode == SEPARATED:
        before = LedgerEntry.objects.filter(estate=estate, entry_date__lt=start).aggregate(
            income=Sum("amount", filter=Q(ledger=Ledger.INCOME)),
            spending=Sum("amount", filter=Q(ledger=Ledger.EXPENDITURE)),
        )
        opening = ((before["income"] or ZERO) - (before["spending"] or ZERO)).quantize(ZERO)
    data = StatementData(
        estate=estate.name,
        code=estate.code,
        start=start,
        end=end,
        label=period_label(kind, start) if kind else f"{start.isoformat()} — {end.isoformat()}",
        keeper=keeper.keeper if keeper else "",
        mode=mode,
        rows=rows,
        opening=opening,
    )
    sums: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        sums[(row.ledger, row.category)] = sums.get((row.ledger, row.category), ZERO) + row.amount
    data.category_totals = [Total(lg, cat, amount) for (lg, cat), amount in sums.items()]
    data.income_total = sum((r.amount for r in data.rows_of(Ledger.INCOME)), ZERO)
    data.spending_total = sum((r.amount for r in data.rows_of(Ledger.EXPENDITURE)), ZERO)
    if opening is not None:
        data.closing = opening + data.income_total - data.spending_total
    data.fingerprint = fingerprint(data.payload())
    return data


def verify_url(base_url: str, data: StatementData) -> str:
    path = reverse("fees:verify", args=[data.code, data.start.isoformat(), data.end.isoformat()])
    return f"{base_url.rstrip('/')}{path}?{urlencode({'fp': data.fingerprint})}"


def ledger_page(estate: Estate, ledger: str, *, limit: int = 200):
    """The latest entries of one ledger, with what each reverses; and the balance from all of them."""
    entries = (
        LedgerEntry.objects.filter(estate=estate, ledger=ledger)
        .select_related("reverses", "recorded_by")
        .annotate(reversed=Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
        .order_by("-year", "-number")[:limit]
    )
    total = LedgerEntry.objects.filter(estate=estate, ledger=ledger).aggregate(total=Sum("amount"))["total"] or ZERO
    return entries, total.quantize(ZERO)
