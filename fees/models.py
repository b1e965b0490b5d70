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
  disclosure statements that publish both ledgers (and the fund's annual one).
* ``FundAccount`` + ``SubAccount``: an estate's maintenance-fund special account
  (专户) and one sub-account (分户账) per unit. Their movements are entries of
  the same append-only ledger, ledger ``fund``, one per unit, signed.
* ``FundUse`` + ``FundUseStep``: a request to use the fund, and every step it took.

State changes only through ``fees.services``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import records
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
        ServiceContract,
        verbose_name=_("物业服务合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fee_schedules",
        help_text=_("业主自行管理的小区不填。"),
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
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notice = models.ForeignKey("cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # While this price list is in force, the schedule bills the estate on the 1st of each month
    # (fees.tasks.bill_automatically); otherwise staff start each month's run from the fees page.
    bills_automatically = models.BooleanField(
        _("每月自动出账"), default=False, help_text=_("勾选后，每月 1 日由系统按本收费标准自动生成当月账单。")
    )

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
    schedule = models.ForeignKey(
        FeeSchedule, verbose_name=_("收费标准"), on_delete=models.PROTECT, related_name="items"
    )
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
    unit = models.ForeignKey(
        Unit, verbose_name=_("使用房屋"), null=True, blank=True, on_delete=models.PROTECT, related_name="parking_spaces"
    )

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
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bills_created = models.PositiveIntegerField(_("新出账单数"), default=0)
    # A run made by importing another system's history (HC小区's 房屋缴费历史), not by billing.
    imported = models.BooleanField(_("导入的历史账单"), default=False)
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
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    backdated = models.BooleanField(_("补登"), default=False, help_text=_("收款日期早于登记日期。"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    imported = models.BooleanField(_("导入的历史收款"), default=False)
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
        triggers = records.append_only("payment_append_only")

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
        triggers = records.append_only("allocation_append_only")

    def __str__(self):
        return f"{self.payment_id} → {self.bill_id}: {self.amount}"


class DemandLetter(models.Model):
    """A written demand for arrears (Civil Code art. 944): the record that it was issued, and when."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="demand_letters")
    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="demand_letters")
    addressee = models.CharField(_("致"), max_length=200)
    amount = money_field(_("欠费金额"))
    bills = models.ManyToManyField(Bill, verbose_name=_("账单"), related_name="+")
    issued_at = models.DateTimeField(_("发出时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pay_by = models.DateField(_("缴纳期限"))

    class Meta:
        verbose_name = _("催交通知书")
        verbose_name_plural = _("催交通知书")
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.estate_id}/{self.unit_id} {timezone.localtime(self.issued_at):%Y-%m-%d}"


# --------------------------------------------------------------------------- ledgers


class Ledger(models.TextChoices):
    INCOME = "income", _("收入账")
    EXPENDITURE = "expenditure", _("支出账")
    FUND = "fund", _("维修资金分户账")


class Category(models.TextChoices):
    FEES = "fees", _("物业费收入")
    COMMON_INCOME = "common", _("公共收益")
    OTHER_INCOME = "other_in", _("其他收入")
    REMUNERATION = "remuneration", _("物业企业酬金")
    SERVICES = "services", _("服务支出")
    REPAIRS = "repairs", _("日常维修养护")
    UTILITIES = "utilities", _("公共能耗")
    OTHER_SPENDING = "other_out", _("其他支出")
    FUND_DEPOSIT = "deposit", _("首期交存")
    FUND_TOPUP = "topup", _("续交")
    FUND_INTEREST = "interest", _("利息")
    FUND_INCOME = "fund_income", _("收益转入")
    FUND_USE = "use", _("维修使用")
    FUND_REFUND = "refund", _("退还")


INCOME_CATEGORIES = (Category.FEES, Category.COMMON_INCOME, Category.OTHER_INCOME)
SPENDING_CATEGORIES = (
    Category.REMUNERATION,
    Category.SERVICES,
    Category.REPAIRS,
    Category.UTILITIES,
    Category.OTHER_SPENDING,
)
# The fund ledger is one account per unit: money in is positive, money out negative,
# so a sub-account's balance is the plain sum of its entries.
FUND_IN = (Category.FUND_DEPOSIT, Category.FUND_TOPUP, Category.FUND_INTEREST, Category.FUND_INCOME)
FUND_OUT = (Category.FUND_USE, Category.FUND_REFUND)
LEDGER_CATEGORIES = {
    Ledger.INCOME: INCOME_CATEGORIES,
    Ledger.EXPENDITURE: SPENDING_CATEGORIES,
    Ledger.FUND: FUND_IN + FUND_OUT,
}


class LedgerEntry(models.Model):
    """One line of an estate's income or expenditure ledger, or of one unit's maintenance-fund
    sub-account. Never updated, never deleted: a mistake is undone by a reversing entry
    (the negated amount) that points at it."""

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
    imported = models.BooleanField(_("导入"), default=False, help_text=_("由其他系统的历史记录导入。"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", verbose_name=_("冲销凭证"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entry"
    )
    expenditure = models.OneToOneField(
        "Expenditure", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entry"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("房屋"), null=True, blank=True, on_delete=models.PROTECT, related_name="fund_entries"
    )
    fund_use = models.ForeignKey(
        "FundUse", verbose_name=_("维修项目"), null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )

    class Meta:
        verbose_name = _("账簿分录")
        verbose_name_plural = _("账簿分录")
        ordering = ["estate", "ledger", "year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "ledger", "year", "number"], name="voucher_number_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=(Q(ledger="income") & Q(category__in=INCOME_CATEGORIES))
                | (Q(ledger="expenditure") & Q(category__in=SPENDING_CATEGORIES))
                | (Q(ledger="fund") & Q(category__in=FUND_IN + FUND_OUT)),
                name="ledger_category_matches",
            ),
            # Every fund movement belongs to one unit's sub-account; nothing else has a unit.
            models.CheckConstraint(
                condition=(Q(ledger="fund") & Q(unit__isnull=False)) | (~Q(ledger="fund") & Q(unit__isnull=True)),
                name="fund_entry_has_unit",
            ),
            # Money out of a sub-account is negative, everything else positive; a reversal flips the sign.
            models.CheckConstraint(
                condition=(
                    Q(reverses__isnull=True)
                    & ((Q(amount__gt=0) & ~Q(category__in=FUND_OUT)) | (Q(amount__lt=0) & Q(category__in=FUND_OUT)))
                )
                | (
                    Q(reverses__isnull=False)
                    & ((Q(amount__lt=0) & ~Q(category__in=FUND_OUT)) | (Q(amount__gt=0) & Q(category__in=FUND_OUT)))
                ),
                name="entry_sign_follows_category",
            ),
        ]
        indexes = [models.Index(fields=["estate", "entry_date"]), models.Index(fields=["unit", "entry_date"])]
        triggers = records.append_only("ledger_append_only")

    def __str__(self):
        return self.voucher

    @property
    def voucher(self) -> str:
        return voucher(self.ledger, self.year, self.number)


VOUCHER_PREFIX = {Ledger.INCOME: "收", Ledger.EXPENDITURE: "支", Ledger.FUND: "维"}


def voucher(ledger: str, year: int, number: int) -> str:
    return f"{VOUCHER_PREFIX[ledger]}{year}-{number:05d}"


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
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ExpenditureStatus.choices, default=ExpenditureStatus.REQUESTED
    )
    members_total = models.PositiveSmallIntegerField(_("审批时委员总数"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("不予批准的理由"), blank=True)
    vote = models.ForeignKey(
        "committees.Vote", verbose_name=_("业主表决"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The members in favour, each in their own hand (committees.consents).
    consents = GenericRelation("committees.Consent", content_type_field="subject_type", object_id_field="subject_id")

    class Meta:
        verbose_name = _("支出申请")
        verbose_name_plural = _("支出申请")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expenditure_amount_positive"),
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(reason=""), name="refusal_has_reason"),
        ]
        # The committee's decision (who approved, when, the count, the reason) is final once taken.
        triggers = records.append_only(
            "expenditure_decided_final",
            allow="IF OLD.status NOT IN ('posted', 'refused') THEN RETURN NEW; END IF;",
        )

    def __str__(self):
        return f"{self.payee} {self.amount}"


# --------------------------------------------------------------------------- disclosure


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class Subject(models.TextChoices):
    FEES = "fees", _("物业费收支")
    FUND = "fund", _("维修资金")


class Statement(models.Model):
    """A published disclosure statement: the PDF as it was published, and the fingerprint of its rows.
    It closes its period in the books it discloses (its ``subject``)."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="statements")
    subject = models.CharField(_("公开内容"), max_length=10, choices=Subject.choices, default=Subject.FEES)
    kind = models.CharField(_("报表类型"), max_length=10, choices=PeriodKind.choices)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    fingerprint = models.CharField(_("数字指纹"), max_length=64)
    pdf = models.FileField(_("PDF"), upload_to="statements/%Y/")
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notice = models.ForeignKey("cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("收支公开报表")
        verbose_name_plural = _("收支公开报表")
        ordering = ["-ends_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "subject", "kind", "starts_on"], name="one_statement_per_period")
        ]
        # A statement is stored when it is published and never changes; only the link to its
        # notice is cleared when an editor deletes that notice page (on_delete=SET_NULL).
        triggers = records.append_only(
            "statement_append_only",
            allow=f"IF NEW.notice_id IS NULL AND {records.unchanged_but('notice_id')} THEN RETURN NEW; END IF;",
        )

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


# --------------------------------------------------------------------------- maintenance fund


class FundAccount(models.Model):
    """An estate's maintenance-fund special account (专户, order 165).

    Until the fund is handed to the owners' assembly the housing department keeps it
    and reviews its payouts; from ``handed_over_on`` the committee does.
    """

    estate = models.OneToOneField(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="fund_account")
    bank = models.CharField(_("开户银行"), max_length=100)
    account_number = models.CharField(_("专户账号"), max_length=40)
    construction_cost = money_field(_("住宅建安造价（元/㎡）"))
    deposit_pct = models.DecimalField(_("首期交存比例（%）"), max_digits=5, decimal_places=2)
    rate = money_field(_("首期交存标准（元/㎡）"))
    custodian = models.CharField(_("代管单位"), max_length=200)
    opened_on = models.DateField(_("开户日期"))
    handed_over_on = models.DateField(_("移交业主大会日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("维修资金专户")
        verbose_name_plural = _("维修资金专户")
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0) & Q(construction_cost__gt=0), name="fund_rate_positive"),
        ]

    def __str__(self):
        return f"{self.estate} {self.account_number}"

    def handed_over(self, on: date) -> bool:
        return self.handed_over_on is not None and self.handed_over_on <= on

    def keeper_name(self, on: date) -> str:
        """Who keeps the fund on ``on``, as entries and statements name it: the custodian
        before the hand-over, the estate's owners' assembly after."""
        return f"{self.estate.name}业主大会" if self.handed_over(on) else self.custodian


class SubAccount(models.Model):
    """A unit's sub-account (分户账). It belongs to the unit, so it moves with it on a sale.
    Its balance is the sum of the unit's fund entries; the first deposit is kept here
    because the top-up rule (art. 17) measures the balance against it."""

    account = models.ForeignKey(
        FundAccount, verbose_name=_("专户"), on_delete=models.PROTECT, related_name="subaccounts"
    )
    unit = models.OneToOneField(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="fund_subaccount")
    area = models.DecimalField(_("交存面积（㎡）"), max_digits=10, decimal_places=2)
    first_deposit = money_field(_("首期交存额"))
    opened_on = models.DateField(_("建账日期"))

    class Meta:
        verbose_name = _("分户账")
        verbose_name_plural = _("分户账")
        ordering = ["account", "unit"]
        constraints = [models.CheckConstraint(condition=Q(first_deposit__gt=0), name="first_deposit_positive")]

    def __str__(self):
        return str(self.unit)


class FundUseKind(models.TextChoices):
    ROOF = "roof", _("屋面防水")
    LIFT = "lift", _("电梯")
    PIPES = "pipes", _("供排水管道")
    FACADE = "facade", _("外墙")
    FIRE = "fire", _("消防设施")
    OTHER = "other", _("其他共用部位、设施")


class FundUseStatus(models.TextChoices):
    PLANNED = "planned", _("方案拟定")
    VOTING = "voting", _("业主表决中")
    FAILED = "failed", _("表决未通过")
    APPROVED = "approved", _("表决通过，待公示")
    PUBLICIZED = "publicized", _("已公示，施工中")
    WORKS_DONE = "done", _("已完工，待申请拨付")
    APPLIED = "applied", _("拨付待审核")
    RETURNED = "returned", _("审核退回")
    CLEARED = "cleared", _("审核通过，待拨付")
    PAID = "paid", _("已拨付，待公示结算")
    SETTLED = "settled", _("结算已公示")


class FundUse(models.Model):
    """A request to use the fund for one project, charged to the units of its scope by area."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="fund_uses")
    title = models.CharField(_("项目名称"), max_length=100)
    kind = models.CharField(_("维修部位"), max_length=10, choices=FundUseKind.choices)
    plan = models.TextField(_("维修方案"))
    budget = money_field(_("预算"))
    contractor = models.CharField(_("施工单位"), max_length=200)
    quotes = models.TextField(_("报价情况"), blank=True, help_text=_("比选的各家报价，一行一家。"))
    emergency = models.BooleanField(
        _("应急使用"), default=False, help_text=_("危及房屋安全的紧急情况，不经表决先行使用，事后公示。")
    )
    emergency_reason = models.TextField(_("紧急情况说明"), blank=True)
    buildings = models.ManyToManyField(
        "community.Building", verbose_name=_("分摊范围（楼栋）"), blank=True, related_name="+"
    )
    units = models.ManyToManyField(Unit, verbose_name=_("分摊房屋"), through="ChargedUnit", related_name="fund_uses")
    status = models.CharField(_("状态"), max_length=10, choices=FundUseStatus.choices, default=FundUseStatus.PLANNED)
    vote = models.ForeignKey(
        "committees.Vote", verbose_name=_("业主表决"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan_notice = models.ForeignKey(
        "cms.NoticePage",
        verbose_name=_("方案及表决结果公示"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    works_done_on = models.DateField(_("竣工日期"), null=True, blank=True)
    acceptance = models.TextField(_("竣工验收情况"), blank=True)
    settlement = money_field(_("结算金额"), null=True, blank=True)
    invoice = models.FileField(_("结算单据"), upload_to="fund/%Y/", blank=True)
    comments = models.TextField(_("审核意见"), blank=True, help_text=_("退回时的意见，或表决未通过的原因。"))
    paid_on = models.DateField(_("拨付日期"), null=True, blank=True)
    publish_by = models.DateField(_("应急使用公示期限"), null=True, blank=True)
    settlement_notice = models.ForeignKey(
        "cms.NoticePage", verbose_name=_("结算公示"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提出时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The committee members agreeing to the payout when the committee keeps the fund (committees.consents).
    consents = GenericRelation("committees.Consent", content_type_field="subject_type", object_id_field="subject_id")

    class Meta:
        verbose_name = _("维修资金使用申请")
        verbose_name_plural = _("维修资金使用申请")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="fund_use_budget_positive"),
            models.CheckConstraint(
                condition=Q(settlement__isnull=True) | Q(settlement__gt=0), name="fund_use_settlement_positive"
            ),
            models.CheckConstraint(condition=Q(emergency=False) | ~Q(emergency_reason=""), name="emergency_has_reason"),
        ]
        indexes = [models.Index(fields=["estate", "status"])]

    def __str__(self):
        return self.title


class ChargedUnit(models.Model):
    """A unit in a use's charged scope, with its area and its share of the budget, fixed when
    the plan is made: what its owner sees before voting, and the weights of the payout."""

    use = models.ForeignKey(FundUse, verbose_name=_("维修项目"), on_delete=models.CASCADE, related_name="charged")
    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(_("分摊面积（㎡）"), max_digits=10, decimal_places=2)
    planned_share = money_field(_("按预算分摊额"))

    class Meta:
        verbose_name = _("分摊房屋")
        verbose_name_plural = _("分摊房屋")
        constraints = [models.UniqueConstraint(fields=["use", "unit"], name="charged_once")]

    def __str__(self):
        return f"{self.use_id}/{self.unit_id}: {self.area} ㎡"


class FundUseStep(models.Model):
    """One step of a request: the status it reached, when, by whom, and what was said."""

    use = models.ForeignKey(FundUse, verbose_name=_("维修项目"), on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(_("状态"), max_length=10, choices=FundUseStatus.choices)
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["use", "pk"]
        triggers = records.append_only("fund_use_step_append_only")

    def __str__(self):
        return f"{self.use_id}: {self.get_status_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"
