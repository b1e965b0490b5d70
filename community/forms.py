"""Input parsing for the registry pages: the directory and estate filters, the import upload."""

from django import forms
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from . import hc_import, uploads
from .audit import ACTIONS
from .models import Building, Community, Estate, Grid, ManagementState, Street


class EstateFilterForm(forms.Form):
    """The directory's filters; choices are limited to what the user may see."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=50, strip=True)
    street = forms.ModelChoiceField(label=_("街道"), queryset=Street.objects.none(), required=False)
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none(), required=False)
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), required=False)
    state = forms.ChoiceField(
        label=_("管理状态"), choices=[("", _("全部"))] + list(ManagementState.choices), required=False
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = choices["streets"]
        communities = choices["communities"]
        grids = choices["grids"]
        street = self.data.get("street")
        community = self.data.get("community")
        if street and str(street).isdigit():
            communities = communities.filter(street_id=street)
        if community and str(community).isdigit():
            grids = grids.filter(community_id=community)
        else:
            grids = grids.none()
        self.fields["community"].queryset = communities
        self.fields["grid"].queryset = grids
        for name in ("street", "community", "grid"):
            self.fields[name].error_messages["invalid_choice"] = _("所选%(field)s不存在或不在您的管辖范围内。") % {
                "field": self.fields[name].label
            }
            self.fields[name].empty_label = _("全部")


class UnitFilterForm(forms.Form):
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none(), required=False)

    def __init__(self, *args, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(estate=estate).order_by("id")
        self.fields["building"].label_from_instance = lambda building: building.name
        self.fields["building"].empty_label = _("全部楼栋")
        self.fields["building"].error_messages["invalid_choice"] = _("所选楼栋不属于本小区。")


class UploadForm(forms.Form):
    """A registry spreadsheet for one of ``estates`` (those the user may change)."""

    estate = forms.ModelChoiceField(label=gettext_lazy("小区"), queryset=Estate.objects.none())
    file = forms.FileField(label=gettext_lazy("房屋与业主表（.xlsx 或 .csv，不超过 5 MB）"))
    developer = forms.CharField(
        label=gettext_lazy("开发建设单位名称（HC小区格式：未销售房屋 2002 归其持有）"),
        required=False,
        max_length=100,
        strip=True,
    )
    area_source = forms.ChoiceField(
        label=gettext_lazy("HC小区“建筑面积”导入为"),
        choices=hc_import.AREA_SOURCES,
        initial=hc_import.SURVEYED,
        required=False,
    )

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.fields["estate"].label_from_instance = lambda e: f"{e.name}（{e.grid.community.name}）"
        self.fields["estate"].error_messages["invalid_choice"] = gettext("所选小区不存在或不在您的管辖范围内。")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        uploads.check(upload, uploads.IMPORT)  # by content: an .xlsx workbook or a CSV text
        return upload


class AuditFilterForm(forms.Form):
    """The audit page's search: by person, action, object and date range."""

    user = forms.CharField(label=_("用户名"), required=False, max_length=150, strip=True)
    action = forms.ChoiceField(label=_("操作"), required=False)
    obj = forms.CharField(
        label=_("对象"),
        required=False,
        max_length=200,
        strip=True,
        help_text=_("对象名称中的文字，或“类型:编号”，如 fees.payment:12"),
    )
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部"))] + [(k, v) for k, v in ACTIONS.items()]
        self.fields["action"].error_messages["invalid_choice"] = _("没有这种操作。")
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = _("请输入正确的日期，如 2026-01-31。")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("截止日期不能早于起始日期。"))
        return data
