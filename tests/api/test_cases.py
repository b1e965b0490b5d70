"""Cases both ways through the API: a client hands a case over into the one grid flow and reads
it back with its steps; every path checked for who may, bad input refused in Chinese with
nothing written, a repeated external reference answered with the case it made."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from api import services as api_services
from community.models import AuditEvent, Role
from grid import services as grid
from grid.models import CasePhoto, CaseStatus, GridCase, Source
from tests.api import case_helpers
from tests.api.case_helpers import register
from tests.factories import login
from tests.grid.helpers import department, png, water

# The shared fixtures of the case, webhook and client tests.
city, other_city, photo_server = case_helpers.city, case_helpers.other_city, case_helpers.photo_server

URL = "/api/v1/cases/"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _case(world, **kw):
    data = {
        "estate": world.e1.pk,
        "category": "sanitation",
        "description": "3号楼北侧垃圾堆放未清运",
        "location": "3号楼北侧",
        "external_ref": "CITY-2025-0001",
    }
    data.update(kw)
    return data


def post(registered, data, fmt="json"):
    return registered.api().post(URL, data, format=fmt)


def test_a_client_hands_a_case_over_into_the_grid_flow(world, city, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(city, _case(world))
    assert response.status_code == 201, response.content
    body = response.json()
    case = GridCase.objects.get()
    assert body["id"] == case.pk and body["number"] == case.number and body["external_ref"] == "CITY-2025-0001"
    assert case.source == Source.CITY and case.status == CaseStatus.REPORTED and case.reported_by == city.client.account
    assert [s["to_status"] for s in body["steps"]] == ["reported"] and body["steps"][0]["note"] == "城市平台转办"
    # It is in the community's queue, as any grid case.
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.get(reverse("grid:cases"))
    assert case.number in page.content.decode()


def test_a_repeated_external_ref_answers_with_the_case_it_made(world, city):
    first = post(city, _case(world))
    again = post(city, _case(world, description="重复提交"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and GridCase.objects.count() == 1
    # Another client's reference of the same text is its own case.
    second = register(world.e1.district, name="另一平台")
    assert post(second, _case(world)).status_code == 201 and GridCase.objects.count() == 2


def test_photos_upload_as_multipart_and_are_checked(world, city):
    response = post(city, {**_case(world), "photos": [png("a.png"), png("b.png")]}, fmt="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["photos"] == 2 and CasePhoto.objects.count() == 2
    bad = post(city, {**_case(world, external_ref="X2"), "photos": [_text_file()]}, fmt="multipart")
    assert bad.status_code == 400 and "图片" in bad.content.decode()
    assert GridCase.objects.count() == 1


def _text_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("x.png", b"not a photo", content_type="image/png")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"estate": None}, "estate"),
        ({"category": None}, "category"),
        ({"description": None}, "description"),
        ({"external_ref": None}, "external_ref"),
        ({"category": "nonsense"}, "category"),
        ({"description": "   "}, "description"),
        ({"estate": "abc"}, "estate"),
        ({"external_ref": "x" * 65}, "external_ref"),
    ],
)
def test_bad_input_is_refused_in_chinese_with_nothing_written(world, city, change, field):
    data = {k: v for k, v in {**_case(world), **change}.items() if v is not None}
    response = post(city, data)
    assert response.status_code == 400, response.content
    assert field in response.json() and CHINESE.search(response.content.decode())
    assert not GridCase.objects.exists()


def test_an_estate_outside_the_scope_is_refused(world, city, other_city):
    for registered, estate in ((city, world.e5), (other_city, world.e1)):
        response = post(registered, _case(world, estate=estate.pk))
        assert response.status_code == 400 and "不在本客户端的范围内" in response.json()["estate"][0]
    assert not GridCase.objects.exists()


def test_a_street_client_reaches_its_street_only(world):
    street = register(world.e1.street, name="街道平台")
    assert post(street, _case(world, estate=world.e3.pk)).status_code == 201  # same street
    assert post(street, _case(world, estate=world.e4.pk, external_ref="2")).status_code == 400  # other street


def test_photo_urls_are_refused_unless_their_host_is_allowed(world, city, photo_server):
    data = _case(world, photo_urls=[f"{photo_server.base}/photo.png"])
    with override_settings(API_PHOTO_URL_HOSTS=[]):
        response = post(city, data)
    assert response.status_code == 400 and "请直接上传照片" in response.json()["detail"]
    with override_settings(API_PHOTO_URL_HOSTS=["example.org"], API_PLAIN_HTTP_HOSTS=["127.0.0.1"]):
        response = post(city, data)
    assert response.status_code == 400 and "127.0.0.1" in response.json()["detail"]
    with override_settings(API_PHOTO_URL_HOSTS=["127.0.0.1"], API_PLAIN_HTTP_HOSTS=[]):
        response = post(city, data)  # allowed host, but plain http
    assert response.status_code == 400 and "https" in response.json()["detail"]
    assert not GridCase.objects.exists()


@override_settings(API_PHOTO_URL_HOSTS=["127.0.0.1"], API_PLAIN_HTTP_HOSTS=["127.0.0.1"])
def test_photo_urls_are_fetched_by_a_job_and_checked(world, city, photo_server, django_capture_on_commit_callbacks):
    data = _case(world, photo_urls=[f"{photo_server.base}/photo.png", f"{photo_server.base}/not-a-photo.txt"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(city, data)
    assert response.status_code == 201, response.content
    case = GridCase.objects.get()
    photos = list(case.photos.all())
    assert len(photos) == 1 and photos[0].image.read().startswith(b"\x89PNG")  # the text was refused
    assert city.api().get(f"{URL}{case.pk}/").json()["photos"] == 1


def test_no_token_a_bad_one_or_a_revoked_one_is_refused_at_once(world, city):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer nope.nope")
    assert bad.get(URL).status_code == 401
    api = city.api()
    assert api.get(URL).status_code == 200
    api_services.rotate_token(actor=None, client=city.client)
    assert api.get(URL).status_code == 401
    assert api.post(URL, _case(world), format="json").status_code == 401
    fresh = register(world.e1.district, name="第二平台")
    api_services.revoke_client(actor=None, client=fresh.client)
    assert fresh.api().post(URL, _case(world), format="json").status_code == 401
    assert not GridCase.objects.exists()


def test_a_person_signed_in_cannot_use_the_api(world, client):
    login(client, world.users[Role.DISTRICT_ADMIN])
    assert client.get(URL).status_code in (401, 403)
    assert client.post(URL, _case(world), content_type="application/json").status_code in (401, 403)
    assert not GridCase.objects.exists()


def test_every_call_leaves_an_audit_line(world, city):
    post(city, _case(world))
    city.api().get(URL)
    lines = AuditEvent.objects.filter(action="api_call", object_id=str(city.client.pk))
    assert sorted(e.detail["status"] for e in lines) == [200, 201]


def _walk_city_case(world, city, ref="R1"):
    case = GridCase.objects.get(pk=post(city, _case(world, external_ref=ref)).json()["id"])
    unit = water(world)
    case = grid.dispatch_case(actor=None, case=case, unit=unit)
    staff = world.users[Role.UNIT_STAFF]
    staff.first_name, staff.last_name = "王", "师傅"
    staff.save()
    return grid.assign_case(actor=staff, case=case, handler=staff)


def test_the_detail_gives_the_steps_without_names(world, city):
    case = _walk_city_case(world, city)
    for ref in (case.pk, case.number):
        body = city.api().get(f"{URL}{ref}/").json()
        assert body["status"] == "dispatched" and body["handling_unit"] == "自来水公司"
        assert [s["to_status"] for s in body["steps"]] == ["reported", "dispatched", "dispatched"]
        assert body["steps"][2]["note"] == "派工：自来水公司"
        assert "王" not in str(body) and "by" not in body["steps"][0]


def test_the_list_is_the_city_cases_in_scope(world, city, other_city):
    mine = GridCase.objects.get(pk=post(city, _case(world)).json()["id"])
    grid.report_case(actor=None, estate=world.e1, category="sanitation", description="网格员上报", photos=[png()])
    theirs = GridCase.objects.get(pk=post(other_city, _case(world, estate=world.e5.pk)).json()["id"])
    peer = register(world.e1.district, name="同区另一平台")
    ids = [row["id"] for row in peer.api().get(URL).json()["results"]]
    assert ids == [mine.pk]  # a grid worker's report and the other district's case are not listed
    assert peer.api().get(URL, {"mine": "1"}).json()["results"] == []
    assert city.api().get(f"{URL}{theirs.pk}/").status_code == 404
    assert "范围" in city.api().get(f"{URL}{theirs.pk}/").json()["detail"]


def test_updated_since_and_the_cursor(world, city):
    made = [post(city, _case(world, external_ref=f"R{n}")).json()["id"] for n in range(5)]
    first = city.api().get(URL, {"page_size": 2}).json()
    seen = [row["id"] for row in first["results"]]
    following = first["next"]
    while following:
        page = city.api().get(following).json()
        seen += [row["id"] for row in page["results"]]
        following = page["next"]
    assert seen == made
    later = timezone.now() + timedelta(seconds=1)
    GridCase.objects.filter(pk=made[2]).update(updated_at=later + timedelta(seconds=1))
    found = city.api().get(URL, {"updated_since": later.isoformat()}).json()["results"]
    assert [row["id"] for row in found] == [made[2]]
    bad = city.api().get(URL, {"updated_since": "yesterday"})
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["updated_since"][0]


def test_the_list_takes_the_same_queries_for_one_case_or_twenty(world, city):
    post(city, _case(world, external_ref="first"))
    api = city.api()
    api.get(URL)  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        assert api.get(URL).status_code == 200
    for _n in range(19):
        grid.report_case(
            actor=city.client.account,
            estate=world.e1,
            category="safety",
            description="x",
            photos=[],
            source=Source.CITY,
        )
    with CaptureQueriesContext(connection) as twenty:
        assert len(api.get(URL).json()["results"]) == 20
    assert len(twenty) == len(one)


def test_grid_cases_keep_their_rules(world, city):
    """A grid worker's report still needs a photo and the change permission; the client's
    report_cases does not reach a grid case."""
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        grid.report_case(
            actor=world.users[Role.GRID_WORKER], estate=world.e1, category="sanitation", description="x", photos=[]
        )
    with pytest.raises(PermissionDenied):
        grid.report_case(
            actor=city.client.account, estate=world.e1, category="sanitation", description="x", photos=[png()]
        )
    with pytest.raises(PermissionDenied):
        grid.report_case(
            actor=world.users[Role.GRID_WORKER],
            estate=world.e1,
            category="sanitation",
            description="x",
            photos=[],
            source=Source.CITY,
        )
    assert not GridCase.objects.exists()
    department(world)
