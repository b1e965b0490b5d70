"""The readable API page on a phone: the curl lines wrap instead of widening the page (360 px,
Debian's Chromium through Playwright, no script on the page)."""

import pytest

from tests.cms.test_phone_browser import ARTIFACTS, PHONE, browser_page  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_api_page_reads_on_a_phone(world, live_server, browser_page):  # noqa: F811
    response = browser_page.goto(live_server.url + "/api/")
    assert response.status == 200
    assert browser_page.get_by_text("数据接口说明").first.is_visible()
    assert browser_page.locator("pre.wrap").count() > 20  # every operation's curl line
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / "api_page_phone.png"), full_page=False)
