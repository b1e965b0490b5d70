"""The unit-and-owner spreadsheet: its columns, its notes, and the checks one file can make
on itself (no database): each row is a unit, or a co-owner of the unit above.

``parse`` turns a file into ``UnitRow``s, each with its owners, and a list of
``RowError``s naming row, column and what is wrong. ``community.import_services``
then compares the rows with the registry and writes them, all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import identifiers
from .spreadsheet import Refused, RowError, is_blank, read_table, text_of, workbook

BUILDING, ROOM, FLOOR = "楼栋", "房号", "楼层"
REGISTERED, SURVEYED, CONTRACT = "产权登记面积（㎡）", "实测面积（㎡）", "合同面积（㎡）"
DELIVERED, KIND, NAME, ID_NUMBER, MOBILE, SINCE = (
    "已交付",
    "业主类型",
    "业主姓名",
    "证件号码",
    "手机号码",
    "产权起始日期",
)
HEADERS = [BUILDING, ROOM, FLOOR, REGISTERED, SURVEYED, CONTRACT, DELIVERED, KIND, NAME, ID_NUMBER, MOBILE, SINCE]
AREA_COLUMNS = {REGISTERED: "registered_area", SURVEYED: "surveyed_area", CONTRACT: "contract_area"}
UNIT_COLUMNS = (FLOOR, REGISTERED, SURVEYED, CONTRACT, DELIVERED)
OWNER_COLUMNS = (KIND, NAME, ID_NUMBER, MOBILE, SINCE)
MAX_ROWS = 20_000
MAX_CELL = 100
MAX_AREA = Decimal("99999999.99")  # the column holds ten digits, two after the point
PERSON, ORGANISATION = "person", "org"
KINDS = {"": PERSON, "自然人": PERSON, "个人": PERSON, "组织": ORGANISATION, "单位": ORGANISATION}
YES, NO = ("是", "Y", "y", "1", "TRUE", "True", "true"), ("否", "N", "n", "0", "FALSE", "False", "false")

NOTES = [
    (BUILDING, gettext_lazy("必填。楼栋名称，如“1号楼”。同一小区内按名称识别，表中出现新名称即新增楼栋。")),
    (ROOM, gettext_lazy("必填。房号，如“1201”。同一楼栋内不可重复；小区 + 楼栋 + 房号是一套房屋的唯一标识。")),
    (FLOOR, gettext_lazy("选填。整数，地下层填负数。")),
    (
        REGISTERED,
        gettext_lazy(
            "三个面积至少填一个，单位㎡，最多两位小数。表决与分摊按产权登记面积，其次实测面积，其次合同面积。"
        ),
    ),
    (SURVEYED, gettext_lazy("同上。")),
    (CONTRACT, gettext_lazy("同上。")),
    (
        DELIVERED,
        gettext_lazy(
            "选填，“是”或“否”，默认“是”。已交付的房屋须有业主（本表填写或已登记）；"
            "未售或已售未交付（由开发建设单位持有）的房屋填“否”。"
        ),
    ),
    (KIND, gettext_lazy("选填，“自然人”或“组织”，默认“自然人”。")),
    (
        NAME,
        gettext_lazy(
            "有业主时必填。一套房屋有多位共有人时，每位共有人另起一行：楼栋和房号照填，楼层、面积、已交付留空。"
        ),
    ),
    (
        ID_NUMBER,
        gettext_lazy(
            "选填。自然人填 18 位居民身份证号码，组织填统一社会信用代码。请把整列设为文本格式，否则末几位会丢失。"
            "重新导入时，业主按证件号码识别，没有证件号码按手机号码识别。"
        ),
    ),
    (MOBILE, gettext_lazy("选填。11 位手机号码。")),
    (
        SINCE,
        gettext_lazy(
            "选填，格式 2021-06-30。留空时：首次登记按小区交付日期，更换业主按导入当天。"
            "表中业主与现登记业主不同时，原业主的产权在此日期前一天终止。"
        ),
    ),
]


@dataclass
class OwnerRow:
    row: int
    kind: str
    name: str
    id_number: str  # a resident ID for a person, a credit code for an organisation
    mobile: str
    since: date | None
    developer: bool = False  # the developer holding unsold units (an HC import names it once)

    @property
    def key(self) -> tuple[str, str]:
        """How a re-import finds this owner again: ID number, else mobile, else (name within the unit);
        the developer by its name among the registry's developers."""
        if self.developer:
            return ("developer", self.name)
        if self.id_number:
            return ("id", self.id_number)
        if self.mobile:
            return ("mobile", self.mobile)
        return ("name", self.name)


@dataclass
class UnitRow:
    row: int
    building: str
    room: str
    floor: int | None
    registered_area: Decimal | None
    surveyed_area: Decimal | None
    contract_area: Decimal | None
    delivered: bool
    owners: list[OwnerRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.building}-{self.room}"


def _area(value, row, column, errors) -> Decimal | None:
    if is_blank(value):
        return None
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        errors.append(RowError(row, column, _("应为面积数字，如 89.50。")))
        return None
    try:
        area = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, float) else Decimal(repr(value))
    except InvalidOperation:
        errors.append(RowError(row, column, _("应为面积数字，如 89.50。")))
        return None
    if not area.is_finite() or area <= 0 or area > MAX_AREA:
        errors.append(RowError(row, column, _("面积应大于 0 且小于 1 亿㎡。")))
        return None
    if area != area.quantize(Decimal("0.01")):
        errors.append(RowError(row, column, _("面积最多两位小数。")))
        return None
    return area.quantize(Decimal("0.01"))


def _floor(value, row, errors) -> int | None:
    if is_blank(value):
        return None
    text = text_of(value)
    try:
        floor = int(text)
    except ValueError:
        errors.append(RowError(row, FLOOR, _("楼层应为整数。")))
        return None
    if not -9 <= floor <= 200:
        errors.append(RowError(row, FLOOR, _("楼层应在 -9 到 200 之间。")))
        return None
    return floor


def _date(value, row, errors) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        errors.append(RowError(row, SINCE, _("日期格式应为 2021-06-30。")))
        return None


def _digits(value, row, column, errors, *, id_number=False) -> str:
    """A number kept as text: an .xlsx mobile stored as 13900000000.0 or an int reads as its
    digits; an ID number (``id_number``) stored as a number has lost its last digits already and
    is refused."""
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        errors.append(RowError(row, column, _("应为文本。")))
        return ""
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) > 15):
        if id_number:
            errors.append(
                RowError(row, column, _("证件号码是按数字保存的，末几位可能已丢失：请把该列设为文本格式后重新填写。"))
            )
            return ""
        value = text_of(value)
    return "" if value is None else str(value).strip().replace(" ", "")


def _owner(cells, row, errors) -> OwnerRow | None:
    name = text_of(cells[NAME])
    id_number = _digits(cells[ID_NUMBER], row, ID_NUMBER, errors, id_number=True).upper()
    mobile = _digits(cells[MOBILE], row, MOBILE, errors)
    kind_text = text_of(cells[KIND])
    since = _date(cells[SINCE], row, errors)
    if not name:
        if id_number or mobile or kind_text or since:
            errors.append(RowError(row, NAME, _("填写了业主信息，业主姓名不能为空。")))
        return None
    kind = KINDS.get(kind_text)
    if kind is None:
        errors.append(RowError(row, KIND, _("应为“自然人”或“组织”。")))
        return None
    if id_number:
        if kind == PERSON and not identifiers.is_valid_resident_id(id_number):
            errors.append(RowError(row, ID_NUMBER, _("居民身份证号码无效：应为 18 位，出生日期真实，且校验位正确。")))
        if kind == ORGANISATION and not identifiers.is_valid_uscc(id_number):
            errors.append(RowError(row, ID_NUMBER, _("统一社会信用代码无效：应为 18 位，且校验位正确。")))
    if mobile and not identifiers.is_valid_mobile(mobile):
        errors.append(RowError(row, MOBILE, _("手机号码无效：应为以 1 开头的 11 位数字。")))
    return OwnerRow(row, kind, name, id_number, mobile, since)


def name_clash(owner: OwnerRow, seen: dict, number: int, *, id_column: str, mobile_column: str) -> RowError | None:
    """The error when ``owner`` carries an ID number or mobile an earlier row of the file gave to
    someone else by name (``seen``: key → first row with it, filled here); None otherwise."""
    if owner.key[0] == "name":
        return None
    first = seen.setdefault(owner.key, owner)
    if first is owner or first.name == owner.name:
        return None
    column = id_column if owner.key[0] == "id" else mobile_column
    return RowError(
        number,
        column,
        _("与第 %(row)s 行的%(what)s相同，但姓名不同（%(a)s / %(b)s）。")
        % {"row": first.row, "what": column, "a": first.name, "b": owner.name},
    )


def parse(name: str, content: bytes) -> tuple[list[UnitRow], list[RowError]]:
    """(units, errors) for one estate's file; the units are usable only when errors is empty."""
    try:
        rows, errors = read_table(name, content, headers=HEADERS, max_rows=MAX_ROWS, max_cell=MAX_CELL)
    except Refused as refusal:
        return [], [refusal.error]
    units: dict[tuple[str, str], UnitRow] = {}
    owners_seen: dict[tuple[str, str], OwnerRow] = {}  # ID number or mobile → its first row
    for number, cells in rows:
        building, room = text_of(cells[BUILDING]), text_of(cells[ROOM])
        if not building:
            errors.append(RowError(number, BUILDING, _("不能为空。")))
        if not room:
            errors.append(RowError(number, ROOM, _("不能为空。")))
        for column, value in ((BUILDING, building), (ROOM, room)):
            if len(value) > (50 if column == BUILDING else 20):
                errors.append(
                    RowError(number, column, _("不超过 %(n)s 个字。") % {"n": 50 if column == BUILDING else 20})
                )
        owner = _owner(cells, number, errors)
        key = (building, room)
        unit = units.get(key)
        if unit is not None:  # a co-owner row
            if any(not is_blank(cells[c]) for c in UNIT_COLUMNS):
                errors.append(
                    RowError(
                        number,
                        ROOM,
                        _("房号重复：%(unit)s 已在第 %(row)s 行。若是共有人，请将楼层、面积、已交付留空。")
                        % {"unit": unit.label, "row": unit.row},
                    )
                )
            elif owner is None:
                errors.append(
                    RowError(
                        number,
                        NAME,
                        _("共有人行须填写业主姓名（%(unit)s 已在第 %(row)s 行）。")
                        % {"unit": unit.label, "row": unit.row},
                    )
                )
        elif building and room:
            areas = {field: _area(cells[column], number, column, errors) for column, field in AREA_COLUMNS.items()}
            if all(is_blank(cells[c]) for c in AREA_COLUMNS):
                errors.append(RowError(number, REGISTERED, _("产权登记、实测、合同面积至少填一个。")))
            delivered_text = text_of(cells[DELIVERED])
            if delivered_text and delivered_text not in YES + NO:
                errors.append(RowError(number, DELIVERED, _("应为“是”或“否”。")))
            unit = UnitRow(
                number,
                building,
                room,
                _floor(cells[FLOOR], number, errors),
                delivered=delivered_text not in NO,
                **areas,
            )
            units[key] = unit
        if owner is None or unit is None:
            continue
        clash = name_clash(owner, owners_seen, number, id_column=ID_NUMBER, mobile_column=MOBILE)
        if clash:
            errors.append(clash)
            continue
        if any(o.key == owner.key for o in unit.owners):
            errors.append(
                RowError(
                    number,
                    NAME,
                    _("%(unit)s 已登记此业主（第 %(row)s 行）。")
                    % {"unit": unit.label, "row": next(o.row for o in unit.owners if o.key == owner.key)},
                )
            )
            continue
        unit.owners.append(owner)
    if not rows and not errors:
        errors.append(RowError(2, "", _("文件中没有房屋。")))
    errors.sort(key=lambda e: e.row)
    first = {}  # one error per cell: a formula cell is not "also empty"
    for e in errors:
        first.setdefault((e.row, e.column or id(e)), e)
    return list(units.values()), list(first.values())


def template_workbook(example: list[list] | None = None) -> bytes:
    """The download: the header row with example rows, and a sheet of notes."""
    example = example or [
        ["1号楼", "101", "1", "89.50", "", "", "是", "自然人", "张三", "", "13900000000", "2021-06-30"],
        ["1号楼", "101", "", "", "", "", "", "自然人", "李四", "", "", "2021-06-30"],
    ]
    notes = (
        [[_("列"), _("填写说明")]]
        + [[column, str(text)] for column, text in NOTES]
        + [
            ["", ""],
            [
                _("整体"),
                _(
                    "一个文件对应一个小区。第一行是表头，列的顺序可以调整，但不能增删或改名。"
                    "任何一行有错都不会导入，请按预览列出的行号和列名修改后重新上传。"
                    "重新上传修改后的文件不会产生重复：已登记的房屋和业主会更新，未变化的保持不变。"
                ),
            ],
        ]
    )
    return workbook(
        [(_("房屋与业主"), [HEADERS, *example]), (_("填写说明"), notes)],
        widths={_("房屋与业主"): [10, 8, 6, 16, 14, 14, 8, 10, 12, 22, 14, 14], _("填写说明"): [18, 90]},
    )
