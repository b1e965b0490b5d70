"""The room-and-owner workbook of HC小区 (java110/MicroCommunity), read into the native rows.

HC exports and imports rooms with their people on one sheet, ``资产信息``: one row per person,
the room's columns repeated on each. ``parse`` turns it into the same ``UnitRow``/``OwnerRow``
that ``registry_import.parse`` gives, plus ``MemberRow``s (family members and tenants) and a
``Report`` of what was mapped and what was left out; ``import_services`` then plans and writes
them exactly as it does the native file (preview, all or nothing, re-import by natural key).

The mapping:

* building = 楼号; room = ``单元-房间`` (HC shows a room as 楼栋-单元-房号); 单元 ``0`` is HC's
  shop "unit", its rooms are named ``商铺-房间``;
* 业主类型 1001 is an owner: names written together in one cell (split at ，,、) are co-owners
  of the room, one owner each. When 手机号 / 身份证号 hold as many values as there are names
  (split the same way) they pair up in order; a single value belongs to the first name only;
  any other count is an error;
* 1002 家庭成员 and 1003 租客 become household members of the room (mobile required), invited by
  its first owner; 1004 临时人员 are counted and skipped;
* 房屋状态 2002 (未销售) marks the room undelivered and held by the developer named once for
  the import; every other HC state is a sold room;
* 建筑面积 goes to the area the user picks (registered, surveyed — the default — or contract);
  楼层 to the floor. Every other column is reported as not imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import identifiers
from .registry_import import MAX_CELL, ORGANISATION, PERSON, OwnerRow, UnitRow, _area, _digits, _floor, name_clash
from .spreadsheet import Refused, RowError, first_row, is_blank, read_table, sheet_names, text_of, workbook

SHEET = "资产信息"
(
    BUILDING,
    UNIT,
    ROOM,
    FLOOR,
    LAYERS,
    LIFT,
    ROOM_TYPE,
    LAYOUT,
    BUILT_AREA,
    INNER_AREA,
    RENT,
    STATE,
    NAME,
    SEX,
    MOBILE,
    ID_CARD,
    PERSON_TYPE,
) = HEADERS = [
    "楼号",
    "单元",
    "房间",
    "楼层",
    "总层数",
    "是否有电梯",
    "房屋类型",
    "房屋户型",
    "建筑面积",
    "室内面积",
    "租金",
    "房屋状态",
    "业主名称",
    "性别",
    "手机号",
    "身份证号",
    "业主类型",
]
NEW_HEADERS = ["人员类型", "人员角色", "联系人", "联系电话"]  # the 2024+ layout adds these
IMPORTED = (BUILDING, UNIT, ROOM, FLOOR, BUILT_AREA, STATE, NAME, MOBILE, ID_CARD, PERSON_TYPE)
MAX_ROWS = 20_000
SHOP_UNIT = "0"
SHOP = "商铺"

OWNER, FAMILY, TENANT, TEMPORARY = "1001", "1002", "1003", "1004"
PERSON_TYPES = {
    OWNER: gettext_lazy("业主"),
    FAMILY: gettext_lazy("家庭成员"),
    TENANT: gettext_lazy("租客"),
    TEMPORARY: gettext_lazy("临时人员"),
}
UNSOLD = "2002"
ROOM_STATES = {f"200{i}" for i in range(1, 10)}  # HC's room-state codes; only 2002 changes the import
SPLIT = re.compile(r"[，,、]")

REGISTERED, SURVEYED, CONTRACT = "registered_area", "surveyed_area", "contract_area"
AREA_SOURCES = [
    (SURVEYED, gettext_lazy("实测面积")),
    (REGISTERED, gettext_lazy("产权登记面积")),
    (CONTRACT, gettext_lazy("合同面积")),
]


@dataclass
class MemberRow:
    """A family member or tenant of a room: becomes a household invitation by its mobile."""

    row: int
    building: str
    room: str
    name: str
    mobile: str
    relation: str  # "family" or "tenant" (residents.models.Relation)

    @property
    def label(self) -> str:
        return f"{self.building}-{self.room}"


@dataclass
class Report:
    """What the HC rows became, counted for the preview, and the columns left out."""

    owners: int = 0  # 1001 rows' first (or only) owner
    co_owners: int = 0  # the further names of a 1001 cell, or further 1001 rows of a room
    family: int = 0
    tenants: int = 0
    temporary: int = 0  # 1004: skipped
    unsold: int = 0  # 2002 rooms, held by the developer
    developer: str = ""
    area_source: str = SURVEYED
    not_imported: list[str] = field(default_factory=list)

    def lines(self) -> list[tuple[str, int]]:
        return [
            (_("业主（1001）"), self.owners),
            (_("共有人（同一房屋的其他业主）"), self.co_owners),
            (_("家庭成员（1002）→ 邀请加入"), self.family),
            (_("租客（1003）→ 邀请加入"), self.tenants),
            (_("临时人员（1004，未导入）"), self.temporary),
            (_("未销售房屋（2002）→ 开发建设单位"), self.unsold),
        ]


def has_hc_sheet(content: bytes) -> bool:
    """Cheap: whether an .xlsx has a sheet named 资产信息 (only its workbook part is read)."""
    return SHEET in sheet_names(content)


def has_hc_headers(content: bytes) -> bool:
    """Whether the file's first row carries HC's own headers (a renamed sheet, or a CSV)."""
    _names, head = first_row(content, SHEET)
    return {BUILDING, ROOM, PERSON_TYPE} <= set(head)


def is_hc(content: bytes) -> bool:
    return has_hc_sheet(content) or has_hc_headers(content)


def _parts(text: str) -> list[str]:
    return [p.strip() for p in SPLIT.split(text)] if text else []


def _code(value) -> str:
    return text_of(value)


def _room(unit: str, room: str) -> str:
    if unit == SHOP_UNIT:
        return f"{SHOP}-{room}"
    return f"{unit}-{room}" if unit else room


def _owners(cells, number, errors) -> list[OwnerRow]:
    """The owners a 1001 row names: one per name in the cell, each with its mobile and ID."""
    names = [n for n in _parts(text_of(cells[NAME])) if n]
    mobiles = _parts(_digits(cells[MOBILE], number, MOBILE, errors))
    ids = _parts(_digits(cells[ID_CARD], number, ID_CARD, errors, id_number=True).upper())
    for column, values in ((MOBILE, mobiles), (ID_CARD, ids)):
        if len(values) > 1 and len(values) != len(names):
            errors.append(
                RowError(
                    number,
                    column,
                    _(
                        "业主名称有 %(names)s 人，本列有 %(values)s 个："
                        "应一一对应（用逗号或顿号分隔），或只填第一位业主的。"
                    )
                    % {"names": len(names), "values": len(values)},
                )
            )
            return []
    owners = []
    for i, name in enumerate(names):
        mobile = mobiles[i] if i < len(mobiles) else ""
        id_number = ids[i] if i < len(ids) else ""
        if len(name) > 100:
            errors.append(RowError(number, NAME, _("不超过 %(n)s 个字。") % {"n": 100}))
            continue
        kind = ORGANISATION if id_number and identifiers.is_valid_uscc(id_number) else PERSON
        if id_number and kind == PERSON and not identifiers.is_valid_resident_id(id_number):
            errors.append(RowError(number, ID_CARD, _("身份证号无效：应为 18 位，出生日期真实，且校验位正确。")))
        if mobile and not identifiers.is_valid_mobile(mobile):
            errors.append(RowError(number, MOBILE, _("手机号无效：应为以 1 开头的 11 位数字。")))
        owners.append(OwnerRow(number, kind, name, id_number, mobile, None))
    return owners


def parse(
    name: str, content: bytes, *, developer: str = "", area_source: str = SURVEYED
) -> tuple[list[UnitRow], list[MemberRow], Report, list[RowError]]:
    """(units, members, report, errors) of an HC workbook; usable only when errors is empty.
    Row numbers are the sheet's own, as HC and Excel show them."""
    developer = (developer or "").strip()
    report = Report(developer=developer, area_source=area_source)
    if area_source not in dict(AREA_SOURCES):
        return [], [], report, [RowError(0, "", _("面积来源应为产权登记面积、实测面积或合同面积之一。"))]
    _names, head = first_row(content, SHEET)
    headers = HEADERS + [h for h in NEW_HEADERS if h in head]
    try:
        rows, errors = read_table(name, content, headers=headers, max_rows=MAX_ROWS, max_cell=MAX_CELL, sheet=SHEET)
    except Refused as refusal:
        return [], [], report, [refusal.error]
    report.not_imported = [h for h in headers if h not in IMPORTED]
    units: dict[tuple[str, str], UnitRow] = {}
    members: list[MemberRow] = []
    member_seen: dict[tuple[str, str, str], int] = {}
    owners_seen: dict[tuple[str, str], OwnerRow] = {}
    unsold_rows = []
    for number, cells in rows:
        building, unit_no, room_no = text_of(cells[BUILDING]), text_of(cells[UNIT]), text_of(cells[ROOM])
        for column, value in ((BUILDING, building), (ROOM, room_no)):
            if not value:
                errors.append(RowError(number, column, _("不能为空。")))
        room = _room(unit_no, room_no)
        if len(building) > 50:
            errors.append(RowError(number, BUILDING, _("不超过 %(n)s 个字。") % {"n": 50}))
        if len(room) > 20:
            errors.append(RowError(number, ROOM, _("单元与房间合起来不超过 %(n)s 个字。") % {"n": 20}))
        state = _code(cells[STATE])
        if state and state not in ROOM_STATES:
            errors.append(RowError(number, STATE, _("应为 HC 的房屋状态编码 2001–2009（2002 为未销售），或留空。")))
        person_type = _code(cells[PERSON_TYPE]) or (OWNER if text_of(cells[NAME]) else "")
        if person_type and person_type not in PERSON_TYPES:
            errors.append(
                RowError(
                    number,
                    PERSON_TYPE,
                    _("应为 1001（业主）、1002（家庭成员）、1003（租客）或 1004（临时人员）。"),
                )
            )
            continue
        if not building or not room_no:
            continue
        key = (building, room)
        unit = units.get(key)
        if unit is None:
            area = _area(cells[BUILT_AREA], number, BUILT_AREA, errors)
            if is_blank(cells[BUILT_AREA]):
                errors.append(RowError(number, BUILT_AREA, _("不能为空。")))
            unit = UnitRow(
                number,
                building,
                room,
                _floor(cells[FLOOR], number, errors),
                registered_area=area if area_source == REGISTERED else None,
                surveyed_area=area if area_source == SURVEYED else None,
                contract_area=area if area_source == CONTRACT else None,
                delivered=state != UNSOLD,
            )
            units[key] = unit
            if state == UNSOLD:
                unsold_rows.append(unit)
        elif state and (state == UNSOLD) != (not unit.delivered):
            errors.append(
                RowError(
                    number,
                    STATE,
                    _("%(unit)s 在第 %(row)s 行的房屋状态与本行不一致。") % {"unit": unit.label, "row": unit.row},
                )
            )
        if person_type == OWNER:
            if not unit.delivered and text_of(cells[NAME]):
                errors.append(
                    RowError(
                        number,
                        NAME,
                        _("房屋状态为 2002（未销售）的房屋属于开发建设单位，不应填写业主；已售出请改房屋状态。"),
                    )
                )
                continue
            for owner in _owners(cells, number, errors):
                clash = name_clash(owner, owners_seen, number, id_column=ID_CARD, mobile_column=MOBILE)
                if clash:
                    errors.append(clash)
                    continue
                if any(o.key == owner.key for o in unit.owners):
                    errors.append(RowError(number, NAME, _("%(unit)s 已有此业主。") % {"unit": unit.label}))
                    continue
                if unit.owners:
                    report.co_owners += 1
                else:
                    report.owners += 1
                unit.owners.append(owner)
        elif person_type in (FAMILY, TENANT):
            member_name = text_of(cells[NAME])
            mobile = _digits(cells[MOBILE], number, MOBILE, errors)
            if not mobile:
                errors.append(RowError(number, MOBILE, _("家庭成员和租客须填写手机号，凭此号码注册后加入。")))
                continue
            if not identifiers.is_valid_mobile(mobile):
                errors.append(RowError(number, MOBILE, _("手机号无效：应为以 1 开头的 11 位数字。")))
                continue
            if len(member_name) > 50:
                errors.append(RowError(number, NAME, _("家庭成员和租客的称呼不超过 %(n)s 个字。") % {"n": 50}))
                continue
            seen = member_seen.setdefault((building, room, mobile), number)
            if seen != number:
                errors.append(
                    RowError(number, MOBILE, _("此手机号已在第 %(row)s 行登记为该房屋的成员。") % {"row": seen})
                )
                continue
            members.append(
                MemberRow(number, building, room, member_name, mobile, "family" if person_type == FAMILY else "tenant")
            )
            if person_type == FAMILY:
                report.family += 1
            else:
                report.tenants += 1
        elif person_type == TEMPORARY:
            report.temporary += 1
    report.unsold = len(unsold_rows)
    if unsold_rows and not developer:
        errors.append(
            RowError(
                unsold_rows[0].row,
                STATE,
                _("表中有 %(n)s 套未销售（2002）房屋，由开发建设单位持有：请填写开发建设单位名称后重新预览。")
                % {"n": len(unsold_rows)},
            )
        )
    elif len(developer) > 100:
        errors.append(RowError(0, "", _("开发建设单位名称不超过 %(n)s 个字。") % {"n": 100}))
    elif developer:
        for unit in unsold_rows:
            unit.owners.append(OwnerRow(unit.row, ORGANISATION, developer, "", "", None, developer=True))
    if not rows and not errors:
        errors.append(RowError(2, "", _("文件中没有房屋。")))
    errors.sort(key=lambda e: e.row)
    first = {}
    for e in errors:
        first.setdefault((e.row, e.column or id(e)), e)
    return list(units.values()), members, report, list(first.values())


# --------------------------------------------------------------------------- the sample

# HC's sample rooms: (楼号, 单元, 房间, 楼层, 建筑面积, 室内面积, 租金, 房屋状态, 业主名称, 性别, 手机号, 业主类型)
_SAMPLE = [
    ("1", "1", "101", "1", "89.50", "76.00", "0", "2001", "张三", "男", "13900000001", "1001"),
    ("1", "1", "101", "1", "89.50", "76.00", "0", "2001", "李梅", "女", "13900000002", "1002"),
    ("1", "1", "102", "1", "92.10", "80.20", "0", "2006", "王五，赵六", "男", "13900000003", "1001"),
    ("1", "1", "102", "1", "92.10", "80.20", "1800", "2006", "孙七", "男", "13900000004", "1003"),
    ("1", "1", "102", "1", "92.10", "80.20", "0", "2006", "周八", "女", "13900000005", "1004"),
    ("1", "2", "201", "2", "120.00", "101.30", "0", "2002", "", "", "", "1001"),
    ("1", "0", "01", "1", "45.00", "40.00", "0", "2001", "吴九", "男", "13900000006", "1001"),
]
SAMPLE_ROWS = [
    [b, u, r, f, "6", "否", "商铺" if u == SHOP_UNIT else "普通住宅", "商铺" if u == SHOP_UNIT else "两室一厅"]
    + [area, inner, rent, state, name, sex, mobile, "", kind]
    for b, u, r, f, area, inner, rent, state, name, sex, mobile, kind in _SAMPLE
]


def sample_workbook() -> bytes:
    """HC's template as HC writes it: sheet 资产信息, its header row, its codes (text cells)."""
    return workbook(
        [(SHEET, [HEADERS, *SAMPLE_ROWS])],
        widths={SHEET: [6, 6, 8, 6, 8, 10, 10, 10, 10, 10, 8, 10, 14, 6, 14, 22, 10]},
    )


def area_label(source: str) -> str:
    return str(dict(AREA_SOURCES).get(source, ""))
