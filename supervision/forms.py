"""Input checks of the assessment pages, with Chinese messages; the rules stay in the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Estate

from .scoring import COMPONENTS, LABELS

SCORE_MESSAGES = {
    "min_value": _("得分不能低于 0 分。"),
    "max_value": _("得分不能高于 100 分。"),
    "max_decimal_places": _("得分最多一位小数。"),
    "invalid": _("请填写数字。"),
}


def score_field(label, *, required=True):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        error_messages={**SCORE_MESSAGES, "required": _("请填写得分。")},
    )


class InspectionForm(forms.Form):
    estate = forms.ModelChoiceField(
        label=_("小区"),
        queryset=Estate.objects.none(),
        required=False,
        empty_label=_("企业整体（区级检查）"),
    )
    inspected_on = forms.DateField(
        label=_("检查日期"), widget=forms.DateInput(attrs={"type": "date"}), error_messages={"invalid": _("日期无效。")}
    )
    score = score_field(_("检查得分（0–100）"))
    note = forms.CharField(
        label=_("检查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, estates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates if estates is not None else Estate.objects.none()


class PublishForm(forms.Form):
    year = forms.IntegerField(
        label=_("评价年度"), min_value=2000, max_value=2100, error_messages={"invalid": _("年度无效。")}
    )


class ObjectionForm(forms.Form):
    component = forms.ChoiceField(
        label=_("异议分项"), required=False, choices=[("", _("总分"))] + [(c, LABELS[c]) for c in COMPONENTS]
    )
    reason = forms.CharField(label=_("异议理由"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class DecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("裁决"),
        choices=[("1", _("异议成立，更正总分")), ("0", _("异议不成立，维持原分"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    revised_total = score_field(_("更正后总分"), required=False)
    decision = forms.CharField(label=_("裁决理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
