"""The formula guard: refused on import with row and column named, escaped on every export."""

import csv
import io

import pytest
from openpyxl import load_workbook

from community import spreadsheet
from tests.community.uploads_helpers import xlsx_bytes

HEADERS = ["房号", "姓名", "楼层"]
FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tx", "\r=1", "＝1+1", ' =HYPERLINK("http://x")', "+86 139"]


def _read(content: bytes):
    return spreadsheet.read_table("t.csv", content, headers=HEADERS, max_rows=50, max_cell=100)


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_text_cell_taken_for_a_formula_is_refused_with_its_row_and_column(cell):
    rows, errors = _read(_csv([HEADERS, ["101", "张三", "1"], ["102", cell, "2"]]))
    assert [(e.row, e.column) for e in errors] == [(3, "姓名")]
    assert "可能被当作公式执行" in str(errors[0]) and "第 3 行“姓名”" in str(errors[0])


@pytest.mark.parametrize("cell", FORMULAS)
def test_the_same_in_an_xlsx_is_refused_too(cell):
    rows, errors = spreadsheet.read_table(
        "t.xlsx", xlsx_bytes([HEADERS, ["101", cell, 1]]), headers=HEADERS, max_rows=50, max_cell=100
    )
    assert [(e.row, e.column) for e in errors] == [(2, "姓名")]


def test_a_real_formula_in_an_xlsx_is_refused():
    rows, errors = spreadsheet.read_table(
        "t.xlsx", xlsx_bytes([HEADERS, ["101", "=A1&A1", 1]]), headers=HEADERS, max_rows=50, max_cell=100
    )
    assert [(e.row, e.column) for e in errors] == [(2, "姓名")]


def test_numbers_are_numbers_not_formulas():
    """-1 in a CSV (a basement floor) and -5 an .xlsx holds as a number both pass."""
    rows, errors = _read(_csv([HEADERS, ["101", "张三", "-1"], ["102", "李四", "+2"]]))
    assert errors == [] and [r[1]["楼层"] for r in rows] == ["-1", "+2"]
    rows, errors = spreadsheet.read_table(
        "t.xlsx", xlsx_bytes([HEADERS, ["101", "张三", -5]]), headers=HEADERS, max_rows=50, max_cell=100
    )
    assert errors == [] and rows[0][1]["楼层"] == -5


@pytest.mark.parametrize("cell", FORMULAS)
def test_exports_escape_every_formula_start(cell):
    assert spreadsheet.escape(cell) == "'" + cell
    book = load_workbook(io.BytesIO(spreadsheet.workbook([("表", [["名", cell, "-3", "张三"]])])))
    values = [c.value for c in next(book["表"].iter_rows())]
    # (XML keeps a carriage return as a line feed)
    assert values == ["名", "'" + cell.replace("\r", "\n"), "-3", "张三"]
    assert all(c.data_type == "s" for c in next(book["表"].iter_rows()))  # text, never a formula
    text = spreadsheet.csv_bytes([["名", cell, "-3"]]).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == ["名", "'" + cell, "-3"]


def test_an_escaped_export_imports_back_without_a_formula():
    exported = spreadsheet.csv_bytes([HEADERS, ["101", "=1+1", "1"]])
    rows, errors = _read(exported)
    assert errors == [] and rows[0][1]["姓名"] == "'=1+1"
