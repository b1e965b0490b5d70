"""The assessment part of the demo (runs after grid's, which makes the year of residents' requests).

Street and district inspections over the last two years for the companies serving the demo
district, with two companies set apart: the ``company`` login's company (E0001's) inspected
well, another serving several estates inspected poorly; then last year's assessment published
through the services (its ranking notice drafted on the district's site), and one objection
filed by the ``company`` login and decided by the district. Built through ``supervision.services``;
prints counts only.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count

from community.models import District, Estate, PropertyCompany, ServiceContract

from . import services
from .models import Assessment, Inspection, Score

SEED = 2021_23
NOTES_GOOD = ["消防设施完好，台账齐全", "保洁到位，报修响应及时", "收支公示按时上墙"]
NOTES_POOR = ["消防通道堆物未清理", "电梯维保记录缺失", "报修台账不全，回访缺失"]


def _serving(company, day):
    return list(
        ServiceContract.objects.in_force(day)
        .filter(company=company, estate__grid__community__street__district__code="DEMO")
        .select_related("estate__grid__community__street")
    )


def _inspect(company, district, rng, days, low, high, notes) -> int:
    made = 0
    for day in days:
        contracts = _serving(company, day)
        if not contracts:
            continue
        estate = rng.choice(contracts).estate
        services.record_inspection(
            actor=None,
            district=district,
            company=company,
            estate=estate,
            inspected_on=day,
            score=round(rng.uniform(low, high), 1),
            note=rng.choice(notes),
        )
        made += 1
    return made


def build(*, today, progress=None, log=print):
    district = District.objects.filter(code="DEMO").first()
    if district is None:
        return []
    last_year = today.year - 1
    if Assessment.objects.filter(district=district, year=last_year).exists():
        log("信用评价：已建立，跳过")
        return []
    rng = random.Random(SEED)
    e1 = Estate.objects.get(code="E0001")
    good = ServiceContract.objects.in_force(today).filter(estate=e1).select_related("company").first().company
    others = (
        ServiceContract.objects.in_force(today)
        .filter(estate__grid__community__street__district=district)
        .exclude(company=good)
        .values("company")
        .annotate(n=Count("pk"))
        .order_by("-n", "company")
    )
    poor_id = others[0]["company"] if others else None
    poor = PropertyCompany.objects.get(pk=poor_id) if poor_id else None
    # Two inspections a quarter over the last two years, in each company's own estates.
    start = date(last_year - 1, 1, 15)
    days = [start + timedelta(days=45 * i) for i in range(17) if start + timedelta(days=45 * i) < today]
    _inspect(good, district, rng, days, 90, 99, NOTES_GOOD)
    if poor is not None:
        _inspect(poor, district, rng, days, 35, 55, NOTES_POOR)
    # The other companies: one district inspection a year, middling.
    for company in PropertyCompany.objects.exclude(pk__in=[good.pk, poor_id]).order_by("pk"):
        _inspect(company, district, rng, [date(last_year, 6, 20), date(today.year, 6, 20)], 70, 88, NOTES_GOOD)
    assessment = services.publish_assessment(actor=None, district=district, year=last_year)
    # The company login objects to its score; the district upholds it in part.
    company_user = get_user_model().objects.filter(username="company").first()
    district_user = get_user_model().objects.filter(username="district").first()
    score = Score.objects.filter(assessment=assessment, company=good).first()
    if company_user is not None and score is not None:
        objection = services.file_objection(
            actor=company_user,
            score=score,
            component="inspection",
            reason="7 月的街道检查在停电期间进行，消防设施得分偏低，已提交整改照片。",
        )
        revised = min(score.total + 1, 100)
        services.decide_objection(
            actor=district_user,
            objection=objection,
            upheld=True,
            decision="经复核，停电期间的消防设施检查项不计分，总分相应更正。",
            revised_total=revised,
        )
    log(
        f"信用评价：检查评分 {Inspection.objects.filter(district=district).count()} 条，"
        f"{last_year} 年度评价已公布（{assessment.scores.count()} 家企业），异议 1 件已裁决"
    )
    return []
