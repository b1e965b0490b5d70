"""The assessment's services: who may do what, the bounds and windows, and that a refusal writes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cms.models import NoticePage
from community.models import AuditEvent, Role
from community.rules import rules_for
from notifications.models import Event, Message
from supervision import scoring, services
from supervision.models import Assessment, Inspection, Objection, Score
from tests.factories import CompanyFactory, user_with_role
from tests.supervision.scores_world import NOW, Scores, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def scores(world):
    return Scores(world)


def _inspect(scores, actor, **kw):
    kw.setdefault("district", scores.district)
    kw.setdefault("company", scores.a)
    kw.setdefault("inspected_on", date(2026, 1, 20))
    kw.setdefault("score", "88.5")
    return services.record_inspection(actor=actor, now=NOW, **kw)


def test_street_staff_inspect_an_estate_of_their_street_and_the_district_the_company(scores, world):
    before = Inspection.objects.count()
    by_street = _inspect(scores, world.users[Role.STREET_STAFF], estate=scores.e1)
    by_district = _inspect(scores, world.users[Role.DISTRICT_ADMIN], score=90)
    assert by_street.score == Decimal("88.5") and by_street.estate == scores.e1
    assert by_district.estate is None
    assert Inspection.objects.count() == before + 2
    assert AuditEvent.objects.filter(action="credit_inspection").count() == 2


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMPANY_STAFF, Role.GRID_WORKER])
def test_only_the_district_inspects_a_company_as_a_whole(scores, world, role):
    before = Inspection.objects.count()
    with pytest.raises(PermissionDenied):
        _inspect(scores, world.users[role])
    assert Inspection.objects.count() == before


def test_street_staff_of_another_street_may_not_inspect(scores, world):
    other = user_with_role(Role.STREET_STAFF, world.e4.grid.community.street)
    with pytest.raises(PermissionDenied):
        _inspect(scores, other, estate=scores.e1)


@pytest.mark.parametrize("bad", ["100.1", "-1", "12.34", "abc"])
def test_a_score_out_of_bounds_is_refused_in_chinese_and_nothing_is_written(scores, world, bad):
    before = Inspection.objects.count()
    with pytest.raises(ValidationError) as refused:
        _inspect(scores, world.users[Role.DISTRICT_ADMIN], score=bad)
    assert "0 至 100" in refused.value.messages[0]
    assert Inspection.objects.count() == before


def test_the_bounds_themselves_are_accepted(scores, world):
    assert _inspect(scores, world.users[Role.DISTRICT_ADMIN], score="0").score == 0
    assert _inspect(scores, world.users[Role.DISTRICT_ADMIN], score="100").score == 100


def test_an_estate_the_company_did_not_serve_that_day_and_a_future_day_are_refused(scores, world):
    admin = world.users[Role.DISTRICT_ADMIN]
    before = Inspection.objects.count()
    with pytest.raises(ValidationError, match="没有为“同街道另一社区”提供物业服务"):
        _inspect(scores, admin, estate=scores.e3)
    with pytest.raises(ValidationError, match="检查日期不能晚于今天"):
        _inspect(scores, admin, inspected_on=date(2026, 2, 2))
    assert Inspection.objects.count() == before


# --------------------------------------------------------------------------- publication


def _publish(scores, world, **kw):
    kw.setdefault("actor", world.users[Role.DISTRICT_ADMIN])
    return services.publish_assessment(district=scores.district, year=2025, now=NOW, **kw)


def test_publication_freezes_every_company_drafts_the_notice_and_tells_the_staff(scores, world):
    assessment = _publish(scores, world)
    frozen = {s.company: s for s in Score.objects.filter(assessment=assessment)}
    assert (frozen[scores.b].total, frozen[scores.b].rank, frozen[scores.b].band) == (Decimal("100.0"), 1, "red")
    assert (frozen[scores.a].total, frozen[scores.a].rank, frozen[scores.a].band) == (Decimal("53.1"), 2, "black")
    components = {c["name"]: c for c in frozen[scores.a].components["components"]}
    assert components["in_time"]["value"] == "0.3333" and components["fund_disclosure"]["status"] == "n/a"
    assert {e["name"] for e in frozen[scores.a].components["estates"]} == {"江滨豪园", "临江苑"}
    notice = NoticePage.objects.get(pk=assessment.notice_id)
    assert not notice.live and scores.a.name in notice.body and "第 2 名" in notice.body
    assert notice.get_parent().specific.district == scores.district
    told = Message.objects.get(event=Event.CREDIT_PUBLISHED, subject_id=frozen[scores.a].pk)
    assert list(told.deliveries.values_list("user", flat=True).distinct()) == [scores.company_user.pk]
    assert AuditEvent.objects.filter(action="credit_publish").count() == 1


def test_a_year_not_over_and_a_second_publication_are_refused(scores, world):
    with pytest.raises(ValidationError, match="2026 年度尚未结束"):
        services.publish_assessment(
            actor=world.users[Role.DISTRICT_ADMIN], district=scores.district, year=2026, now=NOW
        )
    with pytest.raises(ValidationError, match="尚未结束"):
        services.publish_assessment(actor=None, district=scores.district, year=2025, now=at(2025, 12, 31, 23, 59))
    assert not Assessment.objects.exists()
    _publish(scores, world)
    with pytest.raises(ValidationError, match="不能重复公布"):
        _publish(scores, world)
    assert Assessment.objects.count() == 1 and Score.objects.count() == 2


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMPANY_STAFF])
def test_only_the_district_publishes(scores, world, role):
    with pytest.raises(PermissionDenied):
        _publish(scores, world, actor=world.users[role])
    assert not Assessment.objects.exists() and not Score.objects.exists()


# --------------------------------------------------------------------------- objections


@pytest.fixture
def published(scores, world):
    _publish(scores, world)
    return Score.objects.get(company=scores.a)


def test_the_objection_window_counts_as_the_civil_code_does(scores, published):
    # published 1 Feb 2026; 15 days from the next day: the last day is 16 Feb
    assert services.objection_last_day(published.assessment) == date(2026, 2, 16)
    with pytest.raises(ValidationError, match="2026-02-16"):
        services.file_objection(
            actor=scores.company_user, score=published, reason="投诉数据有误", now=at(2026, 2, 17, 0, 1)
        )
    assert not Objection.objects.exists()
    objection = services.file_objection(
        actor=scores.company_user,
        score=published,
        reason="投诉数据有误",
        component="volume",
        now=at(2026, 2, 16, 23, 59),
    )
    assert objection.component == "volume"
    with pytest.raises(ValidationError, match="只能提出一次"):
        services.file_objection(actor=scores.company_user, score=published, reason="再次", now=at(2026, 2, 16, 23, 59))
    assert Objection.objects.count() == 1


def test_only_the_company_s_own_staff_object_and_with_a_reason(scores, world, published):
    other = user_with_role(Role.COMPANY_STAFF, CompanyFactory())
    for actor in (other, world.users[Role.DISTRICT_ADMIN]):
        with pytest.raises(PermissionDenied):
            services.file_objection(actor=actor, score=published, reason="不服", now=NOW)
    with pytest.raises(ValidationError, match="请填写理由"):
        services.file_objection(actor=scores.company_user, score=published, reason="  ", now=NOW)
    assert not Objection.objects.exists()


@pytest.fixture
def objection(scores, published):
    return services.file_objection(actor=scores.company_user, score=published, reason="检查评分录入有误", now=NOW)


def test_an_upheld_objection_revises_the_total_once_and_the_ranking_follows(scores, world, objection):
    admin = world.users[Role.DISTRICT_ADMIN]
    with pytest.raises(ValidationError, match="须填写更正后的总分"):
        services.decide_objection(actor=admin, objection=objection, upheld=True, decision="核实有误", now=NOW)
    with pytest.raises(ValidationError, match="0 至 100"):
        services.decide_objection(
            actor=admin, objection=objection, upheld=True, decision="核实有误", revised_total="101", now=NOW
        )
    objection.refresh_from_db()
    assert objection.decided_at is None
    decided = services.decide_objection(
        actor=admin,
        objection=objection,
        upheld=True,
        decision="检查评分录入有误，已更正",
        revised_total="61.0",
        now=NOW,
    )
    assert (decided.upheld, decided.revised_total) == (True, Decimal("61.0"))
    with pytest.raises(ValidationError, match="不能重复裁决"):
        services.decide_objection(actor=admin, objection=objection, upheld=False, decision="改判", now=NOW)
    told = Message.objects.get(event=Event.CREDIT_OBJECTION)
    assert "61.0" in told.body and told.deliveries.filter(user=scores.company_user).exists()
    assert AuditEvent.objects.filter(action="credit_objection_decide").count() == 1
    rows = [
        scoring.Row(key="b", total=Decimal("100.0")),
        scoring.Row(key="a", total=Decimal("53.1"), revised=Decimal("61.0")),
    ]
    rules = rules_for(scores.district)
    assert [(rank, r.key, scoring.band(r.effective, rules)) for rank, r in scoring.effective_ranking(rows)] == [
        (1, "b", "red"),
        (2, "a", ""),
    ]


def test_a_rejected_objection_keeps_the_total_and_refuses_a_revised_one(scores, world, objection):
    admin = world.users[Role.DISTRICT_ADMIN]
    with pytest.raises(ValidationError, match="不得更正总分"):
        services.decide_objection(
            actor=admin, objection=objection, upheld=False, decision="数据无误", revised_total="70", now=NOW
        )
    decided = services.decide_objection(actor=admin, objection=objection, upheld=False, decision="数据无误", now=NOW)
    assert decided.upheld is False and decided.revised_total is None


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMPANY_STAFF])
def test_only_the_district_decides(scores, world, objection, role):
    with pytest.raises(PermissionDenied):
        services.decide_objection(actor=world.users[role], objection=objection, upheld=False, decision="x", now=NOW)
    objection.refresh_from_db()
    assert objection.decided_at is None


def test_the_window_follows_the_district_rule(scores, published):
    from community.models import RuleSet

    rule_set = RuleSet.objects.create(name="短异议期", credit_objection_days=3)
    scores.district.rule_set = rule_set
    scores.district.save()
    published.assessment.district.refresh_from_db()
    assert services.objection_last_day(published.assessment) == date(2026, 2, 1) + timedelta(days=3)
