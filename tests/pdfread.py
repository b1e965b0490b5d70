"""Reading a generated PDF back, as a person holding it would: its text (pdftotext -layout), the
boxes of its words (pdftotext -bbox-layout) and where black ink lies outside any word (a QR
code), from a rendering (pdftoppm). Needs poppler-utils; a test skips without it (``needs``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

needs = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")), reason="poppler-utils is not installed"
)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    box: Box


def _file(body: bytes, folder: str) -> Path:
    path = Path(folder) / "doc.pdf"
    path.write_bytes(body)
    return path


def text(body: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = _file(body, folder)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout


def words(body: bytes) -> list[Word]:
    """Every word with its box, in points from the page's top left."""
    with tempfile.TemporaryDirectory() as folder:
        path = _file(body, folder)
        xhtml = subprocess.run(
            ["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    found, page = [], 0
    for part in re.split(r"(<page\b)", xhtml):
        if part == "<page":
            page += 1
            continue
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', part
        ):
            box = Box(*(float(m.group(i)) for i in range(1, 5)))
            found.append(Word(page, unescape(m.group(5)), box))
    return found


def ink_outside_words(body: bytes, page: int = 1, dpi: int = 144) -> Box | None:
    """The box (in points) around the black ink of ``page`` that no word covers: on our documents
    that is the QR code (table rules are grey, text is inside its words' boxes)."""
    from PIL import Image, ImageDraw

    scale = dpi / 72
    covered = [w.box for w in words(body) if w.page == page]
    with tempfile.TemporaryDirectory() as folder:
        path = _file(body, folder)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray", "-png", str(path), f"{folder}/p"],
            check=True,
        )
        image = Image.open(next(Path(folder).glob("p*.png"))).convert("L")
    draw = ImageDraw.Draw(image)
    for b in covered:  # white out every word, with a point to spare
        draw.rectangle([(b.x0 - 1) * scale, (b.y0 - 1) * scale, (b.x1 + 1) * scale, (b.y1 + 1) * scale], fill=255)
    found = image.point(lambda v: 255 if v < 60 else 0).getbbox()
    if found is None:
        return None
    x0, y0, x1, y1 = found
    return Box(x0 / scale, y0 / scale, x1 / scale, y1 / scale)
