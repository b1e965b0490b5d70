"""Forms for the committee's own pages (motions, filing changes, meetings, the party
branch's review). They check input shape only; the rules live in committees.services,
whose ValidationErrors the views show next to the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Matter, MotionKind
from .votes.forms import VoteWindowForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitLinesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})


class MotionForm(forms.Form):
    kind = forms.ChoiceField(label=_("提议事项"), choices=MotionKind.choices)
    member = forms.ModelChoiceField(label=_("被提议罢免的委员"), queryset=None, required=False)
    reasons = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    by_members = forms.ModelMultipleChoiceField(
        label=_("提议委员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    by_units = UnitLinesField(
        label=_("提议业主（按房屋）"),
        required=False,
        max_length=50_000,
        help_text=_("业主联名提议时，每行一户：楼栋 房号。"),
    )

    def __init__(self, *args, seats, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = seats
        self.fields["by_members"].queryset = seats
        self.fields["member"].label_from_instance = self.fields["by_members"].label_from_instance = lambda m: (
            m.owner.name
        )


class MotionVoteForm(VoteWindowForm):
    """When the owners' vote on a motion opens and closes (it must close after it opens)."""


class ChangeForm(forms.Form):
    what = forms.CharField(label=_("变更的备案事项"), max_length=300)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("会议日期"), widget=DATE)
    agenda = forms.CharField(label=_("议题"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    requested_by = forms.ModelMultipleChoiceField(
        label=_("提议召开的委员"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("由委员提议召开的，须达到规则规定的人数，并在规定期限内召开。"),
    )

    def __init__(self, *args, seats, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_by"].queryset = seats
        self.fields["requested_by"].label_from_instance = lambda m: m.owner.name


class ReviewForm(forms.Form):
    matter = forms.TypedChoiceField(label=_("表决事项"), choices=Matter.choices, coerce=int)
    question = forms.CharField(label=_("审议内容"), max_length=300)
    reviewed_on = forms.DateField(label=_("审议日期"), widget=DATE)
    opinion = forms.CharField(label=_("审议意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class AttendanceForm(forms.Form):
    present = forms.ModelMultipleChoiceField(
        label=_("出席委员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, seats, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = seats
        self.fields["present"].label_from_instance = lambda m: m.owner.name


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("决定事项"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    in_favour = forms.ModelMultipleChoiceField(
        label=_("同意的委员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, present, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["in_favour"].queryset = present
        self.fields["in_favour"].label_from_instance = lambda m: m.owner.name


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("会议记录"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    signed = forms.BooleanField(label=_("记录已由出席委员签字"), required=False)
