"""Files, good and hostile, for the upload tests."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (40, 80, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def xlsx_bytes(rows=(("a", "b"),)) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SVG_BOM = b'\xef\xbb\xbf  \n<svg onload="alert(1)"></svg>'

# name → content of files no purpose accepts, whatever they are called
HOSTILE = {
    "invoice.pdf": EXE,  # a renamed executable
    "photo.jpg": EXE,
    "page.pdf": HTML,
    "page.png": HTML,
    "drawing.png": SVG,
    "drawing.jpg": SVG_BOM,
    "broken.pdf": b"%PDF-1.4 truncated, no end of file",
    "fake.png": b"\x89PNG\r\n\x1a\nnot really a png",
    "fake.jpg": b"\xff\xd8\xff\xe0not really a jpeg",
    "archive.xlsx": plain_zip(),
}


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
