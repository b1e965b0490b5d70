"""Benchmark: a 10,000-line disclosure statement as a PDF, against a raw reportlab table of the same rows.

Times fees.pdf.statement_pdf (summary, category totals, both ledgers, the QR code,
"page x / y" on every page, the fingerprint) against the plainest reportlab build
of the same rows: one LongTable in a SimpleDocTemplate with the same font and
column widths and table style. No database: the statement's figures are made here, so what is
timed is the rendering alone, on both sides. The baseline is the plainest honest way to print
those rows with the same library (one table, nothing else), so it does less than ours (no
summary, no category totals, no QR code, no "page x / y", which needs the page count first):
the ratio is what all of that costs. The sides alternate (bench.harness.alternate); medians of
--repeat rounds. Target: at most 1.5x the raw table.

Run: .venv/bin/python bench/disclosure_pdf.py [--rows N] [--repeat N]
"""

import argparse
import os
import sys
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import harness  # noqa: E402

os.environ.update(DEBUG="1", DATABASE_URL="sqlite:///:memory:", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

import random  # noqa: E402

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.platypus import LongTable, SimpleDocTemplate  # noqa: E402

from community.pdf import VerifyLink, cjk_font, fingerprint  # noqa: E402
from fees import pdf  # noqa: E402
from fees.selectors import Row, StatementData, Total  # noqa: E402

DESCRIPTIONS = [
    "物业费 收据2026-{n:06d}",
    "电梯广告位租金（{m}月）",
    "公共区域保洁外包服务费（{m}月）",
    "3 号楼 2 号电梯更换曳引钢丝绳（维保合同外项目，附报价单，业委会第 {n} 次会议批准）",
]


def rows(count: int) -> list[Row]:
    rng = random.Random(9)
    out = []
    for n in range(count):
        income = n < count * 0.8
        day = date(2026, 1, 1) + timedelta(days=n * 365 // count)
        text = rng.choice(DESCRIPTIONS[:2] if income else DESCRIPTIONS[2:]).format(n=n + 1, m=day.month)
        out.append(
            Row(
                "收入账" if income else "支出账",
                f"{'收' if income else '支'}2026-{n + 1:05d}",
                day,
                "物业费收入" if income else "服务支出",
                text,
                "" if income else "洁美保洁服务有限公司",
                Decimal(rng.randrange(100, 500000)) / 100,
            )
        )
    return out


def ours(data: StatementData) -> bytes:
    return pdf.statement_pdf(
        data,
        verify=VerifyLink("https://wy.example.gov.cn/verify/statement/E0001/2026-01-01/2026-12-31/", data.fingerprint),
    )


def raw(table_rows: list[list]) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4)
    table = LongTable(table_rows, colWidths=pdf.COLUMNS, repeatRows=1)
    table.setStyle(pdf.table_style(cjk_font()))
    doc.build([table])
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines = rows(args.rows)
    data = StatementData(
        estate="江滨豪园",
        code="E0001",
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        label="2026年度",
        keeper="某物业服务有限公司",
        mode="separated",
        rows=lines,
        opening=Decimal("0.00"),
    )
    data.income_total = sum((r.amount for r in lines if r.ledger == "收入账"), Decimal("0"))
    data.spending_total = sum((r.amount for r in lines if r.ledger == "支出账"), Decimal("0"))
    data.closing = data.income_total - data.spending_total
    data.category_totals = [
        Total("收入账", "物业费收入", data.income_total),
        Total("支出账", "服务支出", data.spending_total),
    ]
    data.fingerprint = fingerprint(data.payload())
    table_rows = [["凭证号", "日期", "类别", "摘要", "对方单位", "金额（元）"]] + [
        [r.voucher, r.date.isoformat(), r.category, r.description, r.counterparty, f"{r.amount:,.2f}"] for r in lines
    ]
    cjk_font()
    sizes = {}

    def side(name, build, arg):
        def run():
            sizes[name] = len(build(arg))

        return run

    a, b = harness.alternate(side("ours", ours, data), side("raw", raw, table_rows), rounds=args.repeat)
    print(f"rows: {args.rows}")
    print(
        f"statement_pdf: {a:.2f} s ({sizes['ours'] / 1e6:.1f} MB)   "
        f"raw reportlab LongTable: {b:.2f} s ({sizes['raw'] / 1e6:.1f} MB)"
    )
    harness.report(
        work=f"disclosure statement PDF, {args.rows:,} lines",
        target="<= 1.5",
        value=a / b,
        note=f"statement_pdf {a:.2f} s vs one reportlab LongTable of the same rows {b:.2f} s (median of {args.repeat})",
    )


if __name__ == "__main__":
    main()
