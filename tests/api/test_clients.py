"""The district administrator's pages for client systems: who may open them (the district's
administrator; street, community, company staff and owners may not; another district's
administrator gets 404), registering with a scope, the token shown once, rotate and revoke."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiClient, ApiToken, Webhook
from community.models import AuditEvent, Role
from tests.api import case_helpers
from tests.factories import login, user_with_role

city = case_helpers.city
TOKEN = re.compile(r"[0-9a-f]{8}\.[A-Za-z0-9_-]{40,}")


def _admin(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])


def _register(client, world, **kw):
    data = {
        "name": "城市运行管理中心",
        "organisation": "区城市运行管理中心",
        "contact": "值班室",
        "scope": f"street:{world.e1.street.pk}",
        "rate_per_minute": 60,
    }
    data.update(kw)
    return client.post(reverse("api:clients"), data)


def test_the_district_admin_registers_a_client_and_sees_its_token_once(world, client):
    _admin(client, world)
    page = client.get(reverse("api:clients"))
    assert page.status_code == 200 and f"street:{world.e1.street.pk}" in page.content.decode()
    assert f"district:{world.e5.district.pk}" not in page.content.decode()  # another district is no choice
    response = _register(client, world)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = TOKEN.search(response.content.decode()).group(0)
    registered = ApiClient.objects.get()
    assert registered.rate_per_minute == 60 and registered.district == world.e1.district
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/cases/").status_code == 200
    detail = client.get(reverse("api:client", args=[registered.pk])).content.decode()
    assert token not in detail and token.split(".")[0] in detail  # the prefix only, never the token
    assert world.e1.street.name in detail and "action=api_call" in detail


def test_rotate_shows_a_new_token_once_and_the_old_one_fails(world, client, city):
    _admin(client, world)
    response = client.post(reverse("api:client_rotate", args=[city.client.pk]))
    new = TOKEN.search(response.content.decode()).group(0)
    assert new != city.token and city.api().get("/api/v1/cases/").status_code == 401
    assert ApiToken.objects.filter(client=city.client, revoked_at__isnull=True).count() == 1
    client.post(reverse("api:client_revoke", args=[city.client.pk]))
    city.client.refresh_from_db()
    assert city.client.revoked_at is not None
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {new}")
    assert fresh.get("/api/v1/cases/").status_code == 401
    assert set(AuditEvent.objects.filter(action__startswith="api_").values_list("action", flat=True)) >= {
        "api_token_rotate",
        "api_client_revoke",
    }


def test_the_admin_adds_a_webhook_and_sees_its_secret_once(world, client, city):
    _admin(client, world)
    response = client.post(reverse("api:client_webhook", args=[city.client.pk]), {"url": "https://a.example.org/h"})
    hook = Webhook.objects.get()
    assert hook.secret in response.content.decode()
    assert hook.secret not in client.get(reverse("api:client", args=[city.client.pk])).content.decode()
    refused = client.post(
        reverse("api:client_webhook", args=[city.client.pk]), {"url": "http://a.example.org/h"}, follow=True
    )
    assert "https://" in refused.content.decode() and Webhook.objects.count() == 1
    client.post(reverse("api:client_webhook_stop", args=[city.client.pk, hook.pk]))
    hook.refresh_from_db()
    assert not hook.active


def test_bad_input_is_refused_in_chinese_with_nothing_written(world, client, city):
    _admin(client, world)
    for data in (
        {"name": ""},
        {"rate_per_minute": 0},
        {"scope": f"district:{world.e5.district.pk}"},
        {"name": city.client.name, "scope": f"district:{world.e1.district.pk}"},
    ):
        response = _register(client, world, **data)
        assert response.status_code == 200 and re.search(r"[\u4e00-\u9fff]", response.content.decode())
        assert ApiClient.objects.count() == 1


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMPANY_STAFF, Role.GRID_WORKER])
def test_other_roles_are_refused(world, client, city, role):
    login(client, world.users[role])
    assert client.get(reverse("api:clients")).status_code == 403
    assert _register(client, world).status_code == 403
    assert client.get(reverse("api:client", args=[city.client.pk])).status_code in (403, 404)
    assert client.post(reverse("api:client_rotate", args=[city.client.pk])).status_code in (403, 404)
    assert client.post(reverse("api:client_revoke", args=[city.client.pk])).status_code in (403, 404)
    assert ApiClient.objects.count() == 1 and ApiToken.objects.count() == 1
    assert "接口客户端" not in client.get(reverse("community:duties")).content.decode()


def test_an_owner_is_refused(world, client, city):
    login(client, world.owner_user)
    assert client.get(reverse("api:clients")).status_code == 403
    assert client.post(reverse("api:client_revoke", args=[city.client.pk])).status_code in (403, 404)
    city.client.refresh_from_db()
    assert city.client.revoked_at is None


def test_another_districts_admin_gets_404(world, client, city):
    login(client, user_with_role(Role.DISTRICT_ADMIN, world.e5.district, "district5"))
    assert client.get(reverse("api:clients")).status_code == 200
    assert city.client.name not in client.get(reverse("api:clients")).content.decode()
    for name in ("api:client", "api:client_rotate", "api:client_revoke"):
        method = client.get if name == "api:client" else client.post
        assert method(reverse(name, args=[city.client.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_the_nav_link_is_the_district_admins(world, client):
    _admin(client, world)
    assert reverse("api:clients") in client.get(reverse("community:duties")).content.decode()


def test_the_demo_registers_the_city_platform_with_its_known_token(world, settings):
    from api import demo

    world.e1.code = "E0001"
    world.e1.save()
    settings.DEBUG = True
    lines = []
    demo.build(today=None, log=lines.append)
    demo.build(today=None, log=lines.append)  # seeding twice changes nothing
    assert ApiClient.objects.get().name == demo.NAME and demo.DEMO_TOKEN in lines[0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {demo.DEMO_TOKEN}")
    response = api.post(
        "/api/v1/cases/",
        {"estate": world.e1.pk, "category": "sanitation", "description": "垃圾未清运", "external_ref": "DEMO-1"},
        format="json",
    )
    assert response.status_code == 201 and ApiToken.objects.filter(revoked_at__isnull=True).count() == 1
