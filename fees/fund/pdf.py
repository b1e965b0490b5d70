"""The maintenance fund's PDFs: the annual statement and a use request's split.

Both are built on the frames in ``fees.pdf`` (a disclosure with its fingerprint and QR code,
a plain document with one table). Rooms and amounts only: no owner's name is printed.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, Spacer

from ..pdf import disclosure, money, simple_document, table_style, wrap

FUND_UNIT_COLUMNS = [24 * mm, 18 * mm, 24 * mm, 22 * mm, 20 * mm, 24 * mm, 18 * mm, 30 * mm]


def fund_statement_pdf(data, *, verify) -> bytes:
    """``data`` is a ``fees.fund.selectors.FundStatementData``: totals, projects and every unit, no names."""
    t = data.totals
    summary = [
        ["管理主体", data.keeper, "专户", data.account],
        ["期初余额", money(t["opening"]), "本期交存", money(t["deposits"])],
        ["本期收益", money(t["income"]), "本期使用", money(t["uses"])],
        ["本期退还", money(t["refunds"]), "期末余额", money(t["closing"])],
    ]

    def sections(font, body):
        projects = [["维修项目", "部位", "", "拨付日期", "金额（元）", "分摊户数", "分摊面积（㎡）"]]
        projects += [
            [
                wrap(p.title, 50 * mm, font),
                p.kind,
                "应急" if p.emergency else "",
                p.paid_on.isoformat() if p.paid_on else "",
                money(p.cost),
                str(p.units),
                money(p.area),
            ]
            for p in data.projects
        ]
        projects.append(["合计", "", "", "", money(sum((p.cost for p in data.projects), 0)), "", ""])
        project_table = LongTable(
            projects, colWidths=[50 * mm, 22 * mm, 10 * mm, 22 * mm, 28 * mm, 18 * mm, 30 * mm], repeatRows=1
        )
        project_table.setStyle(table_style(font))
        units = [["房屋", "面积（㎡）", "期初余额", "交存", "收益", "使用", "退还", "期末余额"]]
        units += [
            [
                u.unit,
                money(u.area),
                money(u.opening),
                money(u.deposits),
                money(u.income),
                money(u.uses),
                money(u.refunds),
                money(u.balance),
            ]
            for u in data.units
        ]
        units.append(
            [
                "合计",
                "",
                money(t["opening"]),
                money(t["deposits"]),
                money(t["income"]),
                money(t["uses"]),
                money(t["refunds"]),
                money(t["closing"]),
            ]
        )
        unit_table = LongTable(units, colWidths=FUND_UNIT_COLUMNS, repeatRows=1)
        style = table_style(font)
        style.add("ALIGN", (1, 0), (-1, -1), "RIGHT")
        unit_table.setStyle(style)
        return [
            Paragraph(f"本期使用维修资金的项目（{len(data.projects)} 项），各户分摊额见下表“使用”栏", body),
            project_table,
            Spacer(1, 4 * mm),
            Paragraph(f"分户账（{len(data.units)} 户，按房号排列，不含业主姓名）", body),
            unit_table,
            Spacer(1, 4 * mm),
        ]

    return disclosure(
        title_text=f"{data.estate} {data.label} 住宅专项维修资金公布表",
        period=f"期间：{data.start.isoformat()} 至 {data.end.isoformat()}",
        summary=summary,
        sections=sections,
        verify=verify,
        header=f"{data.estate} · 维修资金 · {data.label}",
    )


def fund_split_pdf(use, rows) -> bytes:
    """A use's split: each charged room, its area, its share of the budget and of the settlement. No names."""
    table = [["房屋", "分摊面积（㎡）", "按预算分摊（元）", "结算分摊（元）"]] + [
        [r.unit, money(r.area), money(r.planned), money(r.amount)] for r in rows
    ]
    table.append(
        [
            "合计",
            money(sum((r.area for r in rows), 0)),
            money(use.budget),
            money(sum((r.amount or 0 for r in rows), 0)),
        ]
    )
    lines = [
        f"小区：{use.estate.name}　项目：{use.title}（{use.get_kind_display()}）",
        f"施工单位：{use.contractor}　预算：{money(use.budget)} 元　结算：{money(use.settlement)} 元",
        "按建筑面积分摊，精确到分；尾差按最大余数法分配（余数相同的，面积大者优先，再按房屋编号）。",
    ]
    return simple_document(
        "住宅专项维修资金分摊明细", lines, table, [], header=f"{use.estate.name} 维修资金分摊 {use.title}"
    )
