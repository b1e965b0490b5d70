"""Anonymous public pages come from the cache (community.pagecache), never stale, never another's.

The test client goes through the whole middleware stack, as a phone does."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms import services
from cms.models import CommunityPage, EstatePage
from community import pagecache
from community.models import Role
from tests.factories import login

pytestmark = pytest.mark.django_db

# An estate page on a miss (its copy out of date; Wagtail's own site list warm): the page by its
# path, its notices grouped by category (one query), the marks, the crumbs' pages, the contact
# card (the estate, the contract in force, the committee) and the grid panel's figures.
ESTATE_MISS = 16
NOTICE_MISS = 13


def _notice(estate, title="停水通知", **kwargs):
    notice = services.draft_notice(estate=estate, category="general", title=title, body="明日停水。", **kwargs)
    return services.publish_notice(actor=None, notice=notice)


def _estate_url(estate):
    return EstatePage.objects.get(estate=estate).url


def _get(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries.captured_queries)


def _miss(client, url):
    """A request whose stored copy is out of date (Wagtail's own cached site list stays warm)."""
    pagecache.changed(pagecache.SITE)
    return _get(client, url)


def test_a_second_visitor_is_served_from_the_cache_without_a_query(world, client):
    _notice(world.e1)
    url = _estate_url(world.e1)
    client.get(url)
    first, miss = _miss(client, url)
    assert first.status_code == 200 and "停水通知" in first.content.decode()
    assert miss == ESTATE_MISS
    second, hit = _get(client, url)
    assert hit == 0
    assert second.status_code == 200 and second.content == first.content
    assert "Cookie" in second["Vary"] and second["Content-Type"] == first["Content-Type"]
    assert not second.cookies


def test_a_notice_page_misses_with_a_fixed_count_and_hits_with_none(world, client):
    notice = _notice(world.e1)
    client.get(notice.url)
    assert _miss(client, notice.url)[1] == NOTICE_MISS
    _notice(world.e1, title="另一条")  # a second notice on the same estate page does not change the count
    assert _miss(client, notice.url)[1] == NOTICE_MISS
    assert _get(client, notice.url)[1] == 0


def test_the_miss_count_does_not_grow_with_the_notices(world, client):
    for i in range(15):
        _notice(world.e1, title=f"公告{i}", publicity_days=(i % 3) or None)
    client.get(_estate_url(world.e1))
    assert _miss(client, _estate_url(world.e1))[1] == ESTATE_MISS


def test_a_cached_page_carries_no_csrf_token_and_sets_no_cookie(world, client):
    response = client.get(_estate_url(world.e1))
    assert "csrfmiddlewaretoken" not in response.content.decode() and not response.cookies
    # The language switch still works without a token, as the csrf-checking client posts it.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302


def test_publishing_a_notice_shows_on_the_next_request(world, client, django_capture_on_commit_callbacks):
    url = _estate_url(world.e1)
    assert "新公告" not in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _notice(world.e1, title="新公告")
    assert "新公告" in client.get(url).content.decode()


def test_unpublishing_a_notice_takes_it_off_its_page_and_the_list(world, client):
    notice = _notice(world.e1, title="将撤下的公告")
    url, notice_url = _estate_url(world.e1), notice.url
    assert "将撤下的公告" in client.get(url).content.decode()
    assert client.get(notice_url).status_code == 200
    notice.unpublish()
    assert "将撤下的公告" not in client.get(url).content.decode()
    assert client.get(notice_url).status_code == 404


def test_editing_a_published_notice_shows_the_new_text(world, client):
    notice = _notice(world.e1, title="初稿标题")
    assert "初稿标题" in client.get(notice.url).content.decode()
    notice.title = "更正后的标题"
    services.publish_notice(actor=None, notice=notice.save_revision().as_object())
    assert "更正后的标题" in client.get(notice.url).content.decode()
    assert "更正后的标题" in client.get(_estate_url(world.e1)).content.decode()


def test_a_notice_on_one_estate_leaves_another_estates_copy_alone(world, client):
    other = _estate_url(world.e2)
    client.get(other)
    _notice(world.e1, title="只属于江滨")
    assert _get(client, other)[1] == 0


def test_a_renamed_estate_is_renamed_on_its_community_page(world, client):
    url = CommunityPage.objects.get(community=world.e1.grid.community).url
    assert "江滨豪园" in client.get(url).content.decode()
    world.e1.name = "江滨新苑"
    world.e1.save()
    body = client.get(url).content.decode()
    assert "江滨新苑" in body and "江滨豪园" not in body


def test_the_remaining_days_turn_with_the_date(world, client, monkeypatch):
    notice = _notice(world.e1, title="公示", publicity_days=15)
    assert "剩余 15 天" in " ".join(client.get(notice.url).content.decode().split())
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: tomorrow)
    assert "剩余 14 天" in " ".join(client.get(notice.url).content.decode().split())


def test_a_signed_in_user_is_never_served_the_anonymous_copy_nor_stored(world, client):
    url = _estate_url(world.e1)
    client.get(url)  # the anonymous copy
    login(client, world.owner_user)
    mine = client.get(url)
    body = mine.content.decode()
    assert "我的账单" in body and "退出" in body  # their own navigation, rendered for them
    assert "csrfmiddlewaretoken" in body
    # Their page is not stored: an anonymous visitor still gets the anonymous copy, without a query.
    client.logout()
    anonymous, queries = _get(client, url)
    assert queries == 0 and "我的账单" not in anonymous.content.decode() and "退出" not in anonymous.content.decode()


def test_a_staff_member_is_not_stored_either(world, client):
    url = _estate_url(world.e1)
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.get(url).status_code == 200
    client.logout()
    assert _get(client, url)[1] > 0


def test_the_language_switch_gives_the_chosen_language(world, client):
    url = _estate_url(world.e1)
    assert "公告公示" in client.get(url).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": url})
    english = client.get(url)
    assert english["Content-Language"] == "en" and "公告公示" not in english.content.decode()
    client.cookies.pop("django_language")
    chinese, queries = _get(client, url)
    assert queries == 0 and "公告公示" in chinese.content.decode()


def test_a_query_string_is_part_of_the_key(world, client):
    for i in range(12):
        _notice(world.e1, title=f"第{i:02d}条")
    url = _estate_url(world.e1)
    first = client.get(url, {"category": "general"}).content.decode()
    second = client.get(url, {"category": "general", "page": 2}).content.decode()
    assert "第11条" in first and "第11条" not in second and "第00条" in second


def test_errors_are_not_stored(world, client):
    notice = services.draft_notice(estate=world.e1, category="general", title="草稿", body="未发布")
    assert client.get(f"/{notice.url_path.split('/', 2)[2]}").status_code == 404
    assert not [key for key in cache._cache if ":page:" in key]  # locmem in the tests


def test_a_page_lost_token_is_a_miss(world, client):
    _notice(world.e1)
    url = _estate_url(world.e1)
    client.get(url)
    cache.delete(f"{pagecache.PREFIX}:gen:{pagecache.SITE}")
    assert _get(client, url)[1] == ESTATE_MISS
    assert _get(client, url)[1] == 0
