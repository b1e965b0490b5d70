"""Disclosure statements: totals from the rows, a PDF whose printed totals add up, a fingerprint that verifies."""

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fees import selectors, services
from fees.models import Statement

from .conftest import seat_committee

D = Decimal
BASE = "https://wy.example.gov.cn"


@pytest.fixture
def january(pilot, world):
    """A January with fees paid, common income, an approved expenditure and a reversal."""
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    unit = world.resident.ownerships.get().unit
    bills = list(unit.bills.all())
    services.record_payment(
        actor=None,
        unit=unit,
        amount="189.00",
        paid_on=date(2026, 1, 5),
        method="cash",
        payer="张三丰",
        bills=bills,
        note="补登一月现金",
        now=None,
    )
    income = services.record_income(
        actor=None,
        estate=pilot,
        category="common",
        amount="1200.50",
        entry_date=date(2026, 1, 10),
        description="电梯广告位租金（1月）",
        counterparty="某传媒公司",
    )
    committee = seat_committee(pilot)
    expenditure = services.request_expenditure(
        actor=None,
        estate=pilot,
        category="utilities",
        payee="国网某供电公司",
        amount="300.25",
        purpose="公共照明电费（1月）",
    )
    services.decide_expenditure(
        actor=None,
        expenditure=expenditure,
        in_favour=list(committee.members.all())[:3],
        now=timezone.make_aware(timezone.datetime(2026, 1, 20, 9)),
    )
    return pilot, income


def test_the_statement_totals_come_from_its_rows_and_the_balance_from_all_entries(january):
    pilot, _income = january
    today = timezone.localdate()
    data = selectors.statement(pilot, date(2026, 1, 1), today)
    assert data.opening == D("0.00")
    assert data.income_total == D("1389.50")
    assert data.spending_total == D("300.25")
    assert data.closing == D("1089.25")
    later = selectors.statement(pilot, date(2030, 1, 1), date(2030, 1, 31))
    assert later.opening == D("1089.25") and later.rows == []


def test_a_lump_sum_estate_discloses_collection_only(world):
    data = selectors.statement(world.e3, date(2026, 1, 1), date(2026, 1, 31))
    assert data.mode == "collection" and data.opening is None and data.closing is None


def test_the_fingerprint_changes_with_any_row(january):
    pilot, income = january
    before = selectors.statement(pilot, date(2026, 1, 1), date(2026, 1, 31)).fingerprint
    services.record_income(
        actor=None, estate=pilot, category="other_in", amount="0.01", entry_date=date(2026, 1, 31), description="利息"
    )
    after = selectors.statement(pilot, date(2026, 1, 1), date(2026, 1, 31)).fingerprint
    assert before != after


def test_publishing_stores_the_pdf_closes_the_period_and_drafts_a_notice_without_personal_data(january):
    pilot, income = january
    statement = services.publish_statement(
        actor=None, estate=pilot, kind="month", start=date(2026, 1, 1), base_url=BASE
    )
    assert statement.pdf.read().startswith(b"%PDF")
    notice = statement.notice
    assert notice.attachments.count() == 1 and "1389.50" in notice.body
    assert "张三丰" not in notice.body
    # The period is closed: nothing more may be dated in it, so the fingerprint stays true.
    with pytest.raises(ValidationError, match="已公布"):
        services.record_income(
            actor=None,
            estate=pilot,
            category="other_in",
            amount="1.00",
            entry_date=date(2026, 1, 20),
            description="迟到的收入",
        )
    with pytest.raises(ValidationError, match="已经发布"):
        services.publish_statement(actor=None, estate=pilot, kind="month", start=date(2026, 1, 1), base_url=BASE)
    assert Statement.objects.count() == 1


def test_an_unfinished_period_or_a_bad_start_is_refused(pilot):
    this_month = timezone.localdate().replace(day=1)
    with pytest.raises(ValidationError, match="尚未结束"):
        services.publish_statement(actor=None, estate=pilot, kind="month", start=this_month, base_url=BASE)
    with pytest.raises(ValidationError, match="起始日期"):
        services.publish_statement(actor=None, estate=pilot, kind="quarter", start=date(2026, 2, 1), base_url=BASE)
    assert not Statement.objects.exists()


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")
def test_the_printed_totals_equal_the_sum_of_the_printed_rows_to_the_cent(january, tmp_path):
    pilot, _income = january
    data = selectors.statement(pilot, date(2026, 1, 1), date(2026, 1, 31), kind="month")
    from fees.pdf import statement_pdf

    path = tmp_path / "s.pdf"
    path.write_bytes(statement_pdf(data, verify=selectors.verify_link(BASE, data)))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    compact = text.replace(" ", "")
    assert "江滨豪园" in text and "第1/1页" in compact and "2026年1月" in text
    money = r"(-?[\d,]+\.\d\d)"
    rows = {"收": [], "支": []}
    for line in text.splitlines():
        match = re.match(rf"\s*([收支])\d{{4}}-\d{{5}}\s.*?\s{money}\s*$", line)
        if match:
            rows[match.group(1)].append(D(match.group(2).replace(",", "")))
    printed = {m.group(1): D(m.group(2).replace(",", "")) for m in re.finditer(rf"(收入账|支出账)合计.*?{money}", text)}
    assert sum(rows["收"]) == printed["收入账"] == D("1389.50")
    assert sum(rows["支"]) == printed["支出账"] == D("300.25")
    assert data.fingerprint[:16] in text.replace(" ", "")
    # The address a person types is short and plain; the fingerprint is printed apart, in groups.
    assert f"{BASE}/verify/statement/{pilot.code}/2026-01-01/2026-01-31/" in text
    assert "?fp=" not in text and "%" not in text
    assert " ".join(data.fingerprint[i : i + 8] for i in range(0, 64, 8)) in text
