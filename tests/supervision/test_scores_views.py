"""The assessment's pages: the role matrix on each, the public ranking without personal data,
bad input shown in Chinese with nothing written, and the list's fixed number of queries."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from community.models import Role
from supervision import services
from supervision.models import Inspection, Objection, Score
from tests.factories import CompanyFactory, login, user_with_role
from tests.supervision.scores_world import Scores, more_companies

pytestmark = pytest.mark.django_db


@pytest.fixture
def scores(world):
    return Scores(world)


@pytest.fixture
def published(scores, world):
    services.publish_assessment(actor=None, district=scores.district, year=2025)  # today: the window is open
    return Score.objects.get(company=scores.a)


def _as(client, user):
    client.logout()
    login(client, user)
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.DISTRICT_ADMIN, 200),
        (Role.STREET_STAFF, 200),
        (Role.COMMUNITY_STAFF, 200),
        (Role.GRID_WORKER, 403),
        (Role.COMMITTEE_MEMBER, 403),
        (Role.COMPANY_STAFF, 403),
        (Role.MEDIATOR, 403),
    ],
)
def test_the_scores_list_is_for_supervising_staff(client, world, scores, role, status):
    response = _as(client, world.users[role]).get(reverse("supervision:scores"))
    assert response.status_code == status
    if status == 200:
        assert scores.a.name in response.content.decode()


def test_the_scores_list_asks_anyone_signed_out_to_sign_in(client, scores):
    response = client.get(reverse("supervision:scores"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_community_staff_see_only_companies_serving_their_community(client, world, scores):
    other = CompanyFactory(name="外社区物业")
    from tests.factories import contract

    contract(world.e4, other)
    page = _as(client, world.users[Role.COMMUNITY_STAFF]).get(reverse("supervision:scores")).content.decode()
    assert scores.a.name in page and "外社区物业" not in page
    page = _as(client, world.users[Role.DISTRICT_ADMIN]).get(reverse("supervision:scores")).content.decode()
    assert "外社区物业" in page


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.DISTRICT_ADMIN, 200),
        (Role.STREET_STAFF, 200),
        (Role.COMMUNITY_STAFF, 200),
        (Role.COMPANY_STAFF, 200),
        (Role.GRID_WORKER, 404),
        (Role.COMMITTEE_MEMBER, 404),
        (Role.MEDIATOR, 404),
    ],
)
def test_a_company_s_score_page_role_matrix(client, world, scores, role, status):
    response = _as(client, world.users[role]).get(reverse("supervision:company_score", args=[scores.a.pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "江滨豪园" in page and "按时办结率" in page


def test_another_company_s_staff_and_staff_elsewhere_get_404(client, world, scores):
    url = reverse("supervision:company_score", args=[scores.a.pk])
    assert _as(client, user_with_role(Role.COMPANY_STAFF, scores.b)).get(url).status_code == 404
    assert _as(client, user_with_role(Role.STREET_STAFF, world.e4.grid.community.street)).get(url).status_code == 404
    assert (
        _as(client, user_with_role(Role.DISTRICT_ADMIN, world.e5.grid.community.street.district)).get(url).status_code
        == 404
    )


def test_the_ranking_is_public_names_companies_only_and_marks_decided_objections(client, scores, published, world):
    assert client.get(reverse("supervision:ranking", args=[2024])).status_code == 404
    objection = services.file_objection(actor=scores.company_user, score=published, reason="有误")
    services.decide_objection(actor=None, objection=objection, upheld=True, decision="更正", revised_total="61.0")
    response = client.get(reverse("supervision:ranking", args=[2025]))
    assert response.status_code == 200
    page = response.content.decode()
    assert scores.a.name in page and scores.b.name in page and "61.0" in page and "由 53.1 分更正" in page
    assert "红名单" in page
    for private in ("张三丰", "13912345678", "李四光", world.users[Role.COMPANY_STAFF].username):
        assert private not in page


def test_an_inspection_with_a_bad_score_is_shown_in_chinese_and_writes_nothing(client, world, scores):
    _as(client, world.users[Role.DISTRICT_ADMIN])
    before = Inspection.objects.count()
    url = reverse("supervision:inspect", args=[scores.a.pk, scores.district.pk])
    response = client.post(url, {"estate": "", "inspected_on": "2026-01-05", "score": "120"})
    assert response.status_code == 302
    assert any("不能高于 100 分" in str(m) for m in get_messages(response.wsgi_request))
    assert Inspection.objects.count() == before
    response = client.post(
        url, {"estate": scores.e1.pk, "inspected_on": "2026-01-05", "score": "77.5", "note": "消防通道"}
    )
    assert Inspection.objects.filter(score="77.5", estate=scores.e1).exists()


def test_community_staff_may_not_post_an_inspection(client, world, scores):
    _as(client, world.users[Role.COMMUNITY_STAFF])
    before = Inspection.objects.count()
    url = reverse("supervision:inspect", args=[scores.a.pk, scores.district.pk])
    response = client.post(url, {"estate": scores.e1.pk, "inspected_on": "2026-01-05", "score": "80"})
    assert any("没有权限" in str(m) for m in get_messages(response.wsgi_request))
    assert Inspection.objects.count() == before


def test_the_company_objects_from_its_page_and_the_district_decides(client, world, scores, published):
    _as(client, scores.company_user)
    page = client.get(reverse("supervision:company_score", args=[scores.a.pk])).content.decode()
    assert "提出异议" in page
    client.post(reverse("supervision:file_objection", args=[published.pk]), {"component": "rating", "reason": ""})
    assert not Objection.objects.exists()  # no reason: refused
    client.post(
        reverse("supervision:file_objection", args=[published.pk]), {"component": "rating", "reason": "评分统计有误"}
    )
    objection = Objection.objects.get()
    url = reverse("supervision:decide_objection", args=[objection.pk])
    assert _as(client, world.users[Role.STREET_STAFF]).post(url, {"upheld": "0", "decision": "x"}).status_code == 404
    _as(client, world.users[Role.DISTRICT_ADMIN])
    client.post(url, {"upheld": "0", "decision": "经核实数据无误"})
    objection.refresh_from_db()
    assert objection.upheld is False and objection.decision == "经核实数据无误"


def test_another_company_may_not_object(client, scores, published):
    _as(client, user_with_role(Role.COMPANY_STAFF, scores.b))
    response = client.post(reverse("supervision:file_objection", args=[published.pk]), {"reason": "x"})
    assert response.status_code == 404 and not Objection.objects.exists()


def test_publishing_from_the_page_refuses_the_current_year(client, world, scores):
    _as(client, world.users[Role.DISTRICT_ADMIN])
    response = client.post(reverse("supervision:publish", args=[scores.district.pk]), {"year": "2026"})
    assert any("尚未结束" in str(m) for m in get_messages(response.wsgi_request))
    _as(client, world.users[Role.STREET_STAFF])
    response = client.post(reverse("supervision:publish", args=[scores.district.pk]), {"year": "2025"})
    assert any("没有权限" in str(m) for m in get_messages(response.wsgi_request))
    assert not Score.objects.exists()


def test_the_scores_list_runs_a_fixed_number_of_queries(client, world, scores, django_assert_max_num_queries):
    _as(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("supervision:scores")
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    more_companies(world, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
