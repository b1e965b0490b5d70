"""Binding letters as a PDF: A4, two letters a page with a cut line between them.

Each letter carries the estate and its place (district, community), the building and room, the
code printed large in three groups, a QR code of the binding address, the address typed out, the
expiry date and short numbered instructions. It names no owner and prints no ID number: whoever
holds the letter still needs the owner's ID tail and an SMS code to bind.

Drawn on the canvas directly (no platypus): the instructions are wrapped once per document, and
each QR code is drawn from its module matrix as one filled path, so 300 letters take well under
a second or two.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from urllib.parse import urljoin

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from community.pdf import cjk_font

from . import codes
from .letters import Issued, bind_url

WIDTH, HEIGHT = A4
HALF = HEIGHT / 2
SIDE = 16 * mm
QR_SIZE = 36 * mm
QR_QUIET = 2  # modules of white border around the code
MASK = 0
CODE_FONT = "Courier-Bold"  # the code's letters and digits set apart plainly (no look-alikes in it anyway)
LATIN_FONT = "Helvetica"
TEXT = 10
LEADING = 15

TITLE = "业主账号绑定函"


def instructions(base_url: str) -> list[str]:
    return [
        f"用手机扫描右上方二维码，或在浏览器中输入上面的网址；也可打开 {urljoin(base_url, 'bind/')} 后手动输入绑定码。",
        "输入绑定码、本人身份证号码后六位（单位业主填统一社会信用代码后六位）和本人手机号码。",
        "输入手机收到的短信验证码，确认手机号码。",
        "设置登录密码，完成绑定；之后可在手机上查看账单、维修资金，参加业主电子投票。",
        "房屋有多位共有人的，每人用同一份绑定函分别绑定自己的账号。",
        "再次打印绑定函后，本函即作废；过期未用的，请向社区申请重新打印。",
        "绑定码如同钥匙：请妥善保管，不要交给他人，也不要拍照外传。",
    ]


def _wrap(text: str, width: float, font: str, size: float) -> list[str]:
    lines, line, used = [], "", 0.0
    for char in text:
        w = pdfmetrics.stringWidth(char, font, size)
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0.0
        line += char
        used += w
    return lines + [line]


def _numbered(items: list[str], width: float, font: str) -> list[tuple[str, str]]:
    """(number, line) pairs, the number on an item's first line only."""
    out = []
    for n, item in enumerate(items, 1):
        for i, line in enumerate(_wrap(item, width, font, TEXT)):
            out.append((f"{n}." if i == 0 else "", line))
    return out


def _qr(pdf: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` (error correction M, the best mask) with its lower left corner at
    (x, y). Drawn in module units: each row's dark runs are rectangles of one path, filled once,
    written as PDF operators with integer coordinates (reportlab's widget makes a shape object per
    run and formats every float, which costs more than the whole rest of a letter)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=MASK)
    code.add_data(url)
    code.make(fit=True)
    count = code.modules_count
    box = size / (count + 2 * QR_QUIET)
    ops = []
    for r, row in enumerate(code.modules):
        line = count - 1 - r
        c = 0
        while c < count:
            if row[c]:
                start = c
                while c < count and row[c]:
                    c += 1
                ops.append(f"{start} {line} {c - start} 1 re")
            else:
                c += 1
    pdf.saveState()
    pdf.setFillColorRGB(0, 0, 0)
    pdf.translate(x + QR_QUIET * box, y + QR_QUIET * box)
    pdf.scale(box, box)
    pdf.addLiteral("\n".join(ops) + "\nf")
    pdf.restoreState()


def _centred(pdf, text: str, y: float, font: str, size: float) -> None:
    pdf.setFont(font, size)
    pdf.drawCentredString(WIDTH / 2, y, text)


def _letter(pdf, bottom: float, unit, code: str, ctx: dict) -> None:
    font = ctx["font"]
    top = bottom + HALF
    left, right = SIDE, WIDTH - SIDE
    _centred(pdf, TITLE, top - 16 * mm, font, 18)
    _centred(pdf, ctx["place"], top - 23 * mm, font, 10)

    qr_x, qr_y = right - QR_SIZE, top - 28 * mm - QR_SIZE
    url = bind_url(ctx["base_url"], code)
    _qr(pdf, url, qr_x, qr_y, QR_SIZE)
    pdf.setFont(font, 8)
    pdf.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 1 * mm, "扫码绑定")

    pdf.setFont(font, 14)
    pdf.drawString(left, top - 34 * mm, f"房屋：{unit.building.name} {unit.room}")
    pdf.setFont(font, TEXT)
    pdf.drawString(left, top - 42 * mm, "绑定码（不区分大小写，短横线可不输入）")
    pdf.setFont(CODE_FONT, 24)
    pdf.drawString(left, top - 52 * mm, codes.printed(code))
    pdf.setFont(font, TEXT)
    pdf.drawString(left, top - 60 * mm, "绑定网址：")
    pdf.setFont(LATIN_FONT, TEXT)
    pdf.drawString(left + ctx["label_width"], top - 60 * mm, url)
    pdf.setFont(font, 11)
    pdf.drawString(left, top - 68 * mm, ctx["expiry"])

    pdf.setFont(font, TEXT)
    y = top - 78 * mm
    for number, line in ctx["steps"]:
        if number:
            pdf.drawString(left, y, number)
        pdf.drawString(left + 4 * mm, y, line)
        y -= LEADING
    pdf.setFont(font, 8)
    pdf.drawRightString(right, bottom + 8 * mm, ctx["footer"])


def letters_pdf(issued: Issued, *, base_url: str, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The letters of ``issued`` as one PDF, two to an A4 page, in the order they were issued."""
    font = cjk_font()
    estate = issued.estate
    community = estate.grid.community
    district = community.street.district
    body_width = WIDTH - 2 * SIDE - 4 * mm
    ctx = {
        "font": font,
        "base_url": base_url,
        "place": f"{district.name} {community.name} · {estate.name}",
        "expiry": f"有效期至：{issued.expires_on:%Y年%m月%d日}（含当日）",
        "steps": _numbered(instructions(base_url), body_width, font),
        "label_width": pdfmetrics.stringWidth("绑定网址：", font, TEXT),
        "footer": f"{community.name} 印发 · 如有疑问请联系社区居委会",
    }
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{estate.name} {TITLE}")
    pdf.setAuthor(community.name)
    total = len(issued.letters)
    for index, (unit, code) in enumerate(issued.letters):
        upper = index % 2 == 0
        _letter(pdf, HALF if upper else 0, unit, code, ctx)
        if upper:
            pdf.saveState()
            pdf.setDash(4, 3)
            pdf.setLineWidth(0.5)
            pdf.line(8 * mm, HALF, WIDTH - 8 * mm, HALF)
            pdf.setFont(font, 7)
            pdf.drawString(10 * mm, HALF + 1.5 * mm, "沿虚线裁开")
            pdf.restoreState()
        if not upper or index == total - 1:
            pdf.showPage()
        if progress is not None and (index % 50 == 49 or index == total - 1):
            progress(index + 1, total)
    pdf.save()
    return buffer.getvalue()


def letters_filename(issued: Issued) -> str:
    suffix = f"-b{issued.building.pk}" if issued.building is not None else ""
    return f"binding-letters-{issued.estate.code}{suffix}.pdf"
