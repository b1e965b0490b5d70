"""Case changes pushed to the clients' webhooks, signed, through the job queue, every try recorded.

Who hears of a case: the active webhooks of the clients (not revoked) that may see it, that is
a city-platform case (``Source.CITY``) on an estate in the client's scope. A change is grid's
``case_changed`` signal (sent after commit); for each such webhook one ``WebhookDelivery`` is
written (once per event: ``event_id`` is unique per webhook) and handed to ``api.deliver_webhook``.

A push is a POST of ``{"event", "event_id", "occurred_at", "case": {...}}`` (UTF-8 JSON) with

    X-Estate-Event: case.moved
    X-Estate-Timestamp: 1764781234            (seconds since the epoch, when it was sent)
    X-Estate-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

The receiver recomputes the HMAC over the timestamp header, a dot and the raw body with its
secret and compares in constant time; it refuses a timestamp more than five minutes from its
own clock and an ``event_id`` it has already accepted (a replay). Any 2xx answer is delivered;
anything else (or no answer within 10 s) is tried again after 1, 2, 4, 8 … minutes, up to
``API_WEBHOOK_MAX_ATTEMPTS`` tries, then the delivery is marked failed. The retries are found by
``send_due`` (the task ``api.send_due_webhooks``, every minute), which also hands over anything
queued while the broker was down.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, jobs
from community.locks import lock_one
from grid.models import GridCase, Source

from .models import DeliveryStatus, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

TIMEOUT = 10
REPLAY_WINDOW = timedelta(minutes=5)
BAD_URL = _("推送地址须以 https:// 开头（测试和演示环境可对指定主机使用 http://）。")
URL_TOO_LONG = _("推送地址最多 300 个字符。")


def checked_url(url: str, *, https_only_unless=None) -> str:
    """An absolute https address (http only to the hosts in ``API_PLAIN_HTTP_HOSTS``); else a
    ValidationError in Chinese."""
    url = (url or "").strip()
    if len(url) > 300:
        raise ValidationError(URL_TOO_LONG)
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValidationError(BAD_URL) from None
    plain = https_only_unless if https_only_unless is not None else settings.API_PLAIN_HTTP_HOSTS
    if not host or parts.username or parts.password:
        raise ValidationError(BAD_URL)
    if parts.scheme == "https" or (parts.scheme == "http" and host in plain):
        return url
    raise ValidationError(BAD_URL)


INTERNAL = _("推送地址不能指向本机或内部网络（%(host)s）。")
UNRESOLVED = _("推送地址的主机名无法解析：%(host)s。")
LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".lan", ".home.arpa")


def refuse_internal(url: str, *, resolve: bool) -> None:
    """A webhook is pushed by our worker from inside the network: its host must be public. A
    host in ``API_PLAIN_HTTP_HOSTS`` (the deployment's own list, for tests and the demo) is let
    through. ``resolve``: also look the name up and refuse it when any address it has is not a
    public one (done before every push, so a name later pointed inward is caught then)."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host in settings.API_PLAIN_HTTP_HOSTS:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host == LOCAL_NAMES[0] or host.endswith(LOCAL_NAMES[1:]) or "." not in host:
            raise ValidationError(INTERNAL, params={"host": host}) from None
        if not resolve:
            return
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise ValidationError(UNRESOLVED, params={"host": host}) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not addresses or not all(address.is_global for address in addresses):
        raise ValidationError(INTERNAL, params={"host": host})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with the webhook's secret over ``f"{timestamp}.{body}"``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None) -> bool:
    """What a receiver does (and the tests' receiver does): the signature matches and the
    timestamp is within five minutes. Refusing an ``event_id`` seen before is the receiver's too."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    if age > REPLAY_WINDOW.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** (attempts - 1))


def body_of(delivery: WebhookDelivery) -> bytes:
    content = {
        "event": delivery.event,
        "event_id": delivery.event_id,
        "occurred_at": delivery.created_at,
        "case": delivery.payload,
    }
    return json.dumps(content, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


# --------------------------------------------------------------------------- fan-out


def hearing(case: GridCase):
    """The active webhooks of live clients that may see ``case``."""
    if case.source != Source.CITY:
        return []
    hooks = Webhook.objects.filter(
        active=True, client__revoked_at__isnull=True, client__account__is_active=True
    ).select_related("client__account")
    return [hook for hook in hooks if access.can(hook.client.account, access.VIEW, case)]


def on_case_changed(sender, *, case_id: int, step_id: int | None, event: str, **kwargs) -> None:
    """grid's ``case_changed``: one delivery per webhook that may hear of the case, queued."""
    from .case_serializers import case_payload

    case = GridCase.objects.select_related("estate", "handling_unit").filter(pk=case_id).first()
    if case is None:
        return
    hooks = hearing(case)
    if not hooks:
        return
    payload = case_payload(case)
    event_id = f"case-{case.pk}-step-{step_id}"
    queued = []
    for hook in hooks:
        try:
            with transaction.atomic():
                delivery, made = WebhookDelivery.objects.get_or_create(
                    webhook=hook, event_id=event_id, defaults={"event": event, "payload": payload}
                )
        except IntegrityError:  # the same event fanned out twice at once
            continue
        if made:
            queued.append(delivery.pk)
    for pk in queued:
        jobs.enqueue("api.deliver_webhook", pk)


def connect() -> None:
    from grid.signals import case_changed

    case_changed.connect(on_case_changed, dispatch_uid="api.webhooks.on_case_changed")


# --------------------------------------------------------------------------- sending


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer, not an address to follow


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _refusal(hook: Webhook, delivery: WebhookDelivery) -> str:
    """Why this push must not go out now, or "": the address turned inward, or the client no
    longer sees the case (its scope narrowed after the event was queued)."""
    try:
        refuse_internal(hook.url, resolve=True)
    except ValidationError as exc:
        return " ".join(exc.messages)
    case = GridCase.objects.filter(pk=delivery.payload.get("id")).select_related("estate").first()
    if case is None or not access.can(hook.client.account, access.VIEW, case.estate):
        return str(_("客户端已无权查看该案件。"))
    return ""


def attempt(delivery_id: int, *, now: datetime | None = None, due_only: bool = False) -> str:
    """One try of one delivery (locked, so the task and the sweep never send it twice at once;
    ``due_only``: not before its backoff has passed). Returns its status after the try."""
    with transaction.atomic():
        delivery = lock_one(WebhookDelivery, pk=delivery_id)
        if delivery.status != DeliveryStatus.PENDING:
            return delivery.status
        now = now or timezone.now()
        if due_only and delivery.attempts and delivery.last_attempt_at + backoff(delivery.attempts) > now:
            return delivery.status  # tried meanwhile by its own task
        hook = Webhook.objects.select_related("client").get(pk=delivery.webhook_id)
        if not hook.active or hook.client.revoked_at:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, str(_("推送地址已停用。"))
            delivery.save(update_fields=["status", "last_error"])
            return delivery.status
        refusal = _refusal(hook, delivery)
        if refusal:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, refusal[:300]
            delivery.save(update_fields=["status", "last_error"])
            return delivery.status
        body = body_of(delivery)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "estate-governance-webhook/1",
            "X-Estate-Event": delivery.event,
            "X-Estate-Event-Id": delivery.event_id,
            "X-Estate-Timestamp": timestamp,
            "X-Estate-Signature": sign(hook.secret, timestamp, body),
        }
        code, error = None, ""
        try:
            code = _post(hook.url, body, headers)
        except (OSError, ValueError) as exc:  # refused, timed out, unreachable
            error = str(getattr(exc, "reason", exc))
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_code = code
        if code is not None and 200 <= code < 300:
            delivery.status, delivery.delivered_at, delivery.last_error = DeliveryStatus.DELIVERED, now, ""
        else:
            delivery.last_error = (error or f"HTTP {code}")[:300]
            if delivery.attempts >= settings.API_WEBHOOK_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
        delivery.save(
            update_fields=["attempts", "last_attempt_at", "response_code", "status", "delivered_at", "last_error"]
        )
        return delivery.status


def send_due(*, now: datetime | None = None) -> int:
    """Every pending delivery whose backoff has passed (never tried: at once). Returns the tries."""
    now = now or timezone.now()
    due = []
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(attempts=0) | Q(last_attempt_at__isnull=False)
    )
    for pk, attempts, last in pending.values_list("pk", "attempts", "last_attempt_at").order_by("created_at", "pk"):
        if attempts == 0 or last + backoff(attempts) <= now:
            due.append(pk)
    for pk in due:
        attempt(pk, now=now, due_only=True)
    return len(due)
