"""Property fees and the owners' money they raise.

* ``FeeSchedule`` + ``FeeItem``: what each unit pays, with every field of the
  price display (明码标价) that RULES.md §4 requires. Published, never edited:
  a change is a new schedule that applies from the first of a later month.
* ``BillingRun`` + ``Bill``: one bill per unit, item, month and span of days
  over which the same owners held the unit.
* ``Payment`` + ``Allocation``: money received, the bills it settled, and its receipt.
* ``LedgerEntry``: the income ledger and the expenditure ledger, kept apart,
  append-only (a PostgreSQL trigger refuses UPDATE and DELETE), numbered
  without gaps per estate, ledger and year.
* ``Expenditure`` + ``Statement``: spending approved by the committee, and the
  disclosure statements that publish both ledgers.

State changes only through ``fees.services``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Estate, ServiceContract, Unit, money_field

from .apportion import CENT

# --------------------------------------------------------------------------- schedules


class PriceType(models.TextChoices):
    MARKET = "market", _("市场调节价")
    GUIDED = "guided", _("政府指导价")


class ItemKind(models.TextChoices):
    PER_AREA = "per_area", _("按建筑面积（元/㎡·月）")
    PER_UNIT = "per_unit", _("按户（元/户·月）")
    PARKING = "parking", _("车位（元/个·月）")


class FeeSchedule(models.Model):
    """A published price list for one estate, in force from ``effective_from`` until the next one."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="fee_schedules")
    contract = models.ForeignKey(
        ServiceContract, verbose_name=_("物业服务合同"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="fee_schedules", help_text=_("业主自行管理的小区不填。"),
    )
    provider = models.CharField(_("收费主体"), max_length=200)
    service_content = models.TextField(_("服务内容"))
    service_standard = models.TextField(_("服务标准"))
    billing_method = models.CharField(_("计费方式"), max_length=200)
    billing_starts_on = models.DateField(_("计费起始日期"))
    price_type = models.CharField(_("价格管理形式"), max_length=10, choices=PriceType.choices)
    legal_basis = models.TextField(_("收费依据"))
    hotline = models.CharField(_("价格举报电话"), max_length=20)
    effective_from = models.DateField(_("执行日期"), help_text=_("每月 1 日起执行。"))
    published_at = models.DateTimeField(_("公示时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notice = models.ForeignKey("cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        ordering = ["estate", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "effective_from"], name="one_schedule_per_start"),
            models.CheckConstraint(condition=Q(effective_from__day=1), name="schedule_starts_on_first_of_month"),
        ]

    def __str__(self):
        return f"{self.estate} {self.effective_from:%Y-%m}"


class FeeItem(models.Model):
    schedule = models.ForeignKey(FeeSchedule, verbose_name=_("收费标准"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("收费项目"), max_length=50)
    kind = models.CharField(_("计费单位"), max_length=10, choices=ItemKind.choices)
    rate = models.DecimalField(_("单价（元）"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["schedule", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "name"], name="fee_item_name_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fee_item_rate_positive"),
        ]

    def __str__(self):
        return self.name


class ParkingSpace(models.Model):
    """A parking space and the unit it is let to now; that unit is billed the parking item."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="parking_spaces")
    number = models.CharField(_("车位号"), max_length=20)
    unit = models.ForeignKey(Unit, verbose_name=_("使用房屋"), null=True, blank=True, on_delete=models.PROTECT, related_name="parking_spaces")

    class Meta:
        verbose_name = _("车位")
        verbose_name_plural = _("车位")
        constraints = [models.UniqueConstraint(fields=["estate", "number"], name="parking_number_unique")]

    def __str__(self):
        return self.number


# --------------------------------------------------------------------------- bills


class BillingRun(models.Model):
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="billing_runs")
    period = models.DateField(_("账期"), help_text=_("该月 1 日。"))
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    bills_created = models.PositiveIntegerField(_("新出账单数"), default=0)
    amount = money_field(_("新出账单金额"), default=0)

    class Meta:
        verbose_name = _("出账记录")
        verbose_name_plural = _("出账记录")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.estate} {self.period:%Y-%m}"


class Bill(models.Model):
    """One fee item for one unit over the days of a month that the same owners held it."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="bills")
    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="bills")
    item = models.ForeignKey(FeeItem, verbose_name=_("收费项目"), on_delete=models.PROTECT, related_name="bills")
    period = models.DateField(_("账期"))
    starts_on = models.DateField(_("计费起日"))
    ends_on = models.DateField(_("计费止日"))
    quantity = models.DecimalField(_("计费数量"), max_digits=10, decimal_places=2)
    amount = money_field(_("应收金额"))
    addressee = models.CharField(_("应缴业主"), max_length=200, help_text=_("出账时该期间的业主；共有人以顿号分隔。"))
    run = models.ForeignKey(BillingRun, verbose_name=_("出账记录"), on_delete=models.PROTECT, related_name="bills")

    class Meta:
        verbose_name = _("账单")
        verbose_name_plural = _("账单")
        ordering = ["period", "unit", "item", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "item", "period", "starts_on"], name="one_bill_per_unit_item_span"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_amount_not_negative"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="bill_span_ordered"),
        ]
        indexes = [models.Index(fields=["estate", "period"]), models.Index(fields=["unit", "period"])]

    def __str__(self):
        return f"{self.unit} {self.period:%Y-%m} {self.item}"

    # Read from ``fees.selectors.with_paid``'s annotations, to the cent.
    @property
    def paid(self) -> Decimal:
        return Decimal(self.paid_total).quantize(CENT)

    @property
    def owed(self) -> Decimal:
        return self.amount - self.paid


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("银行转账")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")
    CASH = "cash", _("现金")


class Payment(models.Model):
    """Money received for one unit's bills, with a receipt numbered without gaps per estate and year."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="payments")
    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="payments")
    payer = models.CharField(_("交款人"), max_length=200)
    amount = money_field(_("金额"))
    method = models.CharField(_("方式"), max_length=10, choices=PaymentMethod.choices)
    paid_on = models.DateField(_("收款日期"))
    recorded_at = models.DateTimeField(_("登记时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    backdated = models.BooleanField(_("补登"), default=False, help_text=_("收款日期早于登记日期。"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    receipt_year = models.PositiveSmallIntegerField(_("收据年度"))
    receipt_number = models.PositiveIntegerField(_("收据序号"))

    class Meta:
        verbose_name = _("收款")
        verbose_name_plural = _("收款")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "receipt_year", "receipt_number"], name="receipt_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return self.receipt_no

    @property
    def receipt_no(self) -> str:
        return f"{self.receipt_year}-{self.receipt_number:06d}"


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, verbose_name=_("收款"), on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey(Bill, verbose_name=_("账单"), on_delete=models.PROTECT, related_name="allocations")
    amount = money_field(_("金额"))

    class Meta:
        verbose_name = _("收款核销")
        verbose_name_plural = _("收款核销")
        constraints = [
            models.UniqueConstraint(fields=["payment", "bill"], name="one_allocation_per_bill"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]


class DemandLetter(models.Model):
    """A written demand for arrears (Civil Code art. 944): the record that it was issued, and when."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="demand_letters")
    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="demand_letters")
    addressee = models.CharField(_("致"), max_length=200)
    amount = money_field(_("欠费金额"))
    bills = models.ManyToManyField(Bill, verbose_name=_("账单"), related_name="+")
    issued_at = models.DateTimeField(_("发出时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pay_by = models.DateField(_("缴纳期限"))

    class Meta:
        verbose_name = _("催交通知书")
        verbose_name_plural = _("催交通知书")
        ordering = ["-issued_at"]


# --------------------------------------------------------------------------- ledgers


class Ledger(models.TextChoices):
    INCOME = "income", _("收入账")
    EXPENDITURE = "expenditure", _("支出账")


class Category(models.TextChoices):
    FEES = "fees", _("物业费收入")
    COMMON_INCOME = "common", _("公共收益")
    OTHER_INCOME = "other_in", _("其他收入")
    REMUNERATION = "remuneration", _("物业企业酬金")
    SERVICES = "services", _("服务支出")
    REPAIRS = "repairs", _("日常维修养护")
    UTILITIES = "utilities", _("公共能耗")
    OTHER_SPENDING = "other_out", _("其他支出")


INCOME_CATEGORIES = (Category.FEES, Category.COMMON_INCOME, Category.OTHER_INCOME)
SPENDING_CATEGORIES = (Category.REMUNERATION, Category.SERVICES, Category.REPAIRS, Category.UTILITIES, Category.OTHER_SPENDING)


class LedgerEntry(models.Model):
    """One line of an estate's income or expenditure ledger. Never updated, never deleted:
    a mistake is undone by a reversing entry (the negated amount) that points at it."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="ledger_entries")
    ledger = models.CharField(_("账簿"), max_length=12, choices=Ledger.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("凭证号"))
    entry_date = models.DateField(_("记账日期"))
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    description = models.CharField(_("摘要"), max_length=200)
    counterparty = models.CharField(_("对方单位"), max_length=200, blank=True)
    amount = money_field(_("金额"))
    keeper = models.CharField(_("记账主体"), max_length=200)
    recorded_at = models.DateTimeField(_("登记时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reverses = models.OneToOneField(
        "self", verbose_name=_("冲销凭证"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entry")
    expenditure = models.OneToOneField("Expenditure", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entry")

    class Meta:
        verbose_name = _("账簿分录")
        verbose_name_plural = _("账簿分录")
        ordering = ["estate", "ledger", "year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "ledger", "year", "number"], name="voucher_number_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=(Q(ledger="income") & Q(category__in=INCOME_CATEGORIES))
                | (Q(ledger="expenditure") & Q(category__in=SPENDING_CATEGORIES)),
                name="ledger_category_matches",
            ),
            # Only a reversal may be negative.
            models.CheckConstraint(condition=Q(amount__gt=0) | Q(reverses__isnull=False), name="only_reversals_negative"),
        ]
        indexes = [models.Index(fields=["estate", "entry_date"])]
        triggers = [
            pgtrigger.Protect(name="ledger_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return self.voucher

    @property
    def voucher(self) -> str:
        return voucher(self.ledger, self.year, self.number)


def voucher(ledger: str, year: int, number: int) -> str:
    return f"{'收' if ledger == Ledger.INCOME else '支'}{year}-{number:05d}"


class ExpenditureStatus(models.TextChoices):
    REQUESTED = "requested", _("待业委会审批")
    AWAITING_VOTE = "vote", _("待业主表决")
    POSTED = "posted", _("已批准入账")
    REFUSED = "refused", _("未批准")


class Expenditure(models.Model):
    """A request to spend the owners' money, posted to the expenditure ledger only once approved."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="expenditures")
    category = models.CharField(_("类别"), max_length=12, choices=[(c.value, c.label) for c in SPENDING_CATEGORIES])
    payee = models.CharField(_("收款单位"), max_length=200)
    amount = money_field(_("金额"))
    purpose = models.TextField(_("用途"))
    attachment = models.FileField(_("附件"), upload_to="expenditures/%Y/", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(_("状态"), max_length=10, choices=ExpenditureStatus.choices, default=ExpenditureStatus.REQUESTED)
    in_favour = models.ManyToManyField("committees.Member", verbose_name=_("同意的委员"), blank=True, related_name="+")
    members_total = models.PositiveSmallIntegerField(_("审批时委员总数"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("不予批准的理由"), blank=True)
    vote = models.ForeignKey("committees.Vote", verbose_name=_("业主表决"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("支出申请")
        verbose_name_plural = _("支出申请")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expenditure_amount_positive"),
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(reason=""), name="refusal_has_reason"),
        ]

    def __str__(self):
        return f"{self.payee} {self.amount}"


# --------------------------------------------------------------------------- disclosure


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class Statement(models.Model):
    """A published disclosure statement: the PDF as it was published, and the fingerprint of its rows."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="statements")
    kind = models.CharField(_("报表类型"), max_length=10, choices=PeriodKind.choices)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    fingerprint = models.CharField(_("数字指纹"), max_length=64)
    pdf = models.FileField(_("PDF"), upload_to="statements/%Y/")
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notice = models.ForeignKey("cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("收支公开报表")
        verbose_name_plural = _("收支公开报表")
        ordering = ["-ends_on", "kind"]
        constraints = [models.UniqueConstraint(fields=["estate", "kind", "starts_on"], name="one_statement_per_period")]

    def __str__(self):
        return f"{self.estate} {self.get_kind_display()} {self.starts_on:%Y-%m}"

    @property
    def label(self) -> str:
        return period_label(self.kind, self.starts_on)


def period_label(kind: str, start: date) -> str:
    if kind == PeriodKind.YEAR:
        return f"{start.year}年度"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年{start.month}月"

