"""The district administrator's forms for client systems."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ClientForm(forms.Form):
    name = forms.CharField(label=_("客户端名称"), max_length=100)
    organisation = forms.CharField(label=_("所属单位"), max_length=200)
    contact = forms.CharField(label=_("联系人及电话"), max_length=100, required=False)
    scope = forms.ChoiceField(label=_("数据范围"), help_text=_("客户端可读取和上报案件的区、街道或社区。"))
    rate_per_minute = forms.IntegerField(label=_("每分钟调用上限"), min_value=1, max_value=6000, initial=120)

    def __init__(self, *args, scopes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("推送地址"), max_length=300, help_text=_("须以 https:// 开头。"))
