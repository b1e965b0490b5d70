"""Photos taken on a phone as evidence (a grid case's scene, a notice posted on a door): what
a photo upload must be, and the file input that opens the camera. Shared, so every app that
keeps a photo refuses the same files with the same words."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024  # a phone photo; larger files are refused, not resized
PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "MPO"}  # MPO: the JPEG some phone cameras write
PHOTO_TOO_LARGE = _("照片不能超过 %(mb)s MB，当前为 %(size)s MB。")
PHOTO_NOT_AN_IMAGE = _("上传的文件不是图片：请拍照或选择 JPG、PNG 图片。")


def validate_photo(file) -> None:
    """A photo is an image (Pillow can read it) of at most PHOTO_MAX_BYTES."""
    size = getattr(file, "size", None)
    if size is None or size > PHOTO_MAX_BYTES:
        raise ValidationError(
            PHOTO_TOO_LARGE,
            code="too_large",
            params={"mb": PHOTO_MAX_BYTES // (1024 * 1024), "size": f"{(size or 0) / 1024 / 1024:.1f}"},
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(PHOTO_NOT_AN_IMAGE, code="not_an_image") from exc
    finally:
        file.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ValidationError(PHOTO_NOT_AN_IMAGE, code="not_an_image")


class PhotoInput(forms.ClearableFileInput):
    """Opens the camera on a phone (``capture``), the picture library elsewhere."""

    def __init__(self):
        super().__init__(attrs={"accept": "image/*", "capture": "environment"})
