"""The fees part of the demo: a year of the six 收支分离 pilots.

Each pilot gets a price list, twelve monthly billing runs, payments (most on
time, some partial, some in arrears), common-part income, committee-approved
expenditures, and published statements with verifiable PDFs. 江滨豪园 also has
an announced price change, a reversal, a demand letter, and an expenditure
waiting for the `committee` login to approve it.

Everything goes through fees.services with explicit dates, so the history reads
as if it had been kept month by month. Running it again adds nothing.

The services tell the owners (bills, receipts, the demand letter, the fund's charges and
top-up alerts) as they would on a live site; seed_demo sends the texts through the demo
gateway (notifications.channels.DemoSmsBackend, which refuses some numbers), and the ``owner``
login has read all but its newest fee messages.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen.canvas import Canvas

from cms import services as cms
from committees.selectors import seated
from community.demo import PILOT_ESTATES
from community.legaltime import last_day_after_months
from community.models import Estate, Unit
from community.pdf import cjk_font
from community.rules import rules_for
from notifications import selectors as inbox
from notifications import services as notices
from notifications.models import DeliveryStatus, Event

from . import selectors, services
from .fund import demo as fund_demo
from .models import Bill, Expenditure, FeeSchedule, ParkingSpace, Statement

SEED = 2021_07
MONTHS = 12
BASE_URL = getattr(settings, "DEMO_BASE_URL", "http://127.0.0.1:8000")
BOARD = dict(
    service_content="公共区域保洁、秩序维护、绿化养护、共用设施设备日常运行维护、装修管理、档案管理",
    service_standard="《住宅物业服务等级标准》二级：保安 24 小时值守，公共区域每日保洁，报修 30 分钟内响应",
    billing_method="按月计费，每月 1 日出账，可按季缴纳",
    price_type="market",
    legal_basis="《物业服务收费管理办法》《物业服务收费明码标价规定》；物业服务合同第五条；业主大会决定",
)


def _quote(payee: str, item: str, amount: str) -> SimpleUploadedFile:
    """The quote a request says it attaches: a one-page PDF from the payee, as a company would send it."""
    out = io.BytesIO()
    page = Canvas(out, pagesize=A5)
    font = cjk_font()
    page.setFont(font, 16)
    page.drawString(40, 540, f"{payee} 报价单")
    page.setFont(font, 11)
    page.drawString(40, 500, f"项目：{item}")
    page.drawString(40, 478, f"报价：人民币 {amount} 元（含税）")
    page.drawString(40, 456, "有效期：自报价之日起 30 日")
    page.showPage()
    page.save()
    return SimpleUploadedFile("quote.pdf", out.getvalue(), "application/pdf")


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _months(today: date) -> list[date]:
    """The last MONTHS whole months, oldest first."""
    first = today.replace(day=1)
    return [_shift(first, -k) for k in range(MONTHS, 0, -1)]


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


# --------------------------------------------------------------------------- the demo's texts


def _settle_texts(now: datetime) -> None:
    """Make the retries a live site's every-minute sweep would (1, 2, 4, 8 minutes apart), so
    the texts the demo gateway refused end as failed with their reason after the fifth attempt."""
    notices.send_due_through(until=now + timedelta(minutes=20))


def _read_inbox(keep_unread: int = 3) -> int:
    """The ``owner`` login has opened all but its newest messages (through mark_read, as the
    inbox page does). Returns how many it read."""
    user = get_user_model().objects.filter(username="owner").first()
    if user is None:
        return 0
    fee_news = (Event.BILL_ISSUED, Event.PAYMENT_RECEIPT, Event.DEMAND_LETTER)  # the votes' stay as they are
    opened = list(inbox.inbox(user).filter(status=DeliveryStatus.SENT, message__event__in=fee_news)[keep_unread:])
    for delivery in opened:
        notices.mark_read(actor=user, delivery=delivery)
    return len(opened)


def build(*, today, progress=None, log=print):
    _build(today=today, progress=progress, log=log)
    _settle_texts(timezone.now())
    read = _read_inbox()
    if read:
        log(f"通知：演示业主账号 owner 已读物业费消息 {read} 条")
    return []


def _build(*, today, progress=None, log=print):
    progress = progress or (lambda iterable, **kw: iterable)
    estates = list(Estate.objects.filter(name__in=PILOT_ESTATES).order_by("code"))
    if Statement.objects.filter(estate__in=estates, subject="fees").exists():
        log("收支分离试点：已建立，跳过")
        fund_demo.build(today=today, progress=progress, log=log)
        return
    months = _months(today)
    for estate in progress(estates, desc="收支分离试点", unit="个"):
        _estate(estate, months, today, random.Random(SEED + estate.pk))
    _jiangbin(estates[0], today)
    log(
        f"收支分离试点：{len(estates)} 个小区，账单 {Bill.objects.count()} 笔，"
        f"支出申请 {Expenditure.objects.count()} 笔，公开报表 {Statement.objects.count()} 份"
    )
    fund_demo.build(today=today, progress=progress, log=log)


@transaction.atomic
def _estate(estate: Estate, months: list[date], today: date, rng: random.Random) -> None:
    first = months[0]
    units = list(Unit.objects.filter(building__estate=estate).order_by("pk"))
    spaces = rng.sample(units, max(1, len(units) // 5))
    ParkingSpace.objects.bulk_create(
        [ParkingSpace(estate=estate, number=f"P{n + 1:03d}", unit=unit) for n, unit in enumerate(spaces)]
    )
    rate = Decimal(rng.choice(["1.50", "1.65", "1.80", "1.95", "2.20"]))
    services.publish_schedule(
        actor=None,
        estate=estate,
        effective_from=first,
        billing_starts_on=first,
        now=_at(first - timedelta(days=40)),
        bills_automatically=estate.pk % 2 == 0,  # half bill on the 1st by schedule, half by hand
        items=[
            ("物业服务费", "per_area", rate),
            ("生活垃圾清运费", "per_unit", "8.00"),
            ("车位管理费", "parking", "60.00"),
        ],
        **BOARD,
    )
    defaulters = {u.pk for u in rng.sample(units, max(1, len(units) // 12))}
    partial = {u.pk for u in rng.sample(units, max(1, len(units) // 25))} - defaulters
    committee = selectors.committee_of(estate)
    members = list(seated(committee)) if committee else []
    for index, month in enumerate(months):
        services.run_billing(actor=None, estate=estate, period=month, now=_at(month))
        last_day = _shift(month, 1) - timedelta(days=1)
        services.record_income(
            actor=None,
            estate=estate,
            category="common",
            amount=Decimal(rng.randrange(80000, 300000)) / 100,
            entry_date=month + timedelta(days=9),
            description=f"电梯轿厢广告位租金（{month:%Y年%m月}）",
            counterparty="城市之光传媒有限公司",
            now=_at(month + timedelta(days=9)),
        )
        if month.month % 3 == 0:
            _quarter_payments(
                estate, units, months[max(0, index - 2) : index + 1], rng, defaulters, partial, index >= MONTHS - 6
            )
        if members:
            for category, payee, low, high, purpose in SPENDING:
                _spend(
                    estate,
                    members,
                    category,
                    payee,
                    Decimal(rng.randrange(low, high)) * 100,
                    f"{purpose}（{month:%Y年%m月}）",
                    _at(last_day - timedelta(days=2), 15),
                )
    # Statements for the last three whole months and the last whole quarter, then the period is closed.
    for month in months[-3:]:
        _publish(estate, "month", month, today)
    quarter_start = _shift(today.replace(day=1), -((today.month - 1) % 3) - 3)
    _publish(estate, "quarter", quarter_start, today)


SPENDING = [
    ("remuneration", "物业企业酬金", 30, 60, "物业服务酬金"),
    ("services", "洁美保洁服务有限公司", 40, 90, "公共区域保洁外包服务费"),
    ("utilities", "国网供电公司", 15, 40, "公共照明及电梯用电"),
]


def _quarter_payments(estate, units, quarter, rng, defaulters, partial, arrears_started):
    """Each unit settles the quarter's bills in the first weeks of the next month."""
    pay_day = _shift(quarter[-1], 1) + timedelta(days=rng.randrange(0, 15))
    if pay_day > timezone.localdate():
        return
    bills_by_unit: dict[int, list[Bill]] = {}
    for bill in Bill.objects.filter(estate=estate, period__in=quarter).order_by("unit_id", "period", "pk"):
        bills_by_unit.setdefault(bill.unit_id, []).append(bill)
    for unit in units:
        bills = bills_by_unit.get(unit.pk)
        if not bills or (unit.pk in defaulters and arrears_started) or rng.random() < 0.04:
            continue
        total = sum((b.amount for b in bills), Decimal("0"))
        amount = (total * Decimal("0.6")).quantize(Decimal("0.01")) if unit.pk in partial else total
        if amount <= 0:
            continue
        day = pay_day + timedelta(days=rng.randrange(0, 10))
        if day > timezone.localdate():
            day = timezone.localdate()
        services.record_payment(
            actor=None,
            unit=unit,
            amount=amount,
            paid_on=day,
            method=rng.choice(["wechat", "alipay", "transfer", "cash"]),
            payer=bills[-1].addressee or "业主",
            bills=bills,
            now=_at(day, 11),
        )


def _spend(estate, members, category, payee, amount, purpose, when):
    if category == "remuneration":
        payee = selectors.books(estate, when.date()).keeper
    item = services.request_expenditure(
        actor=None, estate=estate, category=category, payee=payee, amount=amount, purpose=purpose, now=when
    )
    share = rules_for(estate).expenditure_approval
    needed = next(n for n in range(len(members) + 1) if share.met(n, len(members)))
    services.decide_expenditure(
        actor=None, expenditure=item, in_favour=members[:needed], now=when + timedelta(hours=20)
    )


def _publish(estate, kind, start, today):
    if services.period_bounds(kind, start)[1] >= today:
        return
    statement = services.publish_statement(
        actor=None, estate=estate, kind=kind, start=start, base_url=BASE_URL, now=timezone.now()
    )
    cms.publish_notice(actor=None, notice=statement.notice)


@transaction.atomic
def _jiangbin(estate: Estate, today: date) -> None:
    """江滨豪园: an announced price change, a correction, a demand letter and a request awaiting approval."""
    after = last_day_after_months(today, 1)
    effective = after if after.day == 1 else _shift(after.replace(day=1), 1)
    if not FeeSchedule.objects.filter(estate=estate, effective_from=effective).exists() and selectors.books(
        estate, effective
    ):
        current = selectors.schedule_in_force(estate, today)
        services.publish_schedule(
            actor=None,
            estate=estate,
            effective_from=effective,
            billing_starts_on=current.billing_starts_on,
            items=[
                ("物业服务费", "per_area", current.items.get(kind="per_area").rate + Decimal("0.15")),
                ("生活垃圾清运费", "per_unit", "8.00"),
                ("车位管理费", "parking", "60.00"),
            ],
            **{**BOARD, "legal_basis": BOARD["legal_basis"] + "；2026 年第二次业主大会调价决定"},
        )
    services.run_billing(actor=None, estate=estate, period=today.replace(day=1))
    wrong = services.record_income(
        actor=None,
        estate=estate,
        category="common",
        amount="3600.00",
        entry_date=today,
        description="快递柜场地使用费（本年度）",
        counterparty="丰巢网络技术有限公司",
    )
    services.reverse_entry(actor=None, entry=wrong, reason="应为 360.00 元，录入多一位")
    services.record_income(
        actor=None,
        estate=estate,
        category="common",
        amount="360.00",
        entry_date=today,
        description="快递柜场地使用费（本年度）",
        counterparty="丰巢网络技术有限公司",
    )
    arrears = selectors.arrears(estate)
    if arrears:
        services.issue_demand_letter(actor=None, unit=Unit.objects.get(pk=arrears[0].unit_id))
    services.request_expenditure(
        actor=None,
        estate=estate,
        category="repairs",
        payee="安达电梯维保有限公司",
        amount="4800.00",
        purpose="3 号楼 2 号电梯更换曳引钢丝绳（维保合同外项目，附报价单）",
        attachment=_quote("安达电梯维保有限公司", "3 号楼 2 号电梯曳引钢丝绳更换（含人工）", "4800.00"),
    )
