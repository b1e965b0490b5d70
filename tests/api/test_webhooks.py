"""Webhooks: a client registers a URL and gets its secret once; case changes are pushed, signed,
through the job queue; a receiver on 127.0.0.1 verifies the signature and refuses a replay; a
500 is tried again with backoff and every try is recorded; only clients whose scope covers the
case hear of it."""

import json
import time
from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from api import services as api_services
from api import webhooks
from api.models import DeliveryStatus, Webhook, WebhookDelivery
from community.models import AuditEvent, Role
from grid import services as grid
from grid.models import GridCase
from tests.api import case_helpers
from tests.api.case_helpers import register
from tests.grid.helpers import department

city, other_city, receiver = case_helpers.city, case_helpers.other_city, case_helpers.receiver
LOCAL = override_settings(API_PLAIN_HTTP_HOSTS=["127.0.0.1"])
HOOKS = "/api/v1/webhooks/"


def _hook(registered, url):
    response = registered.api().post(HOOKS, {"url": url}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _report(registered, world, ref="W1", estate=None):
    response = registered.api().post(
        "/api/v1/cases/",
        {"estate": (estate or world.e1).pk, "category": "safety", "description": "消防通道堆物", "external_ref": ref},
        format="json",
    )
    assert response.status_code == 201, response.content
    return GridCase.objects.get(pk=response.json()["id"])


@LOCAL
def test_case_changes_reach_the_receiver_signed(world, city, receiver, django_capture_on_commit_callbacks):
    made = _hook(city, receiver.url)
    receiver.secret = made["secret"]
    assert "secret" not in city.api().get(HOOKS).json()[0]  # shown once
    with django_capture_on_commit_callbacks(execute=True):
        case = _report(city, world)
    with django_capture_on_commit_callbacks(execute=True):
        grid.dispatch_case(actor=world.users[Role.COMMUNITY_STAFF], case=case, unit=department(world))
    events = [event for _headers, _body, event in receiver.accepted]
    assert [e["event"] for e in events] == ["case.reported", "case.moved"]
    assert events[1]["case"]["status"] == "dispatched" and events[1]["case"]["number"] == case.number
    headers, body, _event = receiver.accepted[1]
    assert headers["X-Estate-Signature"] == webhooks.sign(receiver.secret, headers["X-Estate-Timestamp"], body)
    deliveries = WebhookDelivery.objects.order_by("pk")
    assert [(d.status, d.attempts, d.response_code) for d in deliveries] == [("delivered", 1, 200)] * 2
    # A replay of the same push is refused by the receiver (the event was seen), and a
    # forged or stale one fails the check.
    webhooks.WebhookDelivery.objects.filter(pk=deliveries[1].pk).update(status=DeliveryStatus.PENDING)
    webhooks.attempt(deliveries[1].pk)
    assert len(receiver.refused) == 1 and WebhookDelivery.objects.get(pk=deliveries[1].pk).response_code == 409
    stamp = headers["X-Estate-Timestamp"]
    assert not webhooks.verify("wrong", stamp, body, headers["X-Estate-Signature"])
    assert not webhooks.verify(receiver.secret, stamp, body, headers["X-Estate-Signature"], now=int(stamp) + 301)
    assert webhooks.verify(receiver.secret, stamp, body, headers["X-Estate-Signature"], now=int(stamp) + 299)


@LOCAL
def test_a_500_is_tried_again_with_backoff_then_given_up(world, city, receiver, django_capture_on_commit_callbacks):
    receiver.secret = _hook(city, receiver.url)["secret"]
    receiver.fail_first = 2
    with django_capture_on_commit_callbacks(execute=True):
        _report(city, world)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert webhooks.send_due(now=timezone.now()) == 0  # its backoff (1 minute) has not passed
    webhooks.send_due(now=timezone.now() + timedelta(minutes=1, seconds=1))
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code, delivery.last_error) == (2, 500, "HTTP 500")
    webhooks.send_due(now=timezone.now() + timedelta(minutes=10))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert delivery.delivered_at is not None and len(receiver.accepted) == 1
    # A receiver that never answers well: failed after the last try.
    receiver.fail_first = 10**6
    with override_settings(API_WEBHOOK_MAX_ATTEMPTS=2):
        with django_capture_on_commit_callbacks(execute=True):
            case = _report(city, world, ref="W2")
        late = WebhookDelivery.objects.get(event_id__startswith=f"case-{case.pk}-")
        webhooks.send_due(now=timezone.now() + timedelta(minutes=5))
    late.refresh_from_db()
    assert (late.status, late.attempts) == ("failed", 2)


@LOCAL
def test_only_clients_whose_scope_covers_the_case_hear_of_it(world, city, other_city, receiver):
    street_elsewhere = register(world.e4.street, name="另一街道平台")
    for registered in (city, other_city, street_elsewhere):
        _hook(registered, receiver.url)
    case = _report(city, world)
    webhooks.on_case_changed("grid", case_id=case.pk, step_id=case.steps.get().pk, event="case.reported")
    assert list(WebhookDelivery.objects.values_list("webhook__client", flat=True)) == [city.client.pk]
    # A grid worker's own report is not pushed to anyone.
    own = grid.report_case(actor=None, estate=world.e1, category="safety", description="x", photos=[_png()])
    webhooks.on_case_changed("grid", case_id=own.pk, step_id=None, event="case.reported")
    assert WebhookDelivery.objects.count() == 1


def _png():
    from tests.grid.helpers import png

    return png()


@pytest.mark.parametrize(
    "url",
    ["http://example.org/hook", "ftp://example.org/x", "not a url", "https://user:pw@example.org/x", ""],
)
def test_a_webhook_must_be_https_refused_in_chinese(world, city, url):
    response = city.api().post(HOOKS, {"url": url}, format="json")
    assert response.status_code == 400 and "https" in response.content.decode() or "url" in response.json()
    assert not Webhook.objects.exists()


def test_a_client_stops_its_webhook_and_cannot_touch_another(world, city, other_city):
    made = _hook(city, "https://platform.example.org/hook")
    assert other_city.api().delete(f"{HOOKS}{made['id']}/").status_code == 404
    assert city.api().delete(f"{HOOKS}{made['id']}/").status_code == 204
    assert not Webhook.objects.get().active and city.api().get(HOOKS).json() == []
    assert AuditEvent.objects.filter(action="api_webhook").count() == 2


def test_webhook_services_check_who_acts(world, city):
    from django.core.exceptions import PermissionDenied

    for role in (Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMPANY_STAFF):
        with pytest.raises(PermissionDenied):
            api_services.register_webhook(actor=world.users[role], client=city.client, url="https://a.example.org/")
    api_services.register_webhook(
        actor=world.users[Role.DISTRICT_ADMIN], client=city.client, url="https://a.example.org/"
    )
    assert Webhook.objects.count() == 1


def test_the_body_is_the_documented_shape(world, city):
    hook, secret = api_services.register_webhook(actor=None, client=city.client, url="https://a.example.org/")
    case = _report(city, world)
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="case.reported", event_id="e1", payload={"id": case.pk}
    )
    body = json.loads(webhooks.body_of(delivery))
    assert set(body) == {"event", "event_id", "occurred_at", "case"} and body["case"] == {"id": case.pk}
    stamp = str(int(time.time()))
    assert webhooks.verify(
        secret, stamp, webhooks.body_of(delivery), webhooks.sign(secret, stamp, webhooks.body_of(delivery))
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:8443/hook",
        "https://169.254.169.254/latest",
        "https://10.0.0.1/hook",
        "https://[::1]/hook",
        "https://localhost:6443/hook",
        "https://redis.internal/hook",
        "https://intranet/hook",
    ],
)
def test_a_webhook_may_not_point_inside_the_network(world, city, url):
    response = city.api().post(HOOKS, {"url": url}, format="json")
    assert response.status_code == 400
    assert "内部网络" in response.json()["detail"]
    assert not Webhook.objects.exists()


@LOCAL
def test_a_push_is_refused_when_the_name_turns_inward_or_the_client_loses_sight(
    world, city, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    receiver.secret = _hook(city, receiver.url)["secret"]
    hook = Webhook.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _report(city, world)
    first = WebhookDelivery.objects.get()
    assert first.status == "delivered"
    # The same hook by a public-looking name that now resolves to a private address.
    Webhook.objects.filter(pk=hook.pk).update(url="https://hooks.example.org/x")
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.1.2.3", 0))])
    with django_capture_on_commit_callbacks(execute=True):
        _report(city, world, ref="W2")
    second = WebhookDelivery.objects.exclude(pk=first.pk).get()
    assert (second.status, second.attempts) == ("failed", 0) and "内部网络" in second.last_error
    assert len(receiver.accepted) == 1
