import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from committees.exams import selectors as exam_selectors
from committees.exams import services
from committees.models import Attempt, Certificate, Option
from community.models import Role
from tests.factories import OwnerFactory, UserFactory, login

pytestmark = pytest.mark.django_db


def _take(client, attempt, *, right):
    for n, item in enumerate(attempt.paper, 1):
        correct = list(Option.objects.filter(question_id=item["q"], correct=True).values_list("pk", flat=True))
        wrong = [o for o in item["options"] if o not in correct][:1]
        response = client.post(
            reverse("committees:question", args=[attempt.pk, n]),
            {"choice": correct if n <= right else wrong, "go": "next"},
        )
        assert response.status_code == 302


def test_a_candidate_takes_the_exam_page_by_page_and_gets_a_certificate(client, exam, candidate):
    login(client, candidate.user)
    page = client.get(reverse("committees:my_exams")).content.decode()
    assert exam.title in page and "开始答题" in page
    response = client.post(reverse("committees:start", args=[exam.pk]))
    attempt = Attempt.objects.get(candidate=candidate)
    assert response.url == reverse("committees:question", args=[attempt.pk, 1])
    page = client.get(response.url).content.decode()
    assert "剩余时间" in page and "第 1 / 10 题" in page
    _take(client, attempt, right=10)
    assert attempt.answers.count() == 10  # every answer saved as it was given
    client.post(reverse("committees:confirm", args=[attempt.pk]))
    page = client.get(reverse("committees:result", args=[attempt.pk])).content.decode()
    certificate = Certificate.objects.get(attempt=attempt)
    assert "合格" in page and certificate.number in page
    pdf = client.get(reverse("committees:certificate_pdf", args=[certificate.number]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_result_explains_each_wrong_answer(client, exam, candidate):
    login(client, candidate.user)
    client.post(reverse("committees:start", args=[exam.pk]))
    attempt = Attempt.objects.get(candidate=candidate)
    _take(client, attempt, right=6)
    client.post(reverse("committees:confirm", args=[attempt.pk]))
    response = client.get(reverse("committees:result", args=[attempt.pk]))
    assert len(response.context["wrong"]) == 4 and "解析" in response.content.decode()
    assert "不合格" in response.content.decode()


def test_a_candidate_sees_only_their_own_attempts(client, exam, candidate):
    attempt = services.start_attempt(candidate=candidate, session=exam)
    other = OwnerFactory(user=UserFactory(username="other-candidate"))
    login(client, other.user)
    for url in (
        reverse("committees:question", args=[attempt.pk, 1]),
        reverse("committees:result", args=[attempt.pk]),
        reverse("committees:confirm", args=[attempt.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("committees:start", args=[exam.pk])).status_code == 404
    assert exam.title not in client.get(reverse("committees:my_exams")).content.decode()


def test_staff_without_an_owner_record_have_no_candidate_pages(client, world, exam):
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.get(reverse("committees:my_exams")).status_code == 403


def test_a_late_answer_by_the_page_is_refused_with_a_message(client, exam, candidate):
    attempt = services.start_attempt(candidate=candidate, session=exam)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=attempt.started_at)
    login(client, candidate.user)
    response = client.post(
        reverse("committees:question", args=[attempt.pk, 1]), {"choice": [], "go": "next"}, follow=True
    )
    attempt.refresh_from_db()
    assert not attempt.is_open and attempt.auto_submitted
    assert "考试结果" in response.content.decode()


def _passed_certificate(exam, candidate):
    attempt = services.start_attempt(candidate=candidate, session=exam)
    for item in attempt.paper:
        correct = list(Option.objects.filter(question_id=item["q"], correct=True).values_list("pk", flat=True))
        services.save_answer(attempt=attempt, question_id=item["q"], chosen=correct)
    services.submit_attempt(attempt=attempt)
    return Certificate.objects.get(attempt=attempt)


def test_the_public_verify_page_confirms_a_true_certificate_and_rejects_a_tampered_one(client, exam, candidate):
    certificate = _passed_certificate(exam, candidate)
    fp = exam_selectors.certificate_fingerprint(certificate)
    page = client.get(reverse("committees:verify", args=[certificate.number, fp]))
    assert page.status_code == 200 and "真实有效" in page.content.decode()
    assert "陈委员" not in page.content.decode() and "陈**" in page.content.decode()
    tampered = client.get(reverse("committees:verify", args=[certificate.number, "f" * 64]))
    assert tampered.status_code == 404 and "核验未通过" in tampered.content.decode()
    assert client.get(reverse("committees:verify", args=["KS2000-00001", fp])).status_code == 404
    # Opened without a fingerprint it is a form with what to enter, not a failed check.
    empty = client.get(reverse("committees:verify_form", args=[certificate.number]))
    body = empty.content.decode()
    assert empty.status_code == 200 and "核验未通过" not in body and 'id="verify-howto"' in body
    assert '<label for="fp">' in body


def test_only_the_holder_downloads_the_certificate(client, exam, candidate):
    certificate = _passed_certificate(exam, candidate)
    login(client, OwnerFactory(user=UserFactory(username="nosy")).user)
    assert client.get(reverse("committees:certificate_pdf", args=[certificate.number])).status_code == 404


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (make test installs it)")
def test_the_certificate_pdf_reads_back_in_chinese_with_its_fingerprint(client, exam, candidate, tmp_path):
    certificate = _passed_certificate(exam, candidate)
    login(client, candidate.user)
    path = tmp_path / "c.pdf"
    path.write_bytes(client.get(reverse("committees:certificate_pdf", args=[certificate.number])).content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "业主委员会备案前培训考试合格证书" in text and "陈委员" in text and certificate.number in text
    fp = exam_selectors.certificate_fingerprint(certificate)
    assert fp[:8] in re.sub(r"\s+", " ", text)
    # The address printed is the certificate's own page, short and plain; the fingerprint is printed apart.
    assert f"核验网址：http://testserver/verify/certificate/{certificate.number}/" in text
    assert fp not in text and "?fp=" not in text and "%" not in text
    client.logout()
    typed = reverse("committees:verify_form", args=[certificate.number.lower().replace("-", "")])
    grouped = " ".join(fp[i : i + 8] for i in range(0, 64, 8)).upper()
    assert client.get(typed, {"fp": grouped}).status_code == 200
    assert client.get(typed, {"fp": "f" * 64}).status_code == 404
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYiMicroHei" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # the CJK font is embedded
