"""The one check of an uploaded file, its stored name, and the one way it is served back.

A file is judged by what it holds, never by its name or the type the browser claims:

* attachments (an expenditure's contract, a fund payout's invoice): PDF, JPEG or PNG;
* photos (a grid case's scene, a notice posted on a door): JPEG or PNG;
* a document (a notice's in the Wagtail editor, one of the documents owners inspect): PDF;
* imports (the registry, the exam bank): an .xlsx workbook or a CSV text, and nothing else
  takes a spreadsheet.

A PDF starts with ``%PDF-`` and ends with ``%%EOF``; a JPEG or PNG starts with its signature
and Pillow reads it through; an .xlsx is a zip holding ``[Content_Types].xml`` and
``xl/workbook.xml``; a CSV is text in UTF-8 or GBK with no NUL byte and no markup. So a
renamed executable, an HTML page or an SVG with a script is refused whatever it is called,
and a PDF named ``.jpg`` is kept as the PDF it is. Each purpose has its size limit in the
settings (``UPLOAD_MAX_BYTES``).

A kept file is stored under a random name with the extension of its detected type (the
name the uploader gave is never used on disk), and served only by a view that has checked
access first, through ``serve``: as an attachment, with the detected content type and
``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

HEAD = 1024  # bytes read to tell a file's type by its signature


@dataclass(frozen=True)
class Kind:
    label: str
    extension: str
    content_type: str


PDF = Kind("PDF", ".pdf", "application/pdf")
JPEG = Kind("JPEG", ".jpg", "image/jpeg")
PNG = Kind("PNG", ".png", "image/png")
XLSX = Kind("XLSX", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CSV = Kind("CSV", ".csv", "text/csv")
UNKNOWN = Kind("", "", "application/octet-stream")


@dataclass(frozen=True)
class Purpose:
    key: str  # its entry in settings.UPLOAD_MAX_BYTES
    kinds: tuple[Kind, ...]
    refused: str  # said when the file is none of ``kinds``
    too_large: str  # said when it is over the limit (%(mb)s, %(size)s)


ATTACHMENT = Purpose(
    "attachment", (PDF, JPEG, PNG), _("文件类型不被接受：只接受 PDF、JPEG、PNG。"), _("文件超过 %(mb)s MB。")
)
PHOTO = Purpose(
    "photo",
    (JPEG, PNG),
    _("上传的文件不是图片：请拍照或选择 JPG、PNG 图片。"),
    _("照片不能超过 %(mb)s MB，当前为 %(size)s MB。"),
)
DOCUMENT = Purpose(  # a public notice's attachment in the Wagtail editor, a document owners inspect
    "attachment", (PDF,), _("文件类型不被接受：只接受 PDF。"), _("文件超过 %(mb)s MB。")
)
IMPORT = Purpose("import", (XLSX, CSV), _("只接受 .xlsx 或 .csv 文件。"), _("文件超过 %(mb)s MB。"))


def max_bytes(purpose: Purpose) -> int:
    return settings.UPLOAD_MAX_BYTES[purpose.key]


def _is_pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF-") and b"%%EOF" in content[-HEAD:]


def _is_image(content: bytes, formats: set[str]) -> bool:
    try:
        with Image.open(io.BytesIO(content)) as image:
            found = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return found in formats


def _is_xlsx(content: bytes) -> bool:
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return {"[Content_Types].xml", "xl/workbook.xml"} <= names


def csv_text(content: bytes) -> str | None:
    """The text of a CSV (UTF-8, else GBK as Excel in Chinese saves it), or None if it is not one."""
    if b"\0" in content:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A page or an image in markup (HTML, SVG, XML) is no table, whatever its name.
        return None if text.lstrip().startswith("<") else text
    return None


def detect(content: bytes) -> Kind:
    """The type of ``content`` among those the system keeps, by content alone; UNKNOWN otherwise."""
    if content.startswith(b"%PDF-"):  # a signature is judged as its own type only
        return PDF if _is_pdf(content) else UNKNOWN
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG if _is_image(content, {"JPEG", "MPO"}) else UNKNOWN  # MPO: a phone camera's JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG if _is_image(content, {"PNG"}) else UNKNOWN
    if content.startswith(b"PK\x03\x04"):
        return XLSX if _is_xlsx(content) else UNKNOWN
    if content and csv_text(content) is not None:
        return CSV
    return UNKNOWN


def check_content(content: bytes, purpose: Purpose) -> Kind:
    """The detected kind of ``content``; ValidationError (in Chinese) if it is too large or not
    a kind ``purpose`` accepts."""
    limit = max_bytes(purpose)
    if len(content) > limit:
        raise ValidationError(
            purpose.too_large,
            code="too_large",
            params={"mb": limit // (1024 * 1024), "size": f"{len(content) / 1024 / 1024:.1f}"},
        )
    kind = detect(content)
    if kind not in purpose.kinds:
        raise ValidationError(purpose.refused, code="refused_type")
    return kind


def read(upload, purpose: Purpose) -> bytes:
    """An upload's bytes, reading at most one byte past the limit (a larger file is refused
    without being read whole)."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes(purpose):
        raise ValidationError(
            purpose.too_large,
            code="too_large",
            params={"mb": max_bytes(purpose) // (1024 * 1024), "size": f"{size / 1024 / 1024:.1f}"},
        )
    upload.seek(0)
    content = upload.read(max_bytes(purpose) + 1)
    upload.seek(0)
    return content


def check(upload, purpose: Purpose) -> Kind:
    """Check an uploaded file for ``purpose``; its kind, or ValidationError. Reads nothing twice
    from the caller's point of view: the file is rewound."""
    return check_content(read(upload, purpose), purpose)


def random_name(kind: Kind) -> str:
    return f"{uuid.uuid4().hex}{kind.extension}"


def store(field_file, upload, purpose: Purpose) -> Kind:
    """Check ``upload`` and put it in ``field_file`` (a model's FileField, not yet saved) under a
    random name with its detected extension. The caller saves the row."""
    content = read(upload, purpose)
    kind = check_content(content, purpose)
    field_file.save(random_name(kind), ContentFile(content), save=False)
    return kind


def validator(purpose: Purpose):
    """A form field validator doing the same check, so the form shows the error beside the field."""

    def validate(upload) -> None:
        check(upload, purpose)

    return validate


validate_photo = validator(PHOTO)
validate_attachment = validator(ATTACHMENT)
validate_import = validator(IMPORT)
validate_document = validator(DOCUMENT)


def serve(field_file, *, filename: str) -> FileResponse:
    """A stored file to a user whose access the view has checked: always as an attachment,
    with the content type detected from the file itself (never the name) and ``nosniff``.
    ``filename`` is the name offered to the browser, without extension (the detected type's
    is added)."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = detect(handle.read())
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=f"{filename}{kind.extension}", content_type=kind.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PhotoInput(forms.ClearableFileInput):
    """Opens the camera on a phone (``capture``), the picture library elsewhere."""

    def __init__(self):
        super().__init__(attrs={"accept": "image/jpeg,image/png", "capture": "environment"})


class PhotosInput(PhotoInput):
    """Several photos in one input (``multiple``). Without ``capture``: a phone that is told to
    capture opens the camera for a single shot, so the chooser is offered instead (camera or
    library), where several pictures can be picked at once."""

    allow_multiple_selected = True

    def __init__(self):
        super().__init__()
        self.attrs.pop("capture", None)
        self.attrs["multiple"] = True


class PhotosField(forms.FileField):
    """Up to ``most`` photos, each checked as ``validate_photo`` checks one; cleaned to a list.
    Set ``most`` from the rule set in the form (``request_photos_max``)."""

    widget = PhotosInput
    default_error_messages = {"too_many": _("最多上传 %(n)s 张照片。")}

    def __init__(self, *, most: int = 1, **kwargs):
        self.most = most
        super().__init__(**kwargs)

    def to_python(self, data):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        return [super(PhotosField, self).to_python(f) for f in files]

    def clean(self, data, initial=None):
        files = self.to_python(data)
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > self.most:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"n": self.most})
        for upload in files:
            check(upload, PHOTO)
        return files

    def bound_data(self, data, initial):
        return initial

    def has_changed(self, initial, data):
        return bool(data)
