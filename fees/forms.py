"""Input parsing for the fee pages, with Chinese messages. The rules are the services'."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from committees.votes.forms import VoteWindowForm

from .models import INCOME_CATEGORIES, SPENDING_CATEGORIES, Category, ItemKind, PaymentMethod, PeriodKind, PriceType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
KIND_WORDS = {
    "按面积": ItemKind.PER_AREA,
    "面积": ItemKind.PER_AREA,
    "按户": ItemKind.PER_UNIT,
    "户": ItemKind.PER_UNIT,
    "车位": ItemKind.PARKING,
    **{k.value: k.value for k in ItemKind},
}


MAX_UPLOAD = 10 * 1024 * 1024


def _limited(upload):
    """An attached file, refused above 10 MB."""
    if upload and upload.size > MAX_UPLOAD:
        raise forms.ValidationError(_("附件不能超过 10 MB。"))
    return upload


class BillingForm(forms.Form):
    period = forms.CharField(label=_("账期（年-月）"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))

    def clean_period(self):
        try:
            year, month = (int(p) for p in self.cleaned_data["period"].split("-"))
            return date(year, month, 1)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("请按“2026-03”的格式填写账期。")) from None


class ScheduleForm(forms.Form):
    effective_from = forms.DateField(label=_("执行日期（某月 1 日）"), widget=DATE)
    items = forms.CharField(
        label=_("收费项目"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项：名称 计费单位 单价。计费单位写“按面积”“按户”或“车位”，例如：物业服务费 按面积 1.85"),
    )
    service_content = forms.CharField(label=_("服务内容"), widget=forms.Textarea(attrs={"rows": 2}))
    service_standard = forms.CharField(label=_("服务标准"), max_length=500)
    billing_method = forms.CharField(label=_("计费方式"), max_length=200, initial=_("按月计费，每月 1 日出账"))
    billing_starts_on = forms.DateField(label=_("计费起始日期"), widget=DATE)
    price_type = forms.ChoiceField(label=_("价格管理形式"), choices=PriceType.choices)
    legal_basis = forms.CharField(label=_("收费依据"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean_items(self):
        items = []
        for number, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 3 or parts[1] not in KIND_WORDS:
                raise forms.ValidationError(
                    _("第 %(n)s 行“%(line)s”应为：名称 计费单位 单价。"), params={"n": number, "line": line.strip()}
                )
            items.append((parts[0], KIND_WORDS[parts[1]], parts[2]))
        return items


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2, min_value=0.01)
    paid_on = forms.DateField(label=_("收款日期"), widget=DATE, initial=timezone.localdate)
    method = forms.ChoiceField(label=_("方式"), choices=PaymentMethod.choices)
    payer = forms.CharField(label=_("交款人"), max_length=200)
    note = forms.CharField(
        label=_("备注"), max_length=200, required=False, help_text=_("补登以前日期的收款须写明原因。")
    )
    bills = forms.ModelMultipleChoiceField(label=_("核销账单"), queryset=None, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, bills, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bills"].queryset = bills
        self.fields["bills"].label_from_instance = lambda b: (
            f"{b.period:%Y-%m} {b.item.name} {b.amount}（{b.addressee}）"
        )


class IncomeForm(forms.Form):
    category = forms.ChoiceField(
        label=_("类别"), choices=[(c.value, c.label) for c in INCOME_CATEGORIES if c != Category.FEES]
    )
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2, min_value=0.01)
    entry_date = forms.DateField(label=_("日期"), widget=DATE, initial=timezone.localdate)
    description = forms.CharField(label=_("摘要"), max_length=200)
    counterparty = forms.CharField(label=_("对方单位"), max_length=200, required=False)


class ReversalForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("冲销理由"), max_length=150)


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(label=_("报表类型"), choices=PeriodKind.choices)
    start = forms.DateField(
        label=_("起始日期"), widget=DATE, help_text=_("月报为当月 1 日，季报为季度首日，年报为 1 月 1 日。")
    )


class ExpenditureForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=[(c.value, c.label) for c in SPENDING_CATEGORIES])
    payee = forms.CharField(label=_("收款单位"), max_length=200)
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2, min_value=0.01)
    purpose = forms.CharField(label=_("用途"), widget=forms.Textarea(attrs={"rows": 2}))
    attachment = forms.FileField(label=_("附件（合同、发票或报价）"), required=False)

    def clean_attachment(self):
        return _limited(self.cleaned_data.get("attachment"))


class DecisionForm(forms.Form):
    in_favour = forms.ModelMultipleChoiceField(
        label=_("同意的委员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("不予批准的理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, seats, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["in_favour"].queryset = seats
        self.fields["in_favour"].label_from_instance = lambda m: f"{m.owner.name}（{m.get_role_display()}）"


class VoteForm(forms.Form):
    opens_at = forms.DateTimeField(label=_("表决开始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    closes_at = forms.DateTimeField(label=_("表决结束"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


# --------------------------------------------------------------------------- maintenance fund

MONEY = dict(max_digits=14, decimal_places=2, min_value=0.01)


class FundAccountForm(forms.Form):
    bank = forms.CharField(label=_("开户银行"), max_length=100)
    account_number = forms.CharField(label=_("专户账号"), max_length=40)
    construction_cost = forms.DecimalField(label=_("住宅建安造价（元/㎡）"), **MONEY)
    deposit_pct = forms.DecimalField(
        label=_("首期交存比例（%）"),
        max_digits=5,
        decimal_places=2,
        min_value=0.01,
        help_text=_("本区规则集规定的范围内，如 5 至 8。"),
    )
    custodian = forms.CharField(label=_("代管单位"), max_length=200, initial=_("区住房专项维修资金管理中心"))
    opened_on = forms.DateField(label=_("开户日期"), widget=DATE, initial=timezone.localdate)


class FundDateForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=DATE, initial=timezone.localdate)


class FundAmountForm(FundDateForm):
    amount = forms.DecimalField(label=_("金额（元）"), **MONEY)
    description = forms.CharField(label=_("摘要"), max_length=150, required=False)


class FundRefundForm(FundDateForm):
    amount = forms.DecimalField(label=_("金额（元）"), **MONEY)
    reason = forms.CharField(label=_("退还原因"), max_length=150)


class FundUseForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=100)
    kind = forms.ChoiceField(label=_("维修部位"), choices=[])
    plan = forms.CharField(label=_("维修方案"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    budget = forms.DecimalField(label=_("预算（元）"), **MONEY)
    contractor = forms.CharField(label=_("施工单位"), max_length=200)
    quotes = forms.CharField(
        label=_("报价情况"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=_("比选的各家报价，一行一家。"),
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("分摊范围（楼栋）"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选楼栋也不填房屋，则为全体业主。"),
    )
    rooms = forms.CharField(
        label=_("或：分摊房屋"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=50_000,
        required=False,
        help_text=_("只涉及部分房屋时，每行一户：楼栋 房号，如“3栋 101”。填写后以此为准。"),
    )
    emergency = forms.BooleanField(
        label=_("应急使用"),
        required=False,
        help_text=_("电梯困人、屋面漏水进户等危及安全的情况：不经表决先行维修，拨付后须公示。"),
    )
    emergency_reason = forms.CharField(
        label=_("紧急情况说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def __init__(self, *args, estate, **kwargs):
        from .models import FundUseKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = FundUseKind.choices
        self.fields["buildings"].queryset = estate.buildings.order_by("name")


class FundVoteForm(VoteWindowForm):
    branch_review = forms.ModelChoiceField(label=_("党支部事前审议"), queryset=None, required=False)

    def __init__(self, *args, reviews, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch_review"].queryset = reviews


class WorksDoneForm(forms.Form):
    done_on = forms.DateField(label=_("竣工日期"), widget=DATE, initial=timezone.localdate)
    acceptance = forms.CharField(label=_("竣工验收情况"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class PayoutApplicationForm(forms.Form):
    settlement = forms.DecimalField(label=_("结算金额（元）"), **MONEY)
    invoice = forms.FileField(label=_("结算单据"), required=False, help_text=_("不超过 10 MB。"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def clean_invoice(self):
        return _limited(self.cleaned_data.get("invoice"))


class FundReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"), choices=[("clear", _("审核通过")), ("return", _("退回"))], widget=forms.RadioSelect
    )
    comments = forms.CharField(
        label=_("审核意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=_("退回时必填。"),
    )


class PayOutForm(forms.Form):
    paid_on = forms.DateField(label=_("拨付日期"), widget=DATE, initial=timezone.localdate)


class FundYearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
