"""Reads for fees: estates and price lists, who keeps the books, bills and arrears,
payments and letters, ledgers, expenditures and statements.

A statement (``statement``) is the single reading of a period's ledgers: the
PDF prints it, the fingerprint hashes it, and the verify page recomputes it
from the live entries. Each list here runs a fixed number of queries. The pages
(fees.views, fees.fund.views) read through these functions and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from committees.models import Committee, Member
from committees.selectors import ACTIVE, least_to_meet, seated
from community import access
from community.backup import Fingerprint
from community.models import (
    ContractMode,
    Estate,
    Owner,
    Ownership,
    SelfManagementPeriod,
    ServiceContract,
    Unit,
    in_force_q,
    money_field,
)
from community.pdf import VerifyLink, fingerprint
from community.pdf import verify_link as pdf_verify_link
from community.privacy import mask_name
from community.rules import rules_for
from community.tenure.selectors import contract_in_force

from .models import (
    Allocation,
    Bill,
    BillingRun,
    Category,
    DemandLetter,
    Expenditure,
    FeeSchedule,
    Ledger,
    LedgerEntry,
    Payment,
    Statement,
    Subject,
    period_label,
    voucher,
)

ZERO = Decimal("0.00")

# --------------------------------------------------------------------------- estates and price lists


def public_estates():
    """Estates for the public pages (price board, statements, verify), with their community."""
    return Estate.objects.select_related("grid__community")


def estate_or_404(user, pk: int) -> Estate:
    """An estate ``user`` may see, for the staff pages of fees and of the fund; the same 404
    whether it exists elsewhere or not."""
    return access.get_visible_or_404(
        user, access.VIEW, Estate.objects.select_related("grid__community__street__district"), pk=pk
    )


def fee_estates(user, *, limit: int = 200):
    """The fee workspace's estates: those the user may see that have a price list, and those
    whose books the user keeps."""
    keep = access.visible(user, access.KEEP_ACCOUNTS, Estate.objects.all()).values("pk")
    return (
        access.visible(user, access.VIEW, Estate.objects.select_related("grid__community"))
        .filter(Q(Exists(FeeSchedule.objects.filter(estate=OuterRef("pk")))) | Q(pk__in=keep))
        .order_by("code")[:limit]
    )


def units_of(estate: Estate):
    """The estate's units with their building, for fetching one by its id."""
    return Unit.objects.select_related("building").filter(building__estate=estate)


def schedule_in_force(estate: Estate, on: date) -> FeeSchedule | None:
    return FeeSchedule.objects.filter(estate=estate, effective_from__lte=on).order_by("-effective_from").first()


def schedules(estate: Estate, today: date):
    """The price list in force ``today`` and those announced to come (with their items)."""
    upcoming = (
        FeeSchedule.objects.filter(estate=estate, effective_from__gt=today)
        .prefetch_related("items")
        .order_by("effective_from")
    )
    return schedule_in_force(estate, today), upcoming


def billing_runs(estate: Estate, *, limit: int = 12) -> list[BillingRun]:
    return list(BillingRun.objects.filter(estate=estate).order_by("-period", "-started_at")[:limit])


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
    contract = contract_in_force(estate, on)
    if contract is not None:
        mode = SEPARATED if contract.mode == ContractMode.REMUNERATION else COLLECTION
        return Books(mode, contract.company.name, contract)
    if SelfManagementPeriod.objects.in_force(on).filter(estate=estate).exists():
        return Books(SEPARATED, f"{estate.name}{_('业主自管会')}", None)
    return None


def committee_of(estate: Estate) -> Committee | None:
    return Committee.objects.filter(estate=estate, status__in=ACTIVE).order_by("-elected_on", "-pk").first()


def seats(committee: Committee | None):
    """The committee's seated members with their owners, who may approve an expenditure (none without a committee)."""
    return seated(committee).select_related("owner") if committee else Member.objects.none()


# --------------------------------------------------------------------------- bills


def with_paid(bills):
    """Annotate ``paid_total`` (allocated so far) and ``open_amount`` (still owed) on a bill
    queryset, in the same query; ``Bill.paid`` and ``Bill.owed`` read them to the cent.
    Filter on ``open_amount`` (SQLite returns computed decimals unrounded)."""
    paid = Allocation.objects.filter(bill=OuterRef("pk")).values("bill").annotate(total=Sum("amount")).values("total")
    return bills.annotate(
        paid_total=Coalesce(Subquery(paid, output_field=money_field("")), Value(ZERO), output_field=money_field(""))
    ).annotate(open_amount=ExpressionWrapper(F("amount") - F("paid_total"), output_field=money_field("")))


def _held_over_bill():
    """A holding of the bill's unit over all of the bill's days (for Exists; filter it by owner)."""
    return Ownership.objects.filter(unit=OuterRef("unit"), started_on__lte=OuterRef("starts_on")).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("ends_on"))
    )


def _owner_bills(condition):
    return with_paid(
        Bill.objects.filter(condition)
        .select_related("unit__building__estate", "item")
        .prefetch_related("allocations__payment")
    ).order_by("-period", "unit_id", "item_id")


def bills_of_owner(owner: Owner, on: date | None = None):
    """Bills for the days this owner held the unit (alone or with co-owners), newest first, of
    the units the owner holds on ``on`` (today): from the day after a holding ends (a sale, an
    import naming new owners) its bills leave the owner's page; their payments and receipts
    stay (``payments_of_owner``). One query (and the prefetch)."""
    holds_now = Ownership.objects.in_force(on or timezone.localdate()).filter(owner=owner, unit=OuterRef("unit"))
    return _owner_bills(Exists(_held_over_bill().filter(owner=owner)) & Exists(holds_now))


def bills_of_holdings(pairs, on: date | None = None):
    """The bills ``bills_of_owner`` gives each owner for each unit of ``pairs`` ((unit, owner)
    pairs: the units a household member may read, each for its sharing owner's holding).
    One query (and the prefetch), however many pairs."""
    pairs = [(getattr(u, "pk", u), getattr(o, "pk", o)) for u, o in pairs]
    if not pairs:
        return Bill.objects.none()
    which = Q()
    for unit_id, owner_id in pairs:
        which |= Q(unit_id=unit_id, owner_id=owner_id)
    holds_now = Ownership.objects.in_force(on or timezone.localdate()).filter(which, unit=OuterRef("unit"))
    return _owner_bills(
        Q(unit__in=[u for u, _o in pairs]) & Exists(_held_over_bill().filter(which)) & Exists(holds_now)
    )


def owners_of_bills(bills):
    """Whom ``bills`` are addressed to: each owner (co-owners each) who held a bill's unit over
    all of its days (whether or not they hold it today: arrears stay addressed to the seller).
    One query, however many bills.

    The holding and the bill meet in one join on the unit (one filter() call, so one join):
    a correlated EXISTS over ``bills`` let SQLite walk the whole run's bills once per
    holding, which grew with the square of the estate."""
    held = Ownership.objects.filter(
        Q(unit__bills__in=bills)
        & Q(unit__bills__starts_on__gte=F("started_on"))
        & (Q(ended_on__isnull=True) | Q(unit__bills__ends_on__lte=F("ended_on")))
    )
    return Owner.objects.filter(pk__in=held.values("owner")).only("pk", "user_id", "mobile").order_by("pk")


def owners_on(unit: Unit, day: date):
    """The unit's owners (co-owners each) on ``day``."""
    return (
        Owner.objects.filter(in_force_q(day, "ownerships__"), ownerships__unit=unit)
        .only("pk", "user_id", "mobile")
        .distinct()
        .order_by("pk")
    )


@dataclass
class BillMonth:
    """One unit's bills of one billing period (账期): the lines an owner reads as one card."""

    unit: Unit
    period: date
    lines: list[Bill] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.lines), ZERO)

    @property
    def owed(self) -> Decimal:
        return sum((b.owed for b in self.lines), ZERO)

    @property
    def receipts(self) -> list[Payment]:
        """The payments that settled this month's lines, each once, in the order paid."""
        seen = {}
        for bill in self.lines:
            for allocation in bill.allocations.all():
                seen.setdefault(allocation.payment.pk, allocation.payment)
        return sorted(seen.values(), key=lambda p: (p.paid_on, p.pk))


@dataclass
class BillYear:
    year: int
    months: list[BillMonth]

    @property
    def total(self) -> Decimal:
        return sum((m.total for m in self.months), ZERO)


@dataclass
class BillBook:
    """An owner's bills as they read them: the months still owed (oldest first, the order a
    payment settles them), then the months paid in full by year (newest first)."""

    bills: list[Bill]
    open_months: list[BillMonth]
    paid_years: list[BillYear]
    cut: bool  # older paid months were left out (past ``limit`` lines)

    @property
    def owed(self) -> Decimal:
        return sum((m.owed for m in self.open_months), ZERO)

    @property
    def months(self) -> int:
        return len(self.open_months) + sum(len(y.months) for y in self.paid_years)


def bill_book(bills, *, limit: int = 240) -> BillBook:
    """Group ``bills`` (``bills_of_owner`` or ``bills_of_holdings``) by unit and month. The months
    with something still owed come first in the one query, so ``limit`` lines only ever cut the
    oldest paid history, and a month cut in half is left out whole. One query (and the prefetch),
    however many bills."""
    month_open = Exists(
        with_paid(Bill.objects.filter(unit=OuterRef("unit"), period=OuterRef("period"))).filter(open_amount__gt=0)
    )
    rows = list(
        bills.annotate(month_open=month_open).order_by("-month_open", "-period", "unit_id", "item_id")[: limit + 1]
    )
    cut = len(rows) > limit
    months: dict[tuple[int, date], BillMonth] = {}
    for bill in rows[:limit]:
        months.setdefault((bill.unit_id, bill.period), BillMonth(bill.unit, bill.period)).lines.append(bill)
    grouped = list(months.values())
    if cut and grouped and not grouped[-1].owed:
        grouped.pop()  # its other lines lie past the limit
    open_months = sorted((m for m in grouped if m.owed > 0), key=lambda m: (m.period, m.unit.pk))
    years: dict[int, list[BillMonth]] = {}
    for month in grouped:
        if month.owed <= 0:
            years.setdefault(month.period.year, []).append(month)
    shown = [b for m in grouped for b in m.lines]
    return BillBook(shown, open_months, [BillYear(y, ms) for y, ms in sorted(years.items(), reverse=True)], cut)


def pay_contacts(*, owner: Owner | None = None, unit_ids=(), on: date | None = None) -> list[Estate]:
    """Whom an owner pays, and asks about a wrong bill, per estate where ``owner`` holds a unit on
    ``on`` (today) or of ``unit_ids``: the estate with its community, ``company_name`` and
    ``company_phone`` of the property company under contract that day (or None), and
    ``has_committee`` (an active owners' committee). One query, however many estates."""
    on = on or timezone.localdate()
    which = Q(buildings__units__in=list(unit_ids))
    if owner is not None:
        which |= Q(buildings__units__ownerships__in=Ownership.objects.in_force(on).filter(owner=owner))
    contract = ServiceContract.objects.in_force(on).filter(estate=OuterRef("pk")).order_by("-starts_on", "-pk")
    return list(
        Estate.objects.filter(pk__in=Estate.objects.filter(which).values("pk"))
        .select_related("grid__community")
        .annotate(
            company_name=Subquery(contract.values("company__name")[:1]),
            company_phone=Subquery(contract.values("company__phone")[:1]),
            has_committee=Exists(Committee.objects.filter(estate=OuterRef("pk"), status__in=ACTIVE)),
        )
        .order_by("name", "pk")
    )


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


def open_bills(unit):
    """The unit's bills still owed, oldest first: what a payment may settle."""
    return (
        with_paid(Bill.objects.filter(unit=unit).select_related("item"))
        .filter(open_amount__gt=0)
        .order_by("period", "starts_on")
    )


def unit_payments(unit) -> list[Payment]:
    return list(Payment.objects.filter(unit=unit).select_related("ledger_entry").order_by("-paid_on", "-pk"))


def recent_payments(estate: Estate, *, limit: int = 20):
    return Payment.objects.filter(estate=estate).select_related("unit__building").order_by("-recorded_at")[:limit]


def receipts():
    """Payments with what a receipt prints (the estate, the ledger entry, who took the money); fetch one by its id."""
    return Payment.objects.select_related("unit__building__estate", "ledger_entry", "recorded_by")


@dataclass
class ReceiptCheck:
    """Where a receipt's QR code leads (``receipt_check``)."""

    link: VerifyLink
    start: date
    end: date
    published: bool  # a published statement covers the payment: the link carries its fingerprint


def receipt_check(base_url: str, payment: Payment) -> ReceiptCheck:
    """A receipt has no public page of its own (one would show an owner's unit to anyone), so its QR
    code opens the estate's public statement page for the period its ledger entry is in: the
    shortest published fee statement covering that day, with its fingerprint, or else the
    month's live books (the page then shows the figures without a verdict)."""
    entry = getattr(payment, "ledger_entry", None)
    day = entry.entry_date if entry is not None else payment.paid_on
    covering = Statement.objects.filter(
        estate_id=payment.estate_id, subject=Subject.FEES, starts_on__lte=day, ends_on__gte=day
    )
    statement = min(covering, key=lambda s: (s.ends_on - s.starts_on, s.pk), default=None)
    if statement is not None:
        start, end, fp = statement.starts_on, statement.ends_on, statement.fingerprint
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        fp = ""
    path = reverse("fees:verify", args=[payment.unit.building.estate.code, start.isoformat(), end.isoformat()])
    return ReceiptCheck(pdf_verify_link(base_url, path, fp), start, end, statement is not None)


def receipt_lines(payment: Payment):
    """What a payment settled, bill by bill, oldest first."""
    return payment.allocations.select_related("bill__item").order_by("bill__period", "bill__starts_on")


def demand_letters(unit):
    return DemandLetter.objects.filter(unit=unit)


def letters():
    """Demand letters with their estate and unit; fetch one by its id."""
    return DemandLetter.objects.select_related("estate__grid__community", "unit__building")


@dataclass(frozen=True)
class Contact:
    """Whom an owner holding a demand letter gets in touch with (``letter_contact``)."""

    name: str
    phone: str
    address: str
    hotline: str


def letter_contact(letter: DemandLetter) -> Contact:
    """The company serving the estate on the day the letter was issued, with its phone and its
    service address (the estate's: the registry keeps no office address for a company); without
    one, the owners' committee; without that, the community office. And the rule set's citizens'
    hotline (12345), for an owner who disputes the demand or the service."""
    estate = letter.estate
    hotline = rules_for(estate).service_hotline
    on = timezone.localdate(letter.issued_at)
    contract = contract_in_force(estate, on)
    if contract is not None:
        return Contact(contract.company.name, contract.company.phone, estate.address, hotline)
    if committee_of(estate) is not None:
        return Contact(f"{estate.name}{_('业主委员会')}", "", estate.address, hotline)
    return Contact(f"{estate.community.name}{_('居民委员会')}", "", "", hotline)


def letter_bills(letter: DemandLetter):
    return with_paid(letter.bills.select_related("item")).order_by("period", "starts_on")


@dataclass
class Arrears:
    """A unit's unpaid bills as one row: whom they are addressed to (each owner once, in the
    order the bills first name them), how many bills, over which months, and the total owed."""

    unit_id: int
    unit: str
    addressee: str
    owed: Decimal
    bills: int
    since: date
    months: list[date] = field(default_factory=list)

    @property
    def until(self) -> date:
        return self.months[-1] if self.months else self.since


def arrears(estate: Estate) -> list[Arrears]:
    """Units with open bills, largest debt first: one row per unit however many bills it
    owes, in one query however many bills."""
    rows = (
        with_paid(Bill.objects.filter(estate=estate))
        .filter(open_amount__gt=0)
        .values_list("unit_id", "unit__building__name", "unit__room", "addressee", "open_amount", "period")
        .order_by("unit_id", "period")
    )
    found: dict[int, Arrears] = {}
    names: dict[int, list[str]] = {}
    for unit_id, building, room, addressee, owed, period in rows:
        owed = Decimal(owed).quantize(ZERO)
        entry = found.get(unit_id)
        if entry is None:
            entry = found[unit_id] = Arrears(unit_id, f"{building}-{room}", "", ZERO, 0, period)
            names[unit_id] = []
        entry.owed += owed
        entry.bills += 1
        if period not in entry.months:
            entry.months.append(period)
        # A bill names its co-owners joined by 、; each owner is listed once per unit.
        for name in addressee.split("、"):
            if name and name not in names[unit_id]:
                names[unit_id].append(name)
    for unit_id, entry in found.items():
        entry.addressee = "、".join(names[unit_id])
    return sorted(found.values(), key=lambda a: (-a.owed, a.unit))


@dataclass(frozen=True)
class MemberFees:
    """A seated committee member's own fee status, as the public may read it when the rule set
    publishes it (RULES.md §6): the member's role, the masked name, and what they still owe."""

    role: str
    name: str
    owed: Decimal
    bills: int

    @property
    def paid_up(self) -> bool:
        return self.bills == 0


def committee_fee_status(estate: Estate, on: date | None = None) -> list[MemberFees] | None:
    """Each seated member's unpaid bills on the units they hold (the bills ``bills_of_owner``
    gives them), or None when the rule set keeps this private (``publish_committee_fee_status``)
    or the estate has no sitting committee. Two queries and one per member (5 to 11)."""
    if not rules_for(estate).publish_committee_fee_status:
        return None
    members = list(seats(committee_of(estate)).order_by("role", "pk"))
    if not members:
        return None
    found = []
    for member in members:
        totals = (
            bills_of_owner(member.owner, on).filter(open_amount__gt=0).aggregate(n=Count("pk"), owed=Sum("open_amount"))
        )
        found.append(
            MemberFees(
                member.get_role_display(),
                mask_name(member.owner.name),
                Decimal(totals["owed"] or 0).quantize(ZERO),
                totals["n"],
            )
        )
    return found


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


def published_statements(estate: Estate, subject: str):
    """The estate's published statements of one subject (fees or fund), latest period first."""
    return Statement.objects.filter(estate=estate, subject=subject).order_by("-ends_on", "kind")


def statement_files():
    """Published statements with their estate; fetch one by its id to serve its PDF."""
    return Statement.objects.select_related("estate")


def published_statement(estate: Estate, subject: str, start: date, end: date) -> Statement | None:
    """The statement published for exactly [start, end], if any (the verify page names it)."""
    return Statement.objects.filter(estate=estate, subject=subject, starts_on=start, ends_on=end).first()


def statement_fingerprints():
    """Every published fee statement: the fingerprint it was published with, and the one its
    period's rows give now, read as the verify page reads them (the backup and its drill)."""
    for record in Statement.objects.filter(subject=Subject.FEES).select_related("estate").order_by("pk"):
        live = statement(record.estate, record.starts_on, record.ends_on, kind=record.kind)
        yield Fingerprint(
            f"fees.statement:{record.pk}", f"{record.estate.name} {record.label}", live.fingerprint, record.fingerprint
        )


def verify_link(base_url: str, data: StatementData) -> VerifyLink:
    """Where the statement is checked: the address printed under it and the QR code's link."""
    path = reverse("fees:verify", args=[data.code, data.start.isoformat(), data.end.isoformat()])
    return pdf_verify_link(base_url, path, data.fingerprint)


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


def entries_of(estate: Estate):
    """The estate's ledger entries, for fetching one by its id (to reverse it)."""
    return LedgerEntry.objects.filter(estate=estate)


# --------------------------------------------------------------------------- expenditure


def expenditures_of(estate: Estate, *, limit: int = 100):
    return (
        Expenditure.objects.filter(estate=estate)
        .select_related("ledger_entry", "requested_by")
        .order_by("-requested_at")[:limit]
    )


def visible_expenditure(user, pk: int) -> Expenditure:
    """An expenditure ``user`` may see, with its estate and vote; 404 otherwise."""
    return access.get_visible_or_404(user, access.VIEW, Expenditure.objects.select_related("estate", "vote"), pk=pk)


def expenditure_applicant(expenditure: Expenditure) -> str:
    """Who asked to spend: the account that filed the request, with the keeper of the books on
    that day (the property company, or the owners' self-management) beside it; the keeper alone
    when no account is recorded (a request brought in by the demo or an import); "" if neither."""
    keeper = books(expenditure.estate, timezone.localtime(expenditure.requested_at).date())
    keeper_name = keeper.keeper if keeper else ""
    user = expenditure.requested_by
    if user is None:
        return keeper_name
    name = user.get_full_name() or user.get_username()
    return f"{name}（{keeper_name}）" if keeper_name and keeper_name != name else name


def expenditure_entry(expenditure: Expenditure) -> LedgerEntry | None:
    """The entry that posted the expenditure, once approved."""
    return LedgerEntry.objects.filter(expenditure=expenditure).first()


@dataclass
class Agreement:
    """The committee members' own agreements to a decision they take together (an expenditure, a
    payout the committee clears): each member, confirmed or still to confirm, and how many must."""

    consents: list
    confirmed: int
    needed: int | None
    total: int


def agreement(consents, threshold, total: int) -> Agreement:
    rows = list(consents.select_related("member__owner"))
    confirmed = sum(1 for c in rows if c.confirmed_at is not None)
    return Agreement(rows, confirmed, least_to_meet(threshold, total), total)


def expenditure_agreement(expenditure: Expenditure) -> Agreement | None:
    """The members' agreements to an expenditure, against the members counted at its decision."""
    if expenditure.decided_at is None:
        return None
    return agreement(
        expenditure.consents.all(), rules_for(expenditure.estate).expenditure_approval, expenditure.members_total or 0
    )
