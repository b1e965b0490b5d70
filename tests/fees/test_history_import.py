"""HC小区's 房屋缴费历史 into the fee ledger: parsing at its boundaries, the preview, all or nothing,
receipts and vouchers in the ledger's own gapless series marked imported, re-import, the command."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from community.import_services import ImportRefused
from community.models import AuditEvent
from community.spreadsheet import csv_bytes, workbook
from fees import history_import, services
from fees.history_import import HEADERS, SHEET, parse, split_house
from fees.models import Bill, BillingRun, LedgerEntry, Payment, Statement
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory

TODAY = date(2026, 6, 15)


def row(house="1-1-101", item="物业服务费", cycle="1", start="2024-01-01", end="2024-01-31", paid_at="2024-01-05",
        due="179.00", paid="179.00", cashier="王收银", remark="微信"):  # fmt: skip
    return [house, item, cycle, start, end, paid_at, due, paid, cashier, remark]


def xlsx(*rows) -> bytes:
    return workbook([(SHEET, [HEADERS, *rows])])


def csv(*rows) -> bytes:
    return csv_bytes([HEADERS, *rows])


@pytest.fixture
def hc(pilot, world):
    """江滨豪园 with HC-style rooms: building “1”, rooms 1-101 (owned by 赵一), 1-102 and shop 0-05."""
    building = BuildingFactory(estate=pilot, name="1")
    units = {room: UnitFactory(building=building, room=room) for room in ("1-101", "1-102", "0-05")}
    OwnershipFactory(unit=units["1-101"], owner=OwnerFactory(name="赵一"), started_on=date(2019, 1, 1))
    return pilot, units


def errors_of(content, *, name="h.xlsx"):
    return [(e.row, e.column) for e in parse(name, content, today=TODAY)[1]]


# --------------------------------------------------------------------------- the file on its own


def test_house_is_building_then_unit_room_and_unit_zero_is_a_shop():
    assert split_house("1-1-101") == ("1", "1-101")
    assert split_house("1-0-05") == ("1", "0-05")
    assert split_house("A-2-3-1201") == ("A-2", "3-1201")  # a building whose name has a dash
    assert split_house("1-101") is None
    assert split_house("1--101") is None


def test_a_clean_file_parses_in_both_formats():
    for content, name in ((xlsx(row()), "h.xlsx"), (csv(row()), "h.csv")):
        rows, errors = parse(name, content, today=TODAY)
        assert errors == []
        (r,) = rows
        assert (r.building, r.room, r.item, r.cycle) == ("1", "1-101", "物业服务费", 1)
        assert (r.starts_on, r.ends_on, r.paid_on) == (date(2024, 1, 1), date(2024, 1, 31), date(2024, 1, 5))
        assert (r.due, r.paid) == (Decimal("179.00"), Decimal("179.00"))
        assert r.note == "HC小区导入；收银员：王收银；备注：微信"


def test_dates_as_hc_writes_them():
    rows, errors = parse(
        "h.csv",
        csv(row(start="45292", end="2024/01/31", paid_at="2024-01-05 10:21:33")),
        today=TODAY,
    )
    assert errors == []
    assert (rows[0].starts_on, rows[0].ends_on, rows[0].paid_on) == (
        date(2024, 1, 1),
        date(2024, 1, 31),
        date(2024, 1, 5),
    )


@pytest.mark.parametrize(
    "bad,column",
    [
        (dict(house="1-101"), "房屋"),
        (dict(house=""), "房屋"),
        (dict(item=""), "收费项目"),
        (dict(cycle="0"), "缴费周期"),
        (dict(cycle="一个月"), "缴费周期"),
        (dict(cycle="121"), "缴费周期"),
        (dict(start="2024-13-01"), "开始时间"),
        (dict(start="下个月"), "开始时间"),
        (dict(end="2023-12-31"), "结束时间"),  # before the start
        (dict(due="-1.00", paid="0"), "应缴金额"),
        (dict(paid="-5"), "实缴金额"),
        (dict(due="1.005"), "应缴金额"),
        (dict(due="abc"), "应缴金额"),
        (dict(paid=""), "实缴金额"),
        (dict(paid="179.01"), "实缴金额"),  # more than due: refused, no prepayments
        (dict(paid_at=""), "缴费时间"),  # paid without a day
        (dict(paid_at="2026-06-16"), "缴费时间"),  # tomorrow
    ],
)
def test_each_bad_cell_is_named_by_row_and_column(bad, column):
    assert errors_of(csv(row(), row(**{"start": "2024-02-01", "end": "2024-02-29", **bad})), name="h.csv") == [
        (3, column)
    ]


def test_boundaries_that_pass():
    rows, errors = parse(
        "h.csv",
        csv(
            row(paid="179.00", paid_at="2026-06-15"),  # paid today, exactly the amount due
            row(start="2024-02-01", end="2024-02-01", cycle="120", paid="0", paid_at=""),  # one day, unpaid
            row(start="2024-03-01", end="2024-03-31", due="0", paid="0", paid_at=""),  # nothing due
        ),
        today=TODAY,
    )
    assert errors == [] and len(rows) == 3
    assert rows[1].paid_on is None


def test_the_same_fee_twice_names_the_first_row_and_every_error_comes_at_once():
    content = csv(row(), row(paid="1"), row(house="x"), row(start="2024-02-01", end="2024-02-29", due="-1"))
    assert errors_of(content, name="h.csv") == [(3, "开始时间"), (4, "房屋"), (5, "应缴金额")]
    message = str(parse("h.csv", content, today=TODAY)[1][0])
    assert "第 3 行" in message and "第 2 行" in message


def test_a_file_with_other_headers_or_a_formula_is_refused():
    refused = parse("h.csv", csv_bytes([["楼栋编号", "单元编号"], ["1", "1"]]), today=TODAY)[1]
    assert refused[0].row == 1 and "缴费周期" in refused[0].message
    formula = "h.csv", "房屋,收费项目,缴费周期,开始时间,结束时间,缴费时间,应缴金额,实缴金额,收银员,备注\n"
    content = (formula[1] + "=1+1,物业服务费,1,2024-01-01,2024-01-31,2024-01-05,1,1,,\n").encode()
    assert [(e.row, e.column) for e in parse("h.csv", content, today=TODAY)[1]] == [(2, "房屋")]
    assert parse("h.csv", b"", today=TODAY)[1]


# --------------------------------------------------------------------------- preview


def test_the_preview_counts_what_it_would_write_and_writes_nothing(hc):
    estate, _units = hc
    content = xlsx(
        row(),
        row(start="2024-02-01", end="2024-02-29", paid_at="2024-03-02", paid="100.00"),
        row(
            house="1-1-102",
            item="生活垃圾清运费",
            cycle="12",
            start="2024-01-01",
            end="2024-12-31",
            due="120",
            paid="120",
        ),
        row(house="1-0-05", due="300", paid="0", paid_at=""),
    )
    plan = history_import.preview_history(actor=None, estate=estate, name="h.xlsx", content=content)
    assert plan.errors == []
    assert (len(plan.new_bills), len(plan.new_payments), plan.unchanged) == (4, 3, 0)
    assert plan.due_total == Decimal("778.00") and plan.paid_total == Decimal("399.00")
    assert (plan.left_open, plan.open_amount) == (2, Decimal("379.00"))
    assert [(c.name, c.bills, c.payments) for c in plan.item_counts] == [("物业服务费", 3, 2), ("生活垃圾清运费", 1, 1)]
    assert not Bill.objects.exists() and not Payment.objects.exists() and not LedgerEntry.objects.exists()


def test_unknown_rooms_and_items_are_all_listed_with_hc_row_numbers(hc):
    estate, _units = hc
    content = xlsx(row(), row(house="9-1-101"), row(item="装修押金"), row(house="1-1-102", item="装修押金"))
    plan = history_import.preview_history(actor=None, estate=estate, name="h.xlsx", content=content)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "房屋"), (4, "收费项目"), (5, "收费项目")]
    assert "请先导入房屋登记" in plan.errors[0].message
    assert "请先在价目公示中登记该项目" in plan.errors[1].message


def test_file_errors_and_estate_errors_come_together(hc):
    estate, _units = hc
    plan = history_import.preview_history(
        actor=None,
        estate=estate,
        name="h.csv",
        content=csv(row(house="9-1-101"), row(start="2024-02-01", end="2024-02-29", due="x")),
    )
    assert [(e.row, e.column) for e in plan.errors] == [(2, "房屋"), (3, "应缴金额")]


def test_payments_before_anyone_kept_the_books_are_errors(hc):
    estate, _units = hc  # the contract starts 2020-01-01
    plan = history_import.preview_history(
        actor=None,
        estate=estate,
        name="h.csv",
        content=csv(row(start="2019-12-01", end="2019-12-31", paid_at="2019-12-20")),
    )
    assert [(e.row, e.column) for e in plan.errors] == [(2, "缴费时间")]
    assert "没有记账主体" in plan.errors[0].message


def test_a_period_the_system_billed_itself_is_not_imported_over(hc):
    estate, units = hc
    OwnershipFactory(unit=units["1-102"], owner=OwnerFactory(name="钱二"), started_on=date(2019, 1, 1))
    services.run_billing(actor=None, estate=estate, period=date(2024, 1, 1))
    plan = history_import.preview_history(
        actor=None, estate=estate, name="h.csv", content=csv(row(house="1-1-102", start="2024-01-15", end="2024-02-14"))
    )
    assert [(e.row, e.column) for e in plan.errors] == [(2, "开始时间")]
    assert "2024-01" in plan.errors[0].message


# --------------------------------------------------------------------------- import


def _import(estate, content, name="h.xlsx"):
    return history_import.import_history(actor=None, estate=estate, name=name, content=content)


def test_import_writes_imported_bills_and_payments_with_gapless_receipts_and_vouchers(hc):
    estate, units = hc
    first = services.record_payment(  # an ordinary payment already in the series
        actor=None,
        unit=units["1-101"],
        amount="10.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="赵一",
        bills=[_own_bill(estate, units["1-101"])],
    )
    content = xlsx(
        row(start="2024-02-01", end="2024-02-29", paid_at="2024-03-02", paid="100.00"),
        row(),  # paid earlier: its receipt comes first
        row(house="1-0-05", due="300", paid="0", paid_at=""),
    )
    plan = _import(estate, content)
    assert (len(plan.new_bills), len(plan.new_payments)) == (3, 2)
    run = BillingRun.objects.get(imported=True)
    assert (run.bills_created, run.amount, run.period) == (3, Decimal("658.00"), date(2024, 1, 1))
    bills = Bill.objects.filter(run=run).order_by("unit__room", "starts_on")
    assert [(b.unit.room, b.starts_on, b.amount, b.addressee) for b in bills] == [
        ("0-05", date(2024, 1, 1), Decimal("300.00"), ""),
        ("1-101", date(2024, 1, 1), Decimal("179.00"), "赵一"),
        ("1-101", date(2024, 2, 1), Decimal("179.00"), "赵一"),
    ]
    payments = list(Payment.objects.filter(imported=True).order_by("receipt_number"))
    assert [p.receipt_number for p in payments] == [first.receipt_number + 1, first.receipt_number + 2]
    assert [p.paid_on for p in payments] == [date(2024, 1, 5), date(2024, 3, 2)]
    assert all(p.backdated and p.note.startswith("HC小区导入") and p.payer == "赵一" for p in payments)
    entries = list(LedgerEntry.objects.filter(payment__in=payments).order_by("entry_date"))
    assert all(e.imported for e in entries) and [e.number for e in entries] == [1, 2]  # 2024's vouchers
    assert not LedgerEntry.objects.get(payment=first).imported and not first.imported
    assert [a.bill.starts_on for a in payments[1].allocations.all()] == [date(2024, 2, 1)]
    # 179 − 100 of February and the shop's 300 stay owed
    owed = services.outstanding(Bill.objects.filter(run=run).values("pk"))
    assert sorted(owed.values()) == [Decimal("0.00"), Decimal("79.00"), Decimal("300.00")]
    event = AuditEvent.objects.get(action="fee_history_import")
    assert event.detail["bills"] == 3 and event.detail["payments"] == 2
    assert not AuditEvent.objects.filter(action="payment", object_id__in=[str(p.pk) for p in payments]).exists()


def _own_bill(estate, unit):
    if not unit.ownerships.exists():
        OwnershipFactory(unit=unit, owner=OwnerFactory(), started_on=date(2019, 1, 1))
    services.run_billing(actor=None, estate=estate, period=timezone.localdate().replace(day=1))
    return Bill.objects.filter(unit=unit, run__imported=False).first()


def test_an_error_anywhere_writes_nothing_and_takes_no_number(hc):
    estate, units = hc
    with pytest.raises(ImportRefused) as refused:
        _import(estate, xlsx(row(), row(start="2024-02-01", end="2024-02-29"), row(house="9-9-999")))
    assert [e.row for e in refused.value.rows] == [4]
    assert not BillingRun.objects.exists() and not Payment.objects.exists() and not LedgerEntry.objects.exists()
    plan = _import(estate, xlsx(row()))
    assert Payment.objects.get().receipt_number == 1 and LedgerEntry.objects.get().number == 1
    assert plan.new_payments


def test_a_reimport_of_the_same_file_changes_nothing(hc):
    estate, _units = hc
    content = xlsx(row(), row(start="2024-02-01", end="2024-02-29", paid="0", paid_at=""))
    _import(estate, content)
    counts = (BillingRun.objects.count(), Bill.objects.count(), Payment.objects.count(), LedgerEntry.objects.count())
    plan = _import(estate, content)
    assert (plan.changes, plan.unchanged) == (0, 2)
    assert counts == (
        BillingRun.objects.count(),
        Bill.objects.count(),
        Payment.objects.count(),
        LedgerEntry.objects.count(),
    )


def _ledger_counts():
    return (BillingRun.objects.count(), Bill.objects.count(), Payment.objects.count(), LedgerEntry.objects.count())


def test_a_row_over_part_of_an_imported_bill_is_refused_and_its_exact_twin_changes_nothing(hc):
    estate, _units = hc
    year = row(start="2024-01-01", end="2024-12-31", due="2148.00", paid="2148.00")
    _import(estate, xlsx(year))
    counts = _ledger_counts()
    with pytest.raises(ImportRefused) as refused:
        _import(estate, xlsx(row(start="2024-03-01", end="2024-03-31", paid_at="2024-03-05")))
    [error] = refused.value.rows
    assert (error.row, error.column) == (2, "开始时间")
    assert "2024-01-01 至 2024-12-31" in error.message and "物业服务费" in error.message
    assert _ledger_counts() == counts
    # another item of the same room, or the same item of another room, is no double billing
    plan = history_import.preview_history(
        actor=None,
        estate=estate,
        name="h.xlsx",
        content=xlsx(row(house="1-1-102", start="2024-03-01", end="2024-03-31", paid_at="2024-03-05")),
    )
    assert plan.errors == [] and len(plan.new_bills) == 1
    plan = _import(estate, xlsx(year))
    assert (plan.changes, plan.unchanged) == (0, 1) and _ledger_counts() == counts


def test_rows_of_one_file_over_the_same_days_are_refused_and_adjacent_periods_pass(hc):
    estate, _units = hc
    with pytest.raises(ImportRefused) as refused:
        _import(
            estate,
            xlsx(
                row(start="2024-01-01", end="2024-12-31", due="2148.00", paid="2148.00"),
                row(start="2024-03-01", end="2024-03-31", paid_at="2024-03-05"),
            ),
        )
    [error] = refused.value.rows
    assert (error.row, error.column) == (3, "开始时间")
    assert "第 2 行" in error.message and "2024-01-01 至 2024-12-31" in error.message
    assert _ledger_counts() == (0, 0, 0, 0)

    _import(estate, xlsx(row()))  # January
    plan = _import(
        estate,
        xlsx(
            row(start="2024-02-01", end="2024-02-29", paid_at="2024-02-05"),
            row(start="2024-03-01", end="2024-03-31", paid_at="2024-03-05"),
        ),
    )
    assert len(plan.new_bills) == 2 and plan.errors == []
    assert Bill.objects.filter(run__imported=True).count() == 3


def test_a_later_export_adds_the_payment_of_a_bill_imported_unpaid_and_refuses_changed_amounts(hc):
    estate, _units = hc
    _import(estate, xlsx(row(paid="0", paid_at="")))
    bill = Bill.objects.get()
    plan = _import(estate, xlsx(row(paid="179.00", paid_at="2024-04-01")))
    assert (len(plan.new_bills), len(plan.new_payments)) == (0, 1)
    assert Payment.objects.get().allocations.get().bill == bill and BillingRun.objects.count() == 1
    with pytest.raises(ImportRefused) as refused:
        _import(estate, xlsx(row(due="180.00", paid="180.00")))
    assert refused.value.rows[0].column == "应缴金额"
    with pytest.raises(ImportRefused) as refused:
        _import(estate, xlsx(row(paid="100.00")))
    assert "已收 179.00 元" in refused.value.rows[0].message


def test_a_payment_in_a_published_period_is_refused_but_a_reimport_of_it_is_not(hc):
    estate, _units = hc
    _import(estate, xlsx(row(start="2023-01-01", end="2023-01-31", paid_at="2023-01-05")))
    Statement.objects.create(
        estate=estate,
        kind="year",
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),  # closes everything up to its end, 2023's imported payment too
        fingerprint="x" * 64,
        published_at=timezone.now(),
    )
    plan = history_import.preview_history(actor=None, estate=estate, name="h.xlsx", content=xlsx(row()))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "缴费时间")]
    assert "已公布" in plan.errors[0].message
    again = xlsx(row(start="2023-01-01", end="2023-01-31", paid_at="2023-01-05"))
    plan = history_import.preview_history(actor=None, estate=estate, name="h.xlsx", content=again)
    assert (plan.errors, plan.unchanged, plan.changes) == ([], 1, 0)


def test_only_the_keeper_of_the_books_may_preview_or_import(hc, world):
    from django.core.exceptions import PermissionDenied

    from community.models import Role

    estate, _units = hc
    for role in (Role.COMMITTEE_MEMBER, Role.COMMUNITY_STAFF, Role.DISTRICT_ADMIN):
        with pytest.raises(PermissionDenied):
            history_import.preview_history(actor=world.users[role], estate=estate, name="h.xlsx", content=xlsx(row()))
        with pytest.raises(PermissionDenied):
            history_import.import_history(actor=world.users[role], estate=estate, name="h.xlsx", content=xlsx(row()))
    assert not Payment.objects.exists()
    plan = history_import.import_history(
        actor=world.users[Role.COMPANY_STAFF], estate=estate, name="h.xlsx", content=xlsx(row())
    )
    assert Payment.objects.get().recorded_by == world.users[Role.COMPANY_STAFF] and plan.new_payments


def test_the_sample_download_parses_and_imports(hc):
    estate, _units = hc
    content = history_import.sample_workbook()
    rows, errors = parse("sample.xlsx", content, today=TODAY)
    assert errors == [] and len(rows) == len(history_import.SAMPLE)
    plan = _import(estate, content, name="sample.xlsx")
    assert len(plan.new_bills) == len(history_import.SAMPLE)


# --------------------------------------------------------------------------- the command


def test_the_command_previews_with_dry_run_then_imports(hc, tmp_path):
    estate, _units = hc
    path = tmp_path / "hc.xlsx"
    path.write_bytes(xlsx(row(), row(house="1-0-05", due="300", paid="0", paid_at="")))
    out = StringIO()
    call_command("import_fee_history", "--estate", estate.code, str(path), "--dry-run", stdout=out)
    assert "将新增账单 2 笔、收款 1 笔" in out.getvalue() and not Bill.objects.exists()
    out = StringIO()
    call_command("import_fee_history", "--estate", estate.code, str(path), "--quiet-progress", stdout=out)
    assert "历史账单 2 笔" in out.getvalue() and Payment.objects.filter(imported=True).count() == 1
    out = StringIO()
    call_command("import_fee_history", "--estate", estate.code, str(path), "--quiet-progress", stdout=out)
    assert "未变化的 2 行" in out.getvalue() and Payment.objects.count() == 1


def test_the_command_lists_errors_and_refuses(hc, tmp_path):
    estate, _units = hc
    path = tmp_path / "hc.csv"
    path.write_bytes(csv(row(house="9-9-9"), row(start="2024-02-01", paid="999")))
    err = StringIO()
    with pytest.raises(CommandError, match="3 处错误"):
        call_command("import_fee_history", "--estate", estate.code, str(path), "--quiet-progress", stderr=err)
    assert "第 2 行" in err.getvalue() and "第 3 行" in err.getvalue()
    with pytest.raises(CommandError, match="没有编码"):
        call_command("import_fee_history", "--estate", "NOPE", str(path))
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_fee_history", "--estate", estate.code, str(tmp_path / "missing.xlsx"))
    assert not Bill.objects.exists()


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_on_postgresql_imported_entries_are_append_only_and_numbers_gapless(hc):
    estate, units = hc
    OwnershipFactory(unit=units["1-102"], owner=OwnerFactory(name="钱二"), started_on=date(2019, 1, 1))
    rows = [
        row(house=house, start=f"2023-{m:02d}-01", end=f"2023-{m:02d}-28", paid_at=f"2023-{m:02d}-10")
        for house in ("1-1-101", "1-1-102")
        for m in range(1, 13)
    ]
    _import(estate, xlsx(*rows))
    receipts = sorted(Payment.objects.values_list("receipt_number", flat=True))
    vouchers = sorted(LedgerEntry.objects.filter(year=2023).values_list("number", flat=True))
    assert receipts == list(range(1, 25)) and vouchers == list(range(1, 25))
    assert LedgerEntry.objects.filter(imported=True).count() == 24
    entry = LedgerEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE fees_ledgerentry SET imported = false WHERE id = %s", [entry.pk])
    _import(estate, xlsx(*rows))  # the re-import on PostgreSQL: nothing more
    assert Payment.objects.count() == 24 and LedgerEntry.objects.count() == 24
