"""Input parsing for the grid pages, with Chinese messages. The rules are the services'."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Community, Estate, Grid, Street
from community.uploads import PhotosField

from .models import CaseStatus, Category, HandlingUnit, Level

TEXT = forms.Textarea(attrs={"rows": 3})
NOT_YOURS = _("所选%(field)s不存在或不在您的管辖范围内。")
BAD_MONTH = _("月份格式应为“2025-03”。")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class ReportForm(forms.Form):
    estate = forms.ModelChoiceField(label=_("小区"), queryset=Estate.objects.none())
    category = forms.ChoiceField(
        label=_("问题类别"),
        choices=[("", _("请选择"))] + list(Category.choices),
        error_messages={"required": _("请选择问题类别。")},
    )
    location = forms.CharField(label=_("具体位置（如 3号楼北侧）"), max_length=100, required=False)
    description = forms.CharField(
        label=_("问题描述"), widget=TEXT, max_length=2000, error_messages={"required": _("请描述发现的问题。")}
    )
    photos = PhotosField(label=_("现场照片"), error_messages={"required": _("请拍摄或上传现场照片。")})

    def __init__(self, *args, estates, photos_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].most = photos_max
        self.fields["photos"].label = _("现场照片（最多 %(n)s 张）") % {"n": photos_max}
        self.fields["estate"].queryset = estates
        self.fields["estate"].empty_label = _("请选择")
        self.fields["estate"].error_messages["invalid_choice"] = _("所选小区不在您负责的网格内。")
        self.fields["estate"].label_from_instance = lambda e: f"{e.name}（{e.grid.community.name}{e.grid.name}）"


class DispatchForm(forms.Form):
    """The district's active handling units (the service checks the district and ``active`` again)."""

    unit = forms.ModelChoiceField(
        label=_("处置单位"),
        queryset=HandlingUnit.objects.none(),
        error_messages={"required": _("请选择处置单位。"), "invalid_choice": _("请选择本区在用的处置单位。")},
    )
    note = forms.CharField(label=_("分派说明"), widget=TEXT, max_length=1000, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = _("请选择")
        self.fields["unit"].label_from_instance = lambda u: f"{u.name}（{u.get_kind_display()}）"


class HandleForm(forms.Form):
    note = forms.CharField(label=_("处置情况"), widget=TEXT, max_length=2000)
    photos = PhotosField(label=_("处置照片（可不传）"), required=False)

    def __init__(self, *args, photos_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].most = photos_max


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("核查意见（不通过时必填）"), widget=TEXT, max_length=1000, required=False)


class MonthField(forms.CharField):
    """A calendar month written 2025-03, cleaned to its first day."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = _MONTH.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError(BAD_MONTH)
        return date(int(match.group(1)), int(match.group(2)), 1)


class ScopeForm(forms.Form):
    """A street or community within the reader's scope (the dashboard and its lists)."""

    street = forms.ModelChoiceField(label=_("街道"), queryset=Street.objects.none(), required=False)
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none(), required=False)

    def __init__(self, *args, streets, communities, **kwargs):
        super().__init__(*args, **kwargs)
        street = self.data.get("street")
        if street and str(street).isdigit():
            communities = communities.filter(street_id=street)
        self.fields["street"].queryset = streets
        self.fields["community"].queryset = communities
        for name in ("street", "community"):
            self.fields[name].empty_label = _("全部")
            self.fields[name].error_messages["invalid_choice"] = NOT_YOURS % {"field": self.fields[name].label}


class CaseFilterForm(ScopeForm):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + list(CaseStatus.choices), required=False)
    level = forms.ChoiceField(label=_("督办级别"), choices=[("", _("全部"))] + list(Level.choices), required=False)
    open = forms.BooleanField(label=_("只看在办"), required=False)
    overdue = forms.BooleanField(label=_("只看超时"), required=False)
    escalated = forms.BooleanField(label=_("只看督办"), required=False)
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), required=False)
    estate = forms.ModelChoiceField(
        label=_("小区"), queryset=Estate.objects.none(), required=False, widget=forms.HiddenInput
    )
    opened = MonthField(label=_("上报月份"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    closed = MonthField(label=_("结案月份"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    since = forms.DateField(label=_("上报不早于"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, grids, estates, **kwargs):
        super().__init__(*args, **kwargs)
        community = self.data.get("community")
        self.fields["grid"].queryset = (
            grids.filter(community_id=community) if community and str(community).isdigit() else grids
        )
        self.fields["estate"].queryset = estates
        for name in ("grid", "estate"):
            self.fields[name].empty_label = _("全部")
            self.fields[name].error_messages["invalid_choice"] = NOT_YOURS % {"field": self.fields[name].label}


class DayScopeForm(ScopeForm):
    on = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    since = forms.DateField(label=_("选举日期不早于"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
