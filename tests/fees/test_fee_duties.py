"""The fee books' and the fund's publication deadlines in the one duty list, at their boundaries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community import access, duties
from community.models import Role, RuleSet, SelfManagementPeriod
from fees.fund import services as fund
from fees.models import Statement, Subject

pytestmark = pytest.mark.django_db


def _of(on, kind, estate):
    return [d for d in duties.due(on) if d.kind == kind and d.node == estate]


def _statement(estate, subject, ends_on):
    return Statement.objects.create(
        estate=estate,
        subject=subject,
        kind="year",
        starts_on=date(ends_on.year, 1, 1),
        ends_on=ends_on,
        fingerprint="0" * 64,
        pdf="statements/x.pdf",
        published_at=timezone.now(),
    )


def test_a_remuneration_estate_publishes_its_fees_within_the_months_from_the_books_start(world):
    # 江滨豪园: a 酬金制 contract from 2020-01-01 and no statement yet
    [duty] = _of(date(2021, 1, 1), "fee_statement", world.e1)
    assert duty.last_day == date(2021, 1, 1) and duty.perm == access.KEEP_ACCOUNTS
    assert not duty.overdue(date(2021, 1, 1)) and duty.overdue(date(2021, 1, 2))


def test_the_next_fee_statement_counts_from_the_last_ones_end(world):
    before = _of(timezone.localdate(), "fee_statement", world.e1)[0]
    _statement(world.e1, Subject.FEES, date(2023, 12, 31))
    [duty] = _of(timezone.localdate(), "fee_statement", world.e1)
    assert duty.last_day == date(2024, 12, 31) and duty.key != before.key
    assert not duty.overdue(date(2024, 12, 31)) and duty.overdue(date(2025, 1, 1))
    _statement(world.e1, Subject.FUND, date(2024, 12, 31))  # a fund statement is not a fee statement
    assert _of(timezone.localdate(), "fee_statement", world.e1)[0].last_day == date(2024, 12, 31)


def test_a_statement_of_an_earlier_separate_period_does_not_start_the_clock(world):
    # 江滨豪园's 酬金制 books start 2020-01-01; a statement of the books before them ended 2019-06-30
    _statement(world.e1, Subject.FEES, date(2019, 6, 30))
    [duty] = _of(date(2021, 1, 1), "fee_statement", world.e1)
    assert duty.last_day == date(2021, 1, 1)


def test_the_district_may_ask_for_statements_more_often(world):
    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="半年公开", fee_disclosure_months=6)
    district.save()
    [duty] = _of(timezone.localdate(), "fee_statement", world.e1)
    assert duty.last_day == date(2020, 7, 1)


def test_a_lump_sum_estate_owes_no_fee_statement(world):
    # 同街道另一社区 is served under a 包干制 contract, 同社区另一网格 by nobody
    on = timezone.localdate()
    assert _of(on, "fee_statement", world.e3) == [] and _of(on, "fee_statement", world.e2) == []


def test_a_self_managed_estate_keeps_its_books_apart_and_publishes_them(world):
    SelfManagementPeriod.objects.create(estate=world.e2, started_on=date(2022, 3, 31))
    [duty] = _of(timezone.localdate(), "fee_statement", world.e2)
    assert duty.last_day == date(2023, 3, 31)
    assert not duty.overdue(date(2023, 3, 31)) and duty.overdue(date(2023, 4, 1))


def _account(world, opened_on):
    return fund.open_account(
        actor=None,
        estate=world.e1,
        bank="建设银行",
        account_number="3501001",
        construction_cost=Decimal("2000.00"),
        deposit_pct=Decimal("5"),
        custodian="区住房和城乡建设局",
        opened_on=opened_on,
    )


def test_the_fund_statement_is_due_a_year_from_the_opening_then_from_the_last_statement(world):
    account = _account(world, date(2023, 2, 28))
    [duty] = _of(timezone.localdate(), "fund_statement", world.e1)
    assert duty.last_day == date(2024, 2, 28) and duty.perm == access.REVIEW_FUND
    assert not duty.overdue(date(2024, 2, 28)) and duty.overdue(date(2024, 2, 29))
    _statement(world.e1, Subject.FUND, date(2023, 12, 31))
    [duty] = _of(timezone.localdate(), "fund_statement", world.e1)
    assert duty.last_day == date(2024, 12, 31)
    assert not duty.overdue(date(2024, 12, 31)) and duty.overdue(date(2025, 1, 1))
    account.handed_over_on = timezone.localdate() - timedelta(days=1)
    account.save()
    [duty] = _of(timezone.localdate(), "fund_statement", world.e1)
    assert duty.perm == access.APPROVE_SPENDING  # the committee keeps the fund after the hand-over


def test_who_answers_for_the_statements(world):
    _account(world, date(2023, 2, 28))
    on = timezone.localdate()
    kinds = {role: {d.kind for d in duties.for_user(world.users[role], on)} for role in world.users}
    assert "fee_statement" in kinds[Role.COMPANY_STAFF]
    assert "fund_statement" in kinds[Role.DISTRICT_ADMIN] and "fund_statement" in kinds[Role.STREET_STAFF]
    assert "fund_statement" not in kinds[Role.COMMITTEE_MEMBER] and "fee_statement" not in kinds[Role.COMMITTEE_MEMBER]
