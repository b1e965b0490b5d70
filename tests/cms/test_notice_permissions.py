"""Who may draft and publish notices: each role, own estate and another, in Wagtail and by direct URL."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.text import slugify
from wagtail.models import GroupPagePermission
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from cms import services
from cms.models import EstatePage, NoticePage
from community import access
from community.models import Role
from tests.factories import login

pytestmark = pytest.mark.django_db

# role -> (may draft on own estate, may publish on own estate)
RIGHTS = {
    Role.DISTRICT_ADMIN: (True, True),
    Role.COMMUNITY_STAFF: (True, True),
    Role.COMMITTEE_MEMBER: (True, True),
    Role.COMPANY_STAFF: (True, False),
    Role.STREET_STAFF: (False, False),
    Role.GRID_WORKER: (False, False),
    Role.MEDIATOR: (False, False),
}


def _page(estate):
    return EstatePage.objects.get(estate=estate)


def _form(title, action=None):
    data = nested_form_data(
        {
            "title": title,
            "slug": slugify(title, allow_unicode=True),
            "kind": "announcement",
            "category": "general",
            "issuer": "业委会",
            "publicity_start": "",
            "publicity_end": "",
            "body": rich_text("<p>本周六上午检修电梯。</p>"),
            "attachments": inline_formset([]),
        }
    )
    if action:
        data[action] = "1"
    return data


def _create(client, estate, title, action=None):
    url = reverse("wagtailadmin_pages:add", args=("cms", "noticepage", _page(estate).pk))
    return client.post(url, _form(title, action))


@pytest.mark.parametrize("role", list(RIGHTS))
def test_notice_rights_follow_the_access_module(world, role):
    user = world.users[role]
    draft, publish = RIGHTS[role]
    assert services.may(user, access.DRAFT_NOTICES, _page(world.e1)) is draft
    assert services.may(user, access.PUBLISH_NOTICES, _page(world.e1)) is publish
    assert not services.may(user, access.DRAFT_NOTICES, _page(world.other[role]))


@pytest.mark.parametrize("role", list(RIGHTS))
def test_creating_and_publishing_in_the_wagtail_editor(client, world, role):
    user = world.users[role]
    draft, publish = RIGHTS[role]
    login(client, user)
    _create(client, world.e1, "本小区公告", "action-publish")
    _create(client, world.other[role], "越权公告", "action-publish")
    own = NoticePage.objects.filter(title="本小区公告").first()
    assert (own is not None) is draft
    if own is not None:
        assert own.live is publish
    assert not NoticePage.objects.filter(title="越权公告").exists()


def test_a_committee_member_publishes_for_their_estate_and_the_public_sees_it(client, world):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    response = _create(client, world.e1, "电梯检修通知", "action-publish")
    assert response.status_code == 302
    notice = NoticePage.objects.get(title="电梯检修通知")
    assert notice.live and notice.get_parent().specific == _page(world.e1)
    client.logout()
    assert "电梯检修通知" in client.get(_page(world.e1).url).content.decode()


def test_company_staff_draft_but_cannot_publish_even_by_direct_url(client, world):
    login(client, world.users[Role.COMPANY_STAFF])
    _create(client, world.e1, "停车场划线施工")
    notice = NoticePage.objects.get(title="停车场划线施工")
    assert not notice.live
    edit = reverse("wagtailadmin_pages:edit", args=(notice.pk,))
    client.post(edit, _form("停车场划线施工", "action-publish"))
    notice.refresh_from_db()
    assert not notice.live
    assert client.post(reverse("wagtailadmin_pages:unpublish", args=(notice.pk,))).status_code in (302, 403)


def test_roles_without_notice_rights_and_owners_cannot_enter_the_editor(client, world):
    for user in (
        world.users[Role.STREET_STAFF],
        world.users[Role.GRID_WORKER],
        world.users[Role.MEDIATOR],
        world.owner_user,
    ):
        login(client, user)
        response = client.get(reverse("wagtailadmin_home"))
        assert response.status_code == 302 and "login" in response.url
        client.logout()


def test_editing_another_estates_notice_by_direct_url_is_refused(client, world):
    notice = services.publish_notice(
        actor=None, notice=services.draft_notice(estate=world.e2, category="general", title="邻居的公告", body="原文")
    )
    login(client, world.users[Role.COMMITTEE_MEMBER])
    edit = reverse("wagtailadmin_pages:edit", args=(notice.pk,))
    assert client.get(edit).status_code in (302, 403)
    client.post(edit, _form("篡改", "action-publish"))
    client.post(reverse("wagtailadmin_pages:delete", args=(notice.pk,)))
    notice.refresh_from_db()
    assert notice.title == "邻居的公告" and notice.live


def test_a_stale_wagtail_group_cannot_outlive_the_access_module(client, world):
    """Even if a group still grants a page, the hooks ask access.py and refuse."""
    user = world.users[Role.COMMITTEE_MEMBER]
    stale = Group.objects.create(name="公告发布·手工")
    for permission_type in ("add", "change", "publish"):
        GroupPagePermission.objects.create(group=stale, page=_page(world.e2), permission_type=permission_type)
    user.groups.add(stale)
    login(client, user)
    response = _create(client, world.e2, "借旧权限发布", "action-publish")
    assert response.status_code in (302, 403)  # Wagtail turns the hook's refusal into a redirect
    assert not NoticePage.objects.filter(title="借旧权限发布").exists()


def test_company_staff_lose_drafting_when_the_contract_ends(world):
    from community.tenure import services as registry

    user = world.users[Role.COMPANY_STAFF]
    assert user.groups.filter(name__startswith="公告起草").exists()
    registry.terminate_contract(actor=None, contract=world.e1.contracts.get(), last_day=date(2020, 6, 30))
    assert not user.groups.filter(name__startswith="公告起草").exists()
    access.forget(user)
    assert not services.may(user, access.DRAFT_NOTICES, _page(world.e1))


def test_publish_notice_service_refuses_an_actor_without_the_right(world):
    from django.core.exceptions import PermissionDenied

    notice = services.draft_notice(estate=world.e1, category="general", title="草稿", body="内容")
    with pytest.raises(PermissionDenied):
        services.publish_notice(actor=world.users[Role.COMPANY_STAFF], notice=notice)
    notice.refresh_from_db()
    assert not notice.live
    services.publish_notice(actor=world.users[Role.COMMITTEE_MEMBER], notice=notice)
    assert NoticePage.objects.get(pk=notice.pk).live


def test_an_estate_pages_title_cannot_be_changed_in_the_editor(client, world):
    page = _page(world.e1)
    login(client, world.users[Role.COMMITTEE_MEMBER])
    edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    assert client.get(edit).status_code == 200
    client.post(
        edit,
        nested_form_data(
            {"title": "改名", "slug": page.slug, "intro": rich_text("<p>欢迎</p>"), "action-publish": "1"}
        ),
    )
    page.refresh_from_db()
    assert page.title == world.e1.name
