"""The pages of residents' requests (报事报修) and the handling units' queue (报事受理): the role
matrix on every page, bad input that shows its Chinese error and writes nothing, query counts on
the lists, and the walk from an owner's report with a photo to their five stars."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from community.models import AuditEvent, Role
from grid import services
from grid.models import CasePhoto, CaseStatus, GridCase, PhotoStage, RequestKind
from residents import household
from tests.factories import (
    CompanyFactory,
    OwnerFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
    login,
    user_with_role,
)
from tests.residents.household_helpers import account

from .helpers import png, water

pytestmark = pytest.mark.django_db
S = CaseStatus

REPORTER, OTHER_OWNER, MEMBER = "reporter", "other_owner", "member"
COMPANY, OTHER_COMPANY, UTILITY, COMMUNITY, ANONYMOUS = "company", "other_company", "utility", "community", "anonymous"
EVERYONE = [REPORTER, OTHER_OWNER, MEMBER, COMPANY, OTHER_COMPANY, UTILITY, COMMUNITY, ANONYMOUS]


@pytest.fixture
def people(world):
    """Who may come to the pages: 张三丰 (owner of 江滨豪园 101) reports; a neighbour owns 102; a
    family member lives in 101; company A serves 江滨豪园, company B another estate; the world's
    water company is a utility of the district; the community's staff."""
    home = world.resident.ownerships.get().unit
    neighbour = OwnerFactory(name="王五", user=UserFactory(username="neighbour"))
    OwnershipFactory(unit=UnitFactory(building=home.building, room="102"), owner=neighbour)
    member = account("family", "13800000001")
    household.invite(actor=world.owner_user, unit=home, mobile="13800000001", relation="family")
    other_company = CompanyFactory()
    return {
        "home": home,
        "water": water(world),
        REPORTER: world.owner_user,
        OTHER_OWNER: neighbour.user,
        MEMBER: member,
        COMPANY: world.users[Role.COMPANY_STAFF],
        OTHER_COMPANY: user_with_role(Role.COMPANY_STAFF, other_company, "other-company"),
        UTILITY: world.users[Role.UNIT_STAFF],
        COMMUNITY: world.users[Role.COMMUNITY_STAFF],
        ANONYMOUS: None,
    }


def sign_in(client, people, who):
    if people[who] is not None:
        login(client, people[who])


def ask(world, people, *, kind=RequestKind.UNIT_REPAIR, actor=None, now=None, photos=1, **kw):
    """A request reported through the service (by 张三丰 unless ``actor``), with ``photos`` photos."""
    return services.report_request(
        actor=actor or people[REPORTER],
        estate=kw.pop("estate", world.e1),
        kind=kind,
        description=kw.pop("description", "卫生间天花板漏水"),
        location=kw.pop("location", "卫生间"),
        unit=people["home"] if kind == RequestKind.UNIT_REPAIR else None,
        photos=[png() for _ in range(photos)],
        now=now,
        **kw,
    )


def handled(world, people, **kw):
    """A request assigned to the company's staff member and handled, with a photo of the work."""
    case = ask(world, people, **kw)
    staff = people[COMPANY]
    case = services.assign_case(actor=staff, case=case, handler=staff)
    return services.record_handling(actor=staff, case=case, note="已更换防水层", photos=[png()])


def _login_url(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --------------------------------------------------------------------------- the role matrix

MINE_LIST = {REPORTER: 200, OTHER_OWNER: 200, MEMBER: 200}
QUEUE = {COMPANY: 200, OTHER_COMPANY: 200, UTILITY: 200}


@pytest.mark.parametrize("who", EVERYONE)
def test_my_requests_and_the_report_form_are_for_owners_and_household_members(client, world, people, who):
    case = ask(world, people)
    sign_in(client, people, who)
    for name in ("grid:my_requests", "grid:new_request"):
        response = client.get(reverse(name))
        if who == ANONYMOUS:
            assert _login_url(response)
            continue
        assert response.status_code == MINE_LIST.get(who, 403), name
        if name == "grid:my_requests" and response.status_code == 200:
            assert (case.number in response.content.decode()) == (who == REPORTER)


@pytest.mark.parametrize("who", EVERYONE)
def test_a_request_page_is_for_its_reporter_alone(client, world, people, who):
    case = ask(world, people)
    sign_in(client, people, who)
    response = client.get(reverse("grid:my_request", args=[case.pk]))
    if who == ANONYMOUS:
        assert _login_url(response)
    else:
        assert response.status_code == (200 if who == REPORTER else 404)


@pytest.mark.parametrize("who", EVERYONE)
def test_the_queue_is_for_handling_units_staff_and_shows_their_units_cases(client, world, people, who):
    case = ask(world, people)
    sign_in(client, people, who)
    response = client.get(reverse("grid:queue"))
    if who == ANONYMOUS:
        assert _login_url(response)
        return
    assert response.status_code == QUEUE.get(who, 403)
    if response.status_code == 200:
        assert (case.number in response.content.decode()) == (who == COMPANY)


@pytest.mark.parametrize("who", EVERYONE)
def test_a_queued_case_is_for_the_staff_of_the_unit_it_was_handed_to(client, world, people, who):
    company_case = ask(world, people)
    # A grid worker's report on the same estate, dispatched by the community to the water company.
    grid_case = services.report_case(
        actor=None, estate=world.e1, category="facility", description="地下管网漏水", photos=[png()]
    )
    services.dispatch_case(actor=people[COMMUNITY], case=grid_case, unit=people["water"])
    sign_in(client, people, who)
    responses = {c: client.get(reverse("grid:request", args=[c.pk])) for c in (company_case, grid_case)}
    if who == ANONYMOUS:
        assert all(_login_url(r) for r in responses.values())
        return
    expected = {
        COMPANY: {company_case: 200, grid_case: 404},
        UTILITY: {company_case: 404, grid_case: 200},
        OTHER_COMPANY: {company_case: 404, grid_case: 404},
    }.get(who, {company_case: 403, grid_case: 403})
    assert {c: r.status_code for c, r in responses.items()} == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_a_photo_is_served_to_the_reporter_the_handling_unit_and_the_estates_staff(client, world, people, who):
    case = handled(world, people)
    report_photo, work_photo = case.photos.order_by("stage", "pk")  # "report" < "work"
    sign_in(client, people, who)
    for photo in (report_photo, work_photo):
        response = client.get(reverse("grid:photo", args=[photo.pk]))
        if who == ANONYMOUS:
            assert _login_url(response)
        elif who in (REPORTER, COMPANY, COMMUNITY):
            assert response.status_code == 200
            assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
        else:
            assert response.status_code == 404
    assert client.get(reverse("grid:photo", args=[work_photo.pk + 99])).status_code in (302, 404)


def test_the_nav_offers_each_their_request_pages(client, world, people):
    ask(world, people)
    for who, link, count in (
        (REPORTER, "grid:my_requests", None),
        (MEMBER, "grid:my_requests", None),
        (COMPANY, "grid:queue", 1),
        (UTILITY, "grid:queue", 0),
    ):
        client.logout()
        sign_in(client, people, who)
        body = client.get(reverse("grid:my_requests" if link == "grid:my_requests" else "grid:queue")).content.decode()
        assert f'href="{reverse(link)}"' in body, who
        if count:
            assert f"{count} 件待派工" in body
    client.logout()
    sign_in(client, people, COMMUNITY)
    body = client.get(reverse("grid:cases")).content.decode()
    assert f'href="{reverse("grid:queue")}"' not in body and f'href="{reverse("grid:my_requests")}"' not in body


# --------------------------------------------------------------------------- reporting from the form


def _post_request(client, people, **changes):
    data = {
        "kind": RequestKind.UNIT_REPAIR,
        "unit": people["home"].pk,
        "location": "卫生间",
        "description": "天花板漏水，墙面起皮",
        "photos": [png()],
    }
    data.update(changes)
    return client.post(reverse("grid:new_request"), {k: v for k, v in data.items() if v is not None})


def test_the_report_form_takes_several_photos_from_a_phone(client, world, people):
    login(client, people[REPORTER])
    body = client.get(reverse("grid:new_request")).content.decode()
    assert 'type="file"' in body and 'accept="image/jpeg,image/png"' in body and "multiple" in body
    assert "江滨豪园" in body and "户内报修" in body and "公共部位报修" in body
    response = _post_request(client, people, photos=[png("a.png"), png("b.png"), png("c.png")])
    case = GridCase.objects.get()
    assert response.status_code == 302 and response.url == reverse("grid:my_request", args=[case.pk])
    assert case.reported_by == people[REPORTER] and case.kind == RequestKind.UNIT_REPAIR and case.unit == people["home"]
    assert case.photos.filter(stage=PhotoStage.REPORT).count() == 3


def test_a_household_member_reports_a_common_repair_on_their_homes_estate(client, world, people):
    login(client, people[MEMBER])
    response = _post_request(client, people, kind=RequestKind.COMMON_REPAIR, location="3号楼电梯", photos=None)
    case = GridCase.objects.get()
    assert response.status_code == 302
    assert case.estate == world.e1 and case.unit is None and case.reported_by == people[MEMBER]
    assert client.get(reverse("grid:my_request", args=[case.pk])).status_code == 200


def _not_an_image():
    return SimpleUploadedFile("leak.jpg", b"this is not a picture", content_type="image/jpeg")


BAD_REPORTS = {
    "no description": ({"description": ""}, "请描述需要处理的问题。"),
    "no kind": ({"kind": ""}, "请选择报事类型。"),
    "too many photos": ({"photos": [png(), png(), png(), png()]}, "最多上传 3 张照片。"),
    "not an image": ({"photos": [_not_an_image()]}, "上传的文件不是图片"),
    "a unit not theirs": (None, "所选房屋不是您的房屋。"),
}


@pytest.mark.parametrize("case", list(BAD_REPORTS))
def test_a_bad_report_shows_the_chinese_error_and_writes_nothing(client, world, people, case):
    changes, message = BAD_REPORTS[case]
    if changes is None:  # the neighbour's unit
        changes = {"unit": people[OTHER_OWNER].owner.ownerships.get().unit.pk}
    if "photos" in changes:  # fresh files for every run
        changes["photos"] = [_not_an_image()] if case == "not an image" else [png() for _ in changes["photos"]]
    login(client, people[REPORTER])
    response = _post_request(client, people, **changes)
    assert response.status_code == 400 and message in response.content.decode()
    assert not GridCase.objects.exists() and not CasePhoto.objects.exists()


# --------------------------------------------------------------------------- the reporter's page


def test_a_handled_request_offers_to_confirm_and_rate_or_reopen(client, world, people):
    case = handled(world, people)
    login(client, people[REPORTER])
    body = client.get(reverse("grid:my_request", args=[case.pk])).content.decode()
    assert "确认办结并评价" in body and "重新打开" in body and body.count('type="radio" name="rating"') == 5
    assert "已处理，待您确认" in body and "处置照片" in body and "上报照片" in body and "已更换防水层" in body
    assert "重新打开超过 1 次的，转社区督办" in body


def test_the_second_reopen_is_said_to_go_to_the_community(client, world, people):
    case = handled(world, people)
    case = services.reopen_request(actor=people[REPORTER], case=case, reason="仍在漏水")
    staff = people[COMPANY]
    services.record_handling(actor=staff, case=case, note="重新做了防水")
    login(client, people[REPORTER])
    body = client.get(reverse("grid:my_request", args=[case.pk])).content.decode()
    assert "本次重新打开后，报事将转社区督办" in body


BAD_CHECKS = {
    "rating 0": ("confirm", {"rating": "0"}, "请选择 1 至 5 星的评分。"),
    "no rating": ("confirm", {"comment": "好"}, "请选择 1 至 5 星的评分。"),
    "rating 6": ("confirm", {"rating": "6"}, "请选择 1 至 5 星的评分。"),
    "reopen without reason": ("reopen", {"reason": "  "}, "请说明仍未解决的问题。"),
}


@pytest.mark.parametrize("bad", list(BAD_CHECKS))
def test_a_bad_confirmation_or_reopening_shows_the_chinese_error_and_writes_nothing(client, world, people, bad):
    action, data, message = BAD_CHECKS[bad]
    case = handled(world, people)
    steps = case.steps.count()
    login(client, people[REPORTER])
    response = client.post(reverse("grid:my_request", args=[case.pk]), {"action": action, **data}, follow=True)
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.HANDLED and case.rating is None and case.reopened == 0 and case.steps.count() == steps


def test_others_cannot_confirm_a_request_that_is_not_theirs(client, world, people):
    case = handled(world, people)
    for who in (OTHER_OWNER, MEMBER, COMPANY):
        client.logout()
        login(client, people[who])
        response = client.post(reverse("grid:my_request", args=[case.pk]), {"action": "confirm", "rating": "1"})
        assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == S.HANDLED and case.rating is None


def test_a_request_closed_without_the_reporter_is_rated_afterwards(client, world, people):
    case = handled(world, people)
    # Not confirmed within request_confirm_days (7 by the national rule set): closed without a rating.
    services.escalate_overdue(now=timezone.now() + timedelta(days=30))
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.rating is None
    login(client, people[REPORTER])
    page = reverse("grid:my_request", args=[case.pk])
    body = client.get(page).content.decode()
    assert "提交评价" in body and "确认办结" not in body
    response = client.post(page, {"action": "rate", "rating": "2", "comment": "拖得太久"}, follow=True)
    assert "感谢您的评价" in response.content.decode()
    case.refresh_from_db()
    assert case.rating == 2 and case.rating_comment == "拖得太久"
    assert "提交评价" not in client.get(page).content.decode()


def test_an_overdue_request_is_marked_on_the_list_and_the_page(client, world, people):
    late = ask(world, people, now=timezone.now() - timedelta(days=20))
    fresh = ask(world, people, kind=RequestKind.SUGGESTION, description="建议增设快递柜")
    login(client, people[REPORTER])
    page = client.get(reverse("grid:my_requests"))
    rows = {c.pk: c for c in page.context["page"].object_list}
    assert rows[late.pk].late and not rows[fresh.pk].late
    assert "已超时" in client.get(reverse("grid:my_request", args=[late.pk])).content.decode()


# --------------------------------------------------------------------------- the handling unit's pages


def test_the_queue_puts_overdue_first_and_filters_by_status_and_estate(client, world, people):
    fresh = ask(world, people)
    late = ask(world, people, now=timezone.now() - timedelta(days=20))
    done = handled(world, people)
    login(client, people[COMPANY])
    rows = list(client.get(reverse("grid:queue")).context["page"].object_list)
    assert [c.pk for c in rows] == [late.pk, fresh.pk, done.pk]
    assert rows[0].overdue and not rows[1].overdue
    by_status = client.get(reverse("grid:queue"), {"status": S.HANDLED}).context["page"].object_list
    assert [c.pk for c in by_status] == [done.pk]
    by_estate = client.get(reverse("grid:queue"), {"estate": world.e1.pk}).context["page"].object_list
    assert len(by_estate) == 3
    response = client.get(reverse("grid:queue"), {"estate": world.e3.pk})
    assert "所选小区没有交给您单位办理的报事。" in response.content.decode()
    assert not response.context["page"].object_list


def test_the_handling_page_shows_the_reporters_contact_and_audits_it(client, world, people):
    case = ask(world, people)
    login(client, people[COMPANY])
    body = client.get(reverse("grid:request", args=[case.pk])).content.decode()
    assert "张三丰" in body and "13912345678" in body and "卫生间" in body and "江滨豪园" in body
    assert AuditEvent.objects.filter(action="view_personal", detail__page="request_handle").count() == 1
    assert 'value="assign"' in body and 'value="work"' not in body


def test_the_company_assigns_and_records_the_work_from_its_pages(client, world, people):
    case = ask(world, people)
    staff = people[COMPANY]
    login(client, staff)
    page = reverse("grid:request", args=[case.pk])
    response = client.post(page, {"action": "assign", "handler": staff.pk, "note": "今天下午上门"}, follow=True)
    assert "已派工" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.DISPATCHED and case.handler == staff
    response = client.post(page, {"action": "work", "note": "已更换防水层", "photos": [png(), png()]}, follow=True)
    assert "已记录处理情况" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.HANDLED and case.photos.filter(stage=PhotoStage.WORK).count() == 2


BAD_WORK = {
    "a handler from another unit": (
        "assign",
        lambda p: {"handler": p[OTHER_COMPANY].pk},
        "所选经办人不是本单位的工作人员。",
    ),
    "no handler": ("assign", lambda p: {"handler": ""}, "请选择经办人。"),
    "no note": ("work", lambda p: {"note": "", "photos": [png()]}, "请填写处理情况。"),
    "too many photos": ("work", lambda p: {"note": "好了", "photos": [png() for _ in range(4)]}, "最多上传 3 张照片"),
    "not an image": ("work", lambda p: {"note": "好了", "photos": [_not_an_image()]}, "上传的文件不是图片"),
}


@pytest.mark.parametrize("bad", list(BAD_WORK))
def test_bad_assignments_and_records_show_the_chinese_error_and_write_nothing(client, world, people, bad):
    action, data, message = BAD_WORK[bad]
    case = ask(world, people)
    if action == "work":
        case = services.assign_case(actor=people[COMPANY], case=case, handler=people[COMPANY])
    before = (case.status, case.handler_id, case.steps.count(), CasePhoto.objects.count())
    login(client, people[COMPANY])
    response = client.post(reverse("grid:request", args=[case.pk]), {"action": action, **data(people)}, follow=True)
    assert message in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.handler_id, case.steps.count(), CasePhoto.objects.count()) == before


def test_another_companys_staff_cannot_act_on_the_case(client, world, people):
    case = ask(world, people)
    login(client, people[OTHER_COMPANY])
    response = client.post(
        reverse("grid:request", args=[case.pk]), {"action": "assign", "handler": people[OTHER_COMPANY].pk}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == S.REPORTED and case.handler is None


def test_the_grid_case_page_shows_where_a_request_came_from_who_handles_it_and_its_rating(client, world, people):
    case = handled(world, people)
    services.confirm_request(actor=people[REPORTER], case=case, rating=4, comment="还不错")
    login(client, people[COMMUNITY])
    response = client.get(reverse("grid:case", args=[case.pk]))
    body = response.content.decode()
    assert "居民报事" in body and "户内报修" in body and "101" in body
    assert case.handling_unit.name in body and "办结时限" in body
    assert "★★★★☆" in body and "还不错" in body and "上报照片" in body and "处置照片" in body
    for photo in case.photos.all():
        assert reverse("grid:photo", args=[photo.pk]) in body


# --------------------------------------------------------------------------- query counts


@pytest.mark.parametrize("rows", [2, 25])
def test_the_lists_run_a_fixed_number_of_queries(client, world, people, django_assert_max_num_queries, rows):
    for i in range(rows):
        ask(world, people, kind=[RequestKind.UNIT_REPAIR, RequestKind.COMPLAINT][i % 2], photos=0)
    login(client, people[REPORTER])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("grid:my_requests")).status_code == 200
    client.logout()
    login(client, people[COMPANY])
    with django_assert_max_num_queries(16):
        assert client.get(reverse("grid:queue")).status_code == 200


# --------------------------------------------------------------------------- the walk


def test_the_walk_from_a_leak_to_five_stars(client, world, people):
    owner, staff = people[REPORTER], people[COMPANY]
    login(client, owner)
    response = _post_request(client, people, description="卫生间天花板漏水", photos=[png()])
    case = GridCase.objects.get()
    assert response.status_code == 302 and case.handling_unit.company is not None

    client.logout()
    login(client, staff)
    queue = client.get(reverse("grid:queue")).content.decode()
    assert case.number in queue and "待派工" in queue
    page = reverse("grid:request", args=[case.pk])
    client.post(page, {"action": "assign", "handler": staff.pk})
    client.post(page, {"action": "work", "note": "已更换防水层", "photos": [png()]})

    client.logout()
    login(client, owner)
    mine = reverse("grid:my_request", args=[case.pk])
    body = client.get(mine).content.decode()
    assert "已处理，待您确认" in body
    work_photo = case.photos.get(stage=PhotoStage.WORK)
    assert client.get(reverse("grid:photo", args=[work_photo.pk])).status_code == 200
    response = client.post(mine, {"action": "confirm", "rating": "5", "comment": "师傅很专业"}, follow=True)
    assert "已确认办结" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.rating == 5 and case.rating_comment == "师傅很专业"
    body = client.get(reverse("grid:my_requests")).content.decode()
    assert "已办结" in body and "5★" in body
