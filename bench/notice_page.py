"""Benchmark: an estate's and a notice's public page, served to anonymous visitors, against a
bare Django view, in the same run (issue 25, item 1: at least 0.5× the bare view).

Builds a throwaway SQLite database (migrations, one district, an estate with 40 published
notices and a price board), then calls the project's WSGI application as a server would
(an environ in, the body read out) for both sides, so both go through the whole middleware
stack, the page cache (community/pagecache.py) included. The visitors are anonymous: a
phone that opened a link shared into a WeChat group. The two sides alternate, median of
the rounds. The note gives the query count of a miss (an empty cache), which is fixed.

Run: .venv/bin/python bench/notice_page.py [--requests N] [--rounds R]
"""

import argparse
import os
import sys
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp()
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{TMP}/bench.sqlite3", DJANGO_SETTINGS_MODULE="config.settings")
os.environ.pop("CACHE_URL", None)  # the demo's local-memory cache, in this one process

import django  # noqa: E402

django.setup()

from datetime import date  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from bench import harness  # noqa: E402
from cms import services as cms_services  # noqa: E402
from cms.models import EstatePage  # noqa: E402
from community import pagecache, services  # noqa: E402
from community.models import Community, District, Grid, Street  # noqa: E402


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("__bare__/", bare), path("", include("config.urls"))]


def setup() -> tuple[str, str]:
    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="B")
    street = Street.objects.create(district=district, name="基准街道", code="BS")
    community = Community.objects.create(street=street, name="基准社区", code="BC")
    grid = Grid.objects.create(community=community, name="第1网格", code="BG")
    estate = services.register_estate(actor=None, grid=grid, name="基准小区", code="BE", delivered_on=date(2015, 1, 1))
    notice = None
    for i in range(40):
        notice = cms_services.draft_notice(
            estate=estate,
            category="general",
            title=f"第{i}号公告",
            body="内容。" * 20,
            publicity_days=(i % 3) * 7 or None,
        )
        cms_services.publish_notice(actor=None, notice=notice)
    return EstatePage.objects.get(estate=estate).url, notice.url


def environ(url: str) -> dict:
    """What a WSGI server hands the application for an anonymous GET of ``url``."""
    path_info, _, query = url.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def serve(app: WSGIHandler, url: str) -> bytes:
    status = []
    body = b"".join(app(environ(url), lambda s, headers, exc_info=None: status.append(s)))
    assert status[0].startswith("200"), (url, status[0])
    return body


def miss_queries(app: WSGIHandler, url: str) -> int:
    cache.clear()
    serve(app, url)  # Wagtail's own list of sites goes back into the cache
    pagecache.changed(pagecache.SITE)  # and the page's copy is out of date
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
        serve(app, url)
    return len(queries)


def compare(app: WSGIHandler, url: str, n: int, rounds: int) -> tuple[float, float]:
    """Requests per second of (``url``, the bare view), alternating."""
    for _ in range(20):
        serve(app, url), serve(app, "/__bare__/")  # warm up: imports, templates, the cache

    def run(target):
        def side():
            for _ in range(n):
                serve(app, target)

        return side

    ours, bare_time = harness.alternate(run(url), run("/__bare__/"), rounds=rounds)
    return n / ours, n / bare_time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        estate_url, notice_url = setup()
        app = WSGIHandler()
        backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        for label, url in (("estate public page", estate_url), ("notice page", notice_url)):
            queries = miss_queries(app, url)
            pagecache.changed(pagecache.SITE)
            missed_ms = harness.seconds(lambda u=url: serve(app, u)) * 1000  # one miss, timed
            page_rps, bare_rps = compare(app, url, args.requests, args.rounds)
            ratio = page_rps / bare_rps
            print(
                f"{label}: {page_rps:8.0f} req/s cached, bare view {bare_rps:8.0f} req/s, "
                f"ratio {ratio:.3f}; a miss: {queries} queries, {missed_ms:.1f} ms"
            )
            harness.report(
                work=f"{label} (cached) vs bare view",
                target=">= 0.5",
                value=ratio,
                note=(
                    f"{page_rps:.0f} vs {bare_rps:.0f} req/s through WSGI, anonymous, {backend}; "
                    f"a miss (the copy out of date) runs {queries} queries ({missed_ms:.1f} ms)"
                ),
            )


if __name__ == "__main__":
    main()
