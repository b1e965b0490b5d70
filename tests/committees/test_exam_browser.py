"""A candidate takes the exam on a phone-sized Chromium, from login to a verified certificate."""

import re
from pathlib import Path

import pytest

from committees.models import Attempt, Option
from tests.cms.test_phone_browser import ARTIFACTS, CHROMIUM, PHONE, browser_page  # noqa: F401  (shared fixture)
from tests.factories import PASSWORD

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_from_login_to_a_verified_certificate_on_a_phone(world, exam, candidate, live_server, browser_page):  # noqa: F811
    page = browser_page
    page.goto(f"{live_server.url}/login/?next=/exam/")
    page.fill("input[name=username]", candidate.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=开始答题")
    attempt = Attempt.objects.get(candidate=candidate)
    for n, item in enumerate(attempt.paper, 1):
        assert page.get_by_text(f"第 {n} / {len(attempt.paper)} 题").is_visible()
        assert re.fullmatch(r"\d\d:\d\d", page.locator(".timer").inner_text())
        for option in Option.objects.filter(question_id=item["q"], correct=True):
            page.check(f"input[name=choice][value='{option.pk}']")
        page.click("button[value='submit']" if n == len(attempt.paper) else "button[value='next']")
    page.click("main button[type=submit]")  # 确认交卷
    assert page.get_by_text("合格").first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "exam_result_phone.png"), full_page=True)

    with page.expect_download() as download:
        page.click("text=下载合格证书（PDF）")
    pdf_path = Path(download.value.path())
    assert pdf_path.read_bytes().startswith(b"%PDF")

    certificate = Attempt.objects.get(pk=attempt.pk).certificate
    from committees.exams.selectors import certificate_fingerprint

    page.goto(f"{live_server.url}/verify/certificate/{certificate.number}/{certificate_fingerprint(certificate)}/")
    assert page.get_by_text("真实有效的记录").is_visible()
