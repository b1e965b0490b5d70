"""Input parsing for the handling-unit pages, with Chinese messages. The rules are in ``grid.units``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import District

from .models import UnitKind
from .units import REGISTERED_KINDS


class UnitForm(forms.Form):
    """A utility's or a department's unit; the district is asked only when the user has several."""

    district = forms.ModelChoiceField(label=_("所属区"), queryset=District.objects.none())
    name = forms.CharField(label=_("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("单位类型"), choices=[(k.value, k.label) for k in REGISTERED_KINDS])
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if districts is None:
            del self.fields["district"]
        else:
            self.fields["district"].queryset = districts
            only = list(districts[:2])
            if len(only) == 1:
                self.fields["district"].initial = only[0]
        self.fields["kind"].initial = UnitKind.UTILITY


class StaffForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=11,
        help_text=_("作为登录账号；该手机号已有账号的，沿用原账号。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
