"""The API's background work: pushing case changes to webhooks and fetching a case's photos
from the addresses its client gave."""

from __future__ import annotations

from community import jobs

from . import case_photos, webhooks


@jobs.task(name="api.deliver_webhook")
def deliver_webhook(delivery_id: int) -> str:
    """The first try of one delivery; retries are the sweep's (``send_due_webhooks``)."""
    return webhooks.attempt(delivery_id)


@jobs.task(name="api.send_due_webhooks")
def send_due_webhooks() -> int:
    """Every minute: deliveries whose backoff has passed, and any queued while the broker was down."""
    return webhooks.send_due()


@jobs.task(name="api.fetch_case_photo")
def fetch_case_photo(case_id: int, url: str) -> str:
    """Fetch one report photo of a city-platform case from its address, check it and keep it."""
    return case_photos.fetch(case_id, url)
