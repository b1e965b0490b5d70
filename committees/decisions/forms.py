"""The decisions page's forms: a court challenge and its outcome. Shape only; the window, the
plaintiff's ownership and the dates are checked by ``services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import DATE
from ..models import ChallengeOutcome


class ChallengeForm(forms.Form):
    target = forms.RegexField(label=_("决定"), regex=r"^(vote|decision):\d+$", widget=forms.HiddenInput)
    building = forms.CharField(label=_("起诉业主的楼栋"), max_length=50)
    room = forms.CharField(label=_("房号"), max_length=20)
    name = forms.CharField(label=_("起诉业主姓名"), max_length=100, help_text=_("与登记的业主姓名一致。"))
    court = forms.CharField(label=_("受理法院"), max_length=100)
    case_number = forms.CharField(label=_("案号"), max_length=60)
    filed_on = forms.DateField(label=_("起诉日期"), widget=DATE)


class OutcomeForm(forms.Form):
    challenge = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("裁判结果"), choices=[c for c in ChallengeOutcome.choices if c[0] != ChallengeOutcome.PENDING]
    )
    decided_on = forms.DateField(label=_("裁判日期"), widget=DATE)
