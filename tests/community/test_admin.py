import pytest
from django.urls import reverse

from community.models import Estate, Owner, Role, RoleAssignment, RuleSet
from tests.factories import UserFactory, login, valid_resident_id

pytestmark = pytest.mark.django_db
ADMIN_ROLES = [Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER]
NON_ADMIN_ROLES = [Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR]


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admin_lists_own_estates_only_and_hides_others(client, world, role):
    login(client, world.users[role])
    page = client.get(reverse("admin:community_estate_changelist")).content.decode()
    assert world.e1.name in page and world.other[role].name not in page
    assert client.get(reverse("admin:community_estate_change", args=[world.e1.pk])).status_code == 200
    # Another scope's estate answers exactly like a missing one.
    other = client.get(reverse("admin:community_estate_change", args=[world.other[role].pk]))
    missing = client.get(reverse("admin:community_estate_change", args=[999999]))
    assert other.status_code == missing.status_code == 302
    assert other.url == missing.url == reverse("admin:index")


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_roles_outside_the_office_have_no_admin(client, world, role):
    login(client, world.users[role])
    response = client.get(reverse("admin:community_estate_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response.url


def test_an_owner_has_no_admin(client, world):
    login(client, world.owner_user)
    assert client.get(reverse("admin:index")).status_code == 302


def test_street_staff_view_but_cannot_change(client, world):
    login(client, world.users[Role.STREET_STAFF])
    url = reverse("admin:community_estate_change", args=[world.e1.pk])
    response = client.post(
        url, {"grid": world.e1.grid_id, "name": "改名", "code": world.e1.code, "delivered_on": "2015-01-01"}
    )
    assert response.status_code == 403
    world.e1.refresh_from_db()
    assert world.e1.name == "江滨豪园"


def test_community_staff_cannot_add_an_estate_under_another_communitys_grid(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.post(
        reverse("admin:community_estate_add"),
        {
            "grid": world.e3.grid_id,
            "name": "越权小区",
            "code": "X9",
            "delivered_on": "2020-01-01",
            "contracts-TOTAL_FORMS": 0,
            "contracts-INITIAL_FORMS": 0,
            "self_management-TOTAL_FORMS": 0,
            "self_management-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode() or "Select a valid choice" in response.content.decode()
    assert not Estate.objects.filter(code="X9").exists()


def test_community_staff_add_an_estate_in_their_own_grid(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.post(
        reverse("admin:community_estate_add"),
        {
            "grid": world.e1.grid_id,
            "name": "新建小区",
            "code": "X8",
            "delivered_on": "2020-01-01",
            "contracts-TOTAL_FORMS": 0,
            "contracts-INITIAL_FORMS": 0,
            "self_management-TOTAL_FORMS": 0,
            "self_management-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    assert Estate.objects.get(code="X8").grid == world.e1.grid


def _owner_form(**overrides):
    data = {"kind": "person", "name": "王小明", "mobile": "13800001111", "id_number": "", "uscc": "", "user": ""}
    data.update(overrides)
    return data


def test_a_bad_mobile_or_id_number_in_the_admin_is_explained_and_nothing_is_saved(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    before = Owner.objects.count()
    response = client.post(
        reverse("admin:community_owner_add"), _owner_form(mobile="1234", id_number="110105194912310021")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "手机号码无效" in page and "居民身份证号码无效" in page
    assert Owner.objects.count() == before


def test_the_admin_never_sends_a_stored_id_number_back(client, world):
    number = valid_resident_id(7)
    world.resident.id_number = number
    world.resident.save()
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("admin:community_owner_change", args=[world.resident.pk])
    page = client.get(url).content.decode()
    assert number not in page and number[:3] + "*" in page
    # Saving the form with the field left blank keeps the stored number.
    client.post(url, _owner_form(name="张三丰", mobile="13912345678"))
    world.resident.refresh_from_db()
    assert world.resident.id_number == number
    page = client.get(reverse("admin:community_owner_changelist")).content.decode()
    assert number not in page


def test_only_superusers_assign_roles_in_the_admin(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    assert client.get(reverse("admin:community_roleassignment_changelist")).status_code == 403


def test_a_superuser_assigns_a_role_through_the_service(client, world):
    from django.contrib.contenttypes.models import ContentType
    from guardian.shortcuts import get_perms

    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    target = UserFactory(username="newstaff")
    login(client, admin_user)
    community = world.e1.grid.community
    ctype = ContentType.objects.get_for_model(community)
    response = client.post(
        reverse("admin:community_roleassignment_add"),
        {"user": target.pk, "role": Role.COMMUNITY_STAFF, "scope_type": ctype.pk, "scope_id": community.pk},
    )
    assert response.status_code == 302
    assert "change_registry" in get_perms(target, community)
    # The wrong kind of scope is refused on the form, with nothing written.
    response = client.post(
        reverse("admin:community_roleassignment_add"),
        {"user": target.pk, "role": Role.GRID_WORKER, "scope_type": ctype.pk, "scope_id": community.pk},
    )
    assert response.status_code == 200 and "只能分配在网格上" in response.content.decode()
    assert RoleAssignment.objects.filter(user=target).count() == 1


def test_district_admin_edits_their_rule_set_and_a_bad_value_is_refused(client, world):
    rule_set = RuleSet.objects.create(name="试点")
    district = world.e1.district
    district.rule_set = rule_set
    district.save()
    login(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("admin:community_ruleset_change", args=[rule_set.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "试点", "note": "", "vote_quorum_area": "2/3"})
    assert response.status_code == 200 and "值无效" in response.content.decode()
    rule_set.refresh_from_db()
    assert rule_set.vote_quorum_area == ""
    response = client.post(url, {"name": "试点", "note": "", "filing_requires_exam": "true"})
    assert response.status_code == 302
    rule_set.refresh_from_db()
    assert rule_set.filing_requires_exam is True
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.get(url).status_code in (302, 403)


def test_an_overlapping_contract_in_the_admin_shows_the_services_reason_and_writes_nothing(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    company = world.e1.contracts.get().company
    response = client.post(
        reverse("admin:community_servicecontract_add"),
        {
            "estate": world.e1.pk,
            "company": company.pk,
            "mode": "lump_sum",
            "starts_on": "2021-01-01",
            "ends_on": "2023-12-31",
        },
    )
    assert response.status_code == 200 and "合同期不能重叠" in response.content.decode()
    assert world.e1.contracts.count() == 1


def test_a_contract_signed_in_the_admin_goes_through_the_service(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    company = world.e1.contracts.get().company
    response = client.post(
        reverse("admin:community_servicecontract_add"),
        {
            "estate": world.e2.pk,
            "company": company.pk,
            "mode": "remuneration",
            "starts_on": "2024-01-01",
            "ends_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    signed = world.e2.contracts.get()
    assert signed.created_by == world.users[Role.COMMUNITY_STAFF] and signed.mode == "remuneration"


def test_the_admin_shows_an_owners_account_but_never_binds_one(client, world):
    """Binding is the owner's own act (a letter, a registry match, an approved request)."""
    from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory

    login(client, world.users[Role.COMMUNITY_STAFF])
    owner = OwnerFactory(name="王小明", mobile="13800001111")
    OwnershipFactory(unit=UnitFactory(building__estate=world.e1), owner=owner)
    stranger = UserFactory()
    url = reverse("admin:community_owner_change", args=[owner.pk])
    assert 'name="user"' not in client.get(url).content.decode()
    client.post(url, _owner_form(user=stranger.pk))
    owner.refresh_from_db()
    assert owner.user is None and owner.name == "王小明"
