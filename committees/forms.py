"""Forms for the committee's own pages (motions, filing changes, meetings, the party
branch's review). They check input shape only; the rules live in committees.services,
whose ValidationErrors the views show next to the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from community import uploads

from .models import BranchRole, DocumentKind, Matter, MotionKind
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
    request = forms.ModelChoiceField(
        label=_("委员提议"),
        queryset=None,
        required=False,
        help_text=_("为委员提议召开的，须在提议后规定期限内召开。"),
    )

    def __init__(self, *args, requests, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = requests
        self.fields["request"].label_from_instance = lambda r: f"{r.requested_on:%Y-%m-%d} · {r.reason[:30]}"


class MeetingRequestForm(forms.Form):
    requesters = forms.ModelMultipleChoiceField(
        label=_("提议召开的委员"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("须有三分之一以上委员提议；会议须在规定期限内召开。"),
    )
    reason = forms.CharField(label=_("提议议题"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, seats, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requesters"].queryset = seats
        self.fields["requesters"].label_from_instance = lambda m: m.owner.name


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


# --------------------------------------------------------------------------- extraordinary assembly


class ProposalForm(forms.Form):
    estate = forms.ModelChoiceField(label=_("小区"), queryset=None)
    subject = forms.CharField(label=_("提议事项"), max_length=300)
    reasons = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.fields["estate"].empty_label = None


class PaperProposalForm(forms.Form):
    subject = forms.CharField(label=_("提议事项"), max_length=300)
    reasons = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class PaperSupportForm(forms.Form):
    units = UnitLinesField(
        label=_("签名业主（按房屋）"),
        max_length=50_000,
        help_text=_("每行一户：楼栋 房号，如“1栋 101”。一行有误则整批不登记。"),
    )
    signed_list = forms.FileField(
        label=_("签名名单扫描件"), help_text=_("PDF、JPEG 或 PNG，业主本人签名的原件扫描或照片。")
    )


class AssemblyVoteForm(VoteWindowForm):
    field_order = ["matter", "question", "opens_at", "closes_at", "branch_review"]
    matter = forms.TypedChoiceField(label=_("表决事项"), choices=Matter.choices, coerce=int)
    question = forms.CharField(label=_("表决内容"), max_length=300)
    branch_review = forms.ModelChoiceField(label=_("党支部事前审议"), queryset=None, required=False)

    def __init__(self, *args, reviews, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch_review"].queryset = reviews


class DocumentForm(forms.Form):
    """A document owners may inspect (committees.documents.upload_document checks the rest)."""

    kind = forms.ChoiceField(label=_("类别"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    issued_on = forms.DateField(label=_("日期"), widget=DATE)
    file = forms.FileField(
        label=_("文件（PDF）"),
        validators=[uploads.validate_document],
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


# --------------------------------------------------------------------------- red steward


class BranchForm(forms.Form):
    name = forms.CharField(label=_("党支部名称"), max_length=100)
    founded_on = forms.DateField(label=_("成立日期"), widget=DATE)


class BranchMemberForm(forms.Form):
    """A new member: their name, role, and optionally the owner of this estate they are (the
    owners are listed masked, with a unit to tell them apart)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    role = forms.ChoiceField(label=_("职务"), choices=BranchRole.choices, initial=BranchRole.MEMBER)
    owner = forms.TypedChoiceField(
        label=_("对应业主"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("党员同时是本小区业主时选择，用于识别与业主委员会的交叉任职。"),
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("不关联业主"))] + list(owners)


class BranchRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("职务"), choices=BranchRole.choices)
