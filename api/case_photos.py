"""Photos a city-platform case brings as addresses (``photo_urls``).

An address is accepted only on a host in ``API_PHOTO_URL_HOSTS`` (empty by default: every
address is refused, in Chinese, when the case is posted) and only over https (http for the
hosts in ``API_PLAIN_HTTP_HOSTS``). The job ``api.fetch_case_photo`` fetches it after the case is
written: no redirect is followed, at most the photo limit plus one byte is read, and the content
is checked by ``community.uploads`` like an uploaded photo before ``grid.services.add_report_photo``
keeps it. A photo that cannot be fetched or is no photo is logged and left out; the case stands.
"""

from __future__ import annotations

import logging
import urllib.parse

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _

from community import uploads
from grid import services as grid
from grid.models import GridCase

from .webhooks import TIMEOUT, _opener, checked_url

logger = logging.getLogger(__name__)

HOST_NOT_ALLOWED = _("照片地址的主机“%(host)s”不在允许的范围内，请改为直接上传照片。")
NO_URL_HOSTS = _("本系统未开放按地址获取照片，请直接上传照片（multipart 的 photos 字段）。")
BAD_PHOTO_URL = _("照片地址须以 https:// 开头。")


def checked(urls) -> list[str]:
    """The photo addresses, each on an allowed host; a ValidationError in Chinese otherwise."""
    urls = [str(u).strip() for u in (urls or ()) if str(u).strip()]
    if not urls:
        return []
    allowed = settings.API_PHOTO_URL_HOSTS
    if not allowed:
        raise ValidationError(NO_URL_HOSTS)
    for url in urls:
        try:
            checked_url(url)
        except ValidationError:
            raise ValidationError(BAD_PHOTO_URL) from None
        host = urllib.parse.urlsplit(url).hostname
        if host not in allowed:
            raise ValidationError(HOST_NOT_ALLOWED, params={"host": host})
    return urls


def download(url: str) -> bytes:
    limit = uploads.max_bytes(uploads.PHOTO)
    with _opener.open(url, timeout=TIMEOUT) as response:
        if response.status != 200:
            raise OSError(f"HTTP {response.status}")
        return response.read(limit + 1)


def fetch(case_id: int, url: str) -> str:
    """Fetch, check and keep one photo of a case; "" when kept, else why not."""
    case = GridCase.objects.select_related("reported_by").get(pk=case_id)
    try:
        checked([url])  # the setting may have changed since the case was posted
        content = download(url)
        upload = SimpleUploadedFile("photo", content)
        grid.add_report_photo(actor=case.reported_by, case=case, upload=upload)
    except (OSError, ValueError, ValidationError, PermissionDenied) as exc:
        reason = "；".join(getattr(exc, "messages", [str(exc)]))
        logger.warning("photo %s of case %s not kept: %s", url, case.number, reason)
        return reason
    return ""
