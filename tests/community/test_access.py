from datetime import timedelta

import pytest
from django.utils import timezone
from guardian.shortcuts import get_perms

from community import access, services
from community.models import Estate, Owner, Role, RoleAssignment, Unit
from community.tenure import services as tenure
from tests.factories import CommunityFactory, GridFactory, UserFactory, user_with_role
from tests.world import PERSON_ROLES

pytestmark = pytest.mark.django_db
ALL_ROLES = PERSON_ROLES
# A mediator's scope is a mediation room, a utility's staff's their handling unit, not the registry
# (tests/mediation and tests/grid/test_requests.py cover them).
REGISTRY_ROLES = [r for r in ALL_ROLES if r not in (Role.MEDIATOR, Role.UNIT_STAFF)]


@pytest.mark.parametrize("role", REGISTRY_ROLES)
def test_each_role_sees_its_own_estate_and_not_the_one_next_door(world, role):
    user = world.users[role]
    assert access.can(user, access.VIEW, world.e1)
    assert not access.can(user, access.VIEW, world.other[role])
    visible = set(access.visible(user, access.VIEW, Estate.objects.all()))
    assert world.e1 in visible and world.other[role] not in visible


@pytest.mark.parametrize("role", REGISTRY_ROLES)
def test_units_and_owners_inherit_from_their_estate(world, role):
    user = world.users[role]
    own_unit = Unit.objects.get(building__estate=world.e1)
    assert access.can(user, access.VIEW, own_unit)
    assert access.can(user, access.VIEW, world.resident)
    other_units = Unit.objects.filter(building__estate=world.other[role])
    assert not access.visible(user, access.VIEW, other_units).exists()
    other_owners = Owner.objects.filter(ownerships__unit__building__estate=world.other[role])
    assert not access.visible(user, access.VIEW, other_owners).exists()


def test_personal_data_and_changes_are_for_staff_roles_only(world):
    full = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER}
    change = {Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER}
    for role, user in world.users.items():
        assert access.can(user, access.PERSONAL, world.e1) is (role in full), role
        assert access.can(user, access.CHANGE, world.e1) is (role in change), role


def test_an_owner_and_a_stranger_hold_nothing(world):
    for user in (world.owner_user, UserFactory()):
        assert not access.holds_anywhere(user, access.VIEW)
        assert not access.can(user, access.VIEW, world.e1)


def test_company_staff_lose_the_estate_when_the_contract_ends(world):
    user = world.users[Role.COMPANY_STAFF]
    signed = world.e1.contracts.get()
    tenure.terminate_contract(actor=None, contract=signed, last_day=timezone.localdate() - timedelta(days=1))
    access.forget(user)
    assert not access.can(user, access.VIEW, world.e1)


def test_assigning_grants_guardian_permissions_and_revoking_removes_them(world):
    community = CommunityFactory()
    user = user_with_role(Role.COMMUNITY_STAFF, community)
    assert set(get_perms(user, community)) == {
        "view_registry",
        "change_registry",
        "view_personal_data",
        "draft_notices",
        "publish_notices",
        "run_exams",
        "convene_votes",
        "open_cases",
        "dispatch_cases",
        "manage_branches",
    }
    assert user.is_staff
    services.revoke_role(actor=None, assignment=RoleAssignment.objects.get(user=user))
    user.refresh_from_db()
    assert get_perms(user, community) == [] and not user.is_staff


def test_revoking_one_role_keeps_what_another_role_on_the_same_scope_grants(world, monkeypatch):
    # No two roles share a scope type today; pretend grid workers could serve a whole community.
    monkeypatch.setitem(access.ROLE_SCOPES, Role.GRID_WORKER, type(world.e1.grid.community))
    community = CommunityFactory()
    user = user_with_role(Role.COMMUNITY_STAFF, community)
    services.assign_role(actor=None, user=user, role=Role.GRID_WORKER, scope=community)
    services.revoke_role(actor=None, assignment=RoleAssignment.objects.get(user=user, role=Role.COMMUNITY_STAFF))
    assert set(get_perms(user, community)) == {"view_registry", "change_registry", "view_personal_data"}


def test_a_role_on_the_wrong_kind_of_scope_is_refused(world):
    with pytest.raises(Exception) as exc:
        services.assign_role(actor=None, user=UserFactory(), role=Role.GRID_WORKER, scope=world.e1)
    assert "网格" in str(exc.value)
    assert not RoleAssignment.objects.filter(role=Role.GRID_WORKER, user__username__startswith="user").exists()


def test_only_a_superuser_assigns_roles(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.assign_role(
            actor=world.users[Role.DISTRICT_ADMIN], user=UserFactory(), role=Role.GRID_WORKER, scope=GridFactory()
        )


def test_can_and_visible_agree_for_every_estate(world):
    for user in world.users.values():
        visible = set(access.visible(user, access.VIEW, Estate.objects.all()))
        for estate in Estate.objects.all():
            assert access.can(user, access.VIEW, estate) is (estate in visible)
