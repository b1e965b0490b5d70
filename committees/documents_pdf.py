"""The documents owners inspect that are made from the records (minutes, decisions, a vote's
result, a contract's summary), printed as PDFs on community/pdf.py (the embedded CJK font and
the fingerprint). What each shows is decided in ``committees.documents``; this module only
lays it out, so it reads no rows itself."""

from __future__ import annotations

from html import escape
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from community.pdf import cjk_font, grouped

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN


def _text(value: str) -> str:
    """Free text as a Paragraph's markup: escaped (a typed ``<`` is no tag), line breaks kept."""
    return escape(str(value), quote=False).replace("\n", "<br/>")


def _grid(font: str) -> TableStyle:
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 9),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )


def document_pdf(printable, *, generated_at: str) -> bytes:
    """``printable`` is a ``committees.documents.Printable``."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=16, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=12, wordWrap="CJK", textColor=colors.grey)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=6, spaceAfter=3)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, wordWrap="CJK")
    header = f"{printable.estate} · 业主查阅资料 · 仅供本小区业主查阅"

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawString(MARGIN, A4[1] - 10 * mm, header)
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=printable.title,
    )
    story = [Paragraph(_text(printable.title), title), Spacer(1, 5 * mm)]
    facts = Table(
        [[Paragraph(_text(label), cell), Paragraph(_text(value), cell)] for label, value in printable.facts],
        colWidths=[40 * mm, WIDTH - 40 * mm],
    )
    facts.setStyle(_grid(font))
    story += [facts, Spacer(1, 4 * mm)]
    for section in printable.sections:
        story.append(Paragraph(_text(section.heading), heading))
        story += [Paragraph(_text(line), body) for line in section.paragraphs if line.strip()]
        if section.table:
            columns = len(section.table[0])
            first = WIDTH * (0.5 if columns > 2 else 0.6)
            widths = [first] + [(WIDTH - first) / (columns - 1)] * (columns - 1)
            table = LongTable(
                [[Paragraph(_text(value), cell) for value in row] for row in section.table],
                colWidths=widths,
                repeatRows=1,
            )
            style = _grid(font)
            style.add("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))
            table.setStyle(style)
            story += [Spacer(1, 2 * mm), table]
        story.append(Spacer(1, 3 * mm))
    if printable.note:
        story.append(Paragraph(_text(printable.note), body))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            _text(
                f"生成时间：{generated_at}。本文件由系统根据登记记录生成；个人姓名已脱敏，会议记录中以委员身份出现的委员姓名除外。"
            ),
            small,
        ),
        Paragraph(_text(f"数字指纹：{grouped(printable.fingerprint)}"), small),
    ]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
