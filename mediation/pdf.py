"""The mediation agreement (人民调解协议书) as a PDF: one copy per party and one the
committee keeps (art. 29), each marked with whose copy it is and all carrying the same
fingerprint and verify address. Built on community/pdf.py."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from community.pdf import VerifyLink, cjk_font, qr

from .models import AgreementForm

MARGIN = 18 * mm


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def agreement_pdf(doc, *, verify: VerifyLink, deadline, committee: str) -> bytes:
    """``doc`` is a ``selectors.AgreementDocument``; ``deadline`` the last day to apply for
    judicial confirmation (None until the agreement takes effect)."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=11)
    head = ParagraphStyle("head", fontName=font, fontSize=11, leading=16, spaceBefore=6)
    title = ParagraphStyle("title", fontName=font, fontSize=17, leading=24, alignment=1)
    agreement = doc.agreement
    case = agreement.case
    buffer = BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"人民调解协议书 {agreement.number}",
    )
    copies = [f"{p.get_side_display()} {p.name} 收执" for p in doc.parties] + [f"{committee} 存档"]
    story = []
    for index, copy in enumerate(copies):
        if index:
            story.append(PageBreak())
        story += [
            Paragraph("人民调解协议书", title),
            Paragraph(f"编号：{agreement.number}　　案号：{case.number}　　（{escape(copy)}）", small),
            Spacer(1, 3 * mm),
            Paragraph("当事人", head),
        ]
        rows = [["身份", "姓名或名称", "负责人或代理人", "住所"]]
        rows += [
            [
                p.get_side_display(),
                Paragraph(escape(p.name), small),
                Paragraph(escape(p.representative or "—"), small),
                Paragraph(escape(p.address or "—"), small),
            ]
            for p in doc.parties
        ]
        table = Table(rows, colWidths=[22 * mm, 50 * mm, 34 * mm, 68 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font, 9),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        for heading, value in (
            ("纠纷的主要事实", agreement.facts),
            ("争议事项", agreement.issues),
            ("各方当事人的责任", agreement.responsibility),
            ("经调解，各方自愿达成如下协议", agreement.terms),
            ("履行方式", agreement.performance),
        ):
            story += [Paragraph(heading, head), Paragraph(_text(value), body)]
        story += [Paragraph("履行期限", head), Paragraph(f"{agreement.perform_by:%Y年%m月%d日}前履行完毕。", body)]
        if agreement.form == AgreementForm.ORAL:
            story.append(
                Paragraph(
                    f"本协议为口头协议，由调解员 {escape(agreement.mediator.name)} 记录，"
                    f"自 {agreement.reached_on:%Y年%m月%d日} 达成之日起生效（人民调解法第二十八条、第三十条）。",
                    body,
                )
            )
        else:
            story.append(
                Paragraph(
                    "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
                    "本协议一式 %d 份，各方当事人各执一份，人民调解委员会留存一份（人民调解法第二十九条）。"
                    % len(copies),
                    body,
                )
            )
            sign_rows = [["签署", "方式", "日期"]]
            for p in doc.parties:
                s = doc.signatures.get(p.pk)
                sign_rows.append(
                    [
                        Paragraph(escape(f"{p.get_side_display()} {p.name}"), small),
                        s.get_method_display() if s else "（未签署）",
                        f"{s.signed_on:%Y-%m-%d}" if s else "",
                    ]
                )
            sign_rows.append(
                [
                    f"人民调解员 {agreement.mediator.name}",
                    "签名" if agreement.mediator_signed_on else "（未签名）",
                    f"{agreement.mediator_signed_on:%Y-%m-%d}" if agreement.mediator_signed_on else "",
                ]
            )
            sign_rows.append(
                [
                    Paragraph(escape(committee), small),
                    "盖章" if agreement.sealed_on else "（未盖章）",
                    f"{agreement.sealed_on:%Y-%m-%d}" if agreement.sealed_on else "",
                ]
            )
            signs = Table(sign_rows, colWidths=[90 * mm, 40 * mm, 44 * mm])
            signs.setStyle(
                TableStyle(
                    [
                        ("FONT", (0, 0), (-1, -1), font, 9),
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ]
                )
            )
            story += [Spacer(1, 3 * mm), KeepTogether([signs])]
        if agreement.effective_on:
            effect = f"本协议于 {agreement.effective_on:%Y年%m月%d日} 生效。"
            if deadline:
                effect += (
                    f"双方当事人认为有必要的，可以自生效之日起三十日内（至 {deadline:%Y年%m月%d日}）"
                    "共同向人民法院申请司法确认（人民调解法第三十三条）。"
                )
        else:
            effect = "本协议尚未生效：签署未齐。"
        story += [Spacer(1, 3 * mm), Paragraph(effect, body), Spacer(1, 4 * mm)]
        footer = Table(
            [
                [
                    Paragraph(
                        "<br/>".join(escape(line) for line in verify.lines("本协议与调解室的记录是否一致")), small
                    ),
                    qr(verify.scan, 26 * mm),
                ]
            ],
            colWidths=[146 * mm, 28 * mm],
        )
        footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story.append(KeepTogether([footer]))
    pdf.build(story)
    return buffer.getvalue()
