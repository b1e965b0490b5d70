"""The district's supervision of property companies (物业服务企业信用评价).

* ``Inspection``: a street's or the district's inspection score of a company (0–100), for one
  estate or company-wide; kept as entered.
* ``Assessment``: a district's yearly assessment, published once; ``Score``: each company's
  total, band, rank and components frozen at publication.
* ``Objection``: a company's objection to its score, filed once within the rule set's days and
  decided once by the district (upheld with a revised total, or rejected), with reasons.

The arithmetic is ``supervision.scoring``; the facts ``supervision.facts``; the writes
``supervision.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community import records
from community.models import District, Estate, PropertyCompany


class Inspection(models.Model):
    district = models.ForeignKey(District, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业服务企业"), on_delete=models.PROTECT, related_name="inspections"
    )
    estate = models.ForeignKey(
        Estate,
        verbose_name=_("小区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
        help_text=_("空表示对企业的整体检查。"),
    )
    inspected_on = models.DateField(_("检查日期"))
    score = models.DecimalField(_("检查得分"), max_digits=5, decimal_places=1)
    note = models.TextField(_("检查情况"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("检查评分")
        verbose_name_plural = _("检查评分")
        ordering = ["-inspected_on", "-pk"]
        indexes = [models.Index(fields=["district", "company", "inspected_on"], name="inspection_company_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100),
                name="inspection_score_0_100",
                violation_error_message=_("检查得分须在 0 至 100 分之间。"),
            ),
        ]
        # An inspection is kept as it was entered; a wrong score is answered by a new inspection.
        triggers = records.append_only("inspection_append_only")

    def __str__(self):
        return f"{self.company} {self.inspected_on} {self.score}"


class Assessment(models.Model):
    district = models.ForeignKey(District, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("评价年度"))
    published_at = models.DateTimeField(_("公布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notice = models.ForeignKey("cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("信用评价")
        verbose_name_plural = _("信用评价")
        ordering = ["-year", "district"]
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="assessment_once_a_year")]
        # Published once and kept; only the link to its notice is cleared when an editor deletes that page.
        triggers = records.append_only(
            "assessment_append_only",
            allow=f"IF NEW.notice_id IS NULL AND {records.unchanged_but('notice_id')} THEN RETURN NEW; END IF;",
        )

    def __str__(self):
        return f"{self.district} {self.year}"


class Band(models.TextChoices):
    RED = "red", _("红名单")
    BLACK = "black", _("黑名单")
    NONE = "", _("—")


class Score(models.Model):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("信用评价"), on_delete=models.PROTECT, related_name="scores"
    )
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业服务企业"), on_delete=models.PROTECT, related_name="credit_scores"
    )
    total = models.DecimalField(_("总分"), max_digits=4, decimal_places=1)
    band = models.CharField(_("名单"), max_length=5, choices=Band.choices, blank=True)
    rank = models.PositiveSmallIntegerField(_("排名"))
    components = models.JSONField(_("分项"), help_text=_("公布时冻结的各分项、事实和分小区得分。"))

    class Meta:
        verbose_name = _("企业得分")
        verbose_name_plural = _("企业得分")
        ordering = ["assessment", "rank", "company"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "company"], name="score_once_per_company"),
            models.CheckConstraint(condition=Q(total__gte=0) & Q(total__lte=100), name="score_total_0_100"),
        ]
        triggers = records.append_only("score_append_only")

    def __str__(self):
        return f"{self.assessment} {self.company} {self.total}"


class Objection(models.Model):
    score = models.OneToOneField(Score, verbose_name=_("企业得分"), on_delete=models.PROTECT, related_name="objection")
    filed_at = models.DateTimeField(_("提出时间"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    component = models.CharField(_("异议分项"), max_length=20, blank=True)
    reason = models.TextField(_("异议理由"))
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁决人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    upheld = models.BooleanField(_("异议成立"), null=True, blank=True)
    decision = models.TextField(_("裁决理由"), blank=True)
    revised_total = models.DecimalField(_("更正后总分"), max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("评价异议")
        verbose_name_plural = _("评价异议")
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, upheld__isnull=True, revised_total__isnull=True)
                | Q(decided_at__isnull=False, upheld=False, revised_total__isnull=True)
                | Q(decided_at__isnull=False, upheld=True, revised_total__isnull=False),
                name="objection_decision_complete",
            ),
            models.CheckConstraint(
                condition=Q(revised_total__isnull=True) | (Q(revised_total__gte=0) & Q(revised_total__lte=100)),
                name="objection_revised_0_100",
            ),
        ]
        # Filed once and decided once: the only change is the decision, made while none was recorded.
        triggers = records.append_only(
            "objection_decided_once",
            allow=(
                f"IF OLD.decided_at IS NULL AND NEW.decided_at IS NOT NULL AND "
                f"{records.unchanged_but('decided_at', 'decided_by_id', 'upheld', 'decision', 'revised_total')}"
                " THEN RETURN NEW; END IF;"
            ),
        )

    def __str__(self):
        return f"{self.score} 异议"

    @property
    def decided(self) -> bool:
        return self.decided_at is not None
