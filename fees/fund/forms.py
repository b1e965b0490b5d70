"""Input parsing for the maintenance-fund pages, with Chinese messages.

Amounts, dates and the texts a use request needs; every rule (rates, budgets, who may act)
is the fund services'.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from committees.votes.forms import VoteWindowForm
from community import uploads

from ..forms import DATE
from ..models import FundUseKind

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
    invoice = forms.FileField(
        label=_("结算单据"),
        required=False,
        help_text=_("不超过 10 MB。"),
        validators=[uploads.validate_attachment],
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


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
    in_favour = forms.ModelMultipleChoiceField(
        label=_("同意拨付的委员"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("业主委员会审核通过须经全体委员规定比例同意；他人代为登记的，须委员本人登录确认后生效。"),
    )

    def __init__(self, *args, seats=None, **kwargs):
        """``seats``: the committee's seated members when the committee keeps the fund; none otherwise."""
        super().__init__(*args, **kwargs)
        if seats is None:
            del self.fields["in_favour"]
        else:
            self.fields["in_favour"].queryset = seats
            self.fields["in_favour"].label_from_instance = lambda m: f"{m.owner.name}（{m.get_role_display()}）"


class PayOutForm(forms.Form):
    paid_on = forms.DateField(label=_("拨付日期"), widget=DATE, initial=timezone.localdate)


class FundYearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
