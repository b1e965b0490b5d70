"""static/js/refresh.js in Chromium: a page marked data-refresh reloads itself, and its button
pauses that (the job and live-turnout pages use it instead of a meta refresh)."""

import os
from pathlib import Path

import pytest

from tests.browser import ARGS, CHROMIUM

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason="needs Debian's chromium (make test installs it where it can)",
)

PAGE = """<!doctype html><html><body>
<p data-refresh="1">自动刷新
<button type="button" data-refresh-toggle hidden data-pause="暂停" data-resume="恢复">暂停</button></p>
<script src="{script}"></script></body></html>"""


@pytest.fixture
def page(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    html = tmp_path / "live.html"
    html.write_text(PAGE.format(script=(ROOT / "static" / "js" / "refresh.js").as_uri()), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        tab = browser.new_page()
        tab.goto(html.as_uri())
        yield tab
        browser.close()


def test_the_page_reloads_itself(page):
    page.evaluate("window.marker = 1")
    page.wait_for_function("window.marker === undefined", timeout=5000)  # a reload drops the marker


def test_the_button_pauses_and_resumes(page):
    button = page.get_by_role("button")
    assert button.is_visible()
    button.click()
    assert button.inner_text() == "恢复"
    page.evaluate("window.marker = 1")
    page.wait_for_timeout(2500)
    assert page.evaluate("window.marker") == 1  # paused: still the same document
    button.click()
    page.wait_for_function("window.marker === undefined", timeout=5000)
