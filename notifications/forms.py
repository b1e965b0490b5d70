from django import forms
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    sms = forms.BooleanField(
        label=_("接收短信"),
        required=False,
        help_text=_("发送到登记的手机号码；夜间 22:00–08:00 不发送，紧急通知除外。"),
    )
    email = forms.BooleanField(label=_("接收电子邮件"), required=False, help_text=_("发送到账号登记的电子邮箱。"))
