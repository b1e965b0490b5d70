"""``notify`` is how every app tells people something; the rest sends, retries and reads.

``notify(event=…, recipients=…, title=…, body=…, subject=…)`` records one ``Message`` and a
``Delivery`` per recipient and channel in one transaction, then hands the sending to the
task ``notifications.send_message`` once that transaction commits. Channels per recipient:

* the inbox, for every recipient with an account (in it at once; "read" when opened);
* SMS, to the mobile the registry holds for an owner, unless the owner's account turned it
  off; never between 22:00 and 08:00 unless the message is urgent (it waits for 08:00);
* e-mail, to the account's address, unless turned off.

A failed send is tried again with backoff (1, 2, 4, 8 minutes), five attempts in all, then
recorded as failed with the channel's reason. Telling the same event about the same thing
twice (a task run twice) records nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access, duties, jobs
from community.models import Owner

from . import channels
from .models import Channel, Delivery, DeliveryStatus, Event, Message, Preference

logger = logging.getLogger(__name__)

QUIET_FROM, QUIET_UNTIL = 22, 8  # local hours with no SMS unless urgent
MAX_ATTEMPTS = 5
BATCH = 2000  # deliveries sent per locked batch (and per transaction)


def quiet(at: datetime) -> bool:
    hour = timezone.localtime(at).hour
    return hour >= QUIET_FROM or hour < QUIET_UNTIL


def after_quiet(at: datetime) -> datetime:
    """The first moment SMS may be sent again: 08:00 local of the same or the next day."""
    local = timezone.localtime(at)
    morning = local.replace(hour=QUIET_UNTIL, minute=0, second=0, microsecond=0)
    return morning if local < morning else morning + timedelta(days=1)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** (attempts - 1))


def _key(event: str, subject, key: str | None) -> str:
    if key:
        return key
    if subject is None:
        raise ValueError("notify needs a subject or a key, so that telling twice records once")
    return f"{event}:{subject._meta.label_lower}:{subject.pk}"


@transaction.atomic
def notify(
    *, event: str, recipients, title: str, body: str, link: str = "", subject=None, urgent: bool = False, key=None
) -> Message | None:
    """Tell ``recipients`` (owners and/or user accounts, or a queryset of either) about ``event``.
    Returns the message, or None when this event about this subject was told already."""
    key = _key(event, subject, key)
    if Message.objects.filter(key=key).exists():
        return None
    now = timezone.now()
    message = Message.objects.create(
        event=event,
        title=title,
        body=body,
        link=link,
        urgent=urgent,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        key=key,
        created_at=now,
    )
    owners, users = _recipients(recipients)
    account_ids = set(users) | {user_id for user_id, _mobile in owners.values() if user_id}
    # {account: (e-mail, SMS wanted, e-mail wanted)}; no preference row means both wanted
    accounts = {
        pk: (email, sms is not False, mail is not False)
        for pk, email, sms, mail in get_user_model()
        .objects.filter(pk__in=account_ids)
        .values_list("pk", "email", "notification_preference__sms", "notification_preference__email")
    }
    sms_at = after_quiet(now) if quiet(now) and not urgent else now

    # Plain rows in one executemany per 5,000: at an estate's thousands of owners, model instances
    # and the ORM's multi-row INSERTs (SQLite allows ~80 rows each) would cost more than the writing,
    # and the query count would grow with the recipients. Every value goes through its field.
    at_now = Delivery._meta.get_field("created_at").get_db_prep_save(now, connection)
    at_sms = Delivery._meta.get_field("next_try_at").get_db_prep_save(sms_at, connection)
    sent, queued = DeliveryStatus.SENT.value, DeliveryStatus.QUEUED.value
    rows, mid = [], message.pk

    def add_account(owner_id, user_id, mobile=""):
        email, wants_sms, wants_email = accounts.get(user_id, ("", True, True))
        if user_id:
            rows.append((mid, owner_id, user_id, Channel.INBOX.value, "", sent, 0, "", None, at_now, at_now))
        if mobile and wants_sms:
            rows.append((mid, owner_id, user_id, Channel.SMS.value, mobile, queued, 0, "", at_sms, at_now, None))
        if email and wants_email:
            rows.append((mid, owner_id, user_id, Channel.EMAIL.value, email, queued, 0, "", at_now, at_now, None))

    for owner_id, (user_id, mobile) in owners.items():
        add_account(owner_id, user_id, mobile)
        users.pop(user_id, None)  # an owner's own account is told once, as the owner
    for user_id in users:
        add_account(None, user_id)
    _insert_deliveries(rows)
    if any(row[5] == queued for row in rows):
        transaction.on_commit(lambda: jobs.enqueue("notifications.send_message", message.pk))
    return message


def _recipients(recipients) -> tuple[dict[int, tuple[int | None, str]], dict[int, None]]:
    """({owner id: (account id, mobile)}, {account id: None}), each once, in the order given.
    A queryset (of owners or of accounts) is read as plain values, not as model instances."""
    owners: dict[int, tuple[int | None, str]] = {}
    users: dict[int, None] = {}
    if isinstance(recipients, QuerySet):
        if issubclass(recipients.model, Owner):
            for pk, user_id, mobile in recipients.values_list("pk", "user_id", "mobile"):
                owners.setdefault(pk, (user_id, mobile))
        else:
            users = dict.fromkeys(recipients.values_list("pk", flat=True))
        return owners, users
    for recipient in recipients:
        if isinstance(recipient, Owner):
            owners.setdefault(recipient.pk, (recipient.user_id, recipient.mobile))
        else:
            users.setdefault(recipient.pk, None)
    return owners, users


DELIVERY_COLUMNS = (
    "message",
    "owner",
    "user",
    "channel",
    "address",
    "status",
    "attempts",
    "reason",
    "next_try_at",
    "created_at",
    "sent_at",
)
INSERT_CHUNK = 5000


def _insert_deliveries(rows: list[tuple]) -> None:
    """Insert delivery rows (values in ``DELIVERY_COLUMNS`` order, already prepared for the
    database) in one executemany per ``INSERT_CHUNK``; the database's constraints check each."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Delivery._meta.get_field(name).column) for name in DELIVERY_COLUMNS)
    value_marks = ", ".join(["%s"] * len(DELIVERY_COLUMNS))
    sql = f"INSERT INTO {quote(Delivery._meta.db_table)} ({columns}) VALUES ({value_marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            cursor.executemany(sql, rows[start : start + INSERT_CHUNK])


@dataclass(slots=True)
class Outgoing:
    """A due delivery as a channel gets it: read as plain values, its message shared by the batch."""

    pk: int
    channel: str
    address: str
    attempts: int
    message: Message


def _text(delivery: Outgoing) -> str:
    message = delivery.message
    link = f"{settings.SITE_URL.rstrip('/')}{message.link}" if message.link.startswith("/") else message.link
    if delivery.channel == Channel.SMS:
        return f"【{settings.SMS_SIGN_NAME}】{message.title}" + (f" {link}" if link else "")
    return f"{message.body}\n\n{link}".strip()


def send_due(*, message_id: int | None = None, now: datetime | None = None) -> int:
    """Send the SMS and e-mail deliveries that are due (of one message, or all), in batches,
    each batch locked so two workers never send the same delivery. Returns how many went."""
    now = now or timezone.now()
    due = Delivery.objects.filter(status=DeliveryStatus.QUEUED, next_try_at__lte=now).exclude(channel=Channel.INBOX)
    if message_id is not None:
        due = due.filter(message_id=message_id)
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                due.select_for_update(skip_locked=True)
                .order_by("next_try_at", "pk")  # the (status, next_try_at) index: due first, no scan
                .values_list("pk", "channel", "address", "attempts", "message_id")[:BATCH]
            )
            if not rows:
                return sent
            messages = Message.objects.in_bulk({row[4] for row in rows})
            batch = [Outgoing(pk, channel, address, tries, messages[mid]) for pk, channel, address, tries, mid in rows]
            sent += _send_batch(batch, now)
        if len(rows) < BATCH:  # that was the last of them (what another worker holds is its own)
            return sent


SWEEP = timedelta(minutes=1)  # how often the scheduled send_due runs (community.schedule)


def send_due_through(*, until: datetime) -> int:
    """Make the sends the every-minute sweep would have made up to ``until``, minute by minute
    from the oldest due delivery (retries after their backoff, texts held to 08:00): a catch-up
    after the workers were stopped, and how the demo ages its texts. Returns how many went."""
    sent = 0
    pending = Delivery.objects.filter(status=DeliveryStatus.QUEUED, next_try_at__lte=until).exclude(
        channel=Channel.INBOX
    )
    at = None
    while (first := pending.aggregate(at=Min("next_try_at"))["at"]) is not None:
        at = first if at is None else max(first, at + SWEEP)  # skip the idle minutes, never go back
        sent += send_due(now=min(at, until))
        if at >= until:
            return sent
    return sent


def _send_batch(batch: list[Outgoing], now: datetime) -> int:
    postponed = [d for d in batch if d.channel == Channel.SMS and not d.message.urgent and quiet(now)]
    if postponed:  # held over the night: not an attempt
        Delivery.objects.filter(pk__in=[d.pk for d in postponed]).update(next_try_at=after_quiet(now))
    waiting = {d.pk for d in postponed}
    outcomes: dict[int, str] = {}
    texts: dict[tuple[int, str], str] = {}

    def text(delivery):  # one text per message and channel, however many deliveries carry it
        key = (delivery.message.pk, delivery.channel)
        if key not in texts:
            texts[key] = _text(delivery)
        return texts[key]

    for channel, send in (
        (Channel.SMS, lambda b: channels.sms_backend().send(b)),
        (Channel.EMAIL, channels.send_email),
    ):
        group = [d for d in batch if d.channel == channel and d.pk not in waiting]
        if not group:
            continue
        try:
            reasons = send([(d, text(d)) for d in group])
        except Exception as exc:  # a channel that cannot work at all (SMTP down, gateway unset)
            # fails this attempt of each of its deliveries; what the other channel sent is still recorded
            logger.exception("notifications: the %s channel failed for a batch of %d", channel, len(group))
            reasons = [_("发送失败：%(error)s") % {"error": str(exc) or exc.__class__.__name__}] * len(group)
        outcomes.update(zip((d.pk for d in group), reasons, strict=True))
    went = [pk for pk, reason in outcomes.items() if not reason]
    if went:
        Delivery.objects.filter(pk__in=went).update(
            status=DeliveryStatus.SENT, sent_at=now, attempts=F("attempts") + 1, reason="", next_try_at=None
        )
    failures: dict[tuple[int, str], list[int]] = {}
    for delivery in batch:
        reason = outcomes.get(delivery.pk)
        if reason:
            failures.setdefault((delivery.attempts + 1, reason[:300]), []).append(delivery.pk)
    for (tries, reason), pks in failures.items():  # one UPDATE per attempt count and reason
        last = tries >= MAX_ATTEMPTS
        Delivery.objects.filter(pk__in=pks).update(
            attempts=tries,
            reason=reason,
            status=DeliveryStatus.FAILED if last else DeliveryStatus.QUEUED,
            next_try_at=None if last else now + backoff(tries),
        )
    return len(went)


def mark_read(*, actor, delivery: Delivery) -> Delivery:
    """Open an inbox message: read from now on (the first opening is the one recorded)."""
    if delivery.user_id != actor.pk or delivery.channel != Channel.INBOX:
        raise PermissionDenied
    if delivery.status != DeliveryStatus.READ:
        delivery.status, delivery.read_at = DeliveryStatus.READ, timezone.now()
        Delivery.objects.filter(pk=delivery.pk).update(status=delivery.status, read_at=delivery.read_at)
    return delivery


def mark_all_read(*, actor) -> int:
    return Delivery.objects.filter(user=actor, channel=Channel.INBOX, status=DeliveryStatus.SENT).update(
        status=DeliveryStatus.READ, read_at=timezone.now()
    )


def set_preferences(*, actor, sms: bool, email: bool) -> str:
    Preference.objects.update_or_create(user=actor, defaults={"sms": sms, "email": email})
    return _("通知方式已保存。")


def watch_duties(*, on=None) -> int:
    """The daily watch: bring the duty list's copy up to date, then tell the people who answer for
    each overdue duty, once per duty (``key=duty:<key>``; a duty with nobody to answer for it yet
    waits until someone does). Returns how many duties were told."""
    on = on or timezone.localdate()
    found = duties.due(on)
    duties.refresh(on, found)
    told, people = 0, {}
    overdue = [d for d in found if d.overdue(on)]
    already = set(Message.objects.filter(key__in=[f"duty:{d.key}" for d in overdue]).values_list("key", flat=True))
    for duty in overdue:
        key = f"duty:{duty.key}"
        if key in already:
            continue
        scope = (duty.perm, type(duty.node), duty.node.pk)
        if scope not in people:
            people[scope] = list(access.holders(duty.perm, duty.node))
        if not people[scope]:
            continue
        late = duty.days_overdue(on)
        message = notify(
            event=Event.DUTY_OVERDUE,
            recipients=people[scope],
            title=(_("已逾期：%(what)s") % {"what": duty.what})[:200],
            body=_("%(what)s的最后一日是 %(day)s，已逾期 %(n)s 天，请尽快办理。")
            % {"what": duty.what, "day": f"{duty.last_day:%Y-%m-%d}", "n": late},
            link=duty.link,
            key=key,
        )
        told += message is not None
    return told
