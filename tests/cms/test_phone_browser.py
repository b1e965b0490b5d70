"""A resident opens an estate page on a phone-sized headless Chromium, with no login.

Drives Debian's /usr/bin/chromium through Playwright (no browser download).
The screenshot is kept in test-artifacts/ for a person to look at.
"""

import os
from pathlib import Path

import pytest

from cms import services
from cms.models import EstatePage
from tests.browser import ARGS, CHROMIUM, PHONE

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason="needs Debian's chromium (make test installs it where it can)",
)


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls here are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, java_script_enabled=False)
        yield context.new_page()
        browser.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_notice_is_visible_and_legible_on_a_phone_without_login(world, live_server, browser_page):
    # world (and the test database) first: fixtures tear down in reverse, so the live
    # server stops before the database is dropped.
    notice = services.draft_notice(
        estate=world.e1,
        category="general",
        title="二次供水水箱清洗停水公示",
        body="本周六 9:00—13:00 停水，请提前储水。",
        publicity_days=7,
    )
    services.publish_notice(actor=None, notice=notice)
    estate_url = live_server.url + EstatePage.objects.get(estate=world.e1).url

    response = browser_page.goto(estate_url)
    assert response.status == 200
    title = browser_page.get_by_text("二次供水水箱清洗停水公示")
    assert title.is_visible()
    font_px = float(title.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
    assert font_px >= 14
    # Nothing sticks out sideways: no horizontal scrolling at 360 px.
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert browser_page.get_by_text("剩余 7 天").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / "estate_page_phone.png"), full_page=True)

    # The click starts a navigation; wait for the notice page to load before reading it
    # (is_visible does not wait, and CI once read the estate page a moment too early).
    with browser_page.expect_navigation():
        title.click()
    assert browser_page.get_by_text("请提前储水").is_visible()
    assert browser_page.get_by_text("分享链接").is_visible()
