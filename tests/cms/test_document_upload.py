"""A notice's document uploaded in the Wagtail editor is checked as every upload is."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form
from wagtail.models import Collection

from tests.community.uploads_helpers import HOSTILE, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _form(name, content):
    Form = get_document_form(get_document_model())
    return Form(
        data={"title": "公示附件", "collection": Collection.get_first_root_node().pk},
        files={"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        user=None,
    )


@pytest.mark.parametrize("content", [HOSTILE["page.pdf"], HOSTILE["invoice.pdf"], HOSTILE["broken.pdf"], png_bytes()])
def test_the_editor_refuses_what_is_not_a_pdf(content):
    form = _form("公示.pdf", content)
    assert not form.is_valid() and "只接受 PDF" in str(form.errors["file"])


def test_a_pdf_is_kept_under_a_random_name():
    form = _form("业主名单.pdf", pdf_bytes())
    assert form.is_valid(), form.errors
    document = form.save()
    assert re.fullmatch(r"documents/[0-9a-f]{32}\.pdf", document.file.name)
