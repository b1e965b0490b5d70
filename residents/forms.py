from django import forms
from django.utils.translation import gettext_lazy as _

from community.identifiers import is_valid_resident_id, is_valid_uscc
from community.models import Estate
from community.uploads import validate_attachment

ID_INVALID = _("证件号码无效：请输入 18 位居民身份证号码，单位请输入 18 位统一社会信用代码。")
MOBILE_HELP = _("11 位手机号码，用于接收验证码，也是您的登录用户名。")


class LetterForm(forms.Form):
    code = forms.CharField(
        label=_("绑定码"),
        max_length=20,
        help_text=_("绑定函上的 12 位绑定码，不区分大小写，可不输入横线。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    id_tail = forms.CharField(
        label=_("证件号码后六位"),
        min_length=6,
        max_length=6,
        help_text=_("身份证号码（单位为统一社会信用代码）的最后六位。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    mobile = forms.CharField(
        label=_("手机号码"),
        min_length=11,
        max_length=11,
        help_text=MOBILE_HELP,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )


class VerifyForm(forms.Form):
    sms_code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    password = forms.CharField(
        label=_("设置密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), required=False
    )
    password2 = forms.CharField(
        label=_("再次输入密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), required=False
    )

    def __init__(self, *args, new_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if new_account:
            self.fields["password"].required = self.fields["password2"].required = True
            self.fields["password"].help_text = _("至少 8 位，含数字、小写字母、大写字母、符号中的至少 3 种。")
        else:
            del self.fields["password"], self.fields["password2"]


class ApplyForm(forms.Form):
    name = forms.CharField(label=_("姓名/单位名称"), max_length=100)
    id_number = forms.CharField(
        label=_("证件号码"), max_length=18, help_text=_("居民身份证号码；单位填统一社会信用代码。")
    )
    estate = forms.ModelChoiceField(
        label=_("小区"), queryset=Estate.objects.order_by("name"), empty_label=_("请选择小区")
    )
    building_name = forms.CharField(label=_("楼栋"), max_length=50, help_text=_("与产权证一致，如“1栋”。"))
    room = forms.CharField(label=_("房号"), max_length=20, help_text=_("如“101”。"))
    proof = forms.FileField(
        label=_("产权证明"),
        required=False,
        validators=[validate_attachment],
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        help_text=_("登记信息无法自动核验时需要：产权证书或购房合同的照片（JPG、PNG）或 PDF。"),
    )

    def clean_id_number(self):
        number = self.cleaned_data["id_number"].strip().upper()
        if not (is_valid_resident_id(number) or is_valid_uscc(number)):
            raise forms.ValidationError(
                _("证件号码无效：请输入 18 位居民身份证号码，单位请输入 18 位统一社会信用代码。")
            )
        return number


class RegisterForm(forms.Form):
    mobile = LetterForm.base_fields["mobile"]


class DecideForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("绑定到业主"), queryset=None, required=False, empty_label=_("请选择"))
    reason = forms.CharField(label=_("未通过原因"), max_length=200, required=False)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
