"""The fee documents as PDFs: disclosure statements, receipts and written demands.

Built on community/pdf.py (the embedded CJK font, fingerprints). A statement
prints every row a selector gives it, its totals, "page x / y", the estate and
period on every page, and the fingerprint with a QR code to the verify page.
The frames here (``disclosure``, ``simple_document``, ``table_style``, ``wrap``,
``money``) also build the maintenance fund's documents in ``fees/fund/pdf.py``.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from community.pdf import VerifyLink, cjk_font, qr
from community.privacy import mask_mobile

from .capitals import rmb_capitals
from .models import Ledger

MARGIN = 15 * mm
FRAME_PADDING = 6  # points: a SimpleDocTemplate's frame keeps this much inside each margin
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING  # what a table may fill between the margins
QR_SIZE = 28 * mm
QR_COLUMN = QR_SIZE + 4 * mm  # the QR code's own column at the head, beside the summary
COLUMNS = [24 * mm, 20 * mm, 22 * mm, 58 * mm, 34 * mm, 22 * mm]
PADDING = 2 * 6  # a cell's left and right padding, in points


def wrap(text: str, width: float, font: str, size: float = 8) -> str:
    """Break ``text`` into lines that fit ``width`` points. Plain strings with newlines
    keep a long table fast; a Paragraph per cell would cost far more at 10,000 rows."""
    if pdfmetrics.stringWidth(text, font, size) <= width - PADDING:
        return text
    lines, line, used = [], "", 0.0
    for char in text:
        w = pdfmetrics.stringWidth(char, font, size)
        if used + w > width - PADDING and line:
            lines.append(line)
            line, used = "", 0.0
        line += char
        used += w
    return "\n".join(lines + [line])


def _numbered(header: str, footer: str):
    """A canvas class that prints the header, footer and "第 x / y 页" once the page count is known."""
    font = cjk_font()

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width, height = self._pagesize
                self.setFont(font, 8)
                self.drawString(MARGIN, height - 10 * mm, header)
                self.drawRightString(width - MARGIN, 8 * mm, f"第 {self._pageNumber} / {total} 页")
                self.drawString(MARGIN, 8 * mm, footer)
                super().showPage()
            super().save()

    return NumberedCanvas


def table_style(font: str, header_rows: int = 1) -> TableStyle:
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 8),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#eeeeee")),
            ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]
    )


def head_table(summary: list[list[str]], verify: VerifyLink, font: str) -> Table:
    """A disclosure's head: the summary (label, value, label, value) and the QR code in its own
    column, together exactly the width between the margins. A value wraps inside its cell (a bank
    and account number, a long company name), so nothing runs under the QR code."""
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=11)
    label, value = 22 * mm, (WIDTH - QR_COLUMN - 2 * 22 * mm) / 2
    rows = [[Paragraph(escape(str(text)), cell) for text in row] for row in summary]
    summary_table = Table(rows, colWidths=[label, value, label, value])
    summary_table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f4f4f4")),
                ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#f4f4f4")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    head = Table([[summary_table, qr(verify.scan, QR_SIZE)]], colWidths=[WIDTH - QR_COLUMN, QR_COLUMN])
    head.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return head


def disclosure(
    *, title_text: str, period: str, summary: list[list[str]], sections, verify: VerifyLink, header: str
) -> bytes:
    """The frame every disclosure shares: title, period, a summary beside the QR code, the
    sections (``sections(font, body)`` returns flowables), and the fingerprint with its address."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=14 * mm,
        title=title_text,
    )
    head = head_table(summary, verify, font)
    story = [Paragraph(title_text, title), Paragraph(period, body), Spacer(1, 3 * mm), head, Spacer(1, 3 * mm)]
    story += sections(font, body)
    story.append(Paragraph("<br/>".join(escape(line) for line in verify.lines("本报表与系统中的账目是否一致")), body))
    doc.build(story, canvasmaker=_numbered(header, f"指纹 {verify.fingerprint[:16]}…"))
    return buffer.getvalue()


def money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def statement_filename(code: str, start, kind: str) -> str:
    return f"{code}-{start:%Y%m}-{kind}.pdf"


def statement_pdf(data, *, verify: VerifyLink) -> bytes:
    """``data`` is a ``fees.selectors.StatementData``."""
    summary = [
        ["记账主体", data.keeper, "方式", data.mode_label],
        ["期初结余", money(data.opening), "本期收入合计", money(data.income_total)],
        ["本期支出合计", money(data.spending_total), "期末结余", money(data.closing)],
    ]

    def sections(font, body):
        totals = [["账簿", "类别", "合计（元）"]] + [[t.ledger, t.label, money(t.amount)] for t in data.category_totals]
        totals_table = Table(totals, colWidths=[40 * mm, 60 * mm, 40 * mm])
        totals_table.setStyle(table_style(font))
        story = [Paragraph("分类合计", body), totals_table, Spacer(1, 4 * mm)]
        ledgers = [Ledger.INCOME] if data.mode == "collection" else [Ledger.INCOME, Ledger.EXPENDITURE]
        for ledger in ledgers:
            rows = data.rows_of(ledger)
            total = data.income_total if ledger == Ledger.INCOME else data.spending_total
            table_rows = [["凭证号", "日期", "类别", "摘要", "对方单位", "金额（元）"]]
            for row in rows:
                table_rows.append(
                    [
                        row.voucher,
                        row.date.isoformat(),
                        row.category,
                        wrap(row.description, COLUMNS[3], font),
                        wrap(row.counterparty, COLUMNS[4], font),
                        money(row.amount),
                    ]
                )
            table_rows.append([f"{Ledger(ledger).label}合计", "", "", f"共 {len(rows)} 笔", "", money(total)])
            table = LongTable(table_rows, colWidths=COLUMNS, repeatRows=1)
            style = table_style(font)
            style.add("SPAN", (0, -1), (2, -1))
            table.setStyle(style)
            story += [Paragraph(f"{Ledger(ledger).label}明细", body), table, Spacer(1, 4 * mm)]
        return story

    return disclosure(
        title_text=f"{data.estate} {data.label} 物业费收支公开报表",
        period=f"期间：{data.start.isoformat()} 至 {data.end.isoformat()}",
        summary=summary,
        sections=sections,
        verify=verify,
        header=f"{data.estate} · {data.label} · {data.start.isoformat()} 至 {data.end.isoformat()}",
    )


def simple_document(
    title_text: str,
    lines: list[str],
    table_rows: list[list[str]] | None,
    closing: list[str],
    *,
    header: str,
    widths=(30 * mm, 40 * mm, 45 * mm, 35 * mm),
    check: tuple[list[str], str] | None = None,
) -> bytes:
    """A plain document: title, lines, one table, closing lines; ``check`` (lines, link) ends it
    with those lines beside a QR code of the link, each in its own column."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=16)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=11)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN * 1.3, rightMargin=MARGIN * 1.3, title=title_text)
    story = [Paragraph(title_text, title), Spacer(1, 5 * mm)] + [Paragraph(line, body) for line in lines]
    if table_rows:
        table = LongTable(table_rows, colWidths=list(widths), repeatRows=1)
        table.setStyle(table_style(font))
        story += [Spacer(1, 3 * mm), table, Spacer(1, 3 * mm)]
    story += [Paragraph(line, body) for line in closing]
    if check is not None:
        text, link = check
        width = A4[0] - 2 * MARGIN * 1.3 - 2 * FRAME_PADDING
        foot = Table(
            [[Paragraph("<br/>".join(escape(line) for line in text), small), qr(link, QR_SIZE)]],
            colWidths=[width - QR_COLUMN, QR_COLUMN],
        )
        foot.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        story += [Spacer(1, 4 * mm), KeepTogether([foot])]
    doc.build(story, canvasmaker=_numbered(header, ""))
    return buffer.getvalue()


def handler(payment) -> str:
    """Who took the payment (经办人): the account that recorded it; an imported one was taken
    before this system, by someone it does not know."""
    if payment.imported:
        return "系统导入"
    user = payment.recorded_by
    if user is None:
        return "—"
    name = user.get_full_name() or user.username
    return mask_mobile(name) if name.isdigit() else name


def receipt_pdf(payment, allocations, *, check) -> bytes:
    """``check`` is a ``fees.selectors.ReceiptCheck``: where the QR code leads, and why."""
    estate = payment.unit.building.estate
    rows = [["账期", "收费项目", "计费日期", "本次核销（元）"]] + [
        [
            f"{a.bill.period:%Y-%m}",
            a.bill.item.name,
            f"{a.bill.starts_on:%m-%d}—{a.bill.ends_on:%m-%d}",
            f"{a.amount:,.2f}",
        ]
        for a in allocations
    ]
    lines = [
        f"收据编号：{estate.code}-{payment.receipt_no}",
        f"小区：{estate.name}　房屋：{payment.unit}",
        f"交款人：{payment.payer}",
        f"金额：{payment.amount:,.2f} 元　方式：{payment.get_method_display()}"
        f"　收款日期：{payment.paid_on.isoformat()}",
        f"金额（大写）：{rmb_capitals(payment.amount)}",
    ]
    if payment.backdated:
        lines.append(f"补登：登记于 {payment.recorded_at:%Y-%m-%d}，原因：{payment.note}")
    entry = getattr(payment, "ledger_entry", None)
    closing = [
        f"收款单位：{entry.keeper if entry else ''}",
        f"入账凭证：{entry.voucher if entry else ''}",
        f"经办人：{handler(payment)}",
    ]
    period = f"{check.start.isoformat()} 至 {check.end.isoformat()}"
    if check.published:
        how = f"扫描二维码，核验本笔收款所在期间（{period}）已公布的收支报表与系统中的账目是否一致；"
    else:
        how = f"扫描二维码，查看本小区本笔收款所在期间（{period}）的公开账目；"
    text = [
        how + (f"入账凭证 {entry.voucher} 列于该期收支明细。" if entry else ""),
        f"核验网址：{check.link.address}",
        "公开账目不显示业主姓名和房号。",
    ]
    return simple_document(
        "物业服务费收据",
        lines,
        rows,
        closing,
        header=f"{estate.name} 收据 {payment.receipt_no}",
        check=(text, check.link.scan),
    )


def demand_letter_pdf(letter, bills, *, keeper: str, contact) -> bytes:
    """``contact`` is a ``fees.selectors.Contact``: whom the owner gets in touch with, and the hotline."""
    estate = letter.estate
    rows = [["账期", "收费项目", "应缴业主", "未缴（元）"]] + [
        [f"{b.period:%Y-%m}", b.item.name, b.addressee, f"{b.owed:,.2f}"] for b in bills
    ]
    lines = [
        f"致：{letter.addressee or '房屋业主'}（{estate.name} {letter.unit}）",
        f"截至 {letter.issued_at:%Y年%m月%d日}，"
        f"您名下的上述房屋尚有物业服务费 {letter.amount:,.2f} 元未缴纳，明细如下：",
    ]
    closing = [
        f"请于 {letter.pay_by:%Y年%m月%d日} 前缴纳。如对账单有异议，请在此期限内与我们联系核对。",
        "联系方式："
        + "　".join(
            part
            for part in (
                escape(contact.name),
                f"电话 {escape(contact.phone)}" if contact.phone else "",
                f"服务地址 {escape(contact.address)}" if contact.address else "",
            )
            if part
        ),
        f"对催交或物业服务有异议的，也可以拨打政务服务便民热线 {escape(contact.hotline)} 反映。",
        "依照《中华人民共和国民法典》第九百四十四条，逾期仍不缴纳的，物业服务人可以依法提起诉讼或者申请仲裁；"
        "物业服务人不得采取停止供电、供水、供热、供燃气等方式催交物业费。",
        f"催交单位：{keeper}　　{letter.issued_at:%Y年%m月%d日}",
    ]
    return simple_document(
        "物业服务费书面催交通知书", lines, rows, closing, header=f"{estate.name} 催交通知书 {letter.pk}"
    )
