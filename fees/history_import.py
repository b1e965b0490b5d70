"""HC小区's payment history (sheet 房屋缴费历史) into the fee ledger: parse, plan, import.

``parse`` reads the file through ``community.spreadsheet`` (the one reader) and checks each
row on its own; ``plan_history`` compares the rows with the estate (its rooms, its price
lists' items, the bills and payments already there, who kept the books on each day);
``preview_history`` says what an import would write and lists every error, writing nothing;
``import_history`` checks again under the estate's lock and writes all or nothing.

Each row becomes one past bill (in one ``BillingRun`` marked imported) for 应缴金额 over
开始时间–结束时间, and, when 实缴金额 is above zero, one payment allocated to that bill,
written through ``services.record_payment`` with ``imported=True``: receipts take the next
numbers of the estate's own gapless receipt series, vouchers the income ledger's, and the
payment and its ledger entry are marked imported.

The natural key of a row is (room, fee item name, 开始时间). A re-import finds the bill it
wrote before by that key: the same 结束时间 and 应缴金额 and the same amount already paid
change nothing; a bill imported unpaid whose row now shows a payment gets that payment; any
other difference is an error (an imported record is never altered). Rooms map as HC writes
them: 楼栋-单元-房号 is building 楼栋, room ``单元-房号`` (单元 0 is a shop), the rule the
room-and-owner import uses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import access, audit
from community.import_services import ImportRefused
from community.locks import hold
from community.models import Estate, Ownership, Unit
from community.spreadsheet import Refused, RowError, is_blank, read_table, text_of, workbook

from . import ledger, services
from .apportion import CENT
from .models import Bill, BillingRun, FeeItem, PaymentMethod
from .selectors import books

SHEET = "房屋缴费历史"
HOUSE, ITEM, CYCLE, STARTS, ENDS, PAID_AT = "房屋", "收费项目", "缴费周期", "开始时间", "结束时间", "缴费时间"
DUE, PAID, CASHIER, REMARK = "应缴金额", "实缴金额", "收银员", "备注"
HEADERS = [HOUSE, ITEM, CYCLE, STARTS, ENDS, PAID_AT, DUE, PAID, CASHIER, REMARK]
MAX_ROWS = 20_000
MAX_CELL = 200
MAX_MONEY = Decimal("99999999.99")
MAX_CYCLE = 120  # months
EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's date serials (HC's own import reads them too)

NOTES = [
    (
        HOUSE,
        gettext_lazy(
            "必填。HC 的写法：楼栋-单元-房号，如 1-1-101；单元 0 为商铺，如 1-0-05。"
            "本系统按楼栋“1”、房号“1-101”查找，须已登记。"
        ),
    ),
    (ITEM, gettext_lazy("必填。须与本小区已公示的收费标准中的收费项目名称一致；没有的，请先在价目公示中登记该项目。")),
    (CYCLE, gettext_lazy("必填。缴费周期的月数，整数，如 1、3、12。")),
    (STARTS, gettext_lazy("必填。计费起日，格式 2023-01-01。")),
    (ENDS, gettext_lazy("必填。计费止日，不早于开始时间。")),
    (PAID_AT, gettext_lazy("实缴金额大于 0 时必填：收款日期，不晚于今天。")),
    (DUE, gettext_lazy("必填。应缴金额（元），不为负数，最多两位小数。")),
    (
        PAID,
        gettext_lazy(
            "必填。实缴金额（元），0 表示未缴；不得超过应缴金额（本系统不记预收款）。少于应缴的，差额记为欠费。"
        ),
    ),
    (CASHIER, gettext_lazy("选填。记入收款备注。")),
    (REMARK, gettext_lazy("选填。记入收款备注。")),
]


@dataclass
class HistoryRow:
    row: int
    house: str
    building: str
    room: str
    item: str
    cycle: int
    starts_on: date
    ends_on: date
    paid_on: date | None
    due: Decimal
    paid: Decimal
    cashier: str
    remark: str

    @property
    def key(self) -> tuple[str, str, str, date]:
        return (self.building, self.room, self.item, self.starts_on)

    @property
    def note(self) -> str:
        parts = [_("HC小区导入")]
        if self.cashier:
            parts.append(_("收银员：%(name)s") % {"name": self.cashier})
        if self.remark:
            parts.append(_("备注：%(text)s") % {"text": self.remark})
        return "；".join(parts)[:200]


@dataclass
class ItemCount:
    name: str
    bills: int = 0
    payments: int = 0
    due: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")


@dataclass
class Plan:
    """What importing one file into one estate writes, and every error that stops it."""

    estate: Estate
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_bills: list[tuple[HistoryRow, Unit, FeeItem]] = field(default_factory=list)
    # (row, unit, existing bill pk or None for a new bill)
    new_payments: list[tuple[HistoryRow, Unit, int | None]] = field(default_factory=list)
    unchanged: int = 0
    items: dict[str, ItemCount] = field(default_factory=dict)
    left_open: int = 0  # bills paid in part or not at all: the rest becomes arrears
    open_amount: Decimal = Decimal("0.00")

    @property
    def changes(self) -> int:
        return len(self.new_bills) + len(self.new_payments)

    @property
    def item_counts(self) -> list[ItemCount]:
        return sorted(self.items.values(), key=lambda c: c.name)

    @property
    def first_day(self) -> date | None:
        return min((r.starts_on for r, _u, _i in self.new_bills), default=None)

    @property
    def last_day(self) -> date | None:
        return max((r.ends_on for r, _u, _i in self.new_bills), default=None)

    @property
    def paid_total(self) -> Decimal:
        return sum((r.paid for r, _u, _b in self.new_payments), Decimal("0.00"))

    @property
    def due_total(self) -> Decimal:
        return sum((r.due for r, _u, _i in self.new_bills), Decimal("0.00"))


# --------------------------------------------------------------------------- the file on its own


def _money(value, row: int, column: str, errors: list[RowError]) -> Decimal | None:
    if is_blank(value):
        errors.append(RowError(row, column, _("不能为空；未缴请填 0。")))
        return None
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        errors.append(RowError(row, column, _("应为金额数字，如 178.00。")))
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        errors.append(RowError(row, column, _("应为金额数字，如 178.00。")))
        return None
    if not amount.is_finite():
        errors.append(RowError(row, column, _("应为金额数字，如 178.00。")))
        return None
    if amount < 0:
        errors.append(RowError(row, column, _("金额不能为负数；退款请在本系统中冲销。")))
        return None
    if amount > MAX_MONEY:
        errors.append(RowError(row, column, _("金额过大（不超过 1 亿元）。")))
        return None
    if amount != amount.quantize(CENT):
        errors.append(RowError(row, column, _("金额最多两位小数。")))
        return None
    return amount.quantize(CENT)


def _day(value, row: int, column: str, errors: list[RowError], *, required: bool = True) -> date | None:
    """A date as HC writes it: a date cell, text 2023-01-01 (or 2023/01/01, with a time after it),
    or an Excel date serial such as 44927."""
    if is_blank(value):
        if required:
            errors.append(RowError(row, column, _("不能为空。")))
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 2958465:
            return EXCEL_EPOCH + timedelta(days=int(value))
        errors.append(RowError(row, column, _("日期无法识别，格式应为 2023-01-01。")))
        return None
    text = str(value).strip().replace("/", "-").replace(".", "-")
    if text.isdigit() and len(text) == 5:  # a serial kept as text, as HC's own export may hold it
        return EXCEL_EPOCH + timedelta(days=int(text))
    text = text.split(" ")[0].split("T")[0]
    try:
        year, month, day = (int(p) for p in text.split("-"))
        return date(year, month, day)
    except (ValueError, TypeError):
        errors.append(RowError(row, column, _("日期无法识别，格式应为 2023-01-01。")))
        return None


def _cycle(value, row: int, errors: list[RowError]) -> int | None:
    text = text_of(value)
    if not text:
        errors.append(RowError(row, CYCLE, _("不能为空。")))
        return None
    try:
        months = int(text)
    except ValueError:
        errors.append(RowError(row, CYCLE, _("应为缴费周期的月数（整数），如 1、12。")))
        return None
    if not 1 <= months <= MAX_CYCLE:
        errors.append(RowError(row, CYCLE, _("缴费周期应在 1 到 %(n)s 个月之间。") % {"n": MAX_CYCLE}))
        return None
    return months


def split_house(text: str) -> tuple[str, str] | None:
    """HC's 楼栋-单元-房号 as (building, room ``单元-房号``); None when it is not written so."""
    parts = [p.strip() for p in text.split("-")]
    if len(parts) < 3 or not all(parts):
        return None
    return "-".join(parts[:-2]), f"{parts[-2]}-{parts[-1]}"


def parse(name: str, content: bytes, *, today: date) -> tuple[list[HistoryRow], list[RowError]]:
    """(rows, errors): the rows are usable only when errors is empty."""
    try:
        table, errors = read_table(name, content, headers=HEADERS, max_rows=MAX_ROWS, max_cell=MAX_CELL)
    except Refused as refusal:
        return [], [refusal.error]
    rows: list[HistoryRow] = []
    seen: dict[tuple, int] = {}
    for number, cells in table:
        bad = len(errors)
        house = text_of(cells[HOUSE])
        where = split_house(house) if house else None
        if not house:
            errors.append(RowError(number, HOUSE, _("不能为空。")))
        elif where is None:
            errors.append(RowError(number, HOUSE, _("应写作 楼栋-单元-房号，如 1-1-101（商铺单元为 0）。")))
        elif len(where[0]) > 50 or len(where[1]) > 20:
            errors.append(RowError(number, HOUSE, _("楼栋不超过 50 个字，单元-房号不超过 20 个字。")))
        item = text_of(cells[ITEM])
        if not item:
            errors.append(RowError(number, ITEM, _("不能为空。")))
        elif len(item) > 50:
            errors.append(RowError(number, ITEM, _("不超过 50 个字。")))
        cycle = _cycle(cells[CYCLE], number, errors)
        starts_on = _day(cells[STARTS], number, STARTS, errors)
        ends_on = _day(cells[ENDS], number, ENDS, errors)
        due = _money(cells[DUE], number, DUE, errors)
        paid = _money(cells[PAID], number, PAID, errors)
        paid_on = _day(cells[PAID_AT], number, PAID_AT, errors, required=bool(paid))
        if starts_on and ends_on and ends_on < starts_on:
            errors.append(
                RowError(
                    number, ENDS, _("结束时间 %(end)s 早于开始时间 %(start)s。") % {"end": ends_on, "start": starts_on}
                )
            )
        if due is not None and paid is not None and paid > due:
            errors.append(
                RowError(
                    number,
                    PAID,
                    _("实缴金额 %(paid)s 元超过应缴金额 %(due)s 元：本系统不记预收款，请核对后把多收部分另行处理。")
                    % {"paid": paid, "due": due},
                )
            )
        if paid_on and paid and paid_on > today:
            errors.append(RowError(number, PAID_AT, _("缴费时间不能晚于今天。")))
        if len(errors) > bad:
            continue
        row = HistoryRow(
            number,
            house,
            where[0],
            where[1],
            item,
            cycle,
            starts_on,
            ends_on,
            paid_on if paid else None,
            due,
            paid,
            text_of(cells[CASHIER]),
            text_of(cells[REMARK]),
        )
        first = seen.setdefault(row.key, number)
        if first != number:
            errors.append(
                RowError(
                    number,
                    STARTS,
                    _("与第 %(row)s 行是同一笔费用（%(house)s “%(item)s” 自 %(start)s）。")
                    % {"row": first, "house": house, "item": item, "start": starts_on},
                )
            )
            continue
        rows.append(row)
    if not table and not errors:
        errors.append(RowError(2, "", _("文件中没有缴费记录。")))
    errors.sort(key=lambda e: e.row)
    first = {}  # one error per cell: a formula cell refused by the reader is not "also empty"
    for e in errors:
        first.setdefault((e.row, e.column or id(e)), e)
    return rows, list(first.values())


# --------------------------------------------------------------------------- against the estate


def _items_by_name(estate: Estate) -> dict[str, list[FeeItem]]:
    """The estate's fee items by name, newest price list first."""
    found: dict[str, list[FeeItem]] = defaultdict(list)
    for item in (
        FeeItem.objects.filter(schedule__estate=estate).select_related("schedule").order_by("-schedule__effective_from")
    ):
        found[item.name].append(item)
    return found


def item_names(estate: Estate) -> list[str]:
    """The names 收费项目 may take: those of the estate's published price lists."""
    return sorted(set(FeeItem.objects.filter(schedule__estate=estate).values_list("name", flat=True)))


def _item_for(candidates: list[FeeItem], starts_on: date) -> FeeItem:
    """The item of the price list in force on ``starts_on``; before the first price list
    (history from before the move), the item of the earliest one."""
    for item in candidates:
        if item.schedule.effective_from <= starts_on:
            return item
    return candidates[-1]


def plan_history(*, estate: Estate, rows: list[HistoryRow], today: date) -> Plan:
    plan = Plan(estate=estate, rows=len(rows))
    units = {
        (u.building.name, u.room): u for u in Unit.objects.filter(building__estate=estate).select_related("building")
    }
    items = _items_by_name(estate)
    wanted = [units[(r.building, r.room)].pk for r in rows if (r.building, r.room) in units]
    existing: dict[tuple[int, str, date], dict] = {}
    own: dict[tuple[int, str], list[tuple[date, date, date]]] = defaultdict(list)
    imported: dict[tuple[int, str], list[tuple[date, date]]] = defaultdict(list)
    in_file: dict[tuple[int, str], list[HistoryRow]] = defaultdict(list)
    for bill in (
        Bill.objects.filter(estate=estate, unit__in=wanted)
        .annotate(allocated=Sum("allocations__amount"))
        .values("pk", "unit_id", "item__name", "period", "starts_on", "ends_on", "amount", "run__imported", "allocated")
    ):
        if bill["run__imported"]:
            existing[(bill["unit_id"], bill["item__name"], bill["starts_on"])] = bill
            imported[(bill["unit_id"], bill["item__name"])].append((bill["starts_on"], bill["ends_on"]))
        else:
            own[(bill["unit_id"], bill["item__name"])].append((bill["starts_on"], bill["ends_on"], bill["period"]))
    closed = ledger.closed_until(estate)
    keepers: dict[date, bool] = {}
    missing_items: set[str] = set()

    def payable(r: HistoryRow) -> bool:
        """Whether the row's payment may be written: its day is in no published period, and
        somebody kept the books then. Asked only of payments to be written, so an unchanged
        row of a re-import never fails on a period closed since."""
        if closed is not None and r.paid_on <= closed:
            plan.errors.append(
                RowError(r.row, PAID_AT, _("%(day)s 所在期间的收支报表已公布，不能再记入该期间。") % {"day": r.paid_on})
            )
            return False
        if r.paid_on not in keepers:
            keepers[r.paid_on] = books(estate, r.paid_on) is not None
        if not keepers[r.paid_on]:
            plan.errors.append(
                RowError(
                    r.row,
                    PAID_AT,
                    _(
                        "%(day)s 本小区在本系统中既无物业服务合同，也未自行管理，没有记账主体，收款无法入账："
                        "请先登记当时的物业服务合同。"
                    )
                    % {"day": r.paid_on},
                )
            )
            return False
        return True

    for r in rows:
        unit = units.get((r.building, r.room))
        if unit is None:
            plan.errors.append(
                RowError(
                    r.row,
                    HOUSE,
                    _("本小区没有房屋 %(house)s（楼栋“%(building)s”，房号“%(room)s”）：请先导入房屋登记。")
                    % {"house": r.house, "building": r.building, "room": r.room},
                )
            )
            continue
        candidates = items.get(r.item)
        if not candidates:
            missing_items.add(r.item)
            plan.errors.append(
                RowError(
                    r.row,
                    ITEM,
                    _(
                        "收费项目“%(item)s”不在本小区的收费标准中："
                        "请先在价目公示中登记该项目（名称与 HC 一致）后再导入。"
                    )
                    % {"item": r.item},
                )
            )
            continue
        overlap = next(
            (p for s, e, p in own.get((unit.pk, r.item), []) if s <= r.ends_on and e >= r.starts_on),
            None,
        )
        if overlap is not None:
            plan.errors.append(
                RowError(
                    r.row,
                    STARTS,
                    _("本系统已为 %(house)s 出过 %(period)s 的“%(item)s”账单，与本行期间重叠，不能再导入。")
                    % {"house": r.house, "period": f"{overlap:%Y-%m}", "item": r.item},
                )
            )
            continue
        # One unit is billed once for one item and day: an earlier import's bill over part of this
        # row's period (its exact twin, same start, is the re-import below), or another row of this file.
        clash = next(
            (
                (s, e)
                for s, e in imported.get((unit.pk, r.item), [])
                if s != r.starts_on and s <= r.ends_on and e >= r.starts_on
            ),
            None,
        )
        earlier = next(
            (o for o in in_file[(unit.pk, r.item)] if o.starts_on <= r.ends_on and o.ends_on >= r.starts_on), None
        )
        in_file[(unit.pk, r.item)].append(r)
        if clash is not None:
            plan.errors.append(
                RowError(
                    r.row,
                    STARTS,
                    _(
                        "%(house)s 已导入过 %(start)s 至 %(end)s 的“%(item)s”账单，与本行期间重叠，"
                        "同一房屋同一项目不能重复计费。"
                    )
                    % {"house": r.house, "start": clash[0], "end": clash[1], "item": r.item},
                )
            )
            continue
        if earlier is not None:
            plan.errors.append(
                RowError(
                    r.row,
                    STARTS,
                    _("与第 %(row)s 行（%(start)s 至 %(end)s）期间重叠：%(house)s 的“%(item)s”不能重复计费。")
                    % {
                        "row": earlier.row,
                        "start": earlier.starts_on,
                        "end": earlier.ends_on,
                        "house": r.house,
                        "item": r.item,
                    },
                )
            )
            continue
        before = existing.get((unit.pk, r.item, r.starts_on))
        if before is not None:
            paid_before = Decimal(before["allocated"] or 0).quantize(CENT)
            if before["ends_on"] != r.ends_on or before["amount"] != r.due:
                plan.errors.append(
                    RowError(
                        r.row,
                        DUE,
                        _("与已导入的账单不一致（%(start)s 至 %(end)s，应缴 %(due)s 元）：已入账的记录不会被修改。")
                        % {"start": before["starts_on"], "end": before["ends_on"], "due": before["amount"]},
                    )
                )
            elif paid_before == r.paid:
                plan.unchanged += 1
            elif paid_before == 0:
                if payable(r):
                    plan.new_payments.append((r, unit, before["pk"]))
                    _count(plan, r, bill=False)
            else:
                plan.errors.append(
                    RowError(
                        r.row,
                        PAID,
                        _("已导入的该笔账单已收 %(before)s 元，与本行实缴 %(paid)s 元不符：已入账的收款不会被修改。")
                        % {"before": paid_before, "paid": r.paid},
                    )
                )
            continue
        if r.paid and not payable(r):
            continue
        plan.new_bills.append((r, unit, _item_for(candidates, r.starts_on)))
        if r.paid:
            plan.new_payments.append((r, unit, None))
        _count(plan, r, bill=True)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _count(plan: Plan, r: HistoryRow, *, bill: bool) -> None:
    counts = plan.items.setdefault(r.item, ItemCount(r.item))
    if bill:
        counts.bills += 1
        counts.due += r.due
        if r.paid < r.due:
            plan.left_open += 1
            plan.open_amount += r.due - r.paid
    if r.paid:
        counts.payments += 1
        counts.paid += r.paid


def preview_history(*, actor, estate: Estate, name: str, content: bytes, today: date | None = None) -> Plan:
    """What importing this file into ``estate`` would write, with every error; writes nothing."""
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    today = today or timezone.localdate()
    rows, errors = parse(name, content, today=today)
    plan = plan_history(estate=estate, rows=rows, today=today)
    plan.errors = sorted(errors + plan.errors, key=lambda e: e.row)
    return plan


def _noop(done: int, total: int, step: str = "") -> None:
    return None


def _addressees(estate: Estate, wanted: list[tuple[int, date]]) -> dict[tuple[int, date], str]:
    """The owners' names of each (unit, day), co-owners joined by 、 as bills write them."""
    holdings = defaultdict(list)
    for unit_id, name, start, end in (
        Ownership.objects.filter(unit__building__estate=estate, unit__in={u for u, _d in wanted})
        .order_by("owner_id")
        .values_list("unit_id", "owner__name", "started_on", "ended_on")
    ):
        holdings[unit_id].append((name, start, end))
    return {
        (unit_id, day): "、".join(n for n, s, e in holdings.get(unit_id, []) if s <= day and (e is None or e >= day))
        for unit_id, day in wanted
    }


@transaction.atomic
def import_history(
    *, actor, estate: Estate, name: str, content: bytes, now: datetime | None = None, progress=_noop
) -> Plan:
    """Write the file, all or nothing: ``ImportRefused`` (every bad row) unless it is clean.
    ``progress(done, total, step)`` hears how far it has come (a job's bar, the command's)."""
    access.require(actor, access.KEEP_ACCOUNTS, estate)
    now = now or timezone.now()
    today = timezone.localdate(now)
    progress(0, 100, _("读取文件"))
    rows, errors = parse(name, content, today=today)
    if errors:
        raise ImportRefused(errors + plan_history(estate=estate, rows=rows, today=today).errors)
    hold(estate)  # one import, billing run or statement per estate at a time
    progress(5, 100, _("与本小区账目比对"))
    plan = plan_history(estate=estate, rows=rows, today=today)
    if plan.errors:
        raise ImportRefused(plan.errors)
    bill_of: dict[int, int] = {}
    progress(15, 100, _("写入历史账单"))
    run = None
    if plan.new_bills:
        names = _addressees(estate, [(u.pk, r.starts_on) for r, u, _i in plan.new_bills])
        run = BillingRun.objects.create(
            estate=estate,
            period=plan.first_day.replace(day=1),
            started_at=now,
            started_by=actor,
            imported=True,
            bills_created=len(plan.new_bills),
            amount=plan.due_total,
        )
        made = Bill.objects.bulk_create(
            [
                Bill(
                    estate=estate,
                    unit=unit,
                    item=item,
                    period=r.starts_on.replace(day=1),
                    starts_on=r.starts_on,
                    ends_on=r.ends_on,
                    quantity=Decimal(r.cycle),
                    amount=r.due,
                    addressee=names[(unit.pk, r.starts_on)][:200],
                    run=run,
                )
                for r, unit, item in plan.new_bills
            ],
            batch_size=1000,
        )
        if any(b.pk is None for b in made):  # a backend that returns no keys: find them by natural key
            found = {
                (b.unit_id, b.item_id, b.starts_on): b.pk
                for b in Bill.objects.filter(run=run).only("pk", "unit", "item", "starts_on")
            }
            for b in made:
                b.pk = found[(b.unit_id, b.item_id, b.starts_on)]
        for (r, _u, _i), bill in zip(plan.new_bills, made, strict=True):
            bill_of[r.row] = bill.pk
    progress(25, 100, _("写入历史收款"))
    receipts = []
    names = _addressees(estate, [(u.pk, r.paid_on) for r, u, _b in plan.new_payments])
    # Oldest first, so the receipts follow the order the money came in.
    ordered = sorted(plan.new_payments, key=lambda p: (p[0].paid_on, p[0].row))
    for number, (r, unit, bill_id) in enumerate(ordered):
        if number % 100 == 0:
            progress(25 + 74 * number // len(ordered), 100, _("写入历史收款"))
        payment = services.record_payment(
            actor=actor,
            unit=unit,
            amount=r.paid,
            paid_on=r.paid_on,
            method=PaymentMethod.CASH,
            payer=names[(unit.pk, r.paid_on)][:200] or _("（HC小区导入，未登记业主）"),
            bills=[bill_id or bill_of[r.row]],
            note=r.note,
            imported=True,
            now=now,
        )
        receipts.append(payment.receipt_no)
    progress(99, 100, _("完成"))
    audit.record(
        "fee_history_import",
        user=actor,
        obj=estate,
        detail={
            "file": name,
            "rows": plan.rows,
            "bills": len(plan.new_bills),
            "payments": len(plan.new_payments),
            "unchanged": plan.unchanged,
            "run": run.pk if run else None,
            "receipts": [receipts[0], receipts[-1]] if receipts else [],
            "due": str(plan.due_total),
            "paid": str(plan.paid_total),
        },
    )
    return plan


# --------------------------------------------------------------------------- the sample download

SAMPLE = [
    ["1-1-101", "物业服务费", "1", "2024-01-01", "2024-01-31", "2024-01-05", "179.00", "179.00", "王收银", "微信"],
    ["1-1-101", "物业服务费", "1", "2024-02-01", "2024-02-29", "2024-03-02", "179.00", "100.00", "王收银", "部分缴纳"],
    ["1-1-102", "生活垃圾清运费", "12", "2024-01-01", "2024-12-31", "2024-01-10", "120.00", "120.00", "李收银", ""],
    ["1-0-05", "物业服务费", "1", "2024-01-01", "2024-01-31", "", "300.00", "0", "", "商铺，未缴"],
]


def sample_workbook(rows: list[list] | None = None) -> bytes:
    """HC's 房屋缴费历史 sheet with example rows, and a sheet of notes."""
    notes = (
        [[_("列"), _("填写说明")]]
        + [[column, str(text)] for column, text in NOTES]
        + [
            ["", ""],
            [
                _("整体"),
                _(
                    "一个文件对应一个小区，第一个工作表为“房屋缴费历史”。任何一行有错都不会导入，请按预览列出的行号修改后重新上传。"
                    "同一房屋、收费项目和开始时间是一笔费用的标识：重新导入同一文件不会重复入账。"
                ),
            ],
        ]
    )
    return workbook(
        [(SHEET, [HEADERS, *(rows or SAMPLE)]), (_("填写说明"), notes)],
        widths={SHEET: [12, 16, 10, 12, 12, 12, 12, 12, 10, 20], _("填写说明"): [14, 90]},
    )
