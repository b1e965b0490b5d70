"""The data migration that retires the placeholder mediator roles held on a community."""

import importlib

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from guardian.shortcuts import assign_perm, get_perms

from community.models import Role, RoleAssignment
from tests.factories import CommunityFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db
retire = importlib.import_module("mediation.migrations.0002_retire_community_mediator_roles").retire


def _legacy(user, community):
    RoleAssignment.objects.create(
        user=user, role=Role.MEDIATOR, scope_type=ContentType.objects.get_for_model(community), scope_id=community.pk
    )
    assign_perm("view_registry", user, community)


def test_a_community_mediator_role_and_its_grant_are_removed():
    community, user = CommunityFactory(), UserFactory()
    _legacy(user, community)
    retire(apps, None)
    assert not RoleAssignment.objects.filter(user=user).exists() and get_perms(user, community) == []


def test_a_grant_another_role_still_makes_is_kept():
    community = CommunityFactory()
    user = user_with_role(Role.COMMUNITY_STAFF, community)
    _legacy(user, community)
    retire(apps, None)
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [Role.COMMUNITY_STAFF]
    assert "view_registry" in get_perms(user, community)
