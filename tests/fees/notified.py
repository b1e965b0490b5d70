"""What a service told, read back from the notification records (shared by the fees, fund,
mediation and grid tests)."""

from notifications.models import Delivery, Message


def messages(event: str) -> list[Message]:
    return list(Message.objects.filter(event=event).order_by("pk"))


def told(message: Message) -> set[tuple]:
    """(owner id or None, user id or None, channel) for each of the message's deliveries."""
    return set(message.deliveries.values_list("owner_id", "user_id", "channel"))


def owners_told(message: Message) -> set[int]:
    return set(message.deliveries.exclude(owner=None).values_list("owner_id", flat=True))


def users_told(message: Message) -> set[int]:
    return set(message.deliveries.exclude(user=None).values_list("user_id", flat=True))


def delivery_count() -> int:
    return Delivery.objects.count()
