"""Cases (案件): every report about an estate, from its report to its close, in one flow.

A grid worker's report, a resident's repair request, complaint or suggestion, and (through
the API) a case from the city platform are all a ``GridCase`` with its ``source``, and all
walk the seed's flow 收集 → 分派 → 处置 → 核查 → 督办: a case is reported, dispatched to a
handling unit (a real organisation with its own logins: the estate's property company, a
public utility, a government department), handled, checked (passed: closed; failed: back
to handling), and a case that overruns its time limit is escalated a level. A resident's
request starts with the company (``Level.COMPANY``) and escalates into the community's grid
flow; a grid worker's report starts at the grid. Statuses and levels change only in
``grid.services``; every change is a ``GridCaseStep``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community import records
from community.models import District, Estate, Grid, PropertyCompany, Tracked, Unit


class Category(models.TextChoices):
    SANITATION = "sanitation", _("环境卫生")
    ILLEGAL_BUILDING = "building", _("违章搭建")
    FACILITY = "facility", _("设施损坏")
    OBSTRUCTION = "obstruction", _("占道经营、乱停放")
    PROPERTY_SERVICE = "service", _("物业服务")
    SAFETY = "safety", _("安全隐患")
    OTHER = "other", _("其他")


class Source(models.TextChoices):
    GRID = "grid", _("网格员上报")
    RESIDENT = "resident", _("居民报事")
    CITY = "city", _("城市平台转办")


class RequestKind(models.TextChoices):
    """What a resident reports; each kind has its own time limit in the rule set."""

    UNIT_REPAIR = "unit_repair", _("户内报修")
    COMMON_REPAIR = "common_repair", _("公共部位报修")
    COMPLAINT = "complaint", _("投诉")
    SUGGESTION = "suggestion", _("建议")


# The rule that limits a resident's request of each kind, from report to the company's "done".
REQUEST_LIMIT_RULES = {
    RequestKind.UNIT_REPAIR: "request_unit_repair_hours",
    RequestKind.COMMON_REPAIR: "request_common_repair_hours",
    RequestKind.COMPLAINT: "request_complaint_hours",
    RequestKind.SUGGESTION: "request_suggestion_hours",
}


class UnitKind(models.TextChoices):
    COMPANY = "company", _("物业服务企业")
    UTILITY = "utility", _("公用事业单位")
    DEPARTMENT = "department", _("政府部门")


class HandlingUnit(models.Model):
    """An organisation a case is dispatched to, with its own logins: a property company's
    staff act through the company's role; a utility's or a department's staff hold
    ``Role.UNIT_STAFF`` on the unit itself."""

    district = models.ForeignKey(
        District, verbose_name=_("区"), on_delete=models.PROTECT, related_name="handling_units"
    )
    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("单位类型"), max_length=12, choices=UnitKind.choices)
    company = models.OneToOneField(
        PropertyCompany,
        verbose_name=_("物业服务企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handling_unit",
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("处置单位")
        verbose_name_plural = _("处置单位")
        ordering = ["kind", "name"]
        permissions = (("handle_requests", _("受理、派工、办理居民报事报修和分派的案件")),)
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="handling_unit_name_unique"),
            models.CheckConstraint(
                condition=Q(kind="company", company__isnull=False) | (~Q(kind="company") & Q(company__isnull=True)),
                name="handling_unit_company_linked",
                violation_error_message=_("物业服务企业类的处置单位须关联企业，其他类型不得关联。"),
            ),
        ]

    def __str__(self):
        return self.name


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("已上报，待分派")
    DISPATCHED = "dispatched", _("已分派，处置中")
    HANDLED = "handled", _("处置完毕，待核查")
    CLOSED = "closed", _("核查通过，已结案")


OPEN_STATUSES = (CaseStatus.REPORTED, CaseStatus.DISPATCHED, CaseStatus.HANDLED)


class Level(models.TextChoices):
    """Who supervises the case (督办): a grid worker's case starts with the grid, a resident's
    request with the property company; it rises one level each time it overruns its limit.
    In rising order."""

    COMPANY = "company", _("物业企业办理")
    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区督办")
    STREET = "street", _("街道督办")
    DISTRICT = "district", _("区级督办")


LEVEL_ORDER = [Level.COMPANY, Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT]
# The levels a case starts at, before any escalation.
START_LEVELS = (Level.COMPANY, Level.GRID)


class GridCase(Tracked):
    number = models.CharField(_("案件编号"), max_length=40, unique=True)
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="grid_cases",
        help_text=_("上报时小区所在的网格。"),
    )
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="grid_cases")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.GRID)
    kind = models.CharField(
        _("报事类型"), max_length=14, choices=RequestKind.choices, blank=True, help_text=_("居民报事时填写。")
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        help_text=_("户内报修时报事人的房屋。"),
    )
    category = models.CharField(_("问题类别"), max_length=12, choices=Category.choices)
    description = models.TextField(_("问题描述"))
    location = models.CharField(_("具体位置"), max_length=100, blank=True)
    # A city-platform case's own number there (one per reporting client account: a repeated
    # POST with the same reference finds the case it made instead of making a second).
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.REPORTED)
    level = models.CharField(_("督办级别"), max_length=10, choices=Level.choices, default=Level.GRID)
    escalated_at = models.DateTimeField(
        _("最近升级时间"), null=True, blank=True, help_text=_("上一次升级时，当前环节超时的时刻。")
    )
    reported_at = models.DateTimeField(_("上报时间"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handling_unit = models.ForeignKey(
        HandlingUnit, verbose_name=_("处置单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("处置单位派工的工作人员。"),
    )
    limit_at = models.DateTimeField(
        _("办结时限"), null=True, blank=True, help_text=_("居民报事：上报时间加上该类型的办结时限。")
    )
    reopened = models.PositiveSmallIntegerField(_("重新打开次数"), default=0)
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    step_started_at = models.DateTimeField(_("当前环节开始时间"))
    due_at = models.DateTimeField(_("当前环节时限"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格案件")
        verbose_name_plural = _("网格案件")
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="grid_case_open_due_idx"),
            models.Index(fields=["source", "reported_at"], name="grid_case_source_idx"),
            models.Index(fields=["reported_at"], name="grid_case_reported_idx"),
            models.Index(fields=["closed_at"], name="grid_case_closed_idx"),
            models.Index(fields=["level", "status"], name="grid_case_level_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reported_by", "external_ref"],
                condition=~Q(external_ref=""),
                name="grid_case_one_per_external_ref",
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.CLOSED, closed_at__isnull=False, due_at__isnull=True)
                | (~Q(status=CaseStatus.CLOSED) & Q(closed_at__isnull=True, due_at__isnull=False)),
                name="grid_case_closed_has_no_due",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=models.F("reported_at")),
                name="grid_case_closes_after_report",
            ),
            models.CheckConstraint(
                condition=Q(level__in=START_LEVELS) | Q(escalated_at__isnull=False), name="grid_case_escalation_dated"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5, rated_at__isnull=False),
                name="grid_case_rating_one_to_five",
            ),
            models.CheckConstraint(
                condition=Q(source=Source.RESIDENT, kind__gt="", limit_at__isnull=False) | ~Q(source=Source.RESIDENT),
                name="grid_case_request_has_kind_and_limit",
            ),
        ]

    def __str__(self):
        return self.number


class GridCaseStep(models.Model):
    """One step of a case: the move (or escalation) it made, when, by whom, and what was said.
    The time each step took is the difference between consecutive rows."""

    case = models.ForeignKey(GridCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="steps")
    from_status = models.CharField(_("原状态"), max_length=12, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=CaseStatus.choices)
    level = models.CharField(_("督办级别"), max_length=10, choices=Level.choices)
    escalation = models.BooleanField(_("超时升级"), default=False)
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["case", "at", "pk"]
        triggers = records.append_only("grid_case_step_append_only")

    def __str__(self):
        return f"{self.case} {self.get_to_status_display()} {self.at:%Y-%m-%d %H:%M}"


class PhotoStage(models.TextChoices):
    REPORT = "report", _("上报照片")
    WORK = "work", _("处置照片")


class CasePhoto(models.Model):
    """A photo of a case: taken when it was reported, or of the work that handled it. Kept as taken."""

    case = models.ForeignKey(GridCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("环节"), max_length=8, choices=PhotoStage.choices)
    image = models.ImageField(_("照片"), upload_to="grid/%Y/%m/", max_length=200)
    at = models.DateTimeField(_("上传时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("案件照片")
        verbose_name_plural = _("案件照片")
        ordering = ["case", "at", "pk"]
        triggers = records.append_only("grid_case_photo_append_only")

    def __str__(self):
        return f"{self.case} {self.get_stage_display()}"
