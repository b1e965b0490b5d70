"""Forms for the vote pages: a vote's window (every form that convenes a vote starts from
it, fees' included), convening, typed-in paper ballots, and linking a contract to the vote
that decided it. Input shape only; committees.votes.services decides."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Owner, ServiceContract
from community.uploads import PhotoInput, validate_attachment, validate_photo

from ..models import ContractDecisionKind, Matter, ServiceMethod, Vote

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
    field_order = ["matter", "question", "opens_at", "closes_at", "buildings", "branch_review", "seats", "candidates"]
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
    seats = forms.IntegerField(
        label=_("应选名额"),
        required=False,
        min_value=1,
        help_text=_("选举业主委员会（第三项）设候选人时填写；不填为同意/反对/弃权的表决。"),
    )
    candidates = forms.CharField(
        label=_("候选人"),
        required=False,
        max_length=60_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一人：楼栋 房号 姓名 简介，如“1栋 101 张三 退休教师，热心公益”。按填写顺序编号印在选票上。"),
    )

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


class ServiceForm(forms.Form):
    """One paper service (a posting, a visit) for the owners ticked in the list of those no
    channel reached."""

    owners = forms.ModelMultipleChoiceField(
        label=_("送达业主"),
        queryset=Owner.objects.all(),
        error_messages={"required": _("请在未送达名单中勾选业主。"), "invalid_choice": _("所选业主不存在。")},
    )
    method = forms.ChoiceField(label=_("送达方式"), choices=ServiceMethod.choices, widget=forms.RadioSelect)
    photo = forms.FileField(
        label=_("张贴照片"),
        required=False,
        widget=PhotoInput(),
        validators=[validate_photo],
        help_text=_("张贴送达须拍下张贴在户门或单元公告栏的表决公告。"),
    )
    served_on = forms.DateField(
        label=_("送达日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
        required=False,
        help_text=_("不填为今天。"),
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class ProxyAgentForm(forms.Form):
    """Who is appointed: the agent's mobile, the name their account signs in with."""

    mobile = forms.CharField(
        label=_("受托人手机号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("受托人须已用该手机号注册账号：本小区的其他业主，或您已加入的家庭成员。"),
    )

    def clean_mobile(self):
        mobile = "".join(self.cleaned_data["mobile"].split()).replace("-", "")
        agent = get_user_model().objects.filter(username=mobile).first()
        if agent is None:
            raise forms.ValidationError(
                _("没有找到手机号为 %(mobile)s 的账号，请受托人先注册。"), params={"mobile": mobile}
            )
        self.cleaned_data["agent"] = agent
        return mobile


class OwnProxyForm(ProxyAgentForm):
    """An owner appoints a proxy from their own account: for one open or coming vote of their
    estates, or for a period."""

    field_order = ["vote", "starts_on", "ends_on", "mobile"]
    vote = forms.ModelChoiceField(label=_("委托的表决"), queryset=Vote.objects.none(), required=False)
    starts_on = forms.DateField(label=_("或委托起始日"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    ends_on = forms.DateField(label=_("委托截止日"), widget=forms.DateInput(attrs={"type": "date"}), required=False)

    def __init__(self, *args, votes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vote"].queryset = Vote.objects.filter(pk__in=[v.pk for v in votes])
        self.fields["vote"].choices = [("", _("（按期间委托）"))] + [
            (v.pk, f"{v.estate.name}：{v.question}（{timezone.localdate(v.opens_at):%m-%d} 起）") for v in votes
        ]


class PaperProxyForm(ProxyAgentForm):
    """Staff record a paper proxy for the vote: the owner picked among the unit's owners, the
    agent by mobile, and the signed form."""

    field_order = ["principal", "mobile", "form"]
    principal = forms.ModelChoiceField(
        label=_("委托业主"),
        queryset=Owner.objects.all(),
        error_messages={"required": _("请先按房号查找并选择委托业主。"), "invalid_choice": _("所选业主不存在。")},
    )
    form = forms.FileField(
        label=_("签字的委托书"),
        required=False,
        validators=[validate_attachment],
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        help_text=_("业主签字的委托书，PDF、JPEG 或 PNG。"),
    )
