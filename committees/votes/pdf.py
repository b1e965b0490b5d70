"""A closed vote's result as a PDF, the public copy: built on community/pdf.py (the embedded
CJK font, the fingerprint). It prints figures only: the vote, its scope and window, the count
by area and heads, the outcome, how the convening notice was served (by channel and count, and
paper services by method and count), and for an election the candidates by position with their
names masked. No owner is named. Its rows come from ``selectors.result_document``."""

from __future__ import annotations

from fractions import Fraction
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from community.pdf import cjk_font, fingerprint, grouped
from community.privacy import mask_name
from notifications.models import Channel, DeliveryStatus
from residents import coverage

from ..models import ServiceMethod

MARGIN = 16 * mm
CHOICES = (("yes", "同意"), ("no", "反对"), ("abstain", "弃权"))
# An election's ballot chooses candidates or none; each candidate's support is its own table.
ELECTION_CHOICES = (("yes", "选择了候选人"), ("abstain", "未选任何候选人"))


def _text(value) -> str:
    """Free text as a Paragraph's markup: escaped, so a typed ``<`` is no tag (nor a crash)."""
    return escape(str(value))


def outcome(result: dict) -> str:
    election = result.get("election")
    if election:
        if result.get("decided"):
            return f"选出业主委员会委员 {election.get('filled', len(election.get('elected', [])))} 名"
        return f"未选出业主委员会：{election.get('reason') or '未达到参与表决的法定比例'}"
    if result.get("decided"):
        return "通过"
    return "未达到参与表决的法定比例" if not result.get("quorum_met") else "未获通过"


def _percent(share: str) -> str:
    """ "2/3" as the pages show it (residents.coverage.percent: exact, rounded down)."""
    return coverage.percent(Fraction(share))


def _table(rows, widths, font):
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _service(service: dict | None, font, body) -> list:
    if not service:
        return [Paragraph("本表决结束计票时未记录表决通知的送达情况。", body)]
    heads, area = service["heads"], service["area"]
    story = [
        Paragraph(
            f"已送达：{heads['served']} 人（表决权人），专有部分面积 {area['served']} 平方米；"
            f"未送达：{heads['to_serve']} 人，专有部分面积 {area['to_serve']} 平方米。"
            f"结束计票时尚未送达的业主：{service.get('owners_to_serve', 0)} 位。",
            body,
        )
    ]
    rows = [["送达渠道", *[str(label) for _value, label in DeliveryStatus.choices]]]
    for channel, label in Channel.choices:
        counts = service.get("deliveries", {}).get(channel)
        if counts is not None:
            rows.append([str(label), *[str(counts.get(status, 0)) for status in DeliveryStatus.values]])
    if len(rows) > 1:
        story += [Spacer(1, 2 * mm), _table(rows, [34 * mm] + [30 * mm] * len(DeliveryStatus.values), font)]
    else:
        story.append(Paragraph("未经系统渠道发送通知。", body))
    paper = [["书面送达方式", "户数（业主）"]] + [
        [str(label), str(service.get("paper", {}).get(method, 0))] for method, label in ServiceMethod.choices
    ]
    story += [Spacer(1, 2 * mm), _table(paper, [50 * mm, 40 * mm], font)]
    return story


def _election(election: dict, font, body) -> list:
    rows = [["序号", "候选人", "同意面积（㎡）", "同意人数", "名次", "当选"]]
    for c in sorted(election.get("candidates", []), key=lambda c: (c.get("position") or 0, c.get("id") or 0)):
        rows.append(
            [
                str(c.get("position", "")),
                mask_name(c.get("name", "")),
                str(c.get("area", "")),
                str(c.get("heads", "")),
                str(c.get("rank") or "—"),
                "当选" if c.get("elected") else "—",
            ]
        )
    text = f"应选 {election.get('seats', '')} 名，当选 {election.get('filled', len(election.get('elected', [])))} 名"
    if election.get("short"):
        text += "，未选足应选名额"
    if election.get("lot"):
        text += "；面积、人数均相同者按结束计票时抽签并记录的顺序排名"
    story = [Paragraph(_text(f"选举结果（{text}）"), body), Spacer(1, 2 * mm)]
    story.append(_table(rows, [14 * mm, 36 * mm, 34 * mm, 24 * mm, 18 * mm, 20 * mm], font))
    return story


def _proxies(by_proxy) -> str:
    if isinstance(by_proxy, dict):
        count = by_proxy.get("count", by_proxy.get("heads", by_proxy.get("ballots", "")))
        area = by_proxy.get("area")
        return f"委托代理人投票：{count} 份" + (f"，专有部分面积 {area} 平方米" if area is not None else "")
    if isinstance(by_proxy, (list, tuple)):
        return f"委托代理人投票：{len(by_proxy)} 份"
    return f"委托代理人投票：{by_proxy} 份"


def result_pdf(doc: dict) -> tuple[bytes, str]:
    """(the PDF, its fingerprint) for ``selectors.result_document(vote)``."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=16)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=18, spaceBefore=6)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    result = doc["result"]
    fp = fingerprint(doc)
    title_text = f"{doc['estate']}业主大会表决结果"
    buffer = BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, title=title_text)
    window = f"{doc['opens_at']:%Y年%m月%d日 %H:%M} 至 {doc['closes_at']:%Y年%m月%d日 %H:%M}"
    lines = [
        f"小区：{doc['estate']}",
        f"表决事项：{doc['matter_label']}（民法典第二百七十八条第{doc['matter']}项）",
        f"表决内容：{doc['question']}",
        f"表决时间：{window}",
        f"表决范围：{doc['scope']}",
    ]
    if doc["closed_at"]:
        lines.append(f"结束计票：{doc['closed_at']:%Y年%m月%d日 %H:%M}")
    story = [Paragraph(_text(title_text), title), Spacer(1, 4 * mm)] + [Paragraph(_text(line), body) for line in lines]

    eligible, participating = result["eligible"], result["participating"]
    figures = [["", "专有部分面积（㎡）", "人数"]]
    figures.append(["表决范围内", eligible["area"], str(eligible["heads"])])
    figures.append(["参与表决", participating["area"], str(participating["heads"])])
    for choice, label in ELECTION_CHOICES if result.get("election") else CHOICES:
        row = result["by_choice"].get(choice)
        if row is not None:
            figures.append([label, row["area"], str(row["heads"])])
    figures.append(
        [
            "参与比例",
            f"{result['quorum_area']}（{_percent(result['quorum_area'])}）",
            f"{result['quorum_heads']}（{_percent(result['quorum_heads'])}）",
        ]
    )
    if "approval_area" in result and not result.get("election"):
        figures.append(
            [
                "同意占参与比例",
                f"{result['approval_area']}（{_percent(result['approval_area'])}）",
                f"{result['approval_heads']}（{_percent(result['approval_heads'])}）",
            ]
        )
    story += [Paragraph("计票结果", heading), _table(figures, [40 * mm, 70 * mm, 50 * mm], font)]
    story.append(Paragraph(_text(f"表决结果：{outcome(result)}"), heading))
    if result.get("by_proxy") is not None:
        story.append(Paragraph(_text(_proxies(result["by_proxy"])), body))
    if result.get("election"):
        story += _election(result["election"], font, body)
    if doc.get("posted_on"):
        story.append(Paragraph(f"结果公告日期：{doc['posted_on']:%Y年%m月%d日}", body))
    if doc.get("revoked_on"):
        story.append(Paragraph(f"本决定已于 {doc['revoked_on']:%Y年%m月%d日} 被人民法院判决撤销。", body))
    story += [Paragraph("表决通知送达情况", heading), *_service(result.get("service"), font, body)]
    story += [
        Spacer(1, 4 * mm),
        Paragraph("本文件为公开文本，不含业主个人信息；候选人姓名已脱敏。", body),
        Paragraph(f"数字指纹：{grouped(fp)}", body),
    ]
    pdf.build(story)
    return buffer.getvalue(), fp
