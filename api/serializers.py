"""What the API's read side returns: registry facts and computed figures, never owners' personal
data (no owner names, mobiles, ID numbers or unit-level owner lists; committees without their
members). Shares are exact decimals as strings with four places, ``null`` when nothing to share."""

from __future__ import annotations

from fractions import Fraction

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from committees.models import Committee
from community.models import Community, ContractMode, Grid, ManagementState, PropertyCompany, ServiceContract, Street
from grid.models import CaseStatus


def share(value: Fraction | None) -> str | None:
    """An exact share as a decimal string, four places, rounded down (like the dashboard's)."""
    if value is None:
        return None
    ten_thousandths = value.numerator * 10000 // value.denominator
    return f"{ten_thousandths // 10000}.{ten_thousandths % 10000:04d}"


class ShareField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class StreetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Street
        fields = ["id", "code", "name", "district", "updated_at"]


class CommunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Community
        fields = ["id", "code", "name", "street", "updated_at"]


class GridSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "code", "name", "community", "updated_at"]


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EstateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    delivered_on = serializers.DateField()
    grid = serializers.IntegerField(source="grid_id")
    community = serializers.IntegerField(source="grid__community_id")
    street = serializers.IntegerField(source="grid__community__street_id")
    management_state = serializers.ChoiceField(
        choices=ManagementState.choices, help_text=_("今日的管理状态：物业服务企业管理、业主自行管理或无物业管理。")
    )
    company = serializers.SerializerMethodField(
        help_text=_("今日在管的物业服务企业（按在履行的合同），没有则为 null。")
    )
    updated_at = serializers.DateTimeField(
        source="changed_at", help_text=_("小区本身、其合同或自行管理期间最近一次变动的时间。")
    )

    def get_company(self, row) -> CompanyRefSerializer(allow_null=True):  # type: ignore[valid-type]
        if row["company_id"] is None:
            return None
        return {"id": row["company_id"], "name": row["company_name"]}


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = PropertyCompany
        fields = ["id", "name", "uscc", "updated_at"]


class ContractSerializer(serializers.ModelSerializer):
    mode = serializers.ChoiceField(choices=ContractMode.choices)
    last_day = serializers.DateField(help_text=_("合同实际最后一日（提前终止日期或约定终止日期）。"))
    in_force = serializers.BooleanField(help_text=_("今日是否在履行。"))

    class Meta:
        model = ServiceContract
        fields = ["id", "estate", "company", "mode", "starts_on", "ends_on", "terminated_on", "last_day"]
        fields += ["in_force", "updated_at"]


class CommitteeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Committee
        fields = ["id", "estate", "kind", "status", "elected_on", "term_ends_on", "first_meeting_on"]
        fields += ["changed_on", "covenant", "procedure_rules", "updated_at"]
        extra_kwargs = {"status": {"help_text": _("备案状态。")}}


# --------------------------------------------------------------------------- figures


class CoverageSerializer(serializers.Serializer):
    community = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    street = serializers.CharField()
    units = serializers.IntegerField(help_text=_("有在册业主的房屋数。"))
    covered = serializers.IntegerField(help_text=_("其中业主已绑定账号的房屋数。"))
    area = serializers.DecimalField(max_digits=14, decimal_places=2)
    covered_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit_share = ShareField(help_text=_("covered ÷ units。"))
    area_share = ShareField(help_text=_("covered_area ÷ area。"))


class CollectionSerializer(serializers.Serializer):
    estate = serializers.IntegerField()
    since = serializers.DateField(help_text=_("统计期首月（含）。"))
    until = serializers.DateField(help_text=_("统计期末月（含，当月）。"))
    billed = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    rate = ShareField(help_text=_("收缴率：paid ÷ billed。"))


class FundSerializer(serializers.Serializer):
    estate = serializers.IntegerField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)


class ByStatusSerializer(serializers.Serializer):
    def get_fields(self):
        return {status: serializers.IntegerField(label=label) for status, label in CaseStatus.choices}


class RequestsSerializer(serializers.Serializer):
    estate = serializers.IntegerField()
    since = serializers.DateField()
    total = serializers.IntegerField()
    by_status = ByStatusSerializer()
    in_time = serializers.IntegerField()
    late = serializers.IntegerField()
    timely_rate = ShareField()
    rated = serializers.IntegerField()
    mean_rating = ShareField(help_text=_("平均评分（1–5），四位小数。"))


class MediationSerializer(serializers.Serializer):
    room = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    total = serializers.IntegerField()
    categories = serializers.DictField(child=serializers.IntegerField())
    agreed = serializers.IntegerField()
    ended = serializers.IntegerField()
    refused = serializers.IntegerField()
    agreement_rate = serializers.FloatField(allow_null=True)
    mean_days = serializers.FloatField(allow_null=True)
    median_days = serializers.FloatField(allow_null=True)
    applied = serializers.IntegerField()
    confirmed = serializers.IntegerField()


class ScoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = CompanyRefSerializer()
    district = serializers.IntegerField()
    year = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    rank = serializers.IntegerField(help_text=_("公布时的排名。"))
    total = serializers.DecimalField(max_digits=4, decimal_places=1, help_text=_("公布时的总分。"))
    band = serializers.CharField(allow_blank=True, help_text=_("公布时的名单：red 红名单、black 黑名单、空为均不是。"))
    objection = serializers.ChoiceField(
        choices=[("none", _("无异议")), ("pending", _("待裁决")), ("upheld", _("成立")), ("dismissed", _("不成立"))]
    )
    revised_total = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class TombstoneSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField(source="object_id")
    deleted_at = serializers.DateTimeField()
