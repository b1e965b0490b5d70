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

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community import jobs
from community.models import Owner

from . import channels
from .models import Channel, Delivery, DeliveryStatus, Message, Preference

QUIET_FROM, QUIET_UNTIL = 22, 8  # local hours with no SMS unless urgent
MAX_ATTEMPTS = 5
BATCH = 500


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
    """Tell ``recipients`` (owners and/or user accounts) about ``event``. Returns the message,
    or None when this event about this subject was told already."""
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
    owners, users = {}, {}
    for recipient in recipients:
        if isinstance(recipient, Owner):
            owners.setdefault(recipient.pk, recipient)
        else:
            users.setdefault(recipient.pk, recipient)
    account_ids = set(users) | {o.user_id for o in owners.values() if o.user_id}
    emails = dict(get_user_model().objects.filter(pk__in=account_ids).values_list("pk", "email"))
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=account_ids)}
    sms_at = after_quiet(now) if quiet(now) and not urgent else now

    rows = []

    def add(owner_id, user_id, channel, address="", at=None):
        inbox = channel == Channel.INBOX
        rows.append(
            Delivery(
                message=message,
                owner_id=owner_id,
                user_id=user_id,
                channel=channel,
                address=address,
                status=DeliveryStatus.SENT if inbox else DeliveryStatus.QUEUED,
                sent_at=now if inbox else None,
                next_try_at=None if inbox else at or now,
                created_at=now,
            )
        )

    def add_account(owner_id, user_id, mobile=""):
        pref = prefs.get(user_id)
        if user_id:
            add(owner_id, user_id, Channel.INBOX)
        if mobile and (pref is None or pref.sms):
            add(owner_id, user_id, Channel.SMS, mobile, sms_at)
        email = emails.get(user_id, "") if user_id else ""
        if email and (pref is None or pref.email):
            add(owner_id, user_id, Channel.EMAIL, email)

    for owner in owners.values():
        add_account(owner.pk, owner.user_id, owner.mobile)
        users.pop(owner.user_id, None)  # an owner's own account is told once, as the owner
    for user in users.values():
        add_account(None, user.pk)
    Delivery.objects.bulk_create(rows, batch_size=BATCH)
    if any(row.status == DeliveryStatus.QUEUED for row in rows):
        transaction.on_commit(lambda: jobs.enqueue("notifications.send_message", message.pk))
    return message


def _text(delivery: Delivery) -> str:
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
            batch = list(
                due.select_for_update(skip_locked=True, of=("self",)).select_related("message").order_by("pk")[:BATCH]
            )
            if not batch:
                return sent
            sent += _send_batch(batch, now)


def _send_batch(batch: list[Delivery], now: datetime) -> int:
    postponed = [d for d in batch if d.channel == Channel.SMS and not d.message.urgent and quiet(now)]
    if postponed:
        Delivery.objects.filter(pk__in=[d.pk for d in postponed]).update(next_try_at=after_quiet(now))
    waiting = {d.pk for d in postponed}
    outcomes: dict[int, str] = {}
    for channel, send in (
        (Channel.SMS, lambda b: channels.sms_backend().send(b)),
        (Channel.EMAIL, channels.send_email),
    ):
        group = [d for d in batch if d.channel == channel and d.pk not in waiting]
        if group:
            outcomes.update(zip((d.pk for d in group), send([(d, _text(d)) for d in group]), strict=True))
    went = [pk for pk, reason in outcomes.items() if not reason]
    if went:
        Delivery.objects.filter(pk__in=went).update(
            status=DeliveryStatus.SENT, sent_at=now, attempts=F("attempts") + 1, reason="", next_try_at=None
        )
    for delivery in batch:
        reason = outcomes.get(delivery.pk)
        if not reason:
            continue
        tries = delivery.attempts + 1
        last = tries >= MAX_ATTEMPTS
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=tries,
            reason=reason[:300],
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
