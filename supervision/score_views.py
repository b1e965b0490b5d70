"""The company assessment's pages.

* ``/companies/scores/``: district, street and community staff: the running figure (the last 12
  months) of every company serving an estate in their scope, with its components and red/black
  marks; the published assessments; the district publishes a year.
* ``/companies/<pk>/score/``: how a company's score is built, each component with its facts, per
  estate; its inspections and published scores. The company's own staff and supervising staff
  (whose scope the company served in the period) see it; anyone else gets 404. Inspection,
  objection and decision forms post to their own addresses and come back here.
* ``/companies/ranking/<year>/``: the published ranking, public (no login): company names, totals,
  bands and decided objections only.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import access
from community.models import Community, District, Estate, PropertyCompany, ServiceContract, Street
from community.rules import rules_for
from community.web import act, cleaned

from . import scoring, services
from .facts import company_scores, served_districts
from .forms import DecisionForm, InspectionForm, ObjectionForm, PublishForm
from .models import Assessment, Inspection, Objection, Score

SUPERVISING = (District, Street, Community)


def _supervised_districts(user):
    """The districts a member of district, street or community staff watches (None for others)."""
    if user.is_superuser:
        return District.objects.select_related("rule_set").order_by("code")
    grants = access.granted_scopes(user, access.VIEW)
    if not any(grants.get(model) for model in SUPERVISING):
        return None
    return access.visible(user, access.VIEW, District.objects.select_related("rule_set")).order_by("code")


def _own_company(user, company_pk) -> bool:
    return int(company_pk) in access.granted_scopes(user, access.VIEW).get(PropertyCompany, set())


def _visible_estate_ids(user, district) -> set[int]:
    return set(
        access.visible(
            user, access.VIEW, Estate.objects.filter(grid__community__street__district=district)
        ).values_list("pk", flat=True)
    )


@login_required
def scores(request):
    districts = _supervised_districts(request.user)
    if districts is None:
        raise PermissionDenied
    period = scoring.last_12_months(timezone.localdate())
    sections = []
    for district in districts:
        seen = _visible_estate_ids(request.user, district)
        rows = [r for r in company_scores(district, period) if any(e.estate.pk in seen for e in r.estates)]
        sections.append(
            {
                "district": district,
                "rows": rows,
                "assessments": Assessment.objects.filter(district=district).order_by("-year"),
                "may_publish": services.holds_on_district(request.user, district),
            }
        )
    return render(
        request,
        "supervision/scores.html",
        {
            "sections": sections,
            "period": period,
            "headers": [scoring.LABELS[c] for c in scoring.COMPONENTS],
            "publish_form": PublishForm(initial={"year": timezone.localdate().year - 1}),
        },
    )


@login_required
@require_POST
def publish(request, district_pk):
    district = get_object_or_404(District, pk=district_pk)

    def run():
        data = cleaned(PublishForm(request.POST))
        assessment = services.publish_assessment(actor=request.user, district=district, year=data["year"])
        return _("%(year)s 年度信用评价已公布，公告草稿已生成，请审核后发布。") % {"year": assessment.year}

    return act(request, run, reverse("supervision:scores"))


def _company_districts(user, company):
    """The districts whose figures ``user`` may read for ``company``; 404 when none."""
    period = scoring.last_12_months(timezone.localdate())
    served = served_districts(company, period)
    published = District.objects.filter(
        Exists(Score.objects.filter(company=company, assessment__district=OuterRef("pk")))
    ).select_related("rule_set")
    if _own_company(user, company.pk):
        found = {d.pk: d for d in list(served) + list(published)}
        return list(found.values()), True
    supervised = _supervised_districts(user)
    if supervised is None:
        raise Http404
    found = {}
    for district in supervised:
        seen = _visible_estate_ids(user, district)
        contracts = ServiceContract.objects.filter(company=company, estate__in=seen)
        if contracts.exists():
            found[district.pk] = district
    if not found:
        raise Http404
    return list(found.values()), False


@login_required
def company_score(request, pk):
    company = get_object_or_404(PropertyCompany, pk=pk)
    districts, own = _company_districts(request.user, company)
    period = scoring.last_12_months(timezone.localdate())
    today = timezone.localdate()
    sections = []
    for district in districts:
        result = next(iter(company_scores(district, period, companies=[company])), None)
        published = list(
            Score.objects.filter(company=company, assessment__district=district)
            .select_related("assessment")
            .annotate(has_objection=Exists(Objection.objects.filter(score=OuterRef("pk"))))
            .order_by("-assessment__year")
        )
        objections = {o.score_id: o for o in Objection.objects.filter(score__in=published)}
        may_assess = services.holds_on_district(request.user, district)
        inspect_estates = access.visible(
            request.user,
            access.ASSESS_COMPANIES,
            Estate.objects.filter(
                grid__community__street__district=district,
                pk__in=ServiceContract.objects.in_force(today).filter(company=company).values("estate"),
            ),
        )
        rows = []
        for score in published:
            objection = objections.get(score.pk)
            last_day = services.objection_last_day(score.assessment)
            rows.append(
                {
                    "score": score,
                    "objection": objection,
                    "last_day": last_day,
                    "may_object": own and objection is None and today <= last_day,
                    "may_decide": may_assess and objection is not None and not objection.decided,
                }
            )
        sections.append(
            {
                "district": district,
                "rules": rules_for(district),
                "result": result,
                "published": rows,
                "inspections": Inspection.objects.filter(company=company, district=district).select_related("estate")[
                    :50
                ],
                "inspection_form": InspectionForm(estates=inspect_estates)
                if (may_assess or inspect_estates.exists())
                else None,
            }
        )
    return render(
        request,
        "supervision/company_score.html",
        {
            "company": company,
            "own": own,
            "sections": sections,
            "period": period,
            "objection_form": ObjectionForm(),
            "decision_form": DecisionForm(),
        },
    )


@login_required
@require_POST
def inspect(request, pk, district_pk):
    company = get_object_or_404(PropertyCompany, pk=pk)
    district = get_object_or_404(District, pk=district_pk)
    estates = Estate.objects.filter(grid__community__street__district=district)

    def run():
        data = cleaned(InspectionForm(request.POST, estates=estates))
        services.record_inspection(
            actor=request.user,
            district=district,
            company=company,
            estate=data["estate"],
            inspected_on=data["inspected_on"],
            score=data["score"],
            note=data["note"],
        )
        return _("检查评分已录入。")

    return act(request, run, reverse("supervision:company_score", args=[company.pk]))


@login_required
@require_POST
def file_objection(request, score_pk):
    score = get_object_or_404(Score.objects.select_related("company"), pk=score_pk)
    if not _own_company(request.user, score.company_id):
        raise Http404

    def run():
        data = cleaned(ObjectionForm(request.POST))
        services.file_objection(actor=request.user, score=score, reason=data["reason"], component=data["component"])
        return _("异议已提出，等待区主管部门裁决。")

    return act(request, run, reverse("supervision:company_score", args=[score.company_id]))


@login_required
@require_POST
def decide_objection(request, pk):
    objection = get_object_or_404(Objection.objects.select_related("score__assessment__district"), pk=pk)
    if not services.holds_on_district(request.user, objection.score.assessment.district):
        raise Http404

    def run():
        data = cleaned(DecisionForm(request.POST))
        services.decide_objection(
            actor=request.user,
            objection=objection,
            upheld=data["upheld"],
            decision=data["decision"],
            revised_total=data["revised_total"],
        )
        return _("异议已裁决。")

    return act(request, run, reverse("supervision:company_score", args=[objection.score.company_id]))


def ranking(request, year):
    """Public: the published ranking of ``year`` in each district that published one."""
    assessments = list(Assessment.objects.filter(year=year).select_related("district__rule_set").order_by("district"))
    if not assessments:
        raise Http404
    sections = []
    scores_by = {}
    for score in (
        Score.objects.filter(assessment__in=assessments)
        .select_related("company", "objection")
        .only(
            "assessment_id",
            "total",
            "band",
            "rank",
            "company__name",
            "objection__decided_at",
            "objection__upheld",
            "objection__revised_total",
        )
    ):
        scores_by.setdefault(score.assessment_id, []).append(score)
    for assessment in assessments:
        rules = rules_for(assessment.district)
        rows = []
        for score in scores_by.get(assessment.pk, []):
            objection = getattr(score, "objection", None)
            decided = objection is not None and objection.decided_at is not None
            revised = objection.revised_total if decided and objection.upheld else None
            rows.append(
                scoring.Row(key=(score, decided, objection if decided else None), total=score.total, revised=revised)
            )
        ranked = [
            {
                "rank": rank,
                "company": row.key[0].company.name,
                "total": row.effective,
                "original": row.total,
                # the band as published; a total an upheld objection revised is banded again
                "band": row.key[0].band if row.effective == row.total else scoring.band(row.effective, rules),
                "decided": row.key[1],
                "upheld": row.key[2].upheld if row.key[2] else None,
            }
            for rank, row in scoring.effective_ranking(rows)
        ]
        sections.append({"assessment": assessment, "rows": ranked})
    return render(request, "supervision/ranking.html", {"year": year, "sections": sections})
