"""Input parsing for the pages of residents' requests (报事报修), with Chinese messages.

The rules (who may report on which unit, how many photos, which moves are allowed) are the
services'; these forms only read what was typed, picked and photographed, and say in Chinese
what is missing before anything is sent to a service.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Estate
from community.uploads import PhotosField

from .models import CaseStatus, RequestKind

TEXT = forms.Textarea(attrs={"rows": 4})
RATINGS = [
    (5, _("★★★★★ 非常满意")),
    (4, _("★★★★ 满意")),
    (3, _("★★★ 一般")),
    (2, _("★★ 不满意")),
    (1, _("★ 非常不满意")),
]


def unit_label(unit) -> str:
    return f"{unit.building.estate.name} {unit.building.name}-{unit.room}"


class RequestForm(forms.Form):
    """报事报修: what, where, and up to the rule set's number of photos."""

    kind = forms.ChoiceField(
        label=_("类型"),
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择报事类型。"), "invalid_choice": _("请选择报事类型。")},
    )
    unit = forms.ModelChoiceField(
        label=_("房屋"),
        queryset=None,
        help_text=_("户内报修即报修这套房屋；其他类型针对这套房屋所在的小区。"),
        error_messages={
            "required": _("请选择房屋。"),
            "invalid_choice": _("所选房屋不是您的房屋。"),
        },
    )
    location = forms.CharField(label=_("具体位置（如 卫生间、3号楼电梯）"), max_length=100, required=False)
    description = forms.CharField(
        label=_("问题描述"), widget=TEXT, max_length=2000, error_messages={"required": _("请描述需要处理的问题。")}
    )

    def __init__(self, *args, units, photos_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = unit_label
        self.fields["unit"].empty_label = _("请选择") if len(units) != 1 else None
        self.fields["photos"] = PhotosField(
            label=_("照片（选填，最多 %(n)s 张）") % {"n": photos_max}, most=photos_max, required=False
        )

    def estate(self) -> Estate:
        return self.cleaned_data["unit"].building.estate


class RatingField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("评分"),
            choices=RATINGS,
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={
                "required": _("请选择 1 至 5 星的评分。"),
                "invalid_choice": _("请选择 1 至 5 星的评分。"),
            },
            **kwargs,
        )


class RateForm(forms.Form):
    """确认并评价 (a handled request), or 评价 (a request closed without the reporter)."""

    rating = RatingField()
    comment = forms.CharField(
        label=_("评价（选填）"), widget=forms.Textarea(attrs={"rows": 2}), max_length=300, required=False
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("仍未解决的问题"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": _("请说明仍未解决的问题。")},
    )


# --------------------------------------------------------------------------- handling units' staff

QUEUE_STATUSES = [
    ("", _("在办（全部）")),
    (CaseStatus.REPORTED, _("新报事，待派工")),
    (CaseStatus.DISPATCHED, _("处理中")),
    (CaseStatus.HANDLED, _("已处理，待确认")),
    (CaseStatus.CLOSED, _("已办结")),
]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=QUEUE_STATUSES, required=False)
    estate = forms.ModelChoiceField(label=_("小区"), queryset=Estate.objects.none(), required=False)

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.fields["estate"].empty_label = _("全部")
        self.fields["estate"].error_messages["invalid_choice"] = _("所选小区没有交给您单位办理的报事。")


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(
        label=_("经办人"),
        queryset=None,
        error_messages={"required": _("请选择经办人。"), "invalid_choice": _("所选经办人不是本单位的工作人员。")},
    )
    note = forms.CharField(
        label=_("派工说明（选填）"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000, required=False
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = staff
        self.fields["handler"].empty_label = _("请选择")
        self.fields["handler"].label_from_instance = lambda u: u.get_full_name() or u.username


class WorkForm(forms.Form):
    """处置: what was done, with photos of the work."""

    note = forms.CharField(
        label=_("处理情况"), widget=TEXT, max_length=2000, error_messages={"required": _("请填写处理情况。")}
    )

    def __init__(self, *args, photos_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"] = PhotosField(
            label=_("处理照片（选填，最多 %(n)s 张）") % {"n": photos_max}, most=photos_max, required=False
        )
