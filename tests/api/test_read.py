"""The API's read side: scope, authentication, incremental sync, pages, tombstones, the rate,
the audit line per call, fixed query counts and no personal data."""

import json
import time
from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from api import services
from api.models import Tombstone
from community.models import AuditEvent, Grid
from tests.factories import EstateFactory, GridFactory, login

LISTS = [
    "streets",
    "communities",
    "grids",
    "estates",
    "companies",
    "contracts",
    "committees",
    "figures/coverage",
    "figures/collection",
    "figures/fund",
    "figures/requests",
    "figures/mediation",
    "figures/scores",
    "tombstones",
]
DETAILS = ["streets", "communities", "grids", "estates", "companies", "contracts", "committees"]


def url(name, pk=None):
    return f"/api/v1/{name}/" + (f"{pk}/" if pk else "")


@pytest.mark.parametrize("name", LISTS)
def test_every_list_answers_a_client_in_scope_and_nobody_else(api_world, api, client_for, name, client):
    assert api.get(url(name)).status_code == 200
    assert client_for(None).get(url(name)).status_code == 401
    assert client_for("deadbeef.nope").get(url(name)).status_code == 401
    # a person's session never reaches the API
    login(client, api_world.world.users["district_admin"])
    assert client.get(url(name)).status_code in (401, 403)


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_a_client_sees_its_district_only(api_world, api, client_for):
    w = api_world.world
    estates = ids(api.get(url("estates")))
    assert {w.e1.pk, w.e2.pk, w.e3.pk, w.e4.pk} <= estates and w.e5.pk not in estates
    other = ids(client_for(api_world.other_token).get(url("estates")))
    assert w.e5.pk in other and w.e1.pk not in other
    for name, obj in [("estates", w.e1), ("committees", api_world.committee), ("grids", w.e1.grid)]:
        assert client_for(api_world.other_token).get(url(name, obj.pk)).status_code == 404
        assert api.get(url(name, obj.pk)).status_code == 200
    assert ids(client_for(api_world.other_token).get(url("committees"))) == set()


def test_a_street_client_sees_its_street_only(api_world, client_for):
    w = api_world.world
    _c, token = services.register_client(actor=None, scope=w.e1.street, name="街道", organisation="街道办")
    estates = ids(client_for(token).get(url("estates")))
    assert estates == {w.e1.pk, w.e2.pk, w.e3.pk}


def test_estates_carry_their_management_state_and_company(api_world, api):
    w = api_world.world
    rows = {row["id"]: row for row in api.get(url("estates")).json()["results"]}
    assert rows[w.e1.pk]["management_state"] == "company"
    assert rows[w.e1.pk]["company"]["name"] == w.e1.contracts.get().company.name
    assert rows[w.e2.pk]["management_state"] == "none" and rows[w.e2.pk]["company"] is None


def test_a_revoked_or_rotated_token_fails_at_once(api_world, api, client_for):
    assert api.get(url("estates")).status_code == 200
    new = services.rotate_token(actor=None, client=api_world.client)
    assert api.get(url("estates")).status_code == 401
    assert client_for(new).get(url("estates")).status_code == 200
    services.revoke_client(actor=None, client=api_world.client)
    assert client_for(new).get(url("estates")).status_code == 401


def test_updated_since_keeps_the_rows_changed_since_and_refuses_a_bad_value(api_world, api):
    w = api_world.world
    since = timezone.now()  # after the world, its estates and contracts were written
    time.sleep(0.01)
    w.e2.name = "改名"
    w.e2.save(update_fields=["name"])
    since = since.isoformat()
    assert ids(api.get(url("estates"), {"updated_since": since})) == {w.e2.pk}
    assert ids(api.get(url("estates"), {"updated_since": "2000-01-01T00:00:00"})) >= {w.e1.pk, w.e2.pk}
    # an offset PostgreSQL would refuse is the same instant in UTC (found by schemathesis)
    assert api.get(url("estates"), {"updated_since": "2000-12-20T20:46:29-17:29"}).status_code == 200
    assert api.get(url("estates"), {"updated_since": "0001-01-01T00:00:00+17:00"}).status_code == 400
    for bad in ["yesterday", "2026-13-01T00:00:00", ""]:
        response = api.get(url("estates"), {"updated_since": bad})
        assert response.status_code == 400
        assert "ISO 8601" in response.json()["updated_since"][0]


@pytest.mark.parametrize("name", LISTS)
def test_every_list_refuses_a_bad_updated_since(api_world, api, name):
    response = api.get(url(name), {"updated_since": "not-a-time"})
    assert response.status_code == 400 and "updated_since" in response.json()


def test_cursor_pages_walk_the_whole_list_once(api_world, api):
    grid = api_world.world.e1.grid
    made = {EstateFactory(grid=grid).pk for _ in range(7)}
    seen, pages = [], 0
    next_url = url("estates") + "?page_size=3"
    while next_url:
        body = api.get(next_url).json()
        seen += [row["id"] for row in body["results"]]
        next_url, pages = body["next"], pages + 1
    assert len(seen) == len(set(seen)) and made <= set(seen) and pages >= 4
    assert api.get(url("estates"), {"cursor": "garbage"}).status_code == 400


def test_tombstones_appear_after_a_delete_in_scope_only(api_world, api, client_for):
    w = api_world.world
    grid = GridFactory(community=w.e1.community)
    pk = grid.pk
    since = timezone.now() - timedelta(seconds=1)
    grid.delete()
    stone = Tombstone.objects.get(kind="grids", object_id=pk)
    assert stone.community_id_at == w.e1.community.pk and stone.district_id_at == api_world.district.pk
    rows = api.get(url("tombstones"), {"updated_since": since.isoformat(), "kind": "grids"}).json()["results"]
    assert [r["id"] for r in rows] == [pk] and rows[0]["kind"] == "grids"
    assert api.get(url("tombstones"), {"kind": "estates"}).json()["results"] == []
    assert api.get(url("tombstones"), {"kind": "nonsense"}).status_code == 400
    assert client_for(api_world.other_token).get(url("tombstones")).json()["results"] == []
    assert not Grid.objects.filter(pk=pk).exists()


def test_the_rate_limit_answers_429_on_the_fourth_call(api_world, client_for):
    client, token = services.register_client(
        actor=None, scope=api_world.district, name="慢客户端", organisation="某单位", rate_per_minute=3
    )
    c = client_for(token)
    assert [c.get(url("streets")).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_each_call_leaves_one_audit_line(api_world, api, client_for):
    before = AuditEvent.objects.filter(action="api_call").count()
    api.get(url("estates"))
    client_for(None).get(url("estates"))
    api.get(url("estates"), {"updated_since": "bad"})
    lines = list(AuditEvent.objects.filter(action="api_call").order_by("pk"))[before:]
    assert [line.detail["status"] for line in lines] == [200, 401, 400]
    assert lines[0].user == api_world.client.account


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow_with_rows(api_world, api, name, django_assert_max_num_queries):
    api.get(url(name))  # warm caches (content types)
    with django_assert_max_num_queries(14) as few:
        api.get(url(name))
    grid = api_world.world.e1.grid
    for _ in range(6):
        EstateFactory(grid=grid)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(url(name)).status_code == 200


def test_no_personal_data_in_any_response(api_world, api):
    w = api_world.world
    text = ""
    for name in LISTS:
        text += json.dumps(api.get(url(name)).json(), ensure_ascii=False)
    for name, obj in [("estates", w.e1), ("committees", api_world.committee)]:
        text += json.dumps(api.get(url(name, obj.pk)).json(), ensure_ascii=False)
    assert w.e1.name in text  # the responses were read
    for secret in api_world.personal:
        assert secret not in text


def test_the_schema_and_the_api_page_are_public(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/estates/" in paths and "/api/v1/tombstones/" in paths
    assert not any(p.startswith("/cms") for p in paths)
    assert client.get("/api/schema/?format=yaml").status_code == 200
    page = client.get("/api/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "/api/v1/estates/" in body and "curl" in body and "<script" not in body


@pytest.mark.parametrize("name", DETAILS)
@pytest.mark.parametrize("bad", ["0.5", "null,null", "abc", "99999999999999999999"])
def test_a_bad_id_is_a_json_404(api_world, api, name, bad):
    response = api.get(url(name, bad))
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


@override_settings(API_REFUSED_PER_MINUTE=5)
def test_calls_without_a_valid_token_are_cut_off_per_address_and_stop_filling_the_trail(api_world, client_for):
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer nope.nope")
    answers = [stranger.get("/api/v1/estates/").status_code for _ in range(8)]
    assert answers == [401] * 5 + [429] * 3
    assert AuditEvent.objects.filter(action="api_call").count() == 5
    # A registered client at the same address is not held up by the stranger's knocking.
    assert client_for(api_world.token).get("/api/v1/estates/").status_code == 200
