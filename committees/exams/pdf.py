"""The exam certificate as a PDF, built on community/pdf.py (embedded CJK font, fingerprint)."""

from io import BytesIO

from reportlab.graphics import renderPDF
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from community.pdf import VerifyLink, cjk_font, qr


def certificate_pdf(*, payload: dict, verify: VerifyLink, valid_until, community: str) -> bytes:
    font = cjk_font()
    buffer = BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"合格证书 {payload['number']}")
    pdf.setLineWidth(2)
    pdf.setStrokeColorRGB(0.55, 0.1, 0.1)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setFont(font, 26)
    pdf.drawCentredString(width / 2, height - 45 * mm, "业主委员会备案前培训考试合格证书")
    pdf.setFont(font, 15)
    lines = [
        f"持证人：{payload['holder']}",
        f"考试场次：{payload['session']}",
        f"成绩：{payload['percent']} 分（百分制），考试合格",
        f"发证日期：{payload['issued_on']}    有效期至：{valid_until.isoformat()}",
        f"证书编号：{payload['number']}",
        f"发证单位：{community}",
    ]
    y = height - 70 * mm
    for line in lines:
        pdf.drawString(35 * mm, y, line)
        y -= 11 * mm
    pdf.setFont(font, 9)
    for index, line in enumerate(verify.lines("本证书")):
        pdf.drawString(35 * mm, (34 - 5 * index) * mm, line)
    size = 38 * mm
    renderPDF.draw(qr(verify.scan, size), pdf, width - 30 * mm - size, height - 75 * mm - size)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
