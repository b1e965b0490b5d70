"""Input parsing for the fee pages, with Chinese messages. The rules are the services'."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import uploads

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
    bills_automatically = forms.BooleanField(
        label=_("每月自动出账"), required=False, help_text=_("勾选后，每月 1 日由系统按本收费标准自动生成当月账单。")
    )

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
    attachment = forms.FileField(
        label=_("附件（合同、发票或报价）"),
        required=False,
        validators=[uploads.validate_attachment],
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


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


class HistoryUploadForm(forms.Form):
    """HC小区's 房屋缴费历史 sheet, exported from HC, for one estate."""

    file = forms.FileField(label=_("房屋缴费历史表（.xlsx 或 .csv，不超过 5 MB）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        uploads.check(upload, uploads.IMPORT)  # by content: an .xlsx workbook or a CSV text
        return upload
