"""The estate's public fee pages from the cache (community.pagecache): a price change, a new
statement and a payment show on the next request; a verify page is shared only for a published
period, whose books are closed."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.legaltime import last_day_after_months
from fees import services

from .conftest import publish

pytestmark = pytest.mark.django_db


def _queries(client, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    return response, len(queries.captured_queries)


def test_a_price_change_shows_on_the_next_request(client, pilot):
    url = reverse("fees:prices", args=[pilot.pk])
    client.get(url)
    assert _queries(client, url)[1] == 0
    later = last_day_after_months(timezone.localdate().replace(day=1), 3)
    publish(pilot, effective_from=later, items=[("物业服务费", "per_area", "2.40")])
    body = client.get(url).content.decode()
    assert "调价公示" in body and "2.40" in body


def test_a_new_statement_shows_and_its_verify_page_is_shared(client, pilot):
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    listing = reverse("fees:statements", args=[pilot.pk])
    assert "2026年1月" not in client.get(listing).content.decode()
    verify = reverse("fees:verify", args=[pilot.code, "2026-01-01", "2026-01-31"])
    client.get(verify)
    assert _queries(client, verify)[1] > 0  # an open period is read live every time
    statement = services.publish_statement(
        actor=None, estate=pilot, kind="month", start=date(2026, 1, 1), base_url="http://testserver"
    )
    assert "2026年1月" in client.get(listing).content.decode()
    first = client.get(verify, {"fp": statement.fingerprint})
    assert first.status_code == 200 and "完全一致" in first.content.decode()
    again, queries = _queries(client, verify, {"fp": statement.fingerprint})
    assert queries == 0 and again.content == first.content


def test_a_payment_changes_the_statements_page(client, pilot, world):
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    url = reverse("fees:statements", args=[pilot.pk])
    client.get(url)
    assert _queries(client, url)[1] == 0
    unit = world.resident.ownerships.get().unit
    services.record_payment(
        actor=None,
        unit=unit,
        amount="10.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=list(unit.bills.all()),
    )
    assert _queries(client, url)[1] > 0
