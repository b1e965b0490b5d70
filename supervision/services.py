"""Writes of the company assessment (信用评价): inspections, the yearly publication, objections.

Every function is keyword-only and atomic; it checks access (``assess_companies``; a company's
own staff for an objection), validates, locks, writes, and records the audit line and tells
whoever it concerns. ``actor=None`` is the system (seed_demo). Refusals raise
``ValidationError`` or ``PermissionDenied`` with Chinese messages and write nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.models import NoticeCategory
from cms.services import draft_notice
from community import access, audit
from community.legaltime import last_day_after_days
from community.locks import hold, lock_one
from community.models import District, Estate, PropertyCompany, Role, ServiceContract
from community.rules import rules_for
from notifications.models import Event
from notifications.services import notify

from . import scoring
from .facts import company_scores
from .models import Assessment, Band, Inspection, Objection, Score

SCORE_OUT_OF_RANGE = _("检查得分须在 0 至 100 分之间，最多一位小数。")
FUTURE_INSPECTION = _("检查日期不能晚于今天。")
ESTATE_NOT_IN_DISTRICT = _("小区不在本区。")
NOT_SERVING_ESTATE = _("%(company)s 在 %(day)s 没有为“%(estate)s”提供物业服务，不能录入该小区的检查评分。")
NOT_SERVING_DISTRICT = _("%(company)s 在 %(day)s 没有为本区任何小区提供物业服务。")
YEAR_NOT_OVER = _("%(year)s 年度尚未结束，不能公布年度评价。")
ALREADY_PUBLISHED = _("%(year)s 年度的信用评价已于 %(day)s 公布，不能重复公布。")
NO_COMPANIES = _("%(year)s 年度本区没有物业服务企业服务的小区，无可公布的评价。")
NOT_YOUR_COMPANY = _("只有该企业的工作人员可以对本企业的评价提出异议。")
OBJECTION_LATE = _("异议期限已于 %(day)s 届满（公布后 %(days)s 日内），不能再提出异议。")
ALREADY_OBJECTED = _("该评价已提出过异议，每项评价只能提出一次。")
NEED_REASON = _("请填写理由。")
UNKNOWN_COMPONENT = _("异议分项无效。")
ALREADY_DECIDED = _("该异议已于 %(day)s 裁决，不能重复裁决。")
NEED_REVISED_TOTAL = _("异议成立时须填写更正后的总分。")
NO_REVISED_WHEN_REJECTED = _("异议不成立时不得更正总分。")
REVISED_OUT_OF_RANGE = _("更正后总分须在 0 至 100 分之间，最多一位小数。")


def _today(now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now())


def _score_value(raw, message) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ValidationError(message) from None
    if not value.is_finite() or value < 0 or value > 100 or value != value.quantize(Decimal("0.1")):
        raise ValidationError(message)
    return value.quantize(Decimal("0.1"))


def holds_on_district(user, district: District) -> bool:
    """Whether ``user`` holds ``assess_companies`` on the district itself: ``access.can`` on a
    territory node also answers yes from below (street staff see their district), and the
    district's own acts (company-wide inspections, publication, decisions) are the district's."""
    return access.holds_on(user, access.ASSESS_COMPANIES, district)


def _require_district(actor, district: District) -> None:
    if actor is not None and not holds_on_district(actor, district):
        raise PermissionDenied(access.NOT_ALLOWED)


def _served_on(company: PropertyCompany, day: date, **where):
    return ServiceContract.objects.in_force(day).filter(company=company, **where)


# --------------------------------------------------------------------------- inspections


@transaction.atomic
def record_inspection(
    *,
    actor,
    district: District,
    company: PropertyCompany,
    estate: Estate | None = None,
    inspected_on: date,
    score,
    note: str = "",
    now: datetime | None = None,
) -> Inspection:
    """A street's or the district's inspection score of ``company``: for one estate (street staff
    of the estate's street, or the district), or company-wide (the district only)."""
    if estate is not None:
        access.require(actor, access.ASSESS_COMPANIES, estate)
    else:
        _require_district(actor, district)
    value = _score_value(score, SCORE_OUT_OF_RANGE)
    if inspected_on > _today(now):
        raise ValidationError(FUTURE_INSPECTION)
    params = {"company": company.name, "day": inspected_on}
    if estate is not None:
        if estate.grid.community.street.district_id != district.pk:
            raise ValidationError(ESTATE_NOT_IN_DISTRICT)
        if not _served_on(company, inspected_on, estate=estate).exists():
            raise ValidationError(NOT_SERVING_ESTATE, params={**params, "estate": estate.name})
    elif not _served_on(company, inspected_on, estate__grid__community__street__district=district).exists():
        raise ValidationError(NOT_SERVING_DISTRICT, params=params)
    inspection = Inspection.objects.create(
        district=district,
        company=company,
        estate=estate,
        inspected_on=inspected_on,
        score=value,
        note=note.strip(),
        by=actor,
        at=now or timezone.now(),
    )
    audit.record(
        "credit_inspection",
        user=actor,
        obj=inspection,
        detail={"company": company.pk, "estate": estate.pk if estate else None, "score": str(value)},
    )
    return inspection


# --------------------------------------------------------------------------- publication


def _frozen(result) -> dict:
    return {
        "period": [result.period.start.isoformat(), result.period.end.isoformat()],
        "components": scoring.frozen(result.components),
        "facts": result.facts.as_dict(),
        "estates": [
            {
                "estate": row.estate.pk,
                "name": row.estate.name,
                "total": str(row.total),
                "components": scoring.frozen(row.components),
                "facts": row.facts.as_dict(),
            }
            for row in result.estates
        ],
    }


def ranking_text(district: District, year: int, rows) -> str:
    """The public notice's body: rows of (rank, company name, total, band); names of companies only."""
    lines = [
        _(
            "%(district)s %(year)s 年度物业服务企业信用评价结果如下（满分 100 分）。"
            "企业对评价结果有异议的，可在公布之日起 %(days)s 日内提出。"
        )
        % {"district": district.name, "year": year, "days": rules_for(district).credit_objection_days}
    ]
    for rank, name, total, band in rows:
        mark = f"（{Band(band).label}）" if band else ""
        lines.append(f"第 {rank} 名  {name}  {total} 分{mark}")
    return "\n".join(lines)


@transaction.atomic
def publish_assessment(*, actor, district: District, year: int, now: datetime | None = None) -> Assessment:
    """The district publishes ``year``'s assessment once the year is over: every company that
    served an estate of the district that year is scored and its score frozen; a notice with
    the ranking is drafted for the district's site; each company's staff are told."""
    _require_district(actor, district)
    now = now or timezone.now()
    if date(year, 12, 31) >= _today(now):
        raise ValidationError(YEAR_NOT_OVER, params={"year": year})
    hold(district)  # one publication at a time per district
    done = Assessment.objects.filter(district=district, year=year).first()
    if done is not None:
        raise ValidationError(ALREADY_PUBLISHED, params={"year": year, "day": timezone.localdate(done.published_at)})
    district = District.objects.select_related("rule_set").get(pk=district.pk)
    results = company_scores(district, scoring.calendar_year(year), now=now)
    if not results:
        raise ValidationError(NO_COMPANIES, params={"year": year})
    ranks = scoring.ranks([r.total for r in results])
    notice = draft_notice(
        district=district,
        category=NoticeCategory.GENERAL,
        title=_("%(year)s 年度物业服务企业信用评价结果") % {"year": year},
        body=ranking_text(
            district, year, [(rank, r.company.name, r.total, r.band) for rank, r in zip(ranks, results, strict=True)]
        ),
        issuer=district.name,
    )
    assessment = Assessment.objects.create(
        district=district, year=year, published_at=now, published_by=actor, notice=notice
    )
    scores = Score.objects.bulk_create(
        [
            Score(
                assessment=assessment,
                company=r.company,
                total=r.total,
                band=r.band,
                rank=rank,
                components=_frozen(r),
            )
            for rank, r in zip(ranks, results, strict=True)
        ]
    )
    audit.record("credit_publish", user=actor, obj=assessment, detail={"year": year, "companies": len(scores)})
    for score in scores:
        notify(
            event=Event.CREDIT_PUBLISHED,
            recipients=access.users_with_role(Role.COMPANY_STAFF, score.company),
            title=_("%(year)s 年度信用评价结果已公布") % {"year": year},
            body=_(
                "贵企业 %(year)s 年度信用评价得分 %(total)s 分，排名第 %(rank)s。"
                "可查看得分构成，如有异议请在期限内提出。"
            )
            % {"year": year, "total": score.total, "rank": score.rank},
            link=reverse("supervision:company_score", args=[score.company_id]),
            subject=score,
        )
    return assessment


# --------------------------------------------------------------------------- objections


def objection_last_day(assessment: Assessment) -> date:
    """The last day to object: ``credit_objection_days`` from publication, the publication day
    not counted (Civil Code art. 201)."""
    days = int(rules_for(assessment.district).credit_objection_days)
    return last_day_after_days(timezone.localdate(assessment.published_at), days)


def _is_company_staff(actor, company: PropertyCompany) -> bool:
    return company.pk in access.granted_scopes(actor, access.VIEW).get(PropertyCompany, set())


@transaction.atomic
def file_objection(*, actor, score: Score, reason: str, component: str = "", now: datetime | None = None) -> Objection:
    """The company's staff object to its score, once, within the rule set's days."""
    if actor is not None and not _is_company_staff(actor, score.company):
        raise PermissionDenied(NOT_YOUR_COMPANY)
    lock_one(Score, pk=score.pk)  # one objection per score, however many staff press at once
    score = Score.objects.select_related("assessment__district__rule_set", "company").get(pk=score.pk)
    if not reason.strip():
        raise ValidationError(NEED_REASON)
    if component and component not in scoring.COMPONENTS:
        raise ValidationError(UNKNOWN_COMPONENT)
    last_day = objection_last_day(score.assessment)
    if _today(now) > last_day:
        raise ValidationError(
            OBJECTION_LATE, params={"day": last_day, "days": rules_for(score.assessment.district).credit_objection_days}
        )
    if Objection.objects.filter(score=score).exists():
        raise ValidationError(ALREADY_OBJECTED)
    objection = Objection.objects.create(
        score=score, filed_at=now or timezone.now(), filed_by=actor, component=component, reason=reason.strip()
    )
    audit.record("credit_objection", user=actor, obj=objection, detail={"score": score.pk, "component": component})
    return objection


@transaction.atomic
def decide_objection(
    *,
    actor,
    objection: Objection,
    upheld: bool,
    decision: str,
    revised_total=None,
    now: datetime | None = None,
) -> Objection:
    """The district decides an objection: upheld with a revised total, or rejected; with reasons."""
    lock_one(Objection, pk=objection.pk)
    objection = Objection.objects.select_related("score__assessment__district", "score__company").get(pk=objection.pk)
    _require_district(actor, objection.score.assessment.district)
    if objection.decided_at is not None:
        raise ValidationError(ALREADY_DECIDED, params={"day": timezone.localdate(objection.decided_at)})
    if not decision.strip():
        raise ValidationError(NEED_REASON)
    revised = None
    if upheld:
        if revised_total in (None, ""):
            raise ValidationError(NEED_REVISED_TOTAL)
        revised = _score_value(revised_total, REVISED_OUT_OF_RANGE)
    elif revised_total not in (None, ""):
        raise ValidationError(NO_REVISED_WHEN_REJECTED)
    objection.decided_at = now or timezone.now()
    objection.decided_by = actor
    objection.upheld = upheld
    objection.decision = decision.strip()
    objection.revised_total = revised
    objection.save(update_fields=["decided_at", "decided_by", "upheld", "decision", "revised_total"])
    score = objection.score
    audit.record(
        "credit_objection_decide",
        user=actor,
        obj=objection,
        detail={"upheld": upheld, "total": str(score.total), "revised": str(revised) if revised is not None else None},
    )
    if upheld:
        body = _("贵企业对 %(year)s 年度信用评价的异议成立，总分由 %(total)s 分更正为 %(revised)s 分。理由：%(reason)s")
    else:
        body = _("贵企业对 %(year)s 年度信用评价的异议不成立，维持 %(total)s 分。理由：%(reason)s")
    notify(
        event=Event.CREDIT_OBJECTION,
        recipients=access.users_with_role(Role.COMPANY_STAFF, score.company),
        title=_("信用评价异议已裁决"),
        body=body
        % {
            "year": score.assessment.year,
            "total": score.total,
            "revised": revised,
            "reason": objection.decision,
        },
        link=reverse("supervision:company_score", args=[score.company_id]),
        subject=objection,
    )
    return objection
