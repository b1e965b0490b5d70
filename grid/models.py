"""Grid cases (网格案件): a problem a grid worker finds on an estate, from its report to its close.

The seed's flow 收集 → 分派 → 处置 → 核查 → 督办: a case is reported, dispatched to a
handling unit, handled, checked (passed: closed; failed: back to handling), and a step that
overruns its time limit is escalated a level (grid → community → street → district).
Statuses and levels change only in ``grid.services``; every change is a ``GridCaseStep``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community import records
from community.models import Estate, Grid


class Category(models.TextChoices):
    SANITATION = "sanitation", _("环境卫生")
    ILLEGAL_BUILDING = "building", _("违章搭建")
    FACILITY = "facility", _("设施损坏")
    OBSTRUCTION = "obstruction", _("占道经营、乱停放")
    PROPERTY_SERVICE = "service", _("物业服务")
    SAFETY = "safety", _("安全隐患")
    OTHER = "other", _("其他")


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("已上报，待分派")
    DISPATCHED = "dispatched", _("已分派，处置中")
    HANDLED = "handled", _("处置完毕，待核查")
    CLOSED = "closed", _("核查通过，已结案")


OPEN_STATUSES = (CaseStatus.REPORTED, CaseStatus.DISPATCHED, CaseStatus.HANDLED)


class Level(models.TextChoices):
    """Who supervises the case (督办): it starts with the grid and rises one level each time
    a step overruns its limit. In rising order."""

    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区督办")
    STREET = "street", _("街道督办")
    DISTRICT = "district", _("区级督办")


LEVEL_ORDER = [Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT]


class GridCase(models.Model):
    number = models.CharField(_("案件编号"), max_length=40, unique=True)
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="grid_cases",
        help_text=_("上报时小区所在的网格。"),
    )
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="grid_cases")
    category = models.CharField(_("问题类别"), max_length=12, choices=Category.choices)
    description = models.TextField(_("问题描述"))
    location = models.CharField(_("具体位置"), max_length=100, blank=True)
    photo = models.ImageField(_("现场照片"), upload_to="grid/%Y/%m/", max_length=200)
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
    assignee = models.CharField(_("处置单位"), max_length=100, blank=True)
    step_started_at = models.DateTimeField(_("当前环节开始时间"))
    due_at = models.DateTimeField(_("当前环节时限"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格案件")
        verbose_name_plural = _("网格案件")
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="grid_case_open_due_idx"),
            models.Index(fields=["reported_at"], name="grid_case_reported_idx"),
            models.Index(fields=["closed_at"], name="grid_case_closed_idx"),
            models.Index(fields=["level", "status"], name="grid_case_level_idx"),
        ]
        constraints = [
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
                condition=Q(level=Level.GRID) | Q(escalated_at__isnull=False), name="grid_case_escalation_dated"
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
