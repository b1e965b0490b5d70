"""Importing questions from a spreadsheet (.xlsx or .csv) with Chinese headers.

Columns: 主题, 题型, 题干, 法律依据, 选项A … 选项F, 正确答案, 解析.
* 主题 and 题型 take the Chinese labels shown in the admin (or their codes).
* 正确答案 is letters (A, or ACD for a multiple choice); a 判断题 takes 对 or 错
  and needs no option columns.
Every row is checked first; any error is reported with its row number and
column, and then nothing is imported.
"""

from __future__ import annotations

from community.spreadsheet import Refused, RowError, read_table, text_of

from ..models import QuestionKind, Topic

HEADERS = ["主题", "题型", "题干", "法律依据", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "正确答案", "解析"]
LETTERS = "ABCDEF"
MAX_ROWS = 2000
MAX_CELL = 1000


def _lookup(choices, value):
    for code, label in choices:
        if value in (code, str(label)):
            return code
    return None


def parse(name: str, content: bytes) -> tuple[list[tuple], list[RowError]]:
    """(entries in question_bank.py's shape, errors). Entries are usable only when errors is empty."""
    try:
        rows, errors = read_table(name, content, headers=HEADERS, max_rows=MAX_ROWS, max_cell=MAX_CELL, any_order=False)
    except Refused as refusal:
        return [], [refusal.error]
    entries, seen = [], set()
    for number, raw in rows:
        cells = {column: text_of(value) for column, value in raw.items()}
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
    if not rows and not errors:
        errors.append(RowError(2, "", "文件中没有试题。"))
    errors.sort(key=lambda e: e.row)  # the reader's cell errors and ours, in file order
    return entries, errors
