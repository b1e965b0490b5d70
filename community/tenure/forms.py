"""Input for tenure changes on the estate page: parsing and field checks only; the rules
are in ``community.tenure.services``."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import ContractMode, PropertyCompany

COMPANY_CHOOSE_ONE = _("请选择已登记的企业，或填写新企业的名称和统一社会信用代码（二者选一）。")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(label, **kwargs):
    return forms.DateField(label=label, widget=DateInput(), **kwargs)


class SignContractForm(forms.Form):
    company = forms.ModelChoiceField(
        label=_("物业服务企业"),
        queryset=PropertyCompany.objects.order_by("name"),
        required=False,
        empty_label=_("（新企业，在下方登记）"),
    )
    new_company_name = forms.CharField(label=_("新企业名称"), max_length=200, required=False)
    new_company_uscc = forms.CharField(label=_("新企业统一社会信用代码"), max_length=18, required=False)
    new_company_phone = forms.CharField(label=_("新企业联系电话"), max_length=20, required=False)
    mode = forms.ChoiceField(label=_("收费方式"), choices=ContractMode.choices)
    starts_on = date_field(_("起始日期"))
    ends_on = date_field(_("约定终止日期"))

    def clean(self):
        data = super().clean()
        new = data.get("new_company_name") or data.get("new_company_uscc")
        if bool(data.get("company")) == bool(new):
            raise ValidationError(COMPANY_CHOOSE_ONE)
        return data


class RenewContractForm(forms.Form):
    ends_on = date_field(_("续签合同终止日期"))
    mode = forms.ChoiceField(
        label=_("收费方式"), choices=[("", _("与原合同相同"))] + list(ContractMode.choices), required=False
    )


class LastDayForm(forms.Form):
    last_day = date_field(_("最后一日"))


class StartSelfManagementForm(forms.Form):
    on = date_field(_("自行管理起始日期"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
