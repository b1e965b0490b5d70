"""Wagtail's page permissions, kept in step with community/access.py.

Wagtail decides what its editor shows from groups with page permissions. For
every scope page someone may write notices under, there is a group
"公告发布·<code>" (add, edit, publish) or "公告起草·<code>" (add, edit). A user's
membership is recomputed from their role grants whenever their roles change,
an estate's contracts change, or ``sync_site_tree --permissions`` runs (daily,
so a contract that simply reached its end date is followed too).

The groups only drive Wagtail's interface. Every change is checked again
against access.py when it is made (cms/wagtail_hooks.py), so a group that is a
day stale can never grant more than the access module does.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from community import access
from community.models import Community, District, Estate, PropertyCompany, Role, RoleAssignment

from .models import CommunityPage, DistrictPage, EstatePage

EDITORS = "公告编辑"  # may enter /cms/ and attach PDFs
PREFIX = "公告"
PAGE_MODELS = {District: DistrictPage, Community: CommunityPage, Estate: EstatePage}


def _pages_for(user, perm: str) -> set:
    grants = access.granted_scopes(user, perm)
    pages = set()
    for model, page_model in PAGE_MODELS.items():
        if grants.get(model):
            pages |= set(page_model.objects.filter(**{f"{page_model.registry_field}__in": grants[model]}))
    if grants.get(PropertyCompany):
        served = access.estates_served_by(grants[PropertyCompany])
        pages |= set(EstatePage.objects.filter(estate__in=served))
    return pages


def _group_for(page, publish: bool) -> Group:
    name = f"{PREFIX}{'发布' if publish else '起草'}·{page.registry_object.code}"
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for permission_type in ("add", "change") + (("publish",) if publish else ()):
            GroupPagePermission.objects.create(group=group, page=page, permission_type=permission_type)
    return group


def _editors_group() -> Group:
    group, created = Group.objects.get_or_create(name=EDITORS)
    if created:
        group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
        root = Collection.get_first_root_node()
        for codename in ("add_document", "choose_document"):
            GroupCollectionPermission.objects.create(
                group=group,
                collection=root,
                permission=Permission.objects.get(content_type__app_label="wagtaildocs", codename=codename),
            )
    return group


@transaction.atomic
def sync_user(user) -> None:
    """Put ``user`` in exactly the notice groups their role grants justify."""
    access.forget(user)
    publish_pages = _pages_for(user, access.PUBLISH_NOTICES)
    draft_pages = _pages_for(user, access.DRAFT_NOTICES) - publish_pages
    wanted = {_group_for(p, True) for p in publish_pages} | {_group_for(p, False) for p in draft_pages}
    if wanted:
        wanted.add(_editors_group())
    current = set(user.groups.filter(name__startswith=PREFIX))
    user.groups.remove(*(current - wanted))
    user.groups.add(*(wanted - current))


def sync_users_of_estate(estate: Estate) -> None:
    """After an estate's contracts change: the staff of its companies may have gained or lost it."""
    companies = estate.contracts.values("company")
    assignments = RoleAssignment.objects.filter(
        role=Role.COMPANY_STAFF,
        scope_type=ContentType.objects.get_for_model(PropertyCompany),
        scope_id__in=companies,
    ).select_related("user")
    for assignment in assignments:
        sync_user(assignment.user)


def sync_everyone() -> int:
    users = {a.user for a in RoleAssignment.objects.select_related("user")}
    for user in users:
        sync_user(user)
    return len(users)
