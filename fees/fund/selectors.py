"""Reads for the maintenance fund: accounts and use requests as the pages list them, balances,
top-up alerts, a sub-account's history, the annual statement. Each runs a fixed number of
queries, whatever the number of units; none of them writes, and none imports the services.

Balances are summed from the fund ledger's entries. SQLite hands sums of decimals back
as floats, so every sum is read as whole cents (rounded in the database) and compared
in integers: a balance of exactly 30% of the first deposit is not below it, on either
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import BigIntegerField, Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Round
from django.urls import reverse

from committees import selectors as committee_selectors
from committees.models import Matter
from community import access
from community.backup import Fingerprint
from community.models import Estate, Owner, Ownership, Unit, in_force_q
from community.pdf import VerifyLink, fingerprint
from community.pdf import verify_link as pdf_verify_link
from community.rules import rules_for

from ..apportion import yuan
from ..models import (
    Category,
    ChargedUnit,
    FundAccount,
    FundUse,
    FundUseKind,
    FundUseStatus,
    FundUseStep,
    Ledger,
    LedgerEntry,
    Statement,
    SubAccount,
    Subject,
)
from ..selectors import Agreement, agreement, committee_of

ZERO = Decimal("0.00")
IN = {Category.FUND_DEPOSIT, Category.FUND_TOPUP}
EARNED = {Category.FUND_INTEREST, Category.FUND_INCOME}


S = FundUseStatus

# --------------------------------------------------------------------------- accounts and use requests, for the pages


def find_account(estate: Estate) -> FundAccount | None:
    """The estate's special account, or None before one is opened."""
    return FundAccount.objects.filter(estate=estate).first()


def has_account(estate: Estate) -> bool:
    return FundAccount.objects.filter(estate=estate).exists()


def workspace_estates(user, *, limit: int = 200) -> list[Estate]:
    """Estates with an account that ``user`` may see, each with ``open_uses`` and ``alerts``
    (sub-accounts needing a top-up): two queries, whatever the number of estates."""
    estates = list(
        # down to the district's rule set: alert_counts asks each estate's top-up share
        access.visible(
            user,
            access.VIEW,
            Estate.objects.select_related("grid__community__street__district__rule_set", "fund_account"),
        )
        .filter(fund_account__isnull=False)
        .annotate(open_uses=Count("fund_uses", filter=~Q(fund_uses__status__in=[S.SETTLED, S.FAILED])))
        .order_by("code")[:limit]
    )
    counts = alert_counts(estates)
    for estate in estates:
        estate.alerts = counts.get(estate.pk, 0)
    return estates


def review_queue(user, today: date, *, limit: int = 100):
    """Payout applications waiting for ``user`` as the fund's keeper: the housing department's
    before the hand-over, the committee's after."""
    review = access.visible(user, access.REVIEW_FUND, Estate.objects.all()).filter(
        Q(fund_account__handed_over_on__isnull=True) | Q(fund_account__handed_over_on__gt=today)
    )
    committee = access.visible(user, access.APPROVE_SPENDING, Estate.objects.all()).filter(
        fund_account__handed_over_on__lte=today
    )
    return (
        FundUse.objects.filter(status__in=[S.APPLIED, S.CLEARED])
        .filter(Q(estate__in=review) | Q(estate__in=committee))
        .select_related("estate")
        .order_by("created_at")[:limit]
    )


def subaccount_count(account: FundAccount) -> int:
    return account.subaccounts.count()


def unit_count(estate: Estate) -> int:
    return Unit.objects.filter(building__estate=estate).count()


def uses_of(estate: Estate, *, limit: int = 100):
    """The estate's use requests, newest first, each with ``n`` charged units."""
    return (
        FundUse.objects.filter(estate=estate)
        .select_related("vote")
        .annotate(n=Count("charged"))
        .order_by("-created_at")[:limit]
    )


def paid_emergencies(estate: Estate):
    """Emergency uses paid out and not yet settled: those whose publication may be overdue."""
    return FundUse.objects.filter(estate=estate, status=S.PAID, emergency=True)


def visible_use(user, pk: int) -> FundUse:
    """A use request ``user`` may see, with what its page shows; 404 otherwise."""
    return access.get_visible_or_404(
        user,
        access.VIEW,
        FundUse.objects.select_related("estate", "vote", "plan_notice", "settlement_notice", "created_by"),
        pk=pk,
    )


def steps(use: FundUse) -> list[FundUseStep]:
    return list(use.steps.select_related("by"))


def payout_agreement(use: FundUse) -> Agreement | None:
    """The members' agreements to clearing this payout, against all seated members (None when none were recorded)."""
    if not use.consents.exists():
        return None
    committee = committee_of(use.estate)
    total = committee_selectors.seated(committee).count() if committee else 0
    return agreement(use.consents.all(), rules_for(use.estate).expenditure_approval, total)


def charged_count(use: FundUse) -> int:
    return use.charged.count()


def pending_reviews(estate: Estate):
    """The party branch's reviews of fund uses that no vote has used yet."""
    return committee_selectors.pending_reviews(estate).filter(matter=Matter.FUND_USE)


def units_by_pk(pks) -> list[Unit]:
    return list(Unit.objects.filter(pk__in=pks))


def subaccount_of(unit: Unit) -> SubAccount | None:
    """The unit's sub-account, or None (read through the unit, which keeps it for later use)."""
    return getattr(unit, "fund_subaccount", None)


def unit_entries(unit: Unit):
    """The unit's ledger entries, for fetching one by its id (to reverse it)."""
    return unit.fund_entries.all()


# --------------------------------------------------------------------------- balances


def _cents(expression):
    """A money expression as whole cents (0 when there is nothing to sum)."""
    return Cast(Round(Coalesce(expression, Value(ZERO)) * Value(100)), BigIntegerField())


def _unit_sum(**filters):
    rows = (
        LedgerEntry.objects.filter(ledger=Ledger.FUND, unit=OuterRef("unit"), **filters)
        .values("unit")
        .annotate(t=Sum("amount"))
        .values("t")
    )
    return _cents(Subquery(rows))


def balance_of(unit: Unit) -> Decimal:
    total = LedgerEntry.objects.filter(ledger=Ledger.FUND, unit=unit).aggregate(t=_cents(Sum("amount")))["t"]
    return yuan(total or 0)


def balances_on(account: FundAccount, on: date) -> dict[int, Decimal]:
    """{unit id: balance} of every sub-account, counting entries dated up to ``on``."""
    rows = (
        LedgerEntry.objects.filter(ledger=Ledger.FUND, estate=account.estate, entry_date__lte=on)
        .values("unit_id")
        .annotate(c=_cents(Sum("amount")))
        .values_list("unit_id", "c")
    )
    found = {unit_id: yuan(c) for unit_id, c in rows}
    return {
        unit_id: found.get(unit_id, ZERO)
        for unit_id in SubAccount.objects.filter(account=account).values_list("unit_id", flat=True)
    }


def needs_top_up(balance: Decimal, first_deposit: Decimal, share: Fraction) -> bool:
    """Art. 17: a sub-account below ``share`` of its first deposit must be topped up. Exact."""
    return Fraction(balance) < share * Fraction(first_deposit)


def subaccounts(account: FundAccount):
    """The account's sub-accounts with ``balance_cents`` and ``first_cents`` (one query)."""
    return (
        SubAccount.objects.filter(account=account)
        .select_related("unit__building")
        .annotate(balance_cents=_unit_sum(), first_cents=_cents(F("first_deposit")))
        .order_by("unit__building__name", "unit__room")
    )


def alerts(account: FundAccount):
    """Sub-accounts below the rule set's share of their first deposit, lowest share first."""
    share = rules_for(account.estate).fund_topup_below
    return (
        subaccounts(account)
        .annotate(shortfall=F("balance_cents") * Value(share.denominator) - F("first_cents") * Value(share.numerator))
        .filter(shortfall__lt=0)
        .order_by("shortfall", "unit__building__name", "unit__room")
    )


def owners_needing_top_up(account: FundAccount, on: date):
    """The owners on ``on`` (co-owners each) of the units whose sub-account needs a top-up (one query)."""
    return (
        Owner.objects.filter(in_force_q(on, "ownerships__"), ownerships__unit__in=alerts(account).values("unit"))
        .only("pk", "user_id", "mobile")
        .distinct()
        .order_by("pk")
    )


def alert_counts(estates) -> dict[int, int]:
    """{estate id: sub-accounts needing a top-up} for many estates in one query, each estate
    with its own rule set's share (grouped by share, so still one query per distinct rule)."""
    by_share: dict[Fraction, list[int]] = {}
    for estate in estates:
        by_share.setdefault(rules_for(estate).fund_topup_below, []).append(estate.pk)
    counts: dict[int, int] = {}
    for share, ids in by_share.items():
        rows = (
            SubAccount.objects.filter(account__estate__in=ids)
            .annotate(balance_cents=_unit_sum(), first_cents=_cents(F("first_deposit")))
            .annotate(
                shortfall=F("balance_cents") * Value(share.denominator) - F("first_cents") * Value(share.numerator)
            )
            .filter(shortfall__lt=0)
            .values("account__estate")
            .annotate(n=Count("pk"))
            .values_list("account__estate", "n")
        )
        counts.update(rows)
    return counts


def estate_totals(account: FundAccount) -> dict[str, Decimal]:
    """Deposits, income, uses, refunds and the balance of the whole account (one query)."""
    entries = LedgerEntry.objects.filter(ledger=Ledger.FUND, estate=account.estate)
    sums = entries.aggregate(
        deposits=_cents(Sum("amount", filter=Q(category__in=IN))),
        income=_cents(Sum("amount", filter=Q(category__in=EARNED))),
        uses=_cents(Sum("amount", filter=Q(category=Category.FUND_USE))),
        refunds=_cents(Sum("amount", filter=Q(category=Category.FUND_REFUND))),
        balance=_cents(Sum("amount")),
    )
    return {key: yuan(value or 0) for key, value in sums.items()}


def scope_size(use: FundUse) -> tuple[int, Decimal]:
    row = ChargedUnit.objects.filter(use=use).aggregate(n=Count("pk"), area=_cents(Sum("area")))
    return row["n"], yuan(row["area"] or 0)


def scope_text(use: FundUse) -> str:
    names = "、".join(b.name for b in use.buildings.order_by("name"))
    return names or "全体业主"


@dataclass(frozen=True)
class SplitRow:
    unit_id: int
    unit: str
    area: Decimal
    planned: Decimal
    amount: Decimal | None  # what the payout charged; None before it


def split_rows(use: FundUse) -> list[SplitRow]:
    """Each charged unit: its area, its share of the budget, and what the payout charged it (two queries)."""
    charged = {
        amount_unit: -amount
        for amount_unit, amount in LedgerEntry.objects.filter(
            fund_use=use, category=Category.FUND_USE, reverses__isnull=True
        ).values_list("unit_id", "amount")
    }
    rows = ChargedUnit.objects.filter(use=use).values_list(
        "unit_id", "unit__building__name", "unit__room", "area", "planned_share"
    )
    return sorted(
        (
            SplitRow(pk, f"{building}-{room}", area, planned, charged.get(pk))
            for pk, building, room, area, planned in rows
        ),
        key=lambda r: r.unit,
    )


def charged_owners(use: FundUse, on: date):
    """The owners on ``on`` (co-owners each) of the units the use charges (one query)."""
    return (
        Owner.objects.filter(
            in_force_q(on, "ownerships__"), ownerships__unit__in=ChargedUnit.objects.filter(use=use).values("unit")
        )
        .only("pk", "user_id", "mobile")
        .distinct()
        .order_by("pk")
    )


# --------------------------------------------------------------------------- owners


@dataclass
class Period:
    """Part of a sub-account's history: the days one set of owners held the unit."""

    starts_on: date | None
    ends_on: date | None
    owner_ids: list[int]
    names: list[str]
    entries: list = field(default_factory=list)


def history(unit: Unit) -> list[Period]:
    """The sub-account's entries, oldest first, grouped by who held the unit on each entry's
    date: the sub-account follows the unit, so a sale shows both owners' periods (two queries)."""
    spans: dict[tuple, Period] = {}
    for owner_id, name, start, end in (
        Ownership.objects.filter(unit=unit)
        .order_by("started_on", "owner_id")
        .values_list("owner_id", "owner__name", "started_on", "ended_on")
    ):
        period = spans.setdefault((start, end), Period(start, end, [], []))
        period.owner_ids.append(owner_id)
        period.names.append(name)
    periods = sorted(spans.values(), key=lambda p: p.starts_on)
    before = Period(None, None, [], [])
    for entry in (
        LedgerEntry.objects.filter(ledger=Ledger.FUND, unit=unit)
        .select_related("fund_use")
        .order_by("entry_date", "year", "number")
    ):
        home = next(
            (
                p
                for p in reversed(periods)
                if p.starts_on <= entry.entry_date and (p.ends_on is None or entry.entry_date <= p.ends_on)
            ),
            before,
        )
        home.entries.append(entry)
    return ([before] if before.entries else []) + [p for p in periods if p.entries or p.ends_on is None]


def owner_subaccounts(owner: Owner):
    """The sub-accounts of the units the owner holds now, with balances (one query)."""
    held = Ownership.objects.in_force().filter(owner=owner).values("unit")
    return (
        SubAccount.objects.filter(unit__in=held)
        .select_related("unit__building__estate", "account")
        .annotate(balance_cents=_unit_sum(), first_cents=_cents(F("first_deposit")))
        .order_by("unit__building__estate__name", "unit__building__name", "unit__room")
    )


def owner_uses(owner: Owner):
    """Use requests charging a unit the owner holds now, with that unit's planned share (one query)."""
    held = Ownership.objects.in_force().filter(owner=owner).values("unit")
    return (
        ChargedUnit.objects.filter(unit__in=held)
        .select_related("use__estate", "use__vote", "unit__building")
        .annotate(
            charged=_cents(
                Subquery(
                    LedgerEntry.objects.filter(
                        fund_use=OuterRef("use"), unit=OuterRef("unit"), category=Category.FUND_USE
                    )
                    .values("unit")
                    .annotate(t=Sum("amount"))
                    .values("t")
                )
            )
        )
        .order_by("-use__created_at")
    )


# --------------------------------------------------------------------------- annual statement


@dataclass(frozen=True)
class UnitLine:
    unit: str
    area: Decimal
    opening: Decimal
    deposits: Decimal
    income: Decimal
    uses: Decimal
    refunds: Decimal
    balance: Decimal

    def as_list(self) -> list[str]:
        return [
            self.unit,
            str(self.area),
            str(self.opening),
            str(self.deposits),
            str(self.income),
            str(self.uses),
            str(self.refunds),
            str(self.balance),
        ]


@dataclass(frozen=True)
class Project:
    title: str
    kind: str
    emergency: bool
    paid_on: date | None
    cost: Decimal
    units: int
    area: Decimal

    @property
    def per_m2(self) -> Decimal:
        return (self.cost / self.area).quantize(Decimal("0.01")) if self.area else ZERO

    def as_list(self) -> list[str]:
        return [
            self.title,
            self.kind,
            "应急" if self.emergency else "",
            self.paid_on.isoformat() if self.paid_on else "",
            str(self.cost),
            str(self.units),
            str(self.area),
        ]


@dataclass
class FundStatementData:
    estate: str
    code: str
    start: date
    end: date
    label: str
    keeper: str
    account: str
    units: list[UnitLine]
    projects: list[Project]
    totals: dict[str, Decimal]
    entries: int
    fingerprint: str = ""

    def payload(self) -> dict:
        return {
            "book": "fund",
            "estate": self.code,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "totals": {k: str(v) for k, v in self.totals.items()},
            "projects": [p.as_list() for p in self.projects],
            "units": [u.as_list() for u in self.units],
        }


def fund_statement(estate: Estate, start: date, end: date, *, label: str | None = None) -> FundStatementData:
    """The fund over [start, end]: totals, each charged project with its cost and split, and each
    unit's opening, deposits, income, uses, refunds and balance. No names. Four queries."""
    account = FundAccount.objects.select_related("estate").get(estate=estate)
    in_period = Q(entry_date__gte=start)
    sums = {
        unit_id: row
        for unit_id, *row in LedgerEntry.objects.filter(ledger=Ledger.FUND, estate=estate, entry_date__lte=end)
        .values("unit_id")
        .annotate(
            opening=_cents(Sum("amount", filter=Q(entry_date__lt=start))),
            deposits=_cents(Sum("amount", filter=in_period & Q(category__in=IN))),
            income=_cents(Sum("amount", filter=in_period & Q(category__in=EARNED))),
            uses=_cents(Sum("amount", filter=in_period & Q(category=Category.FUND_USE))),
            refunds=_cents(Sum("amount", filter=in_period & Q(category=Category.FUND_REFUND))),
            n=Count("pk", filter=in_period),
        )
        .values_list("unit_id", "opening", "deposits", "income", "uses", "refunds", "n")
    }
    lines, entries = [], 0
    for unit_id, building, room, area in (
        SubAccount.objects.filter(account=account)
        .order_by("unit__building__name", "unit__room")
        .values_list("unit_id", "unit__building__name", "unit__room", "area")
    ):
        opening, deposits, income, uses, refunds, n = sums.get(unit_id, (0, 0, 0, 0, 0, 0))
        entries += n
        lines.append(
            UnitLine(
                f"{building}-{room}",
                area,
                yuan(opening),
                yuan(deposits),
                yuan(income),
                yuan(-uses),
                yuan(-refunds),
                yuan(opening + deposits + income + uses + refunds),
            )
        )
    projects = [
        Project(title, str(FundUseKind(kind).label), emergency, paid_on, yuan(-cost), n, yuan(area))
        for title, kind, emergency, paid_on, cost, n, area in FundUse.objects.filter(
            entries__entry_date__range=(start, end), entries__category=Category.FUND_USE
        )
        .annotate(
            cost=_cents(Sum("entries__amount")),
            n=Count("entries__unit", distinct=True),
            area=Subquery(
                ChargedUnit.objects.filter(use=OuterRef("pk")).values("use").annotate(a=_cents(Sum("area"))).values("a")
            ),
        )
        .filter(estate=estate)
        .order_by("paid_on", "pk")
        .values_list("title", "kind", "emergency", "paid_on", "cost", "n", "area")
    ]
    totals = {
        "opening": sum((u.opening for u in lines), ZERO),
        "deposits": sum((u.deposits for u in lines), ZERO),
        "income": sum((u.income for u in lines), ZERO),
        "uses": sum((u.uses for u in lines), ZERO),
        "refunds": sum((u.refunds for u in lines), ZERO),
        "closing": sum((u.balance for u in lines), ZERO),
    }
    data = FundStatementData(
        estate=estate.name,
        code=estate.code,
        start=start,
        end=end,
        label=label or f"{start.isoformat()} — {end.isoformat()}",
        keeper=account.keeper_name(end),
        account=f"{account.bank} {account.account_number}",
        units=lines,
        projects=projects,
        totals=totals,
        entries=entries,
    )
    data.fingerprint = fingerprint(data.payload())
    return data


def statement_fingerprints():
    """Every published fund statement: its stored fingerprint and the one its year's fund rows
    give now, read as the fund verify page reads them (the backup and its drill)."""
    for record in Statement.objects.filter(subject=Subject.FUND).select_related("estate").order_by("pk"):
        live = fund_statement(record.estate, record.starts_on, record.ends_on)
        yield Fingerprint(
            f"fees.statement:{record.pk}", f"{record.estate.name} {record.label}", live.fingerprint, record.fingerprint
        )


def verify_link(base_url: str, data: FundStatementData) -> VerifyLink:
    """Where the statement is checked: the address printed under it and the QR code's link."""
    path = reverse("fees:verify_fund", args=[data.code, data.start.isoformat(), data.end.isoformat()])
    return pdf_verify_link(base_url, path, data.fingerprint)
