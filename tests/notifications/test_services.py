"""notify(): who is told through which channel; send_due(): quiet hours, retries, never twice."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import Owner
from notifications import selectors, services
from notifications.models import Channel, Delivery, DeliveryStatus, Event, Message, Preference
from tests.factories import EstateFactory, OwnerFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")
INBOX, SMS, EMAIL = "inbox", "sms", "email"


def local(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=SH)


def told(message):
    """{(owner id, user id, channel)} of a message's deliveries."""
    return set(Delivery.objects.filter(message=message).values_list("owner_id", "user_id", "channel"))


def tell(recipients, *, subject, urgent=False, event=Event.VOTE_CONVENED, key=None):
    return services.notify(
        event=event,
        recipients=recipients,
        title="业主大会表决开始",
        body="请于 3 月 20 日前投票。",
        link="/votes/1/",
        subject=subject,
        urgent=urgent,
        key=key,
    )


@pytest.fixture
def at(monkeypatch):
    """Set the clock notify() reads: ``at(local(2, 22))``."""

    def set_clock(moment):
        monkeypatch.setattr(services.timezone, "now", lambda: moment)
        return moment

    return set_clock


class Recorder:
    """An SMS backend that records what it was given and answers from ``replies`` (else "")."""

    calls: list = []
    replies: list = []

    def send(self, batch):
        Recorder.calls.extend(delivery.pk for delivery, _text in batch)
        return [Recorder.replies[0] if Recorder.replies else "" for _ in batch]


class Broken:
    def send(self, batch):
        raise RuntimeError("短信服务未配置")


@pytest.fixture
def recorder(settings):
    settings.SMS_BACKEND = "tests.notifications.test_services.Recorder"
    Recorder.calls, Recorder.replies = [], []
    return Recorder


@pytest.fixture
def estate(db):
    return EstateFactory()


# --------------------------------------------------------------------------- fan-out


def test_each_recipient_is_told_through_the_channels_it_can_be_reached_by(estate):
    with_all = OwnerFactory(user=UserFactory(email="a@example.cn"))
    no_account = OwnerFactory()
    no_mobile = OwnerFactory(mobile="", user=UserFactory(email="b@example.cn"))
    unreachable = OwnerFactory(mobile="")
    staff = UserFactory(email="staff@example.cn")
    staff_no_mail = UserFactory(email="")
    message = tell([with_all, no_account, no_mobile, unreachable, staff, staff_no_mail], subject=estate)
    assert told(message) == {
        (with_all.pk, with_all.user_id, INBOX),
        (with_all.pk, with_all.user_id, SMS),
        (with_all.pk, with_all.user_id, EMAIL),
        (no_account.pk, None, SMS),
        (no_mobile.pk, no_mobile.user_id, INBOX),
        (no_mobile.pk, no_mobile.user_id, EMAIL),
        (None, staff.pk, INBOX),
        (None, staff.pk, EMAIL),
        (None, staff_no_mail.pk, INBOX),
    }
    sms = Delivery.objects.get(message=message, owner=no_account)
    assert (sms.address, sms.status, sms.attempts) == (no_account.mobile, DeliveryStatus.QUEUED, 0)
    inbox = Delivery.objects.get(message=message, user=staff, channel=Channel.INBOX)
    assert inbox.status == DeliveryStatus.SENT and inbox.sent_at and inbox.next_try_at is None
    assert Delivery.objects.get(message=message, user=staff, channel=Channel.EMAIL).address == "staff@example.cn"


def test_an_owner_and_their_own_account_are_told_once(estate):
    owner = OwnerFactory(user=UserFactory(email="o@example.cn"))
    message = tell([owner.user, owner, owner, owner.user], subject=estate)
    assert sorted(channel for _o, _u, channel in told(message)) == ["email", "inbox", "sms"]
    assert Delivery.objects.filter(message=message).count() == 3
    assert set(Delivery.objects.filter(message=message).values_list("owner_id", flat=True)) == {owner.pk}


def test_preferences_turned_off_record_no_row_for_that_channel_and_the_inbox_stays(estate):
    sms_off = OwnerFactory(user=UserFactory(email="s@example.cn"))
    mail_off = OwnerFactory(user=UserFactory(email="m@example.cn"))
    services.set_preferences(actor=sms_off.user, sms=False, email=True)
    services.set_preferences(actor=mail_off.user, sms=True, email=False)
    message = tell([sms_off, mail_off], subject=estate)
    assert told(message) == {
        (sms_off.pk, sms_off.user_id, INBOX),
        (sms_off.pk, sms_off.user_id, EMAIL),
        (mail_off.pk, mail_off.user_id, INBOX),
        (mail_off.pk, mail_off.user_id, SMS),
    }
    services.set_preferences(actor=sms_off.user, sms=True, email=False)  # changed again: one row, updated
    assert Preference.objects.filter(user=sms_off.user).values_list("sms", "email").get() == (True, False)


def test_telling_the_same_thing_twice_records_once(estate, recorder, django_capture_on_commit_callbacks):
    owner = OwnerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = tell([owner], subject=estate)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = tell([owner, OwnerFactory()], subject=estate)
    assert first is not None and again is None and callbacks == []
    assert Message.objects.count() == 1 and Delivery.objects.count() == 1
    assert recorder.calls == [Delivery.objects.get().pk]
    # another event about the same thing, or an explicit key, is another message
    assert tell([owner], subject=estate, event=Event.VOTE_RESULT) is not None
    assert tell([owner], subject=estate, key="reminder:1") is not None
    assert tell([owner], subject=estate, key="reminder:1") is None
    with pytest.raises(ValueError):
        tell([owner], subject=None)


def test_notify_runs_the_same_queries_for_one_recipient_as_for_two_hundred(estate):
    def population(n, tag):
        owners = [OwnerFactory(user=UserFactory(email=f"{tag}{i}@example.cn")) for i in range(n)]
        for owner in owners[::3]:
            Preference.objects.create(user=owner.user, sms=False)
        return owners + [UserFactory(email=f"{tag}staff@example.cn")]

    one, many = population(1, "a"), population(200, "b")
    tell(one, subject=EstateFactory())  # the content type is cached from here on
    counts = []
    for recipients in (one, many):
        subject = EstateFactory()
        with CaptureQueriesContext(connection) as queries:
            tell(recipients, subject=subject)
        counts.append(len(queries))
    assert Delivery.objects.filter(message__subject_id=subject.pk).count() == 200 * 3 - 67 + 2
    assert counts[0] == counts[1] <= 7


def test_the_task_sends_once_the_transaction_commits(estate, django_capture_on_commit_callbacks, settings):
    owner = OwnerFactory(user=UserFactory(email="o@example.cn"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = tell([owner], subject=estate)
    assert Delivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 2  # nothing left before the commit
    callbacks[0]()
    sms = Delivery.objects.get(channel=Channel.SMS)
    assert (sms.status, sms.attempts, sms.next_try_at, sms.reason) == (DeliveryStatus.SENT, 1, None, "")
    with open(settings.SMS_FILE_PATH, encoding="utf-8") as log:
        assert f"[SMS] {owner.mobile} 【物业治理】业主大会表决开始 http://127.0.0.1:8000/votes/1/\n" in log.read()
    assert [m.to for m in mail.outbox] == [["o@example.cn"]]
    assert mail.outbox[0].subject == message.title
    assert mail.outbox[0].body == "请于 3 月 20 日前投票。\n\nhttp://127.0.0.1:8000/votes/1/"


def test_a_message_for_inboxes_only_queues_no_task(estate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        tell([UserFactory(email="")], subject=estate)
    assert callbacks == []


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    "moment, due",
    [
        (local(2, 21, 59), local(2, 21, 59)),
        (local(2, 22, 0), local(3, 8, 0)),
        (local(2, 23, 59), local(3, 8, 0)),
        (local(3, 0, 30), local(3, 8, 0)),
        (local(3, 7, 59), local(3, 8, 0)),
        (local(3, 8, 0), local(3, 8, 0)),
    ],
)
def test_sms_recorded_in_the_quiet_hours_waits_for_eight_oclock(estate, at, moment, due):
    at(moment)
    owner = OwnerFactory(user=UserFactory(email="o@example.cn"))
    message = tell([owner], subject=estate)
    assert Delivery.objects.get(message=message, channel=Channel.SMS).next_try_at == due
    assert Delivery.objects.get(message=message, channel=Channel.EMAIL).next_try_at == moment  # e-mail never waits


def test_urgent_sms_goes_at_night(estate, at, recorder):
    at(local(2, 23, 30))
    message = tell([OwnerFactory()], subject=estate, urgent=True)
    sms = Delivery.objects.get(message=message)
    assert sms.next_try_at == local(2, 23, 30)
    assert services.send_due(now=local(2, 23, 30)) == 1
    assert recorder.calls == [sms.pk]


@pytest.mark.parametrize(
    "moment, waits_until",
    [
        (local(2, 21, 59), None),
        (local(2, 22, 0), local(3, 8, 0)),
        (local(3, 7, 59), local(3, 8, 0)),
        (local(3, 8, 0), None),
    ],
)
def test_a_due_sms_reached_in_the_quiet_hours_is_held_without_counting_an_attempt(
    estate, at, recorder, moment, waits_until
):
    at(local(2, 12))
    owner = OwnerFactory(user=UserFactory(email="o@example.cn"))
    message = tell([owner], subject=estate)
    assert services.send_due(now=moment) == (2 if waits_until is None else 1)  # the e-mail goes at any hour
    sms = Delivery.objects.get(message=message, channel=Channel.SMS)
    if waits_until is None:
        assert (sms.status, sms.attempts) == (DeliveryStatus.SENT, 1)
    else:
        assert (sms.status, sms.attempts, sms.next_try_at) == (DeliveryStatus.QUEUED, 0, waits_until)
        assert recorder.calls == []
        assert services.send_due(now=waits_until) == 1
        sms.refresh_from_db()
        assert (sms.status, sms.attempts, sms.sent_at) == (DeliveryStatus.SENT, 1, waits_until)


# --------------------------------------------------------------------------- retries


def test_five_attempts_with_backoff_then_failed_with_the_reason(estate, at, recorder):
    start = at(local(2, 10))
    sms = Delivery.objects.get(message=tell([OwnerFactory()], subject=estate))
    recorder.replies = ["短信网关：isv.BUSINESS_LIMIT_CONTROL"]
    moment, waits = start, []
    for attempt in range(1, 6):
        assert services.send_due(now=moment) == 0
        sms.refresh_from_db()
        assert sms.attempts == attempt and sms.reason == "短信网关：isv.BUSINESS_LIMIT_CONTROL"
        if attempt < 5:
            assert sms.status == DeliveryStatus.QUEUED
            waits.append(sms.next_try_at - moment)
            assert services.send_due(now=sms.next_try_at - timedelta(seconds=1)) == 0  # not before its time
            moment = sms.next_try_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert (sms.status, sms.next_try_at, sms.sent_at) == (DeliveryStatus.FAILED, None, None)
    assert len(recorder.calls) == 5
    services.send_due(now=moment + timedelta(days=1))
    assert len(recorder.calls) == 5  # a failed delivery is never tried again


def test_a_retry_that_falls_in_the_night_waits_without_using_an_attempt(estate, at, recorder):
    at(local(2, 21, 50))
    sms = Delivery.objects.get(message=tell([OwnerFactory()], subject=estate))
    recorder.replies = ["短信网关：busy"]
    for moment in (local(2, 21, 50), local(2, 21, 51), local(2, 21, 53), local(2, 21, 57)):
        services.send_due(now=moment)
    sms.refresh_from_db()
    assert (sms.attempts, sms.next_try_at) == (4, local(2, 22, 5))
    services.send_due(now=local(2, 22, 5))
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.next_try_at) == (DeliveryStatus.QUEUED, 4, local(3, 8))
    recorder.replies = []
    assert services.send_due(now=local(3, 8)) == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.reason) == (DeliveryStatus.SENT, 5, "")


class Picky:
    """Refuses the numbers ending in 4 (空号), takes the rest."""

    def send(self, batch):
        return ["空号" if delivery.address.endswith("4") else "" for delivery, _text in batch]


def test_catching_up_makes_the_sweeps_minute_by_minute_until_its_end(estate, at, settings):
    settings.SMS_BACKEND = "tests.notifications.test_services.Picky"
    at(local(2, 21, 40))
    refused = Delivery.objects.get(message=tell([OwnerFactory(mobile="13800000004")], subject=estate))
    at(local(2, 21, 41))
    fine = Delivery.objects.get(message=tell([OwnerFactory(mobile="13800000005")], subject=EstateFactory()))
    assert services.send_due_through(until=local(2, 21, 57)) == 1
    refused.refresh_from_db()
    fine.refresh_from_db()
    assert (fine.status, fine.sent_at) == (DeliveryStatus.SENT, local(2, 21, 41))
    # 21:40, 21:41, 21:43, 21:47 tried; the fifth try is due at 21:55 and the sweep reached it
    assert (refused.status, refused.attempts, refused.reason) == (DeliveryStatus.FAILED, 5, "空号")
    at(local(2, 22, 30))
    late = Delivery.objects.get(message=tell([OwnerFactory(mobile="13800000006")], subject=EstateFactory()))
    assert services.send_due_through(until=local(2, 23)) == 0  # 22:00–08:00: held for the morning
    late.refresh_from_db()
    assert (late.status, late.next_try_at) == (DeliveryStatus.QUEUED, local(3, 8))


def test_send_due_never_sends_a_delivery_twice(estate, recorder):
    message = tell([OwnerFactory() for _ in range(7)], subject=estate)
    assert services.send_due(message_id=message.pk) == 7
    assert services.send_due() == 0
    assert services.send_due(message_id=message.pk) == 0
    assert sorted(recorder.calls) == sorted(Delivery.objects.values_list("pk", flat=True))


def test_send_due_of_one_message_leaves_the_others(estate, recorder):
    first = tell([OwnerFactory()], subject=estate)
    tell([OwnerFactory()], subject=EstateFactory())
    assert services.send_due(message_id=first.pk) == 1
    assert recorder.calls == [Delivery.objects.get(message=first).pk]


def test_a_broken_channel_fails_its_own_deliveries_and_what_the_other_sent_is_kept(estate, settings):
    settings.SMS_BACKEND = "tests.notifications.test_services.Broken"
    owner = OwnerFactory(user=UserFactory(email="o@example.cn"))
    message = tell([owner], subject=estate)
    now = timezone.now()
    assert services.send_due(now=now) == 1
    sms = Delivery.objects.get(message=message, channel=Channel.SMS)
    assert (sms.status, sms.attempts, sms.reason) == (DeliveryStatus.QUEUED, 1, "发送失败：短信服务未配置")
    assert sms.next_try_at == now + timedelta(minutes=1)
    email = Delivery.objects.get(message=message, channel=Channel.EMAIL)
    assert (email.status, email.attempts) == (DeliveryStatus.SENT, 1)
    assert len(mail.outbox) == 1


class Unreachable:
    """An e-mail backend whose server is down."""

    def __init__(self, **kwargs):
        pass

    def open(self):
        raise ConnectionRefusedError("SMTP 服务器拒绝连接")

    def close(self):
        pass

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()


def test_an_email_server_down_does_not_undo_the_sms_already_sent(estate, settings, recorder):
    settings.EMAIL_BACKEND = "tests.notifications.test_services.Unreachable"
    owner = OwnerFactory(user=UserFactory(email="o@example.cn"))
    message = tell([owner], subject=estate)
    assert services.send_due() == 1
    assert Delivery.objects.get(message=message, channel=Channel.SMS).status == DeliveryStatus.SENT
    email = Delivery.objects.get(message=message, channel=Channel.EMAIL)
    assert (email.status, email.attempts, email.reason) == (DeliveryStatus.QUEUED, 1, "发送失败：SMTP 服务器拒绝连接")
    services.send_due()
    assert len(recorder.calls) == 1  # the SMS is not sent again


def test_one_bad_address_fails_alone(estate, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    good = UserFactory(email="good@example.cn")
    bad = UserFactory(email="bad\n@example.cn")  # a header injection: Django refuses it
    message = tell([good, bad], subject=estate)
    assert services.send_due() == 1
    failed = Delivery.objects.get(message=message, user=bad, channel=Channel.EMAIL)
    assert failed.reason.startswith("邮件发送失败：") and failed.attempts == 1
    assert [m.to for m in mail.outbox] == [["good@example.cn"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_another_worker_holds_is_skipped_not_sent_again(recorder, monkeypatch):
    monkeypatch.setattr(services.jobs, "enqueue", lambda *args: "")  # the worker below does the sending
    message = tell([OwnerFactory() for _ in range(3)], subject=EstateFactory())
    held, release, done = threading.Event(), threading.Event(), threading.Event()
    pks = list(Delivery.objects.filter(message=message).order_by("pk").values_list("pk", flat=True))

    def other_worker():
        try:
            with transaction.atomic():
                list(Delivery.objects.select_for_update().filter(pk__in=pks[:2]))
                held.set()
                release.wait(10)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        assert services.send_due() == 1
        assert recorder.calls == [pks[2]]
    finally:
        release.set()
        done.wait(10)
        thread.join()
    assert services.send_due() == 2
    assert sorted(recorder.calls) == pks


# --------------------------------------------------------------------------- reading


def test_opening_marks_read_once_and_only_by_its_addressee(estate, at):
    owner = OwnerFactory(user=UserFactory())
    message = tell([owner], subject=estate)
    inbox = Delivery.objects.get(message=message, channel=Channel.INBOX)
    with pytest.raises(PermissionDenied):
        services.mark_read(actor=UserFactory(), delivery=inbox)
    with pytest.raises(PermissionDenied):  # the SMS row is not an inbox message
        services.mark_read(actor=owner.user, delivery=Delivery.objects.get(message=message, channel=Channel.SMS))
    first = at(local(2, 9))
    services.mark_read(actor=owner.user, delivery=inbox)
    at(local(2, 10))
    services.mark_read(actor=owner.user, delivery=Delivery.objects.get(pk=inbox.pk))
    inbox.refresh_from_db()
    assert (inbox.status, inbox.read_at) == (DeliveryStatus.READ, first)
    assert selectors.reached_owner_ids(estate, Event.VOTE_CONVENED) == {owner.pk}


def test_read_all_reads_only_the_actors_inbox(estate):
    mine, theirs = UserFactory(), UserFactory()
    for n in range(3):
        tell([mine, theirs], subject=estate, key=f"k{n}")
    assert services.mark_all_read(actor=mine) == 3
    assert selectors.unread_count(mine) == 0 and selectors.unread_count(theirs) == 3


def test_delivery_figures_count_each_channel_by_status(estate, recorder):
    owners = [OwnerFactory(user=UserFactory(email=f"{n}@example.cn")) for n in range(2)] + [OwnerFactory()]
    tell(owners, subject=estate)
    services.send_due()
    assert selectors.delivery_figures(estate, Event.VOTE_CONVENED) == {
        "inbox": {"sent": 2},
        "sms": {"sent": 3},
        "email": {"sent": 2},
    }
    assert selectors.reached_owner_ids(estate, Event.VOTE_CONVENED) == {o.pk for o in owners}


def test_querysets_of_owners_and_accounts_are_told_like_lists(estate):
    owners = [OwnerFactory(user=UserFactory(email=f"q{n}@example.cn")) for n in range(3)] + [OwnerFactory()]
    staff = UserFactory(email="staff@example.cn")
    services.set_preferences(actor=owners[0].user, sms=False, email=True)
    as_lists = tell([*owners, staff, owners[1].user], subject=estate)
    as_querysets = tell(Owner.objects.filter(pk__in=[o.pk for o in owners]), subject=EstateFactory())
    accounts = tell(get_user_model().objects.filter(pk__in=[staff.pk]), subject=EstateFactory())
    assert told(as_querysets) == {row for row in told(as_lists) if row[0] is not None}
    assert told(accounts) == {(None, staff.pk, INBOX), (None, staff.pk, EMAIL)}
