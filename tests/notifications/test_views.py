"""The inbox and the choice of channels: who sees what, reading, the header's count, bad input."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import Role
from notifications import services
from notifications.models import Channel, Delivery, DeliveryStatus, Event, Preference
from tests.factories import EstateFactory, OwnerFactory, UserFactory, login

INBOX = reverse("notifications:inbox")
PREFERENCES = reverse("notifications:preferences")
READ_ALL = reverse("notifications:read_all")


def tell(recipients, title="业主大会表决开始", key=None):
    return services.notify(
        event=Event.VOTE_CONVENED,
        recipients=recipients,
        title=title,
        body="请于月底前投票。",
        link="/votes/1/",
        subject=None if key else EstateFactory(),
        key=key,
    )


def inbox_row(user, message):
    return Delivery.objects.get(message=message, user=user, channel=Channel.INBOX)


def badge(response) -> int:
    found = re.search(r'class="badge"[^>]*>(\d+)<', response.content.decode())
    return int(found.group(1)) if found else 0


@pytest.fixture
def owner(db):
    return OwnerFactory(user=UserFactory(email="owner@example.cn"))


@pytest.mark.parametrize("url", [INBOX, PREFERENCES, reverse("notifications:item", args=[1])])
def test_anonymous_visitors_are_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(READ_ALL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_an_owner_sees_their_own_messages_and_no_one_elses(client, owner):
    mine = tell([owner], title="我的表决通知")
    theirs = tell([OwnerFactory(user=UserFactory())], title="别人的催缴函")
    login(client, owner.user)
    page = client.get(INBOX).content.decode()
    assert "我的表决通知" in page and "别人的催缴函" not in page
    assert reverse("notifications:item", args=[inbox_row(owner.user, mine).pk]) in page
    other = Delivery.objects.get(message=theirs, channel=Channel.INBOX)
    assert client.get(reverse("notifications:item", args=[other.pk])).status_code == 404
    sms = Delivery.objects.get(message=mine, channel=Channel.SMS)  # one's own SMS row is no inbox message
    assert client.get(reverse("notifications:item", args=[sms.pk])).status_code == 404
    other.refresh_from_db()
    assert other.status == DeliveryStatus.SENT and other.read_at is None


@pytest.mark.parametrize(
    "role",
    [
        Role.DISTRICT_ADMIN,
        Role.STREET_STAFF,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
        Role.COMMITTEE_MEMBER,
        Role.COMPANY_STAFF,
    ],
)
def test_staff_have_an_inbox_too(client, world, role):
    staff = world.users[role]
    message = tell([staff], title="新的网格案件")
    login(client, staff)
    response = client.get(INBOX)
    assert response.status_code == 200 and "新的网格案件" in response.content.decode() and badge(response) == 1
    response = client.get(reverse("notifications:item", args=[inbox_row(staff, message).pk]))
    assert response.status_code == 200 and "请于月底前投票。" in response.content.decode()


def test_opening_a_message_marks_it_read_and_the_header_counts_down(client, owner):
    first, _second = tell([owner], title="第一条"), tell([owner], title="第二条")
    login(client, owner.user)
    assert badge(client.get(INBOX)) == 2
    response = client.get(reverse("notifications:item", args=[inbox_row(owner.user, first).pk]))
    assert response.status_code == 200 and "第一条" in response.content.decode()
    assert 'href="/votes/1/"' in response.content.decode()
    assert inbox_row(owner.user, first).status == DeliveryStatus.READ
    assert badge(response) == 1  # the header drawn after the opening already counts it read
    assert badge(client.get(INBOX)) == 1


def test_read_all_is_a_post_that_reads_only_ones_own(client, owner):
    other = UserFactory()
    for n in range(3):
        tell([owner, other], key=f"k{n}")
    login(client, owner.user)
    assert client.get(READ_ALL).status_code == 405
    response = client.post(READ_ALL, follow=True)
    assert "已全部标为已读。" in response.content.decode() and badge(response) == 0
    assert not Delivery.objects.filter(user=owner.user, channel=Channel.INBOX, status=DeliveryStatus.SENT).exists()
    assert Delivery.objects.filter(user=other, status=DeliveryStatus.SENT).count() == 3


def _inbox_queries(client, user):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(INBOX)
    assert response.status_code == 200
    unread = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper() and '"status"' in q["sql"]]
    return len(captured), len(unread), response


def test_the_inbox_and_its_header_run_the_same_queries_for_three_messages_as_for_thirty(client, owner):
    login(client, owner.user)
    for n in range(3):
        tell([owner], key=f"a{n}")
    few, unread_few, response = _inbox_queries(client, owner.user)
    assert badge(response) == 3 and unread_few == 1  # the header's count is one COUNT
    for n in range(27):
        tell([owner], key=f"b{n}")
    many, unread_many, response = _inbox_queries(client, owner.user)
    assert badge(response) == 30 and unread_many == 1
    assert few == many
    assert response.content.decode().count('class="unread"') == 20  # one page


def test_the_preferences_are_saved_and_the_next_message_respects_them(client, owner):
    login(client, owner.user)
    page = client.get(PREFERENCES).content.decode()
    assert owner.mobile in page and "owner@example.cn" in page
    response = client.post(PREFERENCES, {"email": "on"}, follow=True)
    assert "通知方式已保存。" in response.content.decode()
    assert Preference.objects.filter(user=owner.user).values_list("sms", "email").get() == (False, True)
    assert 'name="sms"' in response.content.decode() and 'name="sms" checked' not in response.content.decode()
    message = tell([owner])
    assert set(Delivery.objects.filter(message=message).values_list("channel", flat=True)) == {"inbox", "email"}


def test_a_staff_account_without_an_owner_record_can_choose_too(client, world):
    staff = world.users[Role.GRID_WORKER]
    login(client, staff)
    assert "未登记（短信无法送达）" in client.get(PREFERENCES).content.decode()
    client.post(PREFERENCES, {})
    assert Preference.objects.filter(user=staff).values_list("sms", "email").get() == (False, False)


@pytest.mark.parametrize("data", [{"sms": "garbage", "email": "on"}, {"sms": ["on", "off"]}, {"email": "x" * 5000}])
def test_garbage_is_refused_with_a_message_and_writes_nothing(client, owner, data):
    services.set_preferences(actor=owner.user, sms=True, email=True)
    login(client, owner.user)
    response = client.post(PREFERENCES, data, follow=True)
    assert response.status_code == 200 and "只能勾选或不勾选。" in response.content.decode()
    assert Preference.objects.filter(user=owner.user).values_list("sms", "email").get() == (True, True)


@pytest.mark.django_db
def test_the_delivery_records_in_the_admin_are_for_superusers_only(client, world):
    owner = OwnerFactory(mobile="13800000009")
    tell([owner])
    listing = reverse("admin:notifications_delivery_changelist")
    login(client, world.users[Role.DISTRICT_ADMIN])  # staff with the admin, yet not every owner's mobile
    assert client.get(listing).status_code == 403
    assert "notifications" not in client.get(reverse("admin:index")).content.decode()
    login(client, UserFactory(is_staff=True, is_superuser=True))
    assert client.get(listing).status_code == 200
    delivery = Delivery.objects.get(owner=owner, channel=Channel.SMS)
    record = client.get(reverse("admin:notifications_delivery_change", args=[delivery.pk]))
    assert record.status_code == 200 and "13800000009" in record.content.decode()
    change = client.post(reverse("admin:notifications_delivery_change", args=[delivery.pk]), {"status": "read"})
    assert change.status_code == 403  # a window, not a door
    assert Delivery.objects.get(pk=delivery.pk).status == delivery.status
