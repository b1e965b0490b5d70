"""Every change to fees, payments, ledgers and statements goes through here.

Who keeps an estate's books follows who manages it (``books``):
* a company under a 酬金制 contract keeps the income and expenditure ledgers apart
  for the owners (收支分离);
* a company under a 包干制 contract keeps its surplus and bears its losses, so
  only the collection (the income ledger) is disclosed, and nothing is spent
  through the expenditure ledger;
* a self-managed estate keeps both ledgers under its committee.

Ledger entries are appended with a voucher number taken from a counter row
locked in the same transaction (community.sequences), so a rolled-back entry
leaves no gap. A period covered by a published statement is closed: nothing
more may be dated in it, so a published fingerprint stays true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms import services as cms
from committees import consents
from committees.models import Matter, VoteStatus
from committees.selectors import least_to_meet, seated
from committees.votes import services as vote_services
from community import access, audit, duties, uploads
from community.legaltime import last_day_after_days, last_day_after_months
from community.locks import hold, lock_one, lock_rows
from community.models import Estate, Ownership, Unit
from community.rules import rules_for
from community.sequences import next_number
from community.workflow import Workflow
from notifications.models import Event
from notifications.services import notify

from . import apportion, ledger, pdf, selectors
from .models import (
    SPENDING_CATEGORIES,
    Allocation,
    Bill,
    BillingRun,
    Category,
    DemandLetter,
    Expenditure,
    ExpenditureStatus,
    FeeItem,
    FeeSchedule,
    ItemKind,
    Ledger,
    LedgerEntry,
    ParkingSpace,
    Payment,
    PeriodKind,
    PriceType,
    Statement,
    Subject,
    period_label,
)
from .selectors import SEPARATED, Books, books, committee_of, schedule_in_force

NOT_ALLOWED = access.NOT_ALLOWED
NOBODY_MANAGES = _("%(day)s 本小区既无物业服务合同，也未自行管理，没有记账主体。")
NOT_FIRST_OF_MONTH = _("收费标准须自某月 1 日起执行。")
PRICE_NOTICE_TOO_SHORT = _("调价须提前 %(months)s 个月公示：今天公示，最早自 %(day)s 起执行。")
SCHEDULE_EXISTS = _("%(day)s 起执行的收费标准已经公示，不能修改；请另行公示新的收费标准。")
NO_ITEMS = _("收费标准至少要有一个收费项目。")
BAD_ITEM = _("收费项目“%(name)s”无效：%(error)s")
DUPLICATE_ITEM = _("收费项目名称重复：%(name)s。")
MISSING_FIELD = _("请填写“%(field)s”：明码标价须公示此项。")
NO_SCHEDULE = _("%(period)s 没有执行中的收费标准，无法出账。")
FUTURE_PERIOD = _("不能为尚未开始的月份出账（%(period)s）。")
BAD_AMOUNT = _("金额须为大于 0 的数字，最多两位小数。")
FUTURE_PAYMENT = _("收款日期不能晚于今天。")
BACKDATED_NEEDS_NOTE = _("补登以前日期的收款须在备注中说明原因。")
NO_BILLS = _("请选择要核销的账单。")
FOREIGN_BILL = _("所选账单不属于房屋 %(unit)s。")
OVERPAID = _("收款金额 %(amount)s 元超过所选账单未缴金额 %(open)s 元。")
NO_PAYER = _("请填写交款人。")
WRONG_CATEGORY = ledger.WRONG_CATEGORY
NO_DESCRIPTION = _("请填写摘要。")
PAYMENT_ENTRY = _("收款分录随收款登记产生，不能单独冲销。")
NOT_SEPARATED = _("包干制小区的支出由物业企业自负盈亏，不通过业主的支出账。")
NO_PAYEE = _("请填写收款单位和用途。")
NO_COMMITTEE = _("本小区没有在任的业主委员会，支出无法审批。")
NOT_MEMBERS = _("同意的须是本届在任委员。")
STILL_WAITING = _("审批已登记，须待同意的委员本人登录确认后生效（已确认 %(n)s / 需 %(m)s，全体委员 %(total)s 人）。")
REFUSAL_NEEDS_REASON = _("同意的委员未达到全体委员的 %(share)s（%(n)s / %(total)s 人），不予批准须写明理由。")
NOT_AWAITING_VOTE = _("该支出不需要或已经完成业主表决。")
VOTE_NOT_CLOSED = _("业主表决尚未结束计票。")
PERIOD_NOT_OVER = _("%(label)s 尚未结束，不能发布报表。")
STATEMENT_EXISTS = _("%(label)s 的报表已经发布。")
BAD_PERIOD = _("报表期间的起始日期无效。")
NO_ARREARS = _("房屋 %(unit)s 没有欠费。")

# --------------------------------------------------------------------------- who keeps the books


def parse_money(value) -> Decimal:
    """A positive amount of money in yuan, to the cent, from form or service input; never a float."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(BAD_AMOUNT) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(apportion.CENT):
        raise ValidationError(BAD_AMOUNT)
    return amount


def today_of(now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now())


# --------------------------------------------------------------------------- schedules

BOARD_FIELDS = ("provider", "service_content", "service_standard", "billing_method", "legal_basis")


@transaction.atomic
def publish_schedule(
    *,
    actor,
    estate: Estate,
    effective_from: date,
    items,
    service_content: str,
    service_standard: str,
    billing_method: str,
    billing_starts_on: date,
    price_type: str,
    legal_basis: str,
    bills_automatically: bool = False,
    now: datetime | None = None,
) -> FeeSchedule:
    """Publish a price list with every field of the price display (明码标价).

    ``items`` are (name, kind, rate). The estate's first schedule may apply at once;
    a change applies no earlier than the rule set's notice months after today.
    """
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    now = now or timezone.now()
    today = today_of(now)
    hold(estate)
    if effective_from.day != 1:
        raise ValidationError(NOT_FIRST_OF_MONTH)
    keeper = books(estate, effective_from)
    if keeper is None:
        raise ValidationError(NOBODY_MANAGES, params={"day": effective_from})
    if FeeSchedule.objects.filter(estate=estate, effective_from=effective_from).exists():
        raise ValidationError(SCHEDULE_EXISTS, params={"day": effective_from})
    if FeeSchedule.objects.filter(estate=estate).exists():
        months = rules_for(estate).price_change_notice_months
        earliest = last_day_after_months(today, months)
        if effective_from < earliest:
            first = earliest if earliest.day == 1 else apportion.month_bounds(earliest)[1] + timedelta(days=1)
            raise ValidationError(PRICE_NOTICE_TOO_SHORT, params={"months": months, "day": first})
    schedule = FeeSchedule(
        estate=estate,
        contract=keeper.contract,
        provider=keeper.keeper,
        service_content=service_content.strip(),
        service_standard=service_standard.strip(),
        billing_method=billing_method.strip(),
        billing_starts_on=billing_starts_on,
        price_type=price_type,
        legal_basis=legal_basis.strip(),
        hotline=rules_for(estate).price_hotline,
        effective_from=effective_from,
        published_at=now,
        published_by=actor,
        bills_automatically=bills_automatically,
    )
    for field in BOARD_FIELDS:
        if not getattr(schedule, field):
            raise ValidationError(MISSING_FIELD, params={"field": FeeSchedule._meta.get_field(field).verbose_name})
    if price_type not in PriceType.values:
        raise ValidationError(MISSING_FIELD, params={"field": FeeSchedule._meta.get_field("price_type").verbose_name})
    items = list(items)
    if not items:
        raise ValidationError(NO_ITEMS)
    built, names = [], set()
    for name, kind, rate in items:
        name = (name or "").strip()
        if name in names:
            raise ValidationError(DUPLICATE_ITEM, params={"name": name})
        names.add(name)
        try:
            amount = parse_money(rate)
        except ValidationError:
            raise ValidationError(BAD_ITEM, params={"name": name, "error": BAD_AMOUNT}) from None
        if not name or kind not in ItemKind.values:
            raise ValidationError(BAD_ITEM, params={"name": name or "?", "error": _("名称和计费单位必填。")})
        built.append(FeeItem(name=name, kind=kind, rate=amount))
    schedule.save()
    for item in built:
        item.schedule = schedule
    FeeItem.objects.bulk_create(built)
    lines = "\n".join(f"{i.name}：{i.rate} {ItemKind(i.kind).label}" for i in built)
    schedule.notice = cms.draft_notice(
        estate=estate,
        category="finance",
        title=f"{estate.name}物业服务收费标准公示（{effective_from:%Y年%m月%d日}起执行）",
        body=(
            f"收费主体：{schedule.provider}\n服务内容：{schedule.service_content}\n服务标准：{schedule.service_standard}\n"
            f"计费方式：{schedule.billing_method}，{schedule.billing_starts_on:%Y年%m月%d日}起计费\n"
            f"价格管理形式：{PriceType(price_type).label}\n收费依据：{schedule.legal_basis}\n{lines}\n"
            f"价格举报电话：{schedule.hotline}"
        ),
        publicity_days=max(1, (effective_from - today).days + 1) if effective_from > today else None,
        source=f"fees.FeeSchedule:{schedule.pk}",
    )
    schedule.save(update_fields=["notice"])
    return schedule


# --------------------------------------------------------------------------- billing


def _month(period: date) -> date:
    return period.replace(day=1)


@transaction.atomic
def run_billing(
    *, actor, estate: Estate, period: date, progress=None, now: datetime | None = None
) -> BillingRun | None:
    """Bill every unit of the estate for the month of ``period`` from the schedule in force.

    Idempotent: a bill that exists (same unit, item, month and first day) is never made
    again, and a run that finds nothing new returns None and writes nothing.
    A unit that changed hands in the month is billed to each owner for their days
    (``apportion.bill_parts``); days with no registered owner are not billed.
    ``progress`` wraps the iteration over units (tqdm in the command).
    """
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    period = _month(period)
    if period > _month(today_of(now)):
        raise ValidationError(FUTURE_PERIOD, params={"period": f"{period:%Y-%m}"})
    hold(estate)  # one run per estate at a time
    schedule = schedule_in_force(estate, period)
    if schedule is None:
        raise ValidationError(NO_SCHEDULE, params={"period": f"{period:%Y年%m月}"})
    items = list(schedule.items.all())
    first, last = apportion.month_bounds(period)
    units = list(
        Unit.objects.filter(building__estate=estate)
        .with_effective_area()
        .order_by("building_id", "room")
        .values_list("pk", "effective_area_db")
    )
    holdings: dict[int, list] = {}
    for unit_id, owner_id, name, start, end in (
        Ownership.objects.filter(unit__building__estate=estate, started_on__lte=last)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .values_list("unit_id", "owner_id", "owner__name", "started_on", "ended_on")
    ):
        holdings.setdefault(unit_id, []).append(((owner_id, name), start, end))
    spaces: dict[int, int] = {}
    for unit_id in ParkingSpace.objects.filter(estate=estate, unit__isnull=False).values_list("unit_id", flat=True):
        spaces[unit_id] = spaces.get(unit_id, 0) + 1
    existing = set(Bill.objects.filter(estate=estate, period=period).values_list("unit_id", "item_id", "starts_on"))
    run = BillingRun(estate=estate, period=period, started_by=actor, started_at=now or timezone.now())
    # Rows go to the database as plain tuples (see _insert_bills): at 100,000 units,
    # building a model instance per bill would cost more than the arithmetic.
    month_text, first_text, last_text = period.isoformat(), first.isoformat(), last.isoformat()
    prices = [(item.pk, item.kind, apportion.cents(item.rate)) for item in items]
    pending: list[tuple] = []
    total = 0
    for unit_id, area in (progress or (lambda rows, **kw: rows))(
        units, desc=f"{estate.name} {period:%Y-%m}", unit="户"
    ):
        held = holdings.get(unit_id)
        if not held:
            continue
        whole = len(held) == 1 and held[0][1] <= first and (held[0][2] is None or held[0][2] >= last)
        month_spans = None if whole else apportion.spans(period, held)
        area_cents = apportion.cents(area)
        for item_id, kind, rate_cents in prices:
            count = (
                area_cents
                if kind == ItemKind.PER_AREA
                else 100 * (spaces.get(unit_id, 0) if kind == ItemKind.PARKING else 1)
            )
            if not count:
                continue
            monthly = apportion.monthly_cents(rate_cents, count)
            quantity = apportion.yuan_text(count)
            if whole:
                if (unit_id, item_id, first) not in existing:
                    pending.append(
                        (
                            estate.pk,
                            unit_id,
                            item_id,
                            month_text,
                            first_text,
                            last_text,
                            quantity,
                            apportion.yuan_text(monthly),
                            held[0][0][1],
                        )
                    )
                    total += monthly
                continue
            for span, part in apportion.bill_parts(monthly, month_spans):
                if (unit_id, item_id, span.starts_on) in existing:
                    continue
                pending.append(
                    (
                        estate.pk,
                        unit_id,
                        item_id,
                        month_text,
                        span.starts_on.isoformat(),
                        span.ends_on.isoformat(),
                        quantity,
                        apportion.yuan_text(part),
                        "、".join(name for _key, name in span.holders),
                    )
                )
                total += part
    if not pending:
        return None
    run.bills_created, run.amount = len(pending), apportion.yuan(total)
    run.save()
    _insert_bills(pending, run.pk)
    _tell_billed(run)
    return run


def run_automatic_billing(*, period: date | None = None, now: datetime | None = None) -> dict:
    """The scheduled monthly run: bill ``period`` (this month) for every estate whose price list
    in force then bills automatically (``FeeSchedule.bills_automatically``).

    Each estate is its own ``run_billing`` transaction, so one estate's refusal (nobody keeps
    its books any more, say) neither stops nor undoes the others; and because ``run_billing``
    never bills a month twice, running this again — a retry, a second beat — adds nothing.
    Returns ``{"estates": billed, "bills": made, "refused": {estate name: reason}}``.
    """
    period = _month(period or today_of(now))
    candidates = Estate.objects.filter(
        pk__in=FeeSchedule.objects.filter(bills_automatically=True, effective_from__lte=period).values("estate")
    ).order_by("code")
    done = {"estates": 0, "bills": 0, "refused": {}}
    for estate in candidates:
        schedule = schedule_in_force(estate, period)
        if schedule is None or not schedule.bills_automatically:
            continue  # a later price list turned it off
        try:
            run = run_billing(actor=None, estate=estate, period=period, now=now)
        except ValidationError as exc:
            done["refused"][estate.name] = "；".join(exc.messages)
            continue
        done["estates"] += 1
        done["bills"] += run.bills_created if run else 0
    return done


def _tell_billed(run: BillingRun) -> None:
    """One message for the whole run (the same words for every unit), delivered to each owner
    the new bills are addressed to: a run over thousands of units is one message, not thousands."""
    month = f"{run.period:%Y年%m月}"
    notify(
        event=Event.BILL_ISSUED,
        recipients=selectors.owners_of_bills(Bill.objects.filter(run=run)),
        title=f"{run.estate.name}{month}物业费账单已出",
        body=(
            f"{run.estate.name}{month}的物业费账单已经出具。"
            "请在“我的账单”查看您房屋的应缴金额并按时缴纳；对账单有疑问，请联系物业服务中心。"
        ),
        link=reverse("fees:my_bills"),
        subject=run,
    )


BILL_COLUMNS = ("estate", "unit", "item", "period", "starts_on", "ends_on", "quantity", "amount", "addressee", "run")


def _insert_bills(rows: list[tuple], run_id: int) -> None:
    """Insert bills in one executemany; the database's constraints still check every row."""
    columns = ", ".join(connection.ops.quote_name(Bill._meta.get_field(name).column) for name in BILL_COLUMNS)
    value_marks = ", ".join(["%s"] * len(BILL_COLUMNS))
    sql = f"INSERT INTO {connection.ops.quote_name(Bill._meta.db_table)} ({columns}) VALUES ({value_marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, [row + (run_id,) for row in rows[start : start + 5000]])


def outstanding(bill_ids) -> dict[int, Decimal]:
    """{bill id: amount still owed}, from the bills and their allocations."""
    rows = (
        Bill.objects.filter(pk__in=bill_ids)
        .annotate(allocated=Sum("allocations__amount"))
        .values_list("pk", "amount", "allocated")
    )
    # SQLite hands computed sums back unrounded: bring them to the cent before comparing.
    return {pk: amount - Decimal(allocated or 0).quantize(apportion.CENT) for pk, amount, allocated in rows}


# --------------------------------------------------------------------------- ledgers


def _books_or_refuse(estate: Estate, on: date) -> Books:
    keeper = books(estate, on)
    if keeper is None:
        raise ValidationError(NOBODY_MANAGES, params={"day": on})
    return keeper


@transaction.atomic
def record_payment(
    *,
    actor,
    unit: Unit,
    amount,
    paid_on: date,
    method: str,
    payer: str,
    bills,
    note: str = "",
    imported: bool = False,
    now: datetime | None = None,
) -> Payment:
    """Receive money for some of a unit's bills, oldest first; issue the receipt; post the income.

    Partial payment leaves the rest of the last bill open. A payment dated before today
    is a back-dated entry: it is flagged and must say why.

    ``imported`` marks a payment brought in from another system's history (HC小区's
    房屋缴费历史, ``fees.history_import``): the same checks, the same receipt series and the
    same ledger, with the payment and its entry marked imported; the owners are not told
    (it is old news), and the import records one audit line for the whole file.
    """
    estate = unit.building.estate
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    now = now or timezone.now()
    today = today_of(now)
    amount = parse_money(amount)
    if paid_on > today:
        raise ValidationError(FUTURE_PAYMENT)
    backdated = paid_on < today
    if backdated and not note.strip():
        raise ValidationError(BACKDATED_NEEDS_NOTE)
    if not payer.strip():
        raise ValidationError(NO_PAYER)
    bill_ids = sorted({b.pk if hasattr(b, "pk") else int(b) for b in bills})
    if not bill_ids:
        raise ValidationError(NO_BILLS)
    locked = lock_rows(Bill.objects.filter(pk__in=bill_ids))
    if len(locked) != len(bill_ids) or any(b.unit_id != unit.pk for b in locked):
        raise ValidationError(FOREIGN_BILL, params={"unit": unit})
    owed = outstanding(bill_ids)
    open_total = sum(owed.values(), Decimal("0"))
    if amount > open_total:
        raise ValidationError(OVERPAID, params={"amount": amount, "open": open_total})
    keeper = _books_or_refuse(estate, paid_on)
    payment = Payment.objects.create(
        estate=estate,
        unit=unit,
        payer=payer.strip(),
        amount=amount,
        method=method,
        paid_on=paid_on,
        recorded_at=now,
        recorded_by=actor,
        backdated=backdated,
        note=note.strip(),
        imported=imported,
        receipt_year=today.year,
        receipt_number=next_number(f"receipt:{estate.pk}", today.year),
    )
    left = amount
    allocations = []
    for bill in sorted(locked, key=lambda b: (b.period, b.starts_on, b.pk)):
        share = min(left, owed[bill.pk])
        if share > 0:
            allocations.append(Allocation(payment=payment, bill=bill, amount=share))
            left -= share
    Allocation.objects.bulk_create(allocations)
    ledger.post(
        actor=actor,
        estate=estate,
        ledger=Ledger.INCOME,
        category=Category.FEES,
        amount=amount,
        entry_date=paid_on,
        description=f"物业费 收据{payment.receipt_no}"
        + ("（历史导入）" if imported else "（补登）" if backdated else ""),
        keeper=keeper.keeper,
        now=now,
        payment=payment,
        imported=imported,
    )
    if imported:
        return payment
    audit.record(
        "payment",
        user=actor,
        obj=payment,
        detail={"unit": str(unit), "amount": str(amount), "bills": bill_ids, "backdated": backdated},
    )
    # The owners of the unit on the day it was paid: the ones the receipt page lets in.
    notify(
        event=Event.PAYMENT_RECEIPT,
        recipients=selectors.owners_on(unit, paid_on),
        title=f"缴费收据 {payment.receipt_no}：{unit} 物业费 {amount} 元",
        body=(
            f"{estate.name}已收到房屋 {unit} 的物业费 {amount} 元"
            f"（{payment.get_method_display()}，{paid_on:%Y年%m月%d日}，交款人 {payment.payer}），"
            f"收据编号 {payment.receipt_no}。电子收据可在下方链接查看。"
        ),
        link=reverse("fees:receipt_pdf", args=[payment.pk]),
        subject=payment,
    )
    return payment


@transaction.atomic
def record_income(
    *,
    actor,
    estate: Estate,
    category: str,
    amount,
    entry_date: date,
    description: str,
    counterparty: str = "",
    now: datetime | None = None,
) -> LedgerEntry:
    """Common-part income (advertising, rented space, parking) and other income: it belongs to the owners."""
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    amount = parse_money(amount)
    if entry_date > today_of(now):
        raise ValidationError(FUTURE_PAYMENT)
    if not description.strip():
        raise ValidationError(NO_DESCRIPTION)
    if category == Category.FEES:
        raise ValidationError(
            WRONG_CATEGORY,
            params={"category": Category(category).label, "ledger": _("单独入账（物业费随收款登记入账）")},
        )
    return ledger.post(
        actor=actor,
        estate=estate,
        ledger=Ledger.INCOME,
        category=category,
        amount=amount,
        entry_date=entry_date,
        description=description.strip(),
        counterparty=counterparty.strip(),
        keeper=_books_or_refuse(estate, entry_date).keeper,
        now=now,
    )


@transaction.atomic
def reverse_entry(*, actor, entry: LedgerEntry, reason: str, now: datetime | None = None) -> LedgerEntry:
    """Undo an income or expenditure entry with its negation, dated today, pointing at it.
    The original stays as it was. (Fund entries are reversed by fees.fund.services.)"""
    access.require(actor, access.KEEP_ACCOUNTS, entry.estate)
    entry = lock_one(LedgerEntry, pk=entry.pk)
    if entry.ledger == Ledger.FUND:
        raise ValidationError(
            WRONG_CATEGORY, params={"category": Category(entry.category).label, "ledger": _("物业费收支账")}
        )
    if entry.payment_id is not None:
        raise ValidationError(PAYMENT_ENTRY)
    today = today_of(now)
    reversal = ledger.post(
        actor=actor,
        estate=entry.estate,
        ledger=entry.ledger,
        entry_date=today,
        keeper=_books_or_refuse(entry.estate, today).keeper,
        now=now,
        **ledger.reversal(entry, reason),
    )
    audit.record("reversal", user=actor, obj=reversal, detail={"reverses": entry.pk, "amount": str(entry.amount)})
    return reversal


# --------------------------------------------------------------------------- expenditure

X = ExpenditureStatus
TRANSITIONS = {
    X.REQUESTED: {X.AWAITING_VOTE, X.POSTED, X.REFUSED},
    X.AWAITING_VOTE: {X.POSTED, X.REFUSED},
    X.POSTED: set(),
    X.REFUSED: set(),
}


FLOW = Workflow(X, TRANSITIONS)


def _move(expenditure: Expenditure, to: str) -> None:
    FLOW.move(expenditure, to)


@transaction.atomic
def request_expenditure(
    *,
    actor,
    estate: Estate,
    category: str,
    payee: str,
    amount,
    purpose: str,
    attachment=None,
    now: datetime | None = None,
) -> Expenditure:
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    now = now or timezone.now()
    amount = parse_money(amount)
    if not payee.strip() or not purpose.strip():
        raise ValidationError(NO_PAYEE)
    if attachment is not None:
        uploads.check(attachment, uploads.ATTACHMENT)  # a PDF, JPEG or PNG by its content, in size
    if category not in SPENDING_CATEGORIES:
        raise ValidationError(WRONG_CATEGORY, params={"category": category, "ledger": Ledger.EXPENDITURE.label})
    if _books_or_refuse(estate, today_of(now)).mode != SEPARATED:
        raise ValidationError(NOT_SEPARATED)
    expenditure = Expenditure(
        estate=estate,
        category=category,
        payee=payee.strip(),
        amount=amount,
        purpose=purpose.strip(),
        requested_by=actor,
        requested_at=now,
    )
    if attachment is not None:
        uploads.store(expenditure.attachment, attachment, uploads.ATTACHMENT)  # under a random name
    expenditure.save()
    return expenditure


def _post_expenditure(expenditure: Expenditure, *, actor, now: datetime) -> LedgerEntry:
    _move(expenditure, X.POSTED)
    today = today_of(now)
    return ledger.post(
        actor=actor,
        estate=expenditure.estate,
        ledger=Ledger.EXPENDITURE,
        category=expenditure.category,
        amount=expenditure.amount,
        entry_date=today,
        description=expenditure.purpose[:200],
        counterparty=expenditure.payee,
        keeper=_books_or_refuse(expenditure.estate, today).keeper,
        now=now,
        expenditure=expenditure,
    )


@transaction.atomic
def decide_expenditure(
    *, actor, expenditure: Expenditure, in_favour, reason: str = "", now: datetime | None = None
) -> Expenditure:
    """The committee's decision, each member in favour in their own hand (committees.consents):
    the members listed are recorded as consents, confirmed at once only for the member whose own
    login records it. Approval needs the rule set's share of ALL seated members at the first
    decision (``members_total``, half by default); it takes effect only when that many have
    confirmed (``settle_expenditure``), here or on the confirmation that completes them. Until
    then the expenditure stays with the committee, and a later call may add members. Too few
    members listed, even if all confirmed, is a refusal and needs its reasons."""
    access.require(actor, access.APPROVE_SPENDING, expenditure.estate)
    now = now or timezone.now()
    expenditure = lock_one(Expenditure.objects.select_related("estate"), pk=expenditure.pk)
    if expenditure.status != X.REQUESTED:
        raise FLOW.refusal(expenditure.status, X.POSTED)
    committee = committee_of(expenditure.estate)
    if committee is None:
        raise ValidationError(NO_COMMITTEE)
    members = {m.pk: m for m in seated(committee).select_related("owner")}
    in_favour = list(in_favour)
    if any(m.pk not in members for m in in_favour):
        raise ValidationError(NOT_MEMBERS)
    rules = rules_for(expenditure.estate)
    total = expenditure.members_total if expenditure.decided_at is not None else len(members)
    recorded = set(expenditure.consents.values_list("member_id", flat=True))
    listed = recorded | {m.pk for m in in_favour}
    new = [members[pk] for pk in dict.fromkeys(m.pk for m in in_favour) if pk not in recorded]
    approved = rules.expenditure_approval.met(len(listed), total)
    if not approved and not reason.strip():
        raise ValidationError(
            REFUSAL_NEEDS_REASON, params={"share": rules.expenditure_approval, "n": len(listed), "total": total}
        )
    if approved and not new and recorded:
        raise _still_waiting(expenditure.consents, rules.expenditure_approval, total)
    if expenditure.decided_at is None:
        expenditure.members_total, expenditure.decided_at, expenditure.decided_by = total, now, actor
    expenditure.reason = "" if approved else reason.strip()
    if not approved:
        _move(expenditure, X.REFUSED)
    expenditure.save()
    consents.record(actor=actor, subject=expenditure, members=new, now=now)
    if approved:
        expenditure = settle_expenditure(expenditure, actor=actor, now=now)
    audit.record(
        "expenditure_decision",
        user=actor,
        obj=expenditure,
        detail={
            "approved": approved,
            "status": expenditure.status,
            "in_favour": len(listed),
            "members": total,
        },
    )
    return expenditure


def _still_waiting(recorded, threshold, total: int) -> ValidationError:
    agreed = recorded.exclude(confirmed_at=None).count()
    return ValidationError(
        STILL_WAITING, params={"n": agreed, "m": least_to_meet(threshold, total) or total, "total": total}
    )


def settle_expenditure(expenditure: Expenditure, *, actor, now: datetime | None = None) -> Expenditure:
    """Put an approval into effect once the confirmed consents reach the rule set's share of the
    members counted at the decision: posted with the next voucher number, or, above the rule set's
    limit, sent to the owners' vote. Runs in the caller's transaction (the decision, or a member's
    confirmation); anything else stays as it is."""
    now = now or timezone.now()
    expenditure = lock_one(Expenditure.objects.select_related("estate"), pk=expenditure.pk)
    if expenditure.status != X.REQUESTED or expenditure.decided_at is None:
        return expenditure
    rules = rules_for(expenditure.estate)
    agreed = expenditure.consents.exclude(confirmed_at=None).count()
    if not rules.expenditure_approval.met(agreed, expenditure.members_total):
        return expenditure
    if expenditure.amount > rules.expenditure_vote_above:
        _move(expenditure, X.AWAITING_VOTE)
    else:
        _post_expenditure(expenditure, actor=actor, now=now)
    expenditure.save()
    audit.record(
        "expenditure_approved",
        user=actor,
        obj=expenditure,
        detail={"status": expenditure.status, "confirmed": agreed, "members": expenditure.members_total},
    )
    return expenditure


def expenditures_waiting(ids) -> dict:
    """Of the expenditures ``ids``, those a member may still confirm: approved by enough members,
    waiting for their confirmations or already in force (a refusal waits for nobody)."""
    return {
        e.pk: e
        for e in Expenditure.objects.filter(pk__in=list(ids), decided_at__isnull=False)
        .exclude(status=X.REFUSED)
        .exclude(members_total=None)
        .select_related("estate")
    }


def describe_expenditure(expenditure: Expenditure) -> str:
    return str(
        _("支出审批：收款单位 %(payee)s，金额 %(amount)s 元，用途：%(purpose)s")
        % {"payee": expenditure.payee, "amount": expenditure.amount, "purpose": expenditure.purpose}
    )


@transaction.atomic
def put_expenditure_to_vote(
    *, actor, expenditure: Expenditure, opens_at: datetime, closes_at: datetime, now=None
) -> Expenditure:
    """Convene the owners' vote that a large expenditure needs (art. 278 matter 9)."""
    access.require(actor, access.APPROVE_SPENDING, expenditure.estate)
    expenditure = lock_one(Expenditure.objects.select_related("estate"), pk=expenditure.pk)
    if expenditure.status != X.AWAITING_VOTE or expenditure.vote_id is not None:
        raise ValidationError(NOT_AWAITING_VOTE)
    expenditure.vote = vote_services.convene_vote(
        actor=actor,
        estate=expenditure.estate,
        matter=Matter.OTHER,
        opens_at=opens_at,
        closes_at=closes_at,
        now=now,
        question=(
            f"动用业主共有资金支出 {expenditure.amount} 元（收款单位：{expenditure.payee}）：{expenditure.purpose}"
        )[:300],
    )
    expenditure.save(update_fields=["vote"])
    return expenditure


@transaction.atomic
def settle_expenditure_vote(*, actor, expenditure: Expenditure, now: datetime | None = None) -> Expenditure:
    """After the owners' vote is counted: post the expenditure if it passed, refuse it if not."""
    access.require(actor, access.APPROVE_SPENDING, expenditure.estate)
    now = now or timezone.now()
    expenditure = lock_one(Expenditure.objects.select_related("estate", "vote"), pk=expenditure.pk)
    if expenditure.status != X.AWAITING_VOTE or expenditure.vote is None:
        raise ValidationError(NOT_AWAITING_VOTE)
    if expenditure.vote.status != VoteStatus.CLOSED:
        raise ValidationError(VOTE_NOT_CLOSED)
    if (expenditure.vote.result or {}).get("decided"):
        _post_expenditure(expenditure, actor=actor, now=now)
    else:
        _move(expenditure, X.REFUSED)
        expenditure.reason = str(_("业主表决未获通过。"))
    expenditure.save()
    return expenditure


# --------------------------------------------------------------------------- arrears


@transaction.atomic
def issue_demand_letter(*, actor, unit: Unit, now: datetime | None = None) -> DemandLetter:
    """Record a written demand for the unit's open bills, giving the rule set's reasonable period
    to pay (Civil Code art. 944). Nothing here, or anywhere, cuts water or power."""
    estate = unit.building.estate
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    now = now or timezone.now()
    owed = {pk: left for pk, left in outstanding(Bill.objects.filter(unit=unit).values("pk")).items() if left > 0}
    if not owed:
        raise ValidationError(NO_ARREARS, params={"unit": unit})
    bills = list(Bill.objects.filter(pk__in=owed).order_by("period", "starts_on"))
    names = list(dict.fromkeys(b.addressee for b in bills if b.addressee))
    letter = DemandLetter.objects.create(
        estate=estate,
        unit=unit,
        addressee="、".join(names),
        amount=sum(owed.values(), Decimal("0")),
        issued_at=now,
        issued_by=actor,
        pay_by=last_day_after_days(today_of(now), rules_for(estate).arrears_demand_days),
    )
    letter.bills.set(bills)
    notify(
        event=Event.DEMAND_LETTER,
        recipients=selectors.owners_of_bills(letter.bills.all()),
        title=f"催交通知书：{unit} 欠缴物业费 {letter.amount} 元",
        body=(
            f"{estate.name}房屋 {unit} 尚欠物业费 {letter.amount} 元（{len(bills)} 笔账单），"
            f"请于 {letter.pay_by:%Y年%m月%d日} 前缴纳。欠费明细见“我的账单”；如有异议，请与物业服务中心联系。"
        ),
        link=reverse("fees:my_bills"),
        subject=letter,
    )
    return letter


# --------------------------------------------------------------------------- disclosure


def period_bounds(kind: str, start: date) -> tuple[date, date]:
    if kind == PeriodKind.MONTH and start.day == 1:
        months = 1
    elif kind == PeriodKind.QUARTER and start.day == 1 and start.month % 3 == 1:
        months = 3
    elif kind == PeriodKind.YEAR and (start.month, start.day) == (1, 1):
        months = 12
    else:
        raise ValidationError(BAD_PERIOD)
    return start, last_day_after_months(start, months) - timedelta(days=1)


@dataclass(frozen=True)
class Disclosure:
    """A statement ready to be stored and announced: what ``publish_disclosure`` asks its
    ``build`` for once the period is known to be free."""

    fingerprint: str
    document: bytes  # the PDF
    filename: str
    category: str  # the notice's cms category
    title: str
    body: str
    source: str
    issuer: str


@transaction.atomic
def publish_disclosure(
    *,
    actor,
    estate: Estate,
    subject: str,
    kind: str,
    start: date,
    end: date,
    label: str,
    not_over,
    exists,
    build: Callable[[], Disclosure],
    now: datetime | None = None,
) -> Statement:
    """The one way a statement is published, for the fee books and the maintenance fund alike;
    the caller has already checked who may publish. A period not yet over is refused with
    ``not_over``; the estate's row is held, so one statement is published there at a time, and a
    period already published is refused with ``exists``. Only then does ``build()`` read the
    period and render its PDF, so nothing is posted between the reading and the storing. The PDF
    and its fingerprint are stored (which closes the period to new entries) and a notice is
    drafted with the PDF attached. All of it or nothing: atomic on its own, a savepoint inside
    the caller's transaction."""
    now = now or timezone.now()
    if end >= today_of(now):
        raise ValidationError(not_over, params={"label": label})
    hold(estate)
    if Statement.objects.filter(estate=estate, subject=subject, kind=kind, starts_on=start).exists():
        raise ValidationError(exists, params={"label": label})
    made = build()
    record = Statement(
        estate=estate,
        subject=subject,
        kind=kind,
        starts_on=start,
        ends_on=end,
        fingerprint=made.fingerprint,
        published_at=now,
        published_by=actor,
    )
    record.pdf.save(made.filename, ContentFile(made.document), save=False)
    record.notice = cms.draft_notice(
        estate=estate,
        category=made.category,
        title=made.title,
        body=made.body,
        attachments=[(made.filename, made.document)],
        source=made.source,
        issuer=made.issuer,
    )
    record.save()
    duties.changed()  # the statement duty's clock restarts
    return record


@transaction.atomic
def publish_statement(
    *, actor, estate: Estate, kind: str, start: date, base_url: str, now: datetime | None = None
) -> Statement:
    """Freeze a period's statement: its PDF and fingerprint are stored, the period is closed to
    new entries, and a notice is drafted with the PDF attached (no personal data on it)."""
    if actor is not None and not (
        access.can(actor, access.APPROVE_SPENDING, estate) or access.can(actor, access.KEEP_ACCOUNTS, estate)
    ):
        raise PermissionDenied(NOT_ALLOWED)
    start, end = period_bounds(kind, start)
    label = period_label(kind, start)

    def build() -> Disclosure:
        statement = selectors.statement(estate, start, end, kind=kind)
        link = selectors.verify_link(base_url, statement)
        totals = "；".join(f"{line.label} {line.amount} 元" for line in statement.category_totals)
        return Disclosure(
            fingerprint=statement.fingerprint,
            document=pdf.statement_pdf(statement, verify=link),
            filename=f"{estate.code}-{start:%Y%m}-{kind}.pdf",
            category="finance",
            title=f"{estate.name}{label}物业费收支公开报表",
            body=(
                f"记账主体：{statement.keeper}（{statement.mode_label}）。\n"
                f"期初结余 {statement.opening} 元，本期收入 {statement.income_total} 元，"
                f"本期支出 {statement.spending_total} 元，"
                f"期末结余 {statement.closing} 元。\n{totals}\n"
                f"每一笔收支见附件。附件的数字指纹可在 {link.address} 核验。"
            ),
            source=f"fees.Statement:{estate.pk}:{kind}:{start}",
            issuer=statement.keeper,
        )

    return publish_disclosure(
        actor=actor,
        estate=estate,
        subject=Subject.FEES,
        kind=kind,
        start=start,
        end=end,
        label=label,
        not_over=PERIOD_NOT_OVER,
        exists=STATEMENT_EXISTS,
        build=build,
        now=now,
    )
