"""403, 404 and 500 in the site's design and the visitor's language, with a way back; in the demo
(DEBUG) as in production, unless a developer asks for Django's technical pages."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.community.error_urls")]


def _client(language=None):
    client = Client(raise_request_exception=False)
    if language:
        client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/missing/", 404, "页面不存在"),
        ("/no/such/page/at/all/", 404, "页面不存在"),
        ("/forbidden/", 403, "无权访问"),
        ("/boom/", 500, "服务暂时出错"),
    ],
)
def test_error_pages_are_the_sites_own(settings, debug, url, status, title):
    settings.DEBUG = debug
    response = _client().get(url)
    body = response.content.decode()
    assert response.status_code == status
    assert title in body and 'href="/"' in body and "site.css" in body
    assert "Traceback" not in body and "URLconf" not in body and "deliberate" not in body


def test_english_visitors_read_them_in_english(settings):
    settings.DEBUG = True
    assert "Page not found" in _client("en").get("/missing/").content.decode()
    assert "Something went wrong" in _client("en").get("/boom/").content.decode()


def test_a_signed_out_visitor_is_offered_the_login_on_a_403(settings):
    body = _client().get("/forbidden/").content.decode()
    assert "/login/?next=/forbidden/" in body


def test_a_developer_can_still_ask_for_djangos_pages(settings):
    settings.DEBUG = True
    settings.DEBUG_ERROR_PAGES = True
    assert "URLconf" in _client().get("/no/such/page/at/all/").content.decode() or (
        "Raised by" in _client().get("/missing/").content.decode()
    )
    assert "deliberate" in _client().get("/boom/").content.decode()
