from django import forms
from django.utils.translation import gettext_lazy as _

# What a checkbox can send; anything else is not a choice the page offered.
CHECKBOX_VALUES = {"on", "1", "true", "True", "0", "false", "False", ""}


class PreferenceForm(forms.Form):
    sms = forms.BooleanField(
        label=_("接收短信"),
        required=False,
        help_text=_("发送到登记的手机号码；夜间 22:00–08:00 不发送，紧急通知除外。"),
    )
    email = forms.BooleanField(label=_("接收电子邮件"), required=False, help_text=_("发送到账号登记的电子邮箱。"))

    def clean(self):
        # A checkbox turns any text into "on"; a value the page never sends is refused, not guessed.
        for name in self.fields:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name, "")]
            if len(values) > 1 or any(v not in CHECKBOX_VALUES for v in values):
                self.add_error(name, _("只能勾选或不勾选。"))
        return super().clean()
