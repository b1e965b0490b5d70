"""The city platform's view of a case: what it reported and how the grid flow handles it. No
person is named: a step says what happened, when and at which level (督办), never who did it;
the note of a 派工 step keeps only the handling unit."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grid.models import CaseStatus, Category, GridCase, GridCaseStep, Level

ASSIGN_PREFIX = "派工："


def public_note(step: GridCaseStep) -> str:
    """A step's note without a person's name: a 派工 line names the unit only."""
    note = step.note or ""
    if note.startswith(ASSIGN_PREFIX):
        first, _sep, rest = note.partition("\n")
        unit = first[len(ASSIGN_PREFIX) :].partition(" ")[0]  # "派工：<unit> <handler's name>"
        return f"{ASSIGN_PREFIX}{unit}" + (f"\n{rest}" if rest else "")
    return note


class StepSerializer(serializers.Serializer):
    from_status = serializers.CharField(help_text=_("原状态（上报时为空）"))
    to_status = serializers.ChoiceField(choices=CaseStatus.choices, help_text=_("新状态"))
    status_label = serializers.SerializerMethodField(help_text=_("新状态的中文名称"))
    level = serializers.ChoiceField(choices=Level.choices, help_text=_("督办级别"))
    escalation = serializers.BooleanField(help_text=_("是否为超时升级"))
    at = serializers.DateTimeField(help_text=_("时间"))
    note = serializers.SerializerMethodField(help_text=_("说明（不含个人姓名）"))

    def get_status_label(self, step) -> str:
        return str(CaseStatus(step.to_status).label)

    def get_note(self, step) -> str:
        return public_note(step)


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True, help_text=_("案件编号"))
    external_ref = serializers.CharField(read_only=True, help_text=_("客户端自己的编号"))
    estate = serializers.IntegerField(source="estate_id", read_only=True, help_text=_("小区编号"))
    estate_name = serializers.CharField(source="estate.name", read_only=True)
    category = serializers.ChoiceField(choices=Category.choices, read_only=True)
    description = serializers.CharField(read_only=True)
    location = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=CaseStatus.choices, read_only=True)
    level = serializers.ChoiceField(choices=Level.choices, read_only=True)
    handling_unit = serializers.SerializerMethodField(help_text=_("处置单位名称"))
    reported_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)
    photos = serializers.SerializerMethodField(help_text=_("上报照片张数"))

    def get_handling_unit(self, case) -> str | None:
        return case.handling_unit.name if case.handling_unit_id else None

    def get_photos(self, case) -> int:
        counted = getattr(case, "report_photos", None)
        return counted if counted is not None else case.photos.filter(stage="report").count()


class CaseDetailSerializer(CaseSerializer):
    steps = StepSerializer(many=True, read_only=True)


class CaseCreateSerializer(serializers.Serializer):
    """A case the client hands over. Photos: multipart files ``photos``, or https addresses
    ``photo_urls`` on the hosts the deployment allows (fetched afterwards)."""

    default_error_messages = {"required": _("请填写此项。")}

    estate = serializers.IntegerField(
        help_text=_("小区编号"),
        error_messages={"required": _("请填写小区编号（estate）。"), "invalid": _("小区编号须为整数。")},
    )
    category = serializers.ChoiceField(
        choices=Category.choices,
        help_text=_("问题类别"),
        error_messages={
            "required": _("请填写问题类别（category）。"),
            "invalid_choice": _("问题类别“{input}”不存在。"),
        },
    )
    description = serializers.CharField(
        help_text=_("问题描述"),
        error_messages={
            "required": _("请填写问题描述（description）。"),
            "blank": _("请填写问题描述（description）。"),
        },
    )
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    external_ref = serializers.CharField(
        help_text=_("客户端自己的案件编号：同一编号重复提交时返回已建立的案件"),
        max_length=64,
        error_messages={
            "required": _("请填写外部编号（external_ref）。"),
            "blank": _("请填写外部编号（external_ref）。"),
        },
    )
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    photo_urls = serializers.ListField(child=serializers.CharField(max_length=500), required=False, default=list)


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(max_length=300, error_messages={"required": _("请填写推送地址（url）。")})
    active = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text=_("签名密钥，只在登记时返回这一次"))


def case_payload(case: GridCase) -> dict:
    """The case as a webhook carries it (the list's fields)."""
    return dict(CaseSerializer(case).data)
