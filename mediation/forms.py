"""Input parsing for the mediation pages, with Chinese messages. The rules are the services'."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Community, Estate, ServiceContract, Unit

from .models import (
    AgreementForm as Form_,
)
from .models import (
    Category,
    Decision,
    PartyKind,
    Performance,
    Position,
    SessionWish,
    Side,
    SignMethod,
)
from .services import PartySpec

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
TEXT = forms.Textarea(attrs={"rows": 3})
UNKNOWN_UNIT = _("小区里没有房屋“%(text)s”：请按“楼栋 房号”填写，如“3号楼 602”。")
NO_OWNER = _("房屋“%(unit)s”没有登记在册的业主。")
NO_COMPANY = _("该小区目前没有在约的物业服务企业。")
NEEDS_UNIT = _("当事人是业主时，请填写其房屋。")
NEEDS_NAME = _("请填写其他当事人的姓名或名称。")
NO_USER = _("账号“%(username)s”不存在：请先由系统管理员建立账号。")


def find_unit(estate: Estate, text: str) -> Unit:
    parts = text.replace("-", " ").replace("，", " ").split()
    unit = None
    if len(parts) == 2:
        unit = (
            Unit.objects.filter(building__estate=estate, building__name=parts[0], room=parts[1])
            .select_related("building")
            .first()
        )
    if unit is None:
        raise forms.ValidationError(UNKNOWN_UNIT, params={"text": text})
    return unit


class RoomForm(forms.Form):
    community = forms.ModelChoiceField(label=_("所属社区"), queryset=Community.objects.none())
    name = forms.CharField(label=_("名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200)
    hours = forms.CharField(label=_("开放时间"), max_length=100, initial=_("工作日 9:00-17:00"))
    phone = forms.CharField(label=_("办公电话"), max_length=30, required=False)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["community"].error_messages["invalid_choice"] = _("所选社区不在您的管辖范围内。")


class AppointForm(forms.Form):
    username = forms.CharField(label=_("登录账号"), max_length=150)
    name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = forms.CharField(label=_("手机"), max_length=11, required=False)
    position = forms.ChoiceField(label=_("职务"), choices=Position.choices)
    appointed_on = forms.DateField(label=_("任职日期"), widget=DATE)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(NO_USER, params={"username": username})
        return user


class CaseForm(forms.Form):
    """A dispute as the registration desk takes it down: the estate, who against whom, what happened."""

    estate = forms.ModelChoiceField(label=_("小区"), queryset=Estate.objects.none())
    unit = forms.CharField(label=_("涉及房屋（楼栋 房号，可不填）"), max_length=40, required=False)
    category = forms.ChoiceField(label=_("纠纷类别"), choices=Category.choices)
    applicant_kind = forms.ChoiceField(label=_("申请人类别"), choices=PartyKind.choices)
    applicant_unit = forms.CharField(label=_("申请人房屋（业主填写）"), max_length=40, required=False)
    applicant_name = forms.CharField(label=_("申请人姓名或名称（其他当事人填写）"), max_length=100, required=False)
    respondent_kind = forms.ChoiceField(label=_("被申请人类别"), choices=PartyKind.choices, initial=PartyKind.COMPANY)
    respondent_unit = forms.CharField(label=_("被申请人房屋（业主填写）"), max_length=40, required=False)
    respondent_name = forms.CharField(label=_("被申请人姓名或名称（其他当事人填写）"), max_length=100, required=False)
    facts = forms.CharField(label=_("纠纷事实"), widget=TEXT, max_length=4000)
    claims = forms.CharField(label=_("申请事项"), widget=TEXT, max_length=2000)
    session_wish = forms.ChoiceField(label=_("公开调解意愿"), choices=SessionWish.choices)
    requested_mediator = forms.ModelChoiceField(label=_("当事人选择的调解员"), queryset=None, required=False)
    refused_mediators = forms.ModelMultipleChoiceField(
        label=_("当事人拒绝的调解员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, estates, mediators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.fields["estate"].error_messages["invalid_choice"] = _("所选小区不在调解室所在街道。")
        self.fields["requested_mediator"].queryset = mediators
        self.fields["refused_mediators"].queryset = mediators

    def _parties(self, side: str, estate: Estate) -> list[PartySpec]:
        kind = self.cleaned_data[f"{side}_kind"]
        text = self.cleaned_data[f"{side}_unit"].strip()
        name = self.cleaned_data[f"{side}_name"].strip()
        role = Side.APPLICANT if side == "applicant" else Side.RESPONDENT
        if kind == PartyKind.OWNER:
            if not text:
                raise forms.ValidationError(NEEDS_UNIT)
            unit = find_unit(estate, text)
            owners = [o.owner for o in unit.ownerships.in_force().select_related("owner")]
            if not owners:
                raise forms.ValidationError(NO_OWNER, params={"unit": str(unit)})
            address = f"{estate.name}{unit.building.name}{unit.room}"
            return [PartySpec(side=role, kind=kind, owner=o, address=address, mobile=o.mobile or "") for o in owners]
        if kind == PartyKind.COMPANY:
            contract = (
                ServiceContract.objects.in_force(timezone.localdate())
                .filter(estate=estate)
                .select_related("company")
                .first()
            )
            if contract is None:
                raise forms.ValidationError(NO_COMPANY)
            return [PartySpec(side=role, kind=kind, company=contract.company)]
        if kind == PartyKind.COMMITTEE:
            return [PartySpec(side=role, kind=kind, address=estate.name)]
        if not name:
            raise forms.ValidationError(NEEDS_NAME)
        return [PartySpec(side=role, kind=kind, name=name)]

    def clean(self):
        data = super().clean()
        estate = data.get("estate")
        if estate is None or self.errors:
            return data
        data["unit"] = find_unit(estate, data["unit"]) if data.get("unit", "").strip() else None
        data["parties"] = self._parties("applicant", estate) + self._parties("respondent", estate)
        return data


class AcceptForm(forms.Form):
    mediator = forms.ModelChoiceField(label=_("承办调解员"), queryset=None)

    def __init__(self, *args, mediators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = mediators


class RefusalForm(forms.Form):
    party = forms.ModelChoiceField(label=_("明确拒绝调解的当事人"), queryset=None)
    reason = forms.CharField(label=_("说明"), widget=TEXT, required=False, max_length=1000)

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties


class BookForm(forms.Form):
    day = forms.DateField(label=_("日期"), widget=DATE)
    starts = forms.TimeField(label=_("开始"), widget=TIME)
    ends = forms.TimeField(label=_("结束"), widget=TIME)
    openness = forms.ChoiceField(
        label=_("公开与否"),
        choices=[("", _("按当事人意愿")), ("public", _("公开调解")), ("private", _("不公开调解"))],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        zone = timezone.get_current_timezone()
        data["starts_at"] = timezone.make_aware(datetime.combine(data["day"], data["starts"]), zone)
        data["ends_at"] = timezone.make_aware(datetime.combine(data["day"], data["ends"]), zone)
        data["public"] = {"public": True, "private": False}.get(data.get("openness") or "")
        return data


class SessionRecordForm(forms.Form):
    session = forms.IntegerField(widget=forms.HiddenInput)
    attendees = forms.CharField(label=_("到场人员"), max_length=500, required=False)
    record = forms.CharField(label=_("调解笔录"), widget=TEXT, max_length=8000)


class AgreementEntryForm(forms.Form):
    form = forms.ChoiceField(label=_("形式"), choices=Form_.choices)
    facts = forms.CharField(label=_("纠纷的主要事实"), widget=TEXT, max_length=4000)
    issues = forms.CharField(label=_("争议事项"), widget=TEXT, max_length=2000)
    responsibility = forms.CharField(label=_("各方当事人的责任"), widget=TEXT, max_length=2000)
    terms = forms.CharField(label=_("协议内容"), widget=TEXT, max_length=4000)
    performance = forms.CharField(label=_("履行方式"), widget=TEXT, max_length=2000)
    perform_by = forms.DateField(label=_("履行期限"), widget=DATE)
    reached_on = forms.DateField(label=_("达成日期"), widget=DATE)


class SignForm(forms.Form):
    party = forms.ModelChoiceField(label=_("当事人"), queryset=None)
    method = forms.ChoiceField(label=_("方式"), choices=SignMethod.choices)
    signed_on = forms.DateField(label=_("日期"), widget=DATE)

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties


class DayForm(forms.Form):
    day = forms.DateField(label=_("日期"), widget=DATE)


class ConfirmationForm(forms.Form):
    applied_on = forms.DateField(label=_("申请日期"), widget=DATE)
    court = forms.CharField(label=_("受理法院"), max_length=100)
    joint = forms.BooleanField(label=_("双方当事人共同申请"), required=False)


class DecisionForm(forms.Form):
    decided_on = forms.DateField(label=_("裁定日期"), widget=DATE)
    decision = forms.ChoiceField(label=_("法院裁定"), choices=Decision.choices)
    extended = forms.BooleanField(label=_("法院延长了审查期限"), required=False)


class FollowUpForm(forms.Form):
    visited_on = forms.DateField(label=_("回访日期"), widget=DATE)
    performance = forms.ChoiceField(label=_("履行情况"), choices=Performance.choices)
    notes = forms.CharField(label=_("回访记录"), widget=TEXT, required=False, max_length=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("终止原因"), widget=TEXT, max_length=2000)


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("结案日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
