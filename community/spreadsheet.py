"""Reading an uploaded spreadsheet (.xlsx or .csv) with Chinese headers, defensively.

Every importer (the question bank, the unit-and-owner registry) reads through
``read_table``, so each meets the same hostile files the same way: a file over
5 MB, a zip that inflates past 50 MB, more rows than the importer allows (blank
rows count, so 100,000 empty rows are refused, not scanned), an unknown or
missing header, a formula, an overlong cell. The file's type is told by its content
(``community.uploads``), never by its name. File-level problems come back as
one error on row 0 or 1; cell-level ones name their row and column, and the
importer adds its own checks to the same list.

Cell values come back as the file holds them: strings from a CSV; from an
.xlsx also ints, floats and datetimes, which the importer checks by type.

The formula guard (CSV/formula injection): a text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab, a carriage return or a full-width ``＝`` is refused on import, its row and column
named, because a spreadsheet program would run it as a formula when the data is exported and
opened again. A cell an .xlsx holds as a number (``-5``) is a number, not text, and passes;
so does a text cell that is nothing but a signed number (``-1``, a basement floor in a CSV),
which a spreadsheet program reads as that number. Anything else so begun is refused, a
mobile written ``+86 139…`` too: the importers want plain digits. On the way out,
``workbook`` and ``csv_bytes`` (every spreadsheet the system writes) prefix such a cell
with ``'`` through ``escape``, so it shows as the text it is.
"""

from __future__ import annotations

import csv
import html
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from . import uploads

MAX_INFLATED = 50 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
LEADING = " \u3000\n"  # what may come before a formula's sign
SUSPECT_FIRST = frozenset("".join(FORMULA_STARTS) + LEADING)  # a cell begun otherwise is no formula


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        if self.column:
            return _("第 %(row)s 行“%(column)s”：%(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("第 %(row)s 行：%(message)s") % {"row": self.row, "message": self.message}


class Refused(Exception):
    """The file as a whole cannot be read; ``error`` says why."""

    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.error = RowError(row, "", message)


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships "
OFFICE_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships "
CHUNK = 1 << 16
C, V, F, T, IS, RPH, ROW, SI = (MAIN + tag for tag in ("c", "v", "f", "t", "is", "rPh", "row", "si"))


def _expat(start=None, end=None, text=None):
    """An XML parser calling back per element (names as "namespace local"): a workbook's
    100,000 cells cost a call each, not an element tree each. A DTD is refused (no workbook
    has one; entities are how an XML bomb explodes)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def refuse(*_args):
        raise ValueError("DTD")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def _parse_part(archive: zipfile.ZipFile, path: str, start=None, end=None, text=None) -> None:
    with archive.open(path) as stream:
        _expat(start, end, text).ParseFile(stream)


def _workbook_parts(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], int, bool, dict[str, str]]:
    """([(sheet name, part path)], active sheet index, 1904 dates, {relationship type: part path})."""
    sheets, book = [], {"active": 0, "date1904": False}

    def on_book(name, attrs):
        if name == MAIN + "sheet":
            sheets.append((attrs.get("name", ""), attrs.get(OFFICE_RELATIONSHIPS + "id", "")))
        elif name == MAIN + "workbookView":
            book["active"] = int(attrs.get("activeTab", 0))
        elif name == MAIN + "workbookPr":
            book["date1904"] = attrs.get("date1904", "").lower() in ("1", "true")

    _parse_part(archive, "xl/workbook.xml", on_book)
    targets, kinds = {}, {}

    def on_rels(name, attrs):
        if name == RELATIONSHIPS + "Relationship":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            targets[attrs.get("Id")] = path
            kinds[attrs.get("Type", "").rsplit("/", 1)[-1]] = path

    _parse_part(archive, "xl/_rels/workbook.xml.rels", on_rels)
    return [(name, targets.get(rid, "")) for name, rid in sheets], book["active"], book["date1904"], kinds


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    """The workbook's shared strings: each one's <t> and its runs' <t>, not its phonetic guide."""
    if not path or path not in archive.namelist():
        return []
    strings: list[str] = []
    parts: list[str] = []
    reading = phonetic = False

    def start(name, _attrs):
        nonlocal reading, phonetic
        if name == T:
            reading = not phonetic
        elif name == RPH:
            phonetic = True

    def end(name):
        nonlocal reading, phonetic
        if name == SI:
            strings.append("".join(parts).replace("x005F_", ""))
            parts.clear()
        elif name == T:
            reading = False
        elif name == RPH:
            phonetic = False

    def text(data):
        if reading:
            parts.append(data)

    _parse_part(archive, path, start, end, text)
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> tuple[set[int], set[int]]:
    """(cell styles showing a date, those showing a duration), by their index, as openpyxl reads them."""
    if not path or path not in archive.namelist():
        return set(), set()
    formats, styles, where = dict(BUILTIN_FORMATS), [], []

    def start(name, attrs):
        if name == MAIN + "numFmt":
            formats[int(attrs.get("numFmtId", 0))] = attrs.get("formatCode", "")
        elif name == MAIN + "cellXfs":
            where.append(name)
        elif name == MAIN + "xf" and where:
            styles.append(int(attrs.get("numFmtId", 0)))

    def end(name):
        if name == MAIN + "cellXfs":
            where.clear()

    _parse_part(archive, path, start, end)
    dates = {i for i, number in enumerate(styles) if is_date_format(formats.get(number))}
    durations = {i for i in dates if is_timedelta_format(formats.get(styles[i]))}
    return dates, durations


def _number(text: str):
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


_COLUMNS: dict[str, int] = {}


def _column(reference: str) -> int:
    """1 for "A7", 28 for "AB7"."""
    letters = reference.rstrip("0123456789")
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for letter in letters.upper():
            number = number * 26 + ord(letter) - 64
        if len(letters) <= 3:  # a real column (at most XFD); a hostile file's inventions are not kept
            _COLUMNS[letters] = number
    return number


def _xlsx_rows(content: bytes, limit: int, sheet: str | None = None):
    """The rows of a sheet as lists of values, as openpyxl reads them with data_only=False
    (a formula cell is its "=…" text, a date-formatted number a datetime), row 1 first, a blank
    row for each row the file leaves out, stopping after ``limit`` rows. Read straight from the
    sheet's XML with one callback per element: openpyxl's read-only mode builds an element per
    cell and scans a sheet without dimensions twice, 5× the time."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        with archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_INFLATED:
                raise Refused(0, _("文件解压后超过 %(mb)s MB，不予读取。") % {"mb": MAX_INFLATED // 1024 // 1024})
            sheets, active, date1904, parts = _workbook_parts(archive)
            named = dict(sheets)
            path = named[sheet] if sheet and sheet in named else sheets[active][1]
            strings = _shared_strings(archive, parts.get("sharedStrings"))
            dates, durations = _date_styles(archive, parts.get("styles"))
            yield from _sheet_rows(archive, path, limit, strings, dates, durations, date1904)
    except (
        zipfile.BadZipFile,
        KeyError,
        IndexError,
        OSError,
        ValueError,
        TypeError,
        expat.ExpatError,
    ) as exc:
        raise Refused(0, _("无法读取文件：不是有效的 .xlsx 文件（%(error)s）。") % {"error": exc}) from exc


def _sheet_rows(archive, path, limit, strings, dates, durations, date1904):
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    done: list[tuple[int, list]] = []  # rows read, not yet handed out
    row: list = []
    row_number = column = style = 0
    kind, formula, phonetic, inline = "n", False, False, False
    value: list[str] = []  # the cell's <v>
    other: list[str] = []  # its formula, or its inline string
    into = None  # where the text being read goes

    def start(name, attrs):
        nonlocal row_number, column, style, kind, formula, phonetic, inline, value, other, into
        if name == C:
            reference = attrs.get("r")
            column = _column(reference) if reference else column + 1
            kind, style = attrs.get("t", "n"), int(attrs.get("s", 0))
            formula = inline = phonetic = False
            value, other = [], []
        elif name == V:
            into = value
        elif name == F:
            formula, into = True, other
        elif name == T:
            if inline and not phonetic:
                into = other
        elif name == IS:
            inline = True
        elif name == RPH:
            phonetic = True
        elif name == ROW:
            reference = attrs.get("r")
            row_number = int(reference) if reference else row_number + 1
            column = 0
            row.clear()

    def end(name):
        nonlocal into, phonetic
        if name == C:
            cell = _cell_value(kind, style, formula, inline, "".join(value), other)
            if cell is not None:
                row.extend([None] * (column - len(row)))
                row[column - 1] = cell
        elif name in (V, F, T):
            into = None
        elif name == RPH:
            phonetic = False
        elif name == ROW:
            done.append((row_number, list(row)))

    def text(data):
        if into is not None:
            into.append(data)

    def _cell_value(kind, style, formula, inline, v, other):
        if formula:
            return "=" + "".join(other)
        if inline:
            return "".join(other).replace("x005F_", "") or None
        if not v:
            return None
        if kind == "n":
            number = _number(v)
            if style not in dates:
                return number
            try:
                return from_excel(number, epoch, timedelta=style in durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        if kind == "s":
            return strings[int(v)]
        if kind == "b":
            return bool(int(v))
        if kind == "d":
            return from_ISO8601(v)
        return v  # "str" (a formula's text result) and "e" (an error such as #N/A)

    parser = _expat(start, end, text)
    expected = 1
    with archive.open(path) as stream:
        while True:
            chunk = stream.read(CHUNK)
            parser.Parse(chunk, not chunk)
            for number, values in done:
                while expected < min(number, limit + 1):
                    yield []
                    expected += 1
                if number > limit:
                    return
                yield values
                expected = number + 1
            done.clear()
            if not chunk or expected > limit:
                return


def _csv_rows(content: bytes, limit: int, sheet: str | None = None):
    text = uploads.csv_text(content)  # UTF-8, else GBK as Excel in Chinese saves it
    if text is None:
        raise Refused(0, _("无法读取文件：CSV 应为 UTF-8 或 GBK 编码。"))
    try:
        for count, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if count > limit:
                return
            yield values
    except csv.Error as exc:
        raise Refused(0, _("无法读取文件：CSV 格式有误（%(error)s）。") % {"error": exc}) from exc


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(
    name: str,
    content: bytes,
    *,
    headers: list[str],
    max_rows: int,
    max_cell: int,
    any_order: bool = True,
    sheet: str | None = None,
) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """([(row number, {header: value})], errors) for the non-blank rows under the header row.

    An .xlsx is read from its sheet named ``sheet`` when it has one, else from its active sheet.

    Raises ``Refused`` for a file that cannot be read at all. With ``any_order``
    the columns may come in any order, but each header must appear exactly once
    and no other header may appear.
    """
    try:
        kind = uploads.check_content(content, uploads.IMPORT)
    except ValidationError as refused:
        raise Refused(0, refused.messages[0]) from refused
    reader = _xlsx_rows if kind == uploads.XLSX else _csv_rows
    physical = list(reader(content, max_rows + 2, sheet))  # header + rows + one more tells "too many"
    if len(physical) > max_rows + 1:
        raise Refused(
            max_rows + 2, _("文件超过 %(n)s 行（空行也计算在内），请删除多余的行后再导入。") % {"n": max_rows}
        )
    if not physical:
        raise Refused(1, _("文件是空的。"))
    head = ["" if v is None else str(v).strip() for v in physical[0]]
    while head and not head[-1]:
        head.pop()
    if any_order:
        unknown = [h for h in head if h not in headers]
        missing = [h for h in headers if h not in head]
        doubled = sorted({h for h in head if head.count(h) > 1})
        if unknown or missing or doubled:
            raise Refused(
                1,
                _("表头应为：%(headers)s。%(detail)s")
                % {
                    "headers": "、".join(headers),
                    "detail": "；".join(
                        filter(
                            None,
                            [
                                _("缺少：%(c)s") % {"c": "、".join(missing)} if missing else "",
                                _("无法识别：%(c)s") % {"c": "、".join(unknown)} if unknown else "",
                                _("重复：%(c)s") % {"c": "、".join(doubled)} if doubled else "",
                            ],
                        )
                    ),
                },
            )
    elif head[: len(headers)] != headers:
        raise Refused(1, _("表头应为：%(headers)s。") % {"headers": "、".join(headers), "detail": ""})
    positions = {h: head.index(h) for h in headers}
    rows, errors = [], []
    for number, values in enumerate(physical[1:], start=2):
        if all(is_blank(v) for v in values):
            continue
        values = list(values) + [None] * (len(head) - len(values))
        cells = {}
        for header, position in positions.items():
            value = values[position]
            if isinstance(value, str):
                if is_formula(value):
                    errors.append(
                        RowError(
                            number,
                            header,
                            _("不接受以 =、+、-、@、制表符或回车开头的内容（可能被当作公式执行），请删去开头的符号。"),
                        )
                    )
                    value = ""
                elif len(value) > max_cell:
                    errors.append(RowError(number, header, _("内容超过 %(n)s 字。") % {"n": max_cell}))
                    value = ""
                else:
                    value = value.strip()
            cells[header] = "" if value is None else value
        rows.append((number, cells))
    return rows, errors


SHEET_NAME = re.compile(r"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]*)\"")


def sheet_names(content: bytes) -> list[str]:
    """The sheet names of an .xlsx, read from its workbook part alone (no sheet is parsed); []
    for anything else."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            with archive.open("xl/workbook.xml") as stream:  # never inflate more than we read
                part = stream.read(1_000_000).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return []
    return [html.unescape(name) for name in SHEET_NAME.findall(part)]


def first_row(content: bytes, sheet: str | None = None) -> tuple[list[str], list[str]]:
    """(sheet names, header cells) of a file, read without raising: ([], []) for anything
    unreadable (``read_table`` then says what is wrong). For telling one layout from another."""
    try:
        kind = uploads.check_content(content, uploads.IMPORT)
        if kind == uploads.XLSX:
            names = sheet_names(content)
            head = next(_xlsx_rows(content, 1, sheet), [])
        else:
            names = []
            head = next(_csv_rows(content, 1), [])
    except (Refused, ValidationError):
        return [], []
    return names, ["" if v is None else str(v).strip() for v in head]


def is_formula(value) -> bool:
    """Whether a text cell would be taken for a formula by a spreadsheet program. A plain
    signed number ("-1", a basement floor in a CSV) is read as the number it is, so it passes."""
    if not isinstance(value, str) or not value or value[0] not in SUSPECT_FIRST:
        return False
    begun = value.startswith(FORMULA_STARTS) or value.lstrip(LEADING).startswith(FORMULA_STARTS)
    return begun and not PLAIN_NUMBER.fullmatch(value.strip())


def escape(value) -> str:
    """A cell as text for an exported spreadsheet: one that would be taken for a formula is
    prefixed with ``'`` so that it shows as the text it is."""
    text = "" if value is None else str(value)
    return f"'{text}" if is_formula(text) else text


def text_of(value) -> str:
    """A cell as text: whole numbers without '.0' (Excel keeps a room number 101 as 101.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def workbook(sheets: list[tuple[str, Iterable[list]]], *, widths: dict[str, list[int]] | None = None) -> bytes:
    """An .xlsx of (title, rows) sheets; every cell is written as text so that ID numbers
    and mobiles keep their digits, escaped (``escape``) so that none runs as a formula.
    Written in openpyxl's write-only mode, row by row: ``rows`` may be a generator, and a
    list of a hundred thousand rows never sits in memory as cell objects."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(str(title))
        for index, width in enumerate((widths or {}).get(title, []), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for row in rows:
            sheet.append([_text_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=escape(value))
    cell.number_format = "@"
    return cell


def csv_bytes(rows: list[list]) -> bytes:
    """A CSV (UTF-8 with the mark Excel needs to read Chinese) of ``rows``, every cell escaped."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([escape(v) for v in row])
    return out.getvalue().encode("utf-8-sig")
