"""Sending notifications off the request."""

from __future__ import annotations

from community import jobs

from . import services


@jobs.task(name="notifications.send_message")
def send_message(message_id: int) -> int:
    """Send one message's due SMS and e-mail deliveries (queued by ``notify``)."""
    return services.send_due(message_id=message_id)


@jobs.task(name="notifications.send_due")
def send_due() -> int:
    """Every minute: retries whose backoff has passed, SMS held over the night, and anything
    queued while the broker was down."""
    return services.send_due()


@jobs.task(name="notifications.watch_duties")
def watch_duties() -> int:
    """Every morning: tell those who answer for each legal deadline past its last day, once."""
    return services.watch_duties()
