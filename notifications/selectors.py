"""Reads: a user's inbox, and who a message about something has reached."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.http import Http404

from .models import Channel, Delivery, DeliveryStatus, Preference


def inbox(user):
    return (
        Delivery.objects.filter(user=user, channel=Channel.INBOX)
        .select_related("message")
        .order_by("-message__created_at", "-pk")
    )


def channel_choices(user) -> dict[str, bool]:
    """The account's SMS and e-mail choices; both on until it chooses."""
    chosen = Preference.objects.filter(user=user).values("sms", "email").first()
    return chosen or {"sms": True, "email": True}


def unread_count(user) -> int:
    return Delivery.objects.filter(user=user, channel=Channel.INBOX, status=DeliveryStatus.SENT).count()


def inbox_item_or_404(user, pk: int) -> Delivery:
    found = inbox(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# A delivery has reached its owner when a text or an e-mail was sent, or the inbox message opened.
REACHED = Q(channel__in=(Channel.SMS, Channel.EMAIL), status=DeliveryStatus.SENT) | Q(
    channel=Channel.INBOX, status=DeliveryStatus.READ
)


def deliveries_about(subject, event: str):
    return Delivery.objects.filter(
        message__subject_type=ContentType.objects.get_for_model(subject),
        message__subject_id=subject.pk,
        message__event=event,
    )


def reached_owner_ids(subject, event: str) -> set[int]:
    """The owners a message about ``subject`` has reached through at least one channel."""
    return set(deliveries_about(subject, event).filter(REACHED, owner__isnull=False).values_list("owner_id", flat=True))


def delivery_figures(subject, event: str) -> dict[str, dict[str, int]]:
    """Per channel, how many deliveries are in each status."""
    figures: dict[str, dict[str, int]] = {}
    for row in deliveries_about(subject, event).values("channel", "status").annotate(n=Count("pk")).order_by():
        figures.setdefault(row["channel"], {})[row["status"]] = row["n"]
    return figures
