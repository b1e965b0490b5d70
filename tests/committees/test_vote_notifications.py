"""Votes tell their owners (issue 19): who is told at convening, the reminder before the close,
the result, and the service of notice (送达) with its paper records and the vote's pages."""

import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from committees.models import Vote, VoteService
from committees.votes import selectors, services
from community.models import Role
from notifications import services as notifications
from notifications.models import Channel, Delivery, DeliveryStatus, Event, Message
from tests.factories import (
    BuildingFactory,
    OwnerFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
    login,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def png(name="posted.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class Scope:
    """A building of e1: 张 (100 m², an account and a mobile), 王 (80 m², neither), 李 and 赵
    co-owning one unit (120 m², mobiles only). Outside it, the world's own resident of e1."""

    def __init__(self, world):
        self.building = BuildingFactory(estate=world.e1, name="望江楼")

        def unit(room, area, *owners):
            u = UnitFactory(building=self.building, room=room, registered_area=Decimal(area))
            for o in owners:
                OwnershipFactory(unit=u, owner=o)
            return u

        self.zhang = OwnerFactory(name="张明", mobile="13800000001", user=UserFactory(username="zhang"))
        self.wang = OwnerFactory(name="王芳", mobile="")
        self.li = OwnerFactory(name="李雷", mobile="13800000003")
        self.zhao = OwnerFactory(name="赵敏", mobile="13800000004")
        unit("101", "100.00", self.zhang)
        unit("102", "80.00", self.wang)
        unit("201", "120.00", self.li, self.zhao)
        self.outside = world.resident
        self.committee = world.users[Role.COMMITTEE_MEMBER]

    def convene(self, *, opens=None, days=10):
        opens = opens or timezone.now() + timedelta(days=16)
        return services.convene_vote(
            actor=self.committee,
            estate=self.building.estate,
            matter=5,
            question="更换望江楼电梯",
            opens_at=opens,
            closes_at=opens + timedelta(days=days),
            buildings=[self.building],
        )


@pytest.fixture
def scope(world):
    return Scope(world)


def _told(vote, event):
    return set(
        Delivery.objects.filter(
            message__subject_type=ContentType.objects.get_for_model(Vote),
            message__subject_id=vote.pk,
            message__event=event,
        ).values_list("owner_id", "channel")
    )


def _open(vote, now):
    Vote.objects.filter(pk=vote.pk).update(opens_at=now - timedelta(days=1))
    vote.refresh_from_db()
    return vote


def _send_sms(now=None):
    """Send what is due through the console backend, at a daytime moment (SMS wait out the night)."""
    now = now or timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(10)))
    return notifications.send_due(now=now)


# --------------------------------------------------------------------------- convening and result


def test_convening_tells_exactly_the_owners_in_scope_co_owners_each(scope, world):
    vote = scope.convene()
    assert {o.pk for o in selectors.eligible_owners(vote)} == {
        scope.zhang.pk,
        scope.wang.pk,
        scope.li.pk,
        scope.zhao.pk,
    }
    assert _told(vote, Event.VOTE_CONVENED) == {
        (scope.zhang.pk, Channel.INBOX),
        (scope.zhang.pk, Channel.SMS),
        (scope.li.pk, Channel.SMS),
        (scope.zhao.pk, Channel.SMS),
    }  # 王 has neither a mobile nor an account: no channel, left to paper service
    message = Message.objects.get(event=Event.VOTE_CONVENED)
    assert message.link == reverse("committees:ballot", args=[vote.pk])
    assert "更换望江楼电梯" in message.title and "表决时间" in message.body and "手机" in message.body
    assert not Delivery.objects.filter(owner=scope.outside).exists()


def test_closing_tells_the_result_to_the_owners_in_scope(scope):
    vote = scope.convene()
    now = timezone.now()
    _open(vote, now)
    services.cast_ballot(voter=scope.zhang, vote=vote, holder=str(scope.zhang.pk), choice="yes", now=now)
    Vote.objects.filter(pk=vote.pk).update(closes_at=now - timedelta(minutes=1))
    services.close_vote(actor=scope.committee, vote=vote, now=now)
    result = Message.objects.get(event=Event.VOTE_RESULT)
    assert "面积 100.00 / 300.00" in result.body and "1 / 3 人" in result.body
    assert {o for o, _c in _told(vote, Event.VOTE_RESULT)} == {scope.zhang.pk, scope.li.pk, scope.zhao.pk}


# --------------------------------------------------------------------------- the reminder before the close


def test_closing_votes_are_those_ending_by_the_end_of_the_third_day(scope):
    nine = timezone.make_aware(datetime.combine(timezone.localdate(), time(9)))
    vote = _open(scope.convene(), nine)
    third_day_end = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=4), time.min))
    for closes, closing in [
        (third_day_end - timedelta(minutes=1), True),  # the third day after today, 23:59
        (third_day_end, True),  # 24:00 of that day
        (third_day_end + timedelta(minutes=1), False),  # the fourth day, 00:01
        (nine + timedelta(minutes=1), True),
        (nine, False),  # closed already
    ]:
        Vote.objects.filter(pk=vote.pk).update(closes_at=closes)
        assert (vote.pk in {v.pk for v in selectors.closing_votes(nine)}) is closing, closes
    Vote.objects.filter(pk=vote.pk).update(closes_at=nine + timedelta(days=1), status="closed")
    assert not selectors.closing_votes(nine).exists()


def test_the_reminder_goes_to_non_voters_only_and_once(scope):
    now = timezone.make_aware(datetime.combine(timezone.localdate(), time(9)))
    vote = _open(scope.convene(), now)
    Vote.objects.filter(pk=vote.pk).update(closes_at=now + timedelta(days=2))
    services.cast_ballot(voter=scope.zhang, vote=vote, holder=str(scope.zhang.pk), choice="yes", now=now)
    assert services.remind_closing(now=now) == 1
    assert {o for o, _c in _told(vote, Event.VOTE_CLOSING)} == {scope.li.pk, scope.zhao.pk}
    message = Message.objects.get(event=Event.VOTE_CLOSING)
    assert message.key == f"vote_closing:{vote.pk}"
    # the co-owners vote after the reminder; a second run the next day tells no one again
    services.cast_ballot(voter=scope.li, vote=vote, holder=f"{scope.li.pk},{scope.zhao.pk}", choice="no", now=now)
    assert services.remind_closing(now=now + timedelta(days=1)) == 0
    assert Message.objects.filter(event=Event.VOTE_CLOSING).count() == 1


def test_the_reminder_skips_votes_not_yet_closing_and_the_task_runs_it(scope):
    from committees.tasks import remind_closing_votes

    now = timezone.now()
    vote = _open(scope.convene(), now)
    Vote.objects.filter(pk=vote.pk).update(closes_at=now + timedelta(days=5))
    assert remind_closing_votes() == 0
    Vote.objects.filter(pk=vote.pk).update(closes_at=now + timedelta(hours=30))
    assert remind_closing_votes() == 1
    assert Message.objects.filter(event=Event.VOTE_CLOSING).count() == 1


# --------------------------------------------------------------------------- service of notice


def test_served_and_to_serve_by_heads_and_area_count_channels_and_paper(scope, settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.txt")
    vote = scope.convene()
    figures = selectors.service_figures(vote, personal=True)
    assert figures["heads"] == {"served": 0, "to_serve": 3}
    assert figures["area"] == {"served": Decimal("0"), "to_serve": Decimal("300.00")}
    assert {r["id"] for r in figures["unreached"]} == {scope.zhang.pk, scope.wang.pk, scope.li.pk, scope.zhao.pk}

    # 李's text fails for good, the others' go; 张 has not opened the inbox but his text went.
    Delivery.objects.filter(owner=scope.li, channel=Channel.SMS).update(status=DeliveryStatus.FAILED, reason="空号")
    _send_sms()
    figures = selectors.service_figures(vote, personal=True)
    assert figures["heads"] == {"served": 1, "to_serve": 2}  # 张; the co-ownership waits for 李
    assert figures["area"] == {"served": Decimal("100.00"), "to_serve": Decimal("200.00")}
    rows = {r["id"]: r for r in figures["unreached"]}
    assert set(rows) == {scope.wang.pk, scope.li.pk}
    assert rows[scope.li.pk]["why"] == "短信失败：空号" and rows[scope.li.pk]["units"] == "望江楼 201"
    assert rows[scope.wang.pk]["why"] == "无手机号、未绑定账号"
    sms = dict((r[0], r[2]) for r in figures["channel_rows"])[Channel.SMS]
    assert sms == {"queued": 0, "sent": 2, "failed": 1, "read": 0}

    services.record_service(
        actor=scope.committee, vote=vote, owners=[scope.wang, scope.li], method="posting", photo=png(), note="贴于户门"
    )
    figures = selectors.service_figures(vote, personal=False)
    assert figures["heads"] == {"served": 3, "to_serve": 0}
    assert figures["area"]["served"] == Decimal("300.00") and figures["unreached"] == []
    first, second = VoteService.objects.filter(vote=vote).order_by("owner_id")
    assert first.photo.name and first.photo.name == second.photo.name  # one photo for one posting


def test_reading_the_inbox_serves_an_owner(scope):
    vote = scope.convene()
    delivery = Delivery.objects.get(owner=scope.zhang, channel=Channel.INBOX)
    notifications.mark_read(actor=scope.zhang.user, delivery=delivery)
    assert selectors.service_figures(vote, personal=True)["heads"]["served"] == 1


def test_record_service_refuses_and_writes_nothing(scope, world):
    vote = scope.convene()
    today = timezone.localdate()
    cases = [
        (world.users[Role.COMPANY_STAFF], dict(owners=[scope.wang], method="in_person"), PermissionDenied, ""),
        (
            user_with_role(Role.COMMITTEE_MEMBER, world.e2),
            dict(owners=[scope.wang], method="in_person"),
            PermissionDenied,
            "",
        ),
        (None, dict(owners=[scope.wang], method="in_person"), PermissionDenied, ""),
        (
            scope.committee,
            dict(owners=[scope.wang, scope.outside], method="in_person"),
            ValidationError,
            "不在本次表决范围内",
        ),
        (scope.committee, dict(owners=[scope.wang], method="posting"), ValidationError, "须上传张贴现场的照片"),
        (scope.committee, dict(owners=[], method="in_person"), ValidationError, "至少选择一位业主"),
        (scope.committee, dict(owners=[scope.wang], method="mail"), ValidationError, "张贴或当面送达"),
        (
            scope.committee,
            dict(owners=[scope.wang], method="in_person", served_on=today + timedelta(days=1)),
            ValidationError,
            "不能晚于今天",
        ),
        (
            scope.committee,
            dict(owners=[scope.wang], method="posting", photo=SimpleUploadedFile("a.png", b"not an image")),
            ValidationError,
            "不是图片",
        ),
    ]
    for actor, kwargs, error, words in cases:
        with pytest.raises(error) as exc:
            services.record_service(actor=actor, vote=vote, **kwargs)
        assert words in " ".join(getattr(exc.value, "messages", [str(exc.value)])), kwargs
    assert not VoteService.objects.exists()
    services.record_service(actor=scope.committee, vote=vote, owners=[scope.wang], method="in_person")
    with pytest.raises(ValidationError) as exc:
        services.record_service(actor=scope.committee, vote=vote, owners=[scope.li, scope.wang], method="in_person")
    assert "王**" in exc.value.messages[0] and "已经登记过" in exc.value.messages[0]
    assert list(VoteService.objects.values_list("owner_id", flat=True)) == [scope.wang.pk]


# --------------------------------------------------------------------------- the pages


def test_the_vote_pages_show_service_to_conveners_only(client, scope, world):
    vote = scope.convene()
    turnout = reverse("committees:turnout", args=[vote.pk])
    page = reverse("committees:service", args=[vote.pk])
    response = client.get(page)
    assert response.status_code == 302 and "/login" in response["Location"]
    login(client, scope.committee)
    body = client.get(turnout).content.decode()
    assert "表决通知送达" in body and "0 人，0.00 ㎡" in body and "3 人，300.00 ㎡" in body
    body = client.get(page).content.decode()
    assert "王**" in body and "王芳" not in body and "138****0003" in body  # committee: no personal data
    assert "无手机号、未绑定账号" in body
    login(client, world.users[Role.COMMUNITY_STAFF])
    body = client.get(page).content.decode()
    assert "王芳" in body and "13800000003" in body
    others = [
        world.users[Role.COMPANY_STAFF],
        world.users[Role.GRID_WORKER],
        world.users[Role.STREET_STAFF],
        world.users[Role.DISTRICT_ADMIN],
        user_with_role(Role.COMMITTEE_MEMBER, world.e2),
        world.owner_user,
        scope.zhang.user,
    ]
    for user in others:
        login(client, user)
        assert client.get(page).status_code == 404, user
        assert client.post(page, {"owners": [scope.wang.pk], "method": "in_person"}).status_code == 404
    assert not VoteService.objects.exists()


def test_paper_service_is_recorded_on_the_page_and_its_photo_served_through_access(client, scope, world):
    vote = scope.convene()
    page = reverse("committees:service", args=[vote.pk])
    login(client, scope.committee)
    response = client.post(page, {"owners": [scope.wang.pk], "method": "posting", "note": "贴于户门"}, follow=True)
    assert "须上传张贴现场的照片" in response.content.decode()
    assert not VoteService.objects.exists()
    response = client.post(
        page,
        {
            "owners": [scope.wang.pk, scope.li.pk],
            "method": "posting",
            "photo": png(),
            "served_on": timezone.localdate().isoformat(),
            "note": "贴于户门",
        },
        follow=True,
    )
    assert "已登记 2 位业主的书面送达" in response.content.decode()
    record = VoteService.objects.get(owner=scope.wang)
    assert record.recorded_by == scope.committee and record.method == "posting"
    photo = reverse("committees:service_photo", args=[vote.pk, record.pk])
    response = client.get(photo)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;") and response["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r"votes/service/\d{4}/\d{2}/[0-9a-f]{32}\.png", record.photo.name)
    login(client, world.users[Role.COMPANY_STAFF])
    assert client.get(photo).status_code == 404


def test_the_service_page_runs_a_fixed_number_of_queries(client, scope, world):
    vote = scope.convene()
    login(client, scope.committee)
    page = reverse("committees:service", args=[vote.pk])
    client.get(page)  # warm the caches (content types, rules)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        return len(captured)

    before = queries()
    for i in range(6):
        owner = OwnerFactory(mobile="")
        OwnershipFactory(unit=UnitFactory(building=scope.building, room=f"3{i:02d}"), owner=owner)
        VoteService.objects.create(
            vote=vote,
            owner=owner,
            method="in_person",
            served_on=timezone.localdate(),
            recorded_by=scope.committee,
            created_at=timezone.now(),
        ) if i % 2 else None
    assert queries() == before
