"""The supervision dashboard and its lists on a 390 px phone: nothing wider than the screen."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from community.models import Role
from tests.cms.test_phone_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.factories import login

from .test_dashboard import build

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dashboard_fits_a_phone(world, live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    build(world)
    user = world.users[Role.STREET_STAFF]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        # Signed in through the real pages (password and second factor) by Django's test client;
        # the browser carries that session.
        client = Client()
        login(client, user)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        ARTIFACTS.mkdir(exist_ok=True)
        for name, title in (
            ("dashboard", "监管看板"),
            ("collection", "物业费收缴"),
            ("requests", "居民报事报修"),
            ("mediation", "物业纠纷调解案件"),
            ("exams", "业主委员会候选人考试"),
            ("fund", "维修资金余额"),
        ):
            page.goto(live_server.url + reverse(f"supervision:{name}"))
            assert title in page.locator("h1").first.inner_text(), name
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (name, width)
            page.screenshot(path=str(ARTIFACTS / f"supervision_{name}_390.png"), full_page=True)
        page.goto(live_server.url + reverse("supervision:arrears", args=[world.e1.pk]))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        browser.close()
