"""Importing questions from a spreadsheet (.xlsx or .csv) with Chinese headers.

Columns: 主题, 题型, 题干, 法律依据, 选项A … 选项F, 正确答案, 解析.
* 主题 and 题型 take the Chinese labels shown in the admin (or their codes).
* 正确答案 is letters (A, or ACD for a multiple choice); a 判断题 takes 对 or 错
  and needs no option columns.
Every row is checked first; any error is reported with its row number and
column, and then nothing is imported.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from openpyxl import load_workbook

from .models import QuestionKind, Topic

HEADERS = ["主题", "题型", "题干", "法律依据", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "正确答案", "解析"]
LETTERS = "ABCDEF"
MAX_ROWS = 2000
MAX_CELL = 1000
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        return f"第 {self.row} 行“{self.column}”：{self.message}" if self.column else f"第 {self.row} 行：{self.message}"


def _lookup(choices, value):
    for code, label in choices:
        if value in (code, str(label)):
            return code
    return None


def _rows(name: str, content: bytes):
    if name.lower().endswith(".xlsx"):
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=False).active
        for values in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2):
            yield ["" if v is None else v for v in values]
    elif name.lower().endswith(".csv"):
        text = content.decode("utf-8-sig")
        yield from csv.reader(io.StringIO(text))
    else:
        raise ValueError("只接受 .xlsx 或 .csv 文件。")


def parse(name: str, content: bytes) -> tuple[list[tuple], list[RowError]]:
    """(entries in question_bank.py's shape, errors). Entries are usable only when errors is empty."""
    if len(content) > MAX_BYTES:
        return [], [RowError(0, "", "文件超过 5 MB。")]
    try:
        rows = list(_rows(name, content))
    except (ValueError, UnicodeDecodeError, OSError, KeyError, zipfile.BadZipFile) as exc:
        return [], [RowError(0, "", f"无法读取文件：{exc}")]
    if not rows or [str(h).strip() for h in rows[0][: len(HEADERS)]] != HEADERS:
        return [], [RowError(1, "", "表头应为：" + "、".join(HEADERS))]
    body = [r for r in rows[1:] if any(str(v).strip() for v in r)]
    if len(rows) - 1 > MAX_ROWS:
        return [], [RowError(MAX_ROWS + 2, "", f"最多 {MAX_ROWS} 行。")]
    entries, errors, seen = [], [], set()
    for number, raw in enumerate(rows[1:], start=2):
        if not any(str(v).strip() for v in raw):
            continue
        cells = {}
        for column, value in zip(HEADERS, list(raw) + [""] * len(HEADERS), strict=False):  # short rows pad
            if not isinstance(value, str):
                value = str(value)
            if value.startswith("="):
                errors.append(RowError(number, column, "不接受公式，请粘贴为数值。"))
            if len(value) > MAX_CELL:
                errors.append(RowError(number, column, f"内容超过 {MAX_CELL} 字。"))
            cells[column] = value.strip()
        topic = _lookup(Topic.choices, cells["主题"])
        kind = _lookup(QuestionKind.choices, cells["题型"])
        if topic is None:
            errors.append(RowError(number, "主题", "应为：" + "、".join(str(label) for _c, label in Topic.choices)))
        if kind is None:
            errors.append(RowError(number, "题型", "应为：单选题、多选题或判断题"))
        for column in ("题干", "法律依据", "解析"):
            if not cells[column]:
                errors.append(RowError(number, column, "不能为空"))
        if cells["题干"] in seen:
            errors.append(RowError(number, "题干", "与前面的行重复"))
        seen.add(cells["题干"])
        answer = cells["正确答案"].upper().replace(" ", "")
        if kind == "true_false":
            if cells["正确答案"] not in ("对", "错"):
                errors.append(RowError(number, "正确答案", "判断题应填“对”或“错”"))
                continue
            options = "|".join(("*" if cells["正确答案"] == word else "") + word for word in ("对", "错"))
        else:
            present = [letter for letter in LETTERS if cells[f"选项{letter}"]]
            if len(present) < 2 or present != list(LETTERS[: len(present)]):
                errors.append(RowError(number, "选项A", "至少两个选项，且从选项A起连续填写"))
                continue
            if not answer or any(letter not in present for letter in answer) or len(set(answer)) != len(answer):
                errors.append(RowError(number, "正确答案", "应为已填写选项的字母，如 A 或 ACD"))
                continue
            if kind == "single" and len(answer) != 1:
                errors.append(RowError(number, "正确答案", "单选题只能有一个正确答案"))
                continue
            options = "|".join(("*" if letter in answer else "") + cells[f"选项{letter}"] for letter in present)
        if topic and kind:
            entries.append((topic, kind, cells["题干"], cells["法律依据"], options, cells["解析"]))
    if not body and not errors:
        errors.append(RowError(2, "", "文件中没有试题。"))
    return entries, errors
