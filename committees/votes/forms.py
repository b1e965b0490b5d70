"""Forms for the vote pages: a vote's window (every form that convenes a vote starts from
it, fees' included), convening, typed-in paper ballots, and linking a contract to the vote
that decided it. Input shape only; committees.votes.services decides."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import ServiceContract

from ..models import ContractDecisionKind, Matter, Vote

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VoteWindowForm(forms.Form):
    """When a vote opens and closes; every form that convenes a vote starts from it."""

    opens_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME)
    closes_at = forms.DateTimeField(label=_("结束时间"), widget=DATETIME)

    def clean(self):
        data = super().clean()
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", _("结束时间须晚于开始时间。"))
        return data


class VoteForm(VoteWindowForm):
    field_order = ["matter", "question", "opens_at", "closes_at", "buildings", "branch_review"]
    matter = forms.TypedChoiceField(label=_("表决事项"), choices=Matter.choices, coerce=int)
    question = forms.CharField(label=_("表决内容"), max_length=300)
    buildings = forms.ModelMultipleChoiceField(
        label=_("表决范围（楼栋）"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则为全体业主。"),
    )
    branch_review = forms.ModelChoiceField(label=_("党支部事前审议"), queryset=None, required=False)

    def __init__(self, *args, estate, reviews, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = estate.buildings.order_by("name")
        self.fields["branch_review"].queryset = reviews


class PaperBallotsForm(forms.Form):
    lines = forms.CharField(
        label=_("纸质表决票"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=200_000,
        help_text=_("每行一张：楼栋 房号 意见（同意/反对/弃权），如“1栋 101 同意”。一张有误则整批不录入。"),
    )


class LinkForm(forms.Form):
    contract = forms.ModelChoiceField(label=_("物业服务合同"), queryset=ServiceContract.objects.none())
    vote = forms.ModelChoiceField(label=_("业主表决"), queryset=Vote.objects.none())
    kind = forms.ChoiceField(label=_("表决决定"), choices=ContractDecisionKind.choices)

    def __init__(self, *args, estate, votes=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices offered are the estate's; a vote of any estate may be posted, and the service refuses it.
        self.fields["contract"].queryset = ServiceContract.objects.filter(estate=estate).select_related("company")
        self.fields["vote"].queryset = Vote.objects.all()
        if votes is not None:
            self.fields["vote"].choices = [
                (v.pk, f"{v.question}（{timezone.localdate(v.closes_at):%Y-%m-%d}）") for v in votes
            ]
