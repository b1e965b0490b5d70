"""The one check of an uploaded file (community/uploads.py): by content, within size, stored
under a random name, served as an attachment with nosniff."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from community import uploads
from fees.models import Expenditure
from tests.community.uploads_helpers import (
    HOSTILE,
    HTML,
    SVG,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    upload,
    xlsx_bytes,
)


@pytest.mark.parametrize(
    "content,kind",
    [
        (pdf_bytes(), uploads.PDF),
        (jpeg_bytes(), uploads.JPEG),
        (png_bytes(), uploads.PNG),
        (xlsx_bytes(), uploads.XLSX),
        ("房号,姓名\n101,张三\n".encode(), uploads.CSV),
        ("房号,姓名\n101,张三\n".encode("gbk"), uploads.CSV),
    ],
)
def test_a_file_is_known_by_its_content(content, kind):
    assert uploads.detect(content) == kind


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("purpose", [uploads.ATTACHMENT, uploads.PHOTO, uploads.IMPORT])
def test_hostile_files_are_refused_for_every_purpose(settings, name, purpose):
    with pytest.raises(ValidationError) as refused:
        uploads.check(upload(name, HOSTILE[name], "application/pdf"), purpose)
    assert refused.value.code == "refused_type"
    assert refused.value.messages == [str(purpose.refused)]


def test_attachments_take_pdf_jpeg_png_and_nothing_else():
    for content in (pdf_bytes(), jpeg_bytes(), png_bytes()):
        uploads.check(upload("x.bin", content), uploads.ATTACHMENT)
    for content in (xlsx_bytes(), b"a,b\n1,2\n"):
        with pytest.raises(ValidationError, match="只接受 PDF、JPEG、PNG"):
            uploads.check(upload("contract.pdf", content), uploads.ATTACHMENT)


def test_imports_take_only_spreadsheets():
    uploads.check(upload("bank.csv", b"a,b\n"), uploads.IMPORT)
    uploads.check(upload("bank.xlsx", xlsx_bytes()), uploads.IMPORT)
    for content in (pdf_bytes(), png_bytes(), HTML, SVG):
        with pytest.raises(ValidationError, match=r"只接受 \.xlsx 或 \.csv 文件"):
            uploads.check(upload("bank.csv", content), uploads.IMPORT)


def test_a_pdf_with_a_wrong_extension_is_the_pdf_it_is():
    """Named .jpg, it is still a PDF: kept as one for an attachment, refused as a photo."""
    assert uploads.check(upload("scan.jpg", pdf_bytes(), "image/jpeg"), uploads.ATTACHMENT) == uploads.PDF
    with pytest.raises(ValidationError, match="不是图片"):
        uploads.check(upload("scan.jpg", pdf_bytes(), "image/jpeg"), uploads.PHOTO)


@pytest.mark.parametrize("purpose", [uploads.ATTACHMENT, uploads.PHOTO, uploads.IMPORT])
def test_files_over_the_limit_in_settings_are_refused(settings, purpose):
    settings.UPLOAD_MAX_BYTES = {**settings.UPLOAD_MAX_BYTES, purpose.key: 1024 * 1024}
    good = {uploads.ATTACHMENT: pdf_bytes(), uploads.PHOTO: png_bytes(), uploads.IMPORT: b"a,b\n"}[purpose]
    exactly = good + b" " * (1024 * 1024 - len(good)) if purpose is not uploads.ATTACHMENT else good
    uploads.check(upload("ok", exactly), purpose)  # at the limit: accepted
    with pytest.raises(ValidationError) as refused:
        uploads.check(upload("big", good + b" " * (1024 * 1024)), purpose)
    assert refused.value.code == "too_large" and "1 MB" in refused.value.messages[0]


@pytest.mark.django_db
def test_a_kept_file_has_a_random_name_with_its_detected_extension():
    item = Expenditure()
    kind = uploads.store(item.attachment, upload("../../etc/合同.exe.jpg", pdf_bytes()), uploads.ATTACHMENT)
    assert kind == uploads.PDF
    assert re.fullmatch(r"expenditures/\d{4}/[0-9a-f]{32}\.pdf", item.attachment.name)
    with default_storage.open(item.attachment.name, "rb") as handle:
        assert handle.read() == pdf_bytes()


@pytest.mark.django_db
def test_a_refused_file_is_not_written():
    item = Expenditure()
    with pytest.raises(ValidationError):
        uploads.store(item.attachment, upload("x.pdf", HTML), uploads.ATTACHMENT)
    assert not item.attachment


@pytest.mark.django_db
def test_serving_is_an_attachment_with_the_detected_type_and_nosniff():
    item = Expenditure()
    uploads.store(item.attachment, upload("photo.png", png_bytes()), uploads.ATTACHMENT)
    response = uploads.serve(item.attachment, filename="expenditure-7")
    assert response["Content-Type"] == "image/png"
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "expenditure-7.png" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()


@pytest.mark.django_db
def test_a_stored_file_of_unknown_content_is_served_as_bytes_to_download():
    """A file kept before the check existed is never shown as a page: octet-stream, attachment."""
    item = Expenditure()
    item.attachment.save("old/legacy.html", upload("legacy.html", HTML), save=False)
    response = uploads.serve(item.attachment, filename="expenditure-1")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_media_is_never_served_bare(client):
    item = Expenditure()
    uploads.store(item.attachment, upload("a.pdf", pdf_bytes()), uploads.ATTACHMENT)
    assert client.get(f"/media/{item.attachment.name}").status_code == 404
    assert client.get(f"/{item.attachment.name}").status_code == 404
