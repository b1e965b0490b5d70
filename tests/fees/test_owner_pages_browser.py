"""An owner's bills on a 390 px phone: a year of bills reads in a few screens, because each month is
one card, the paid months fold away by year, and a paid month adds no height while folded."""

from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fees import services
from tests.cms.test_phone_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.factories import login

from .conftest import publish

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
PHONE = {"width": 390, "height": 844}


def settle(unit, month):
    bills = list(unit.bills.filter(period=date(2026, month, 1)))
    services.record_payment(
        actor=None,
        unit=unit,
        amount=str(sum(b.amount for b in bills)),
        paid_on=timezone.localdate(),
        method="wechat",
        payer="张三丰",
        bills=bills,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_year_of_bills_fits_a_few_phone_screens(world, live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    publish(world.e1)
    unit = world.resident.ownerships.get().unit
    for month in range(1, 13):
        services.run_billing(actor=None, estate=world.e1, period=date(2026, month, 1))
    for month in range(1, 10):
        settle(unit, month)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        client = Client()
        login(client, world.owner_user)
        context = browser.new_context(viewport=PHONE, is_mobile=True)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        url = live_server.url + reverse("fees:my_bills")

        def height():
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            return page.evaluate("document.body.scrollHeight")

        three_open = height()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "my_bills_390.png"), full_page=True)
        assert three_open <= 4 * PHONE["height"], three_open  # 12 months of 2 lines each, once 16,000 px
        settle(unit, 10)
        two_open = height()
        # October moved from an open card into the folded year: the page got shorter by about a card.
        assert two_open < three_open - 100, (three_open, two_open)
        settle(unit, 11)
        settle(unit, 12)
        none_open = height()
        page.locator("details.fold summary").first.click()
        unfolded = page.evaluate("document.body.scrollHeight")
        page.screenshot(path=str(ARTIFACTS / "my_bills_390_paid_unfolded.png"), full_page=True)
        browser.close()
    assert none_open < two_open and none_open <= 2 * PHONE["height"], none_open
    assert unfolded > none_open + 12 * 100  # the year's twelve cards are there, folded away


OWNER_PAGES = [
    ("community:my_units", "我的房屋"),
    ("fees:my_bills", "我的账单"),
    ("fees:my_fund", "我的维修资金"),
    ("committees:my_votes", "我的表决"),
    ("committees:my_proxies", "表决委托"),
    ("notifications:inbox", "消息"),
    ("notifications:preferences", "通知方式"),
    ("grid:my_requests", "报事报修"),
    ("grid:new_request", "我要报事报修"),
    ("mediation:my_cases", "我的调解"),
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_owner_with_nothing_yet_reads_each_page_on_a_phone_and_is_told_what_to_do_next(
    world, live_server, monkeypatch
):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        client = Client()
        login(client, world.owner_user)
        context = browser.new_context(viewport=PHONE, is_mobile=True)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        ARTIFACTS.mkdir(exist_ok=True)
        empty = {}
        for name, title in OWNER_PAGES:
            assert page.goto(live_server.url + reverse(name)).status == 200, name
            assert title in page.locator("main h1").first.inner_text(), name
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (name, width)
            empty[name] = page.locator(".empty").count()
            page.screenshot(path=str(ARTIFACTS / f"owner_{name.replace(':', '_')}_390.png"), full_page=True)
        browser.close()
    # No bills, votes, inbox messages, requests, fund account, proxies or cases yet: each says what to do next.
    for name in ("fees:my_bills", "fees:my_fund", "committees:my_votes", "committees:my_proxies"):
        assert empty[name] >= 1, name
    for name in ("notifications:inbox", "grid:my_requests", "mediation:my_cases"):
        assert empty[name] == 1, name
