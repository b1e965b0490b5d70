"""Benchmark: an estate's public page against a bare Django view, in the same run.

Builds a throwaway SQLite database (migrations, one district, an estate with
40 published notices), then serves both through django.test.Client, so both
go through the same middleware stack. Prints requests per second for each,
the ratio, and the estate page's query count.

Run: .venv/bin/python bench/notice_page.py [--requests N]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp()
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{TMP}/bench.sqlite3", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

from datetime import date  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from cms import services as cms_services  # noqa: E402
from cms.models import EstatePage  # noqa: E402
from community import services  # noqa: E402
from community.models import Community, District, Grid, Street  # noqa: E402


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("__bare__/", bare), path("", include("config.urls"))]


def setup() -> str:
    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="B")
    street = Street.objects.create(district=district, name="基准街道", code="BS")
    community = Community.objects.create(street=street, name="基准社区", code="BC")
    grid = Grid.objects.create(community=community, name="第1网格", code="BG")
    estate = services.register_estate(actor=None, grid=grid, name="基准小区", code="BE", delivered_on=date(2015, 1, 1))
    for i in range(40):
        notice = cms_services.draft_notice(
            estate=estate,
            category="general",
            title=f"第{i}号公告",
            body="内容。" * 20,
            publicity_days=(i % 3) * 7 or None,
        )
        cms_services.publish_notice(actor=None, notice=notice)
    return EstatePage.objects.get(estate=estate).url


def rate(client: Client, url: str, n: int) -> float:
    for _ in range(20):
        client.get(url)  # warm up
    started = time.perf_counter()
    for _ in range(n):
        assert client.get(url).status_code == 200
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    n = parser.parse_args().requests
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        url = setup()
        client = Client()
        queries = []
        with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
            assert client.get(url).status_code == 200
        bare_rps = rate(client, "/__bare__/", n)
        page_rps = rate(client, url, n)
        second_page = rate(client, url + "?page=3", n)
    print(f"estate page (40 notices, page 1): {page_rps:8.0f} req/s   queries per request: {len(queries)}")
    print(f"estate page, page 3:              {second_page:8.0f} req/s")
    print(f"bare Django view:                 {bare_rps:8.0f} req/s")
    print(f"ratio estate page / bare view:    {page_rps / bare_rps:8.3f}")


if __name__ == "__main__":
    main()
