import pytest
from django.urls import reverse

from community.models import Role
from tests.factories import EstateFactory, OwnershipFactory, UnitFactory, login
from tests.world import PERSON_ROLES

pytestmark = pytest.mark.django_db
ALL_ROLES = PERSON_ROLES
# A mediator's scope is a room, a utility's staff's their handling unit: not the registry.
REGISTRY_ROLES = [r for r in PERSON_ROLES if r not in (Role.MEDIATOR, Role.UNIT_STAFF)]


@pytest.mark.parametrize("role", REGISTRY_ROLES)
def test_directory_lists_own_estates_and_hides_the_rest(client, world, role):
    login(client, world.users[role])
    page = client.get(reverse("community:directory")).content.decode()
    assert world.e1.name in page
    assert world.other[role].name not in page


@pytest.mark.parametrize("role", REGISTRY_ROLES)
def test_estate_page_allowed_in_scope_and_404_outside(client, world, role):
    login(client, world.users[role])
    assert client.get(reverse("community:estate_detail", args=[world.e1.pk])).status_code == 200
    assert client.get(reverse("community:estate_detail", args=[world.other[role].pk])).status_code == 404
    assert client.get(reverse("community:estate_detail", args=[999999])).status_code == 404


def test_a_mediator_starts_in_mediation_and_reads_no_estate_file(client, world):
    login(client, world.users[Role.MEDIATOR])
    assert client.get(reverse("home")).url == reverse("mediation:workspace")
    assert world.e1.name not in client.get(reverse("community:directory")).content.decode()
    assert client.get(reverse("community:estate_detail", args=[world.e1.pk])).status_code == 404


def test_a_utilitys_staff_start_in_their_queue_and_read_no_estate_file(client, world):
    login(client, world.users[Role.UNIT_STAFF])
    assert client.get(reverse("home")).url == reverse("grid:queue")
    assert client.get(reverse("community:directory")).status_code == 403
    assert client.get(reverse("community:estate_detail", args=[world.e1.pk])).status_code in (403, 404)


def test_owner_sees_no_staff_page_but_their_own_units(client, world):
    login(client, world.owner_user)
    assert client.get(reverse("community:directory")).status_code == 403
    assert client.get(reverse("community:estate_detail", args=[world.e1.pk])).status_code == 403
    assert client.get(reverse("home")).url == reverse("community:my_units")
    page = client.get(reverse("community:my_units")).content.decode()
    assert world.e1.name in page and "101" in page


def test_anonymous_visitors_are_sent_to_login(client, world):
    for url in (
        reverse("community:directory"),
        reverse("community:estate_detail", args=[world.e1.pk]),
        reverse("community:my_units"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_owner_names_are_masked_for_roles_without_personal_data(client, world):
    url = reverse("community:estate_detail", args=[world.e1.pk])
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = client.get(url).content.decode()
    assert "张**" in page and "张三丰" not in page and "139****5678" in page and "13912345678" not in page
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.get(url).content.decode()
    assert "张三丰" in page and "13912345678" in page


def test_directory_filters_by_management_state_and_search(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("community:directory")
    page = client.get(url, {"state": "company"}).content.decode()
    assert world.e1.name in page and world.e2.name not in page
    page = client.get(url, {"q": "江滨"}).content.decode()
    assert world.e1.name in page and world.e2.name not in page
    page = client.get(url, {"street": world.e4.grid.community.street_id}).content.decode()
    assert world.e4.name in page and world.e1.name not in page


def test_a_filter_outside_the_scope_is_an_error_not_a_leak(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.get(reverse("community:directory"), {"street": world.e5.grid.community.street_id})
    page = response.content.decode()
    assert response.status_code == 200
    assert "不在您的管辖范围内" in page and world.e1.name not in page
    page = client.get(reverse("community:directory"), {"state": "bogus"}).content.decode()
    assert "bogus" in page and "有效" in page


def test_directory_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    user = world.users[Role.DISTRICT_ADMIN]
    login(client, user)
    url = reverse("community:directory")
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for _ in range(40):
        estate = EstateFactory(grid=world.e1.grid)
        UnitFactory(building__estate=estate)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 44


def test_estate_page_query_count_does_not_grow_with_units(client, world, django_assert_max_num_queries):
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("community:estate_detail", args=[world.e1.pk])
    # 21 reads (one for units without an owner), the second factor's device, the audit line, the bar's
    # overdue count (community.duties)
    with django_assert_max_num_queries(24) as small:
        client.get(url)
    for _i in range(30):
        OwnershipFactory(unit=UnitFactory(building__estate=world.e1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_the_interface_switches_to_english(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("community:directory")).content.decode()
    assert "Estate directory" in page


def test_login_with_a_wrong_password_shows_a_clear_error(client, world):
    response = client.post(reverse("login"), {"username": "community", "password": "wrong"})
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()


def test_chinese_is_shown_whatever_the_browser_asks_for(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.get(reverse("community:directory"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "小区名录" in page and "Estate directory" not in page


def test_estate_totals_are_shown_to_the_cent(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.get(reverse("community:estate_detail", args=[world.e1.pk]))
    assert str(response.context["summary"]["total_area"]) == "89.50"


def test_a_building_of_another_estate_in_the_unit_filter_is_refused(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    foreign = UnitFactory(building__estate=world.e2).building
    response = client.get(reverse("community:estate_detail", args=[world.e1.pk]), {"building": foreign.pk})
    page = response.content.decode()
    assert response.status_code == 200 and "所选楼栋不属于本小区" in page
