"""Shared PDF plumbing: an embedded CJK font, fingerprints, and the verify footer.

Every PDF that can be checked prints it one way (``verify_link``): a short address a person
can type (plain ASCII, no fingerprint in it, nothing percent-encoded), the fingerprint below it
in groups of eight, and a QR code of the full link (the address with ``?fp=``), so a scan checks
at once and a typed address asks for the fingerprint. The verify pages read what was typed with
``ungrouped``: case, spaces and hyphens do not matter.

reportlab embeds TrueType outlines only. WenQuanYi Micro Hei (Debian package
fonts-wqy-microhei, installed by `make`) embeds and renders on a machine with
no CJK font; Noto CJK (CFF) raises TTFError and the built-in STSong-Light is
not embedded. The font is looked up in one place and its absence is an error,
never a silent fallback to empty boxes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import iri_to_uri, uri_to_iri
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "WQYMicroHei"
# A PDF of more rows than this is made by a background job (the page shows its progress and
# offers the download); a smaller one is made while the page waits.
JOB_ROWS = 300
FONT_CANDIDATES = [
    os.environ.get("CJK_FONT_PATH", ""),
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
]


def font_path() -> Path | None:
    for candidate in FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def cjk_font() -> str:
    """Register (once) and return the name of the embedded CJK font."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = font_path()
        if path is None:
            raise ImproperlyConfigured(
                "未找到中文字体 WenQuanYi Micro Hei：请安装 fonts-wqy-microhei（make 会自动安装），"
                "或设置 CJK_FONT_PATH 指向 wqy-microhei.ttc。"
            )
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME


def fingerprint(payload) -> str:
    """SHA-256 of the canonical JSON of what a document shows: same rows, same fingerprint."""
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def grouped(fp: str, size: int = 8) -> str:
    """A fingerprint as it is printed, in groups a person can read out."""
    return " ".join(fp[i : i + size] for i in range(0, len(fp), size))


def ungrouped(text: str) -> str:
    """What a person typed from the paper, as the system writes it: no spaces or hyphens, lower case."""
    return re.sub(r"[\s\-‐-―－]+", "", text or "").lower()


@dataclass(frozen=True)
class VerifyLink:
    """Where a paper is checked: ``address`` is printed for a person to type (never
    percent-encoded), ``scan`` goes in the QR code: the same page with the fingerprint, as a URI,
    so a scan checks without typing."""

    address: str
    fingerprint: str

    @property
    def scan(self) -> str:
        """The QR code's link; without a fingerprint (a page to look at, not a claim to check) the address."""
        address = iri_to_uri(self.address)
        return f"{address}?fp={self.fingerprint}" if self.fingerprint else address

    def lines(self, what: str) -> list[str]:
        """The footer under a document: its fingerprint, the address, and how to check ``what``."""
        return [
            f"数字指纹：{grouped(self.fingerprint)}",
            f"核验网址：{self.address}",
            f"扫描二维码即可核验{what}；也可在浏览器中打开核验网址，输入上面的数字指纹（不区分大小写，空格可省略）。",
        ]


def verify_link(base_url: str, path: str, fp: str) -> VerifyLink:
    """The verify link of a document: ``path`` is its verify page's (from ``reverse``), without the
    fingerprint; it is printed as a person reads it (``uri_to_iri``), never as %E8%B0%83…"""
    return VerifyLink(uri_to_iri(f"{base_url.rstrip('/')}{path}"), fp)


def qr(url: str, size: float) -> Drawing:
    """A QR code of ``url``, ``size`` points square, to print beside a fingerprint."""
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing
