"""Input for the household page: field checks only; the rules stay in ``residents.household``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Relation


class InviteForm(forms.Form):
    unit = forms.IntegerField(label=_("房屋"), widget=forms.HiddenInput, error_messages={"required": _("请选择房屋。")})
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        error_messages={"required": _("请填写被邀请人的手机号码。")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("称呼"), max_length=50, required=False)
    relation = forms.ChoiceField(
        label=_("关系"), choices=Relation.choices, error_messages={"required": _("请选择关系：家庭成员或租户。")}
    )
