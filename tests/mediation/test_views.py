"""The mediation pages for every role: who sees a case file, who works it, who sees statistics."""

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Role
from mediation import services
from mediation.models import Case, CaseStatus, Session
from tests.factories import login
from tests.world import PERSON_ROLES

from .helpers import accepted, agreed, at, effective, open_case, staff_room

pytestmark = pytest.mark.django_db
S = CaseStatus
# Who reads the case file of E1's room: the room's mediator, the community's staff, the district administrator.
FILE_READERS = {Role.MEDIATOR, Role.COMMUNITY_STAFF, Role.DISTRICT_ADMIN}
# Who sees the statistics of E1's room: staff over its community, and its mediator.
STATS_READERS = {Role.MEDIATOR, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_ADMIN}


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_case_file_is_for_the_room_and_authorised_staff(client, world, role):
    case = open_case(world)
    login(client, world.users[role])
    response = client.get(reverse("mediation:case", args=[case.pk]))
    party = role == Role.COMPANY_STAFF  # company_a serves E1 and is the respondent
    if role in FILE_READERS:
        assert response.status_code == 200 and "电梯停运三个月" in response.content.decode()
        assert "办理记录" in response.content.decode()
    elif party:
        body = response.content.decode()
        assert response.status_code == 200 and "办理记录" not in body  # a party sees the case, not the desk's log
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_statistics_follow_the_scope(client, world, role):
    open_case(world)
    login(client, world.users[role])
    response = client.get(reverse("mediation:statistics"))
    assert response.status_code == (200 if role in STATS_READERS else 403)


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_workspace_is_for_mediators_and_case_staff(client, world, role):
    login(client, world.users[role])
    response = client.get(reverse("mediation:workspace"))
    assert response.status_code == (200 if role in STATS_READERS else 403)


def test_the_owner_party_sees_their_case_and_sessions_but_not_the_record(client, world):
    case = accepted(world)
    session = services.book_session(actor=None, case=case, starts_at=at(1, 9), ends_at=at(1, 10))
    services.record_session(actor=None, session=session, record="秘密笔录内容", now=at(1, 10, 5))
    services.book_session(actor=None, case=case, starts_at=at(3, 9), ends_at=at(3, 10))
    login(client, world.owner_user)
    mine = client.get(reverse("mediation:my_cases")).content.decode()
    assert case.number in mine and world.room.address in mine
    page = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    assert "秘密笔录内容" not in page and "预约调解会" not in page
    response = client.post(reverse("mediation:case", args=[case.pk]), {"action": "end", "reason": "x"})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == S.MEDIATING


def test_another_owner_sees_nothing(client, world):
    case = open_case(world)
    from tests.factories import OwnerFactory, UserFactory

    stranger = UserFactory()
    OwnerFactory(user=stranger)
    login(client, stranger)
    assert case.number not in client.get(reverse("mediation:my_cases")).content.decode()
    assert client.get(reverse("mediation:case", args=[case.pk])).status_code == 404
    assert client.get(reverse("mediation:agreement_pdf", args=[case.pk])).status_code == 404


def test_a_mediator_books_and_a_second_booking_of_the_slot_is_refused(client, world):
    staff_room(world)
    first, second = accepted(world), accepted(world)
    login(client, world.users[Role.MEDIATOR])
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    slot = {"action": "book", "day": day, "starts": "09:00", "ends": "10:00", "openness": ""}
    body = client.post(reverse("mediation:case", args=[first.pk]), slot, follow=True).content.decode()
    assert "已预约" in body
    body = client.post(reverse("mediation:case", args=[second.pk]), slot, follow=True).content.decode()
    assert "已有调解安排，请另选时间" in body
    assert Session.objects.count() == 1 and Case.objects.get(pk=second.pk).status == S.ACCEPTED


def test_bad_booking_input_is_explained_and_nothing_written(client, world):
    case = accepted(world)
    login(client, world.users[Role.MEDIATOR])
    body = client.post(
        reverse("mediation:case", args=[case.pk]),
        {"action": "book", "day": "not-a-day", "starts": "09:00", "ends": "08:00"},
        follow=True,
    ).content.decode()
    assert "日期" in body and not Session.objects.exists()


def test_a_mediator_records_an_agreement_collects_signatures_and_the_countdown_appears(client, world):
    case = accepted(world)
    session = services.book_session(actor=None, case=case, starts_at=at(-1, 9), ends_at=at(-1, 10), now=at(-2, 9))
    services.record_session(actor=None, session=session, record="同意调解方案")
    login(client, world.users[Role.MEDIATOR])
    url = reverse("mediation:case", args=[case.pk])
    today = timezone.localdate()
    client.post(
        url,
        {
            "action": "agree",
            "form": "written",
            "facts": "停运",
            "issues": "电梯费",
            "responsibility": "物业",
            "terms": "减免 90 元",
            "performance": "抵扣",
            "perform_by": (today + timedelta(days=30)).isoformat(),
            "reached_on": today.isoformat(),
        },
        follow=True,
    )
    case.refresh_from_db()
    assert case.status == S.AGREED
    for party in case.parties.all():
        client.post(url, {"action": "sign", "party": party.pk, "method": "fingerprint", "signed_on": today.isoformat()})
    client.post(url, {"action": "mediator_sign", "day": today.isoformat()})
    body = client.post(url, {"action": "seal", "day": today.isoformat()}, follow=True).content.decode()
    case.agreement.refresh_from_db()
    assert case.agreement.effective_on == today
    assert "还剩 30 天" in body and (today + timedelta(days=30)).isoformat() in body


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is needed to read the PDF back"
)
def test_the_agreement_pdf_has_a_copy_per_party_and_the_committees_and_verifies(client, world):
    agreement = effective(world)
    case = agreement.case
    login(client, world.users[Role.MEDIATOR])
    response = client.get(reverse("mediation:agreement_pdf", args=[case.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert text.count("人民调解协议书") >= 3
    assert "申请人 张三丰 收执" in text and "人民调解委员会 存档" in text
    for field in ("纠纷的主要事实", "争议事项", "各方当事人的责任", "履行方式", "履行期限", "本协议于"):
        assert field in text, field
    prints = set(re.findall(r"数字指纹：((?:[0-9a-f]{8} ?){8})", text))
    assert len(prints) == 1
    fp = prints.pop().replace(" ", "")
    client.logout()
    # The printed address is short and typeable; the fingerprint is printed apart, in groups.
    addresses = set(re.findall(r"核验网址：(\S+)", text))
    assert addresses == {f"http://testserver/verify/agreement/{agreement.pk}/"}
    assert "%" not in text and "?fp=" not in text
    typed = "-".join(fp[i : i + 8] for i in range(0, 64, 8)).upper()  # as a person might type it
    ok = client.get(addresses.pop().removeprefix("http://testserver"), {"fp": typed})
    assert ok.status_code == 200 and "张三丰" not in ok.content.decode() and "张**" in ok.content.decode()
    assert client.get(reverse("mediation:verify", args=[agreement.pk]) + "?fp=" + "0" * 64).status_code == 404
    # A copy printed before the short code carries the agreement's number in its address: it still verifies.
    assert client.get(reverse("mediation:verify", args=[agreement.number]) + f"?fp={fp}").status_code == 200


def test_the_verify_page_opened_without_a_fingerprint_asks_for_one(client, world):
    agreement = effective(world)
    url = reverse("mediation:verify", args=[agreement.number])
    empty = client.get(url)
    body = empty.content.decode()
    assert empty.status_code == 200 and "核验未通过" not in body and 'id="verify-howto"' in body
    assert '<label for="fp">' in body and "张**" not in body  # nothing of the agreement before a match
    wrong = client.get(url, {"fp": "0" * 64})
    assert wrong.status_code == 404 and "核验未通过" in wrong.content.decode()


def test_a_party_downloads_their_agreement(client, world):
    agreement = effective(world)
    login(client, world.owner_user)
    assert client.get(reverse("mediation:agreement_pdf", args=[agreement.case.pk])).status_code == 200


def test_intake_through_the_page(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("mediation:case_new", args=[world.room.pk])
    assert client.get(url).status_code == 200
    form = {
        "estate": world.e1.pk,
        "unit": "",
        "category": "fees",
        "applicant_kind": "owner",
        "applicant_unit": "坏楼 999",
        "respondent_kind": "company",
        "facts": "停运",
        "claims": "减免",
        "session_wish": "private",
    }
    body = client.post(url, form).content.decode()
    assert "没有房屋“坏楼 999”" in body
    assert "停运" in body  # the form comes back as typed
    assert not Case.objects.exists()
    unit = world.resident.ownerships.get().unit
    form["applicant_unit"] = f"{unit.building.name} {unit.room}"
    response = client.post(url, form)
    case = Case.objects.get()
    assert response.url == reverse("mediation:case", args=[case.pk])
    assert {p.name for p in case.parties.all()} >= {"张三丰"}


def test_only_staff_over_the_room_register_cases(client, world):
    for role in (Role.STREET_STAFF, Role.GRID_WORKER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF):
        login(client, world.users[role])
        assert client.get(reverse("mediation:case_new", args=[world.room.pk])).status_code in (403, 404)


def test_appointing_through_the_room_page(client, world):
    from tests.factories import UserFactory

    newcomer = UserFactory(username="new-mediator")
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("mediation:room", args=[world.room.pk])
    body = client.post(
        url,
        {
            "action": "appoint",
            "username": "nobody",
            "name": "某",
            "position": "member",
            "appointed_on": timezone.localdate().isoformat(),
        },
        follow=True,
    ).content.decode()
    assert "账号“nobody”不存在" in body
    body = client.post(
        url,
        {
            "action": "appoint",
            "username": newcomer.username,
            "name": "新调解员",
            "position": "member",
            "appointed_on": timezone.localdate().isoformat(),
        },
        follow=True,
    ).content.decode()
    assert "已任命 新调解员" in body
    login(client, world.users[Role.MEDIATOR])
    assert (
        client.post(
            url,
            {
                "action": "appoint",
                "username": newcomer.username,
                "name": "x",
                "position": "member",
                "appointed_on": timezone.localdate().isoformat(),
            },
        ).status_code
        == 403
    )


def test_the_directory_is_published_on_the_community_site_without_personal_data(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    community = world.room.community
    body = client.post(reverse("mediation:publish_directory", args=[community.pk]), follow=True).content.decode()
    assert "调解室名录已在" in body
    from cms.models import NoticePage

    notice = NoticePage.objects.live().get(title__contains="调解室名录")
    client.logout()
    page = client.get(notice.url).content.decode()
    assert world.room.address in page and "不收取任何费用" in page and "王调解" not in page
    login(client, world.users[Role.MEDIATOR])
    before = NoticePage.objects.count()
    client.post(reverse("mediation:publish_directory", args=[community.pk]))
    assert NoticePage.objects.count() == before


def test_term_warnings_show_in_the_workspace(client, world):
    from tests.factories import UserFactory

    today = timezone.localdate()
    services.appoint_mediator(
        actor=None,
        room=world.room,
        user=UserFactory(),
        name="将满",
        position="member",
        appointed_on=today.replace(year=today.year - 3) + timedelta(days=30),
    )
    login(client, world.users[Role.COMMUNITY_STAFF])
    body = client.get(reverse("mediation:workspace")).content.decode()
    assert "将满 任期" in body and "少于法定 3 人" in body


def test_list_pages_do_not_grow_with_their_rows(client, world, django_assert_max_num_queries):
    staff_room(world)
    for _ in range(3):
        effective(world)
    login(client, world.users[Role.DISTRICT_ADMIN])
    with django_assert_max_num_queries(14):  # +2: the header's unread count, the second factor's device
        assert client.get(reverse("mediation:statistics") + "?level=room").status_code == 200
    # +3: the header's unread count, the second factor's device, the overdue duties
    with django_assert_max_num_queries(17):
        assert client.get(reverse("mediation:workspace")).status_code == 200
    for _ in range(5):
        agreed(world)
    with django_assert_max_num_queries(14):  # +2: the header's unread count, the second factor's device
        body = client.get(reverse("mediation:statistics") + "?level=street").content.decode()
    assert "<svg" in body and "张三丰" not in body
    # +3: the header's unread count, the second factor's device, the overdue duties
    with django_assert_max_num_queries(17):
        client.get(reverse("mediation:workspace"))


def test_statistics_count_agreements_and_confirmations(world):
    from mediation import selectors

    staff_room(world)
    start = timezone.localdate() - timedelta(days=20)
    confirmed = effective(world, on=start)
    services.apply_for_confirmation(actor=None, agreement=confirmed, applied_on=start, court="区法院", joint=True)
    services.record_court_decision(
        actor=None, agreement=confirmed, decided_on=start + timedelta(days=10), decision="confirmed"
    )
    services.end_case(actor=None, case=accepted(world), reason="分歧大")
    open_case(world)
    groups, total = selectors.statistics(world.users[Role.DISTRICT_ADMIN], "room")
    assert total.total == 3 and total.agreed == 1 and total.ended == 1
    assert total.agreement_rate == 0.5
    assert total.applied == 1 and total.confirmed == 1
    assert groups[0].name == world.room.name
