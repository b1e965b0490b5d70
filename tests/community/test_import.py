"""Importing units and owners from a spreadsheet: the parser, the plan, the all-or-nothing write."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from community.import_services import ImportRefused, import_registry, preview_import
from community.models import Building, Owner, Ownership, Role, Unit
from community.registry_import import HEADERS, parse, template_workbook
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, valid_resident_id

ID1, ID2, ID3 = valid_resident_id(11), valid_resident_id(12), valid_resident_id(13)
GOOD = [
    ["1号楼", "101", "1", "89.50", "", "", "是", "自然人", "赵一", ID1, "13700000001", "2021-06-30"],
    ["1号楼", "101", "", "", "", "", "", "自然人", "钱二", ID2, "", "2021-06-30"],  # co-owner
    ["1号楼", "102", "1", "", "92.10", "", "是", "", "孙三", "", "13700000003", ""],
    ["2号楼", "201", "2", "", "", "110", "否", "", "", "", "", ""],  # unsold, no owner listed
    ["2号楼", "202", "2", "75.25", "", "", "", "", "赵一", ID1, "13700000001", ""],  # 赵一 holds two units
]


def xlsx(rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8-sig"):
    lines = [",".join(HEADERS)] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def fake_xlsx():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "junk")
        archive.writestr("xl/workbook.xml", "junk")
    return out.getvalue()


def messages(errors):
    return [str(e) for e in errors]


# ------------------------------------------------------------------ parsing


def test_a_clean_file_parses_units_with_their_co_owners():
    units, errors = parse("f.xlsx", xlsx(GOOD))
    assert errors == []
    assert [u.label for u in units] == ["1号楼-101", "1号楼-102", "2号楼-201", "2号楼-202"]
    assert [o.name for o in units[0].owners] == ["赵一", "钱二"]
    assert units[0].registered_area == Decimal("89.50") and units[2].contract_area == Decimal("110.00")
    assert units[2].delivered is False and units[2].owners == []


def test_csv_saved_by_chinese_excel_in_gbk_reads_the_same():
    units, errors = parse("f.csv", csv_bytes(GOOD, "gb18030"))
    assert errors == [] and len(units) == 4


BAD_ROWS = [
    (["1号楼", "101", "1", "abc", "", "", "", "", "赵一", "", "", ""], "产权登记面积（㎡）", "面积数字"),
    (["1号楼", "101", "1", "-5", "", "", "", "", "赵一", "", "", ""], "产权登记面积（㎡）", "大于 0"),
    (["1号楼", "101", "1", "80.123", "", "", "", "", "赵一", "", "", ""], "产权登记面积（㎡）", "两位小数"),
    (["1号楼", "101", "1", "", "", "", "", "", "赵一", "", "", ""], "产权登记面积（㎡）", "至少填一个"),
    (["1号楼", "101", "1", "80", "", "", "", "", "赵一", "110101199003070000", "", ""], "证件号码", "身份证号码无效"),
    (
        ["1号楼", "101", "1", "80", "", "", "", "组织", "某公司", "91350400MA000000X0", "", ""],
        "证件号码",
        "统一社会信用代码无效",
    ),
    (["1号楼", "101", "1", "80", "", "", "", "", "赵一", "", "1370000000", ""], "手机号码", "手机号码无效"),
    (["1号楼", "101", "一楼", "80", "", "", "", "", "赵一", "", "", ""], "楼层", "整数"),
    (["1号楼", "101", "1", "80", "", "", "也许", "", "赵一", "", "", ""], "已交付", "是"),
    (["1号楼", "101", "1", "80", "", "", "", "法人", "赵一", "", "", ""], "业主类型", "自然人"),
    (["1号楼", "101", "1", "80", "", "", "", "", "赵一", "", "", "30/06/2021"], "产权起始日期", "日期格式"),
    (["1号楼", "101", "1", "80", "", "", "", "", "", ID1, "", ""], "业主姓名", "不能为空"),
    (["", "101", "1", "80", "", "", "", "", "赵一", "", "", ""], "楼栋", "不能为空"),
    (["1号楼", "", "1", "80", "", "", "", "", "赵一", "", "", ""], "房号", "不能为空"),
]


@pytest.mark.parametrize("row,column,needle", BAD_ROWS)
def test_each_kind_of_bad_row_names_its_row_and_column(row, column, needle):
    _units, errors = parse("f.xlsx", xlsx([GOOD[2], row]))
    assert errors, row
    assert errors[0].row == 3 and errors[0].column == column and needle in errors[0].message


def test_duplicate_rooms_and_co_owner_rows_are_told_apart():
    rows = [
        GOOD[0],
        ["1号楼", "101", "1", "89.50", "", "", "", "", "周四", "", "", ""],  # a second unit row: duplicate
        ["1号楼", "101", "", "", "", "", "", "", "", "", "", ""],  # co-owner row without a name
        ["1号楼", "101", "", "", "", "", "", "", "赵一", ID1, "", ""],  # the same owner twice on one unit
        ["1号楼", "103", "1", "80", "", "", "", "", "吴五", ID1, "", ""],  # one ID, two names
    ]
    _units, errors = parse("f.xlsx", xlsx(rows))
    text = messages(errors)
    assert "第 3 行“房号”" in text[0] and "房号重复" in text[0] and "第 2 行" in text[0]
    assert any("第 4 行“业主姓名”" in t and "共有人行" in t for t in text)
    assert any("第 5 行“业主姓名”" in t and "已登记此业主" in t for t in text)
    assert any("第 6 行“证件号码”" in t and "姓名不同" in t for t in text)


def test_all_errors_of_a_file_come_back_at_once():
    rows = [
        GOOD[0],
        BAD_ROWS[0][0][:1] + ["104"] + BAD_ROWS[0][0][2:],
        ["1号楼", "105", "1", "80", "", "", "", "", "某", "", "123", ""],
        ["1号楼", "106", "x", "80", "", "", "", "", "某", "", "", ""],
    ]
    _units, errors = parse("f.csv", csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(3, "产权登记面积（㎡）"), (4, "手机号码"), (5, "楼层")]


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("f.txt", b"MZ\x90\x00\x03\x00", "只接受"),  # told by content: a program, whatever its name
        ("f.xlsx", b"PK\x03\x04 not really", "只接受"),
        ("f.xlsx", fake_xlsx(), "无法读取"),  # the parts an .xlsx has, but not XML
        ("f.csv", "房号,面积\n1,2\n".encode(), "缺少"),
        ("f.csv", (",".join(HEADERS) + ",备注\n").encode(), "无法识别：备注"),
        ("f.csv", (",".join(HEADERS) + "\n" + "\n" * 100_000).encode(), "空行也计算在内"),
        ("f.csv", (",".join(HEADERS) + "\n").encode(), "没有房屋"),
        ("f.csv", b"\xff\xfe\x00\xd8" * 10, "只接受"),  # UTF-16 with NUL bytes: not a CSV we read
        ("f.xlsx", b"x" * (5 * 1024 * 1024 + 1), "超过 5 MB"),
    ],
)
def test_hostile_or_empty_files_are_refused_clearly(name, content, needle):
    _units, errors = parse(name, content)
    assert errors and any(needle in str(e) for e in errors), messages(errors)


def test_formulas_huge_cells_and_wrong_types_are_cell_errors():
    rows = [
        ["1号楼", "=1+1", "1", "80", "", "", "", "", "赵一", "", "", ""],
        ["1号楼", "102", "1", "80", "", "", "", "", "长" * 1_000_000, "", "", ""],
        ["1号楼", "103", "1", date(2021, 1, 1), "", "", "", "", "赵一", "", "", ""],
        ["1号楼", "104", "1", "80", "", "", "", "", "王六", 110101199003072316, "", ""],  # an ID typed as a number
        ["1号楼", "105", 1, 80.5, "", "", True, "", "陈七", "", 13700000007, ""],  # numbers where text is usual
    ]
    units, errors = parse("f.xlsx", xlsx(rows))
    found = {(e.row, e.column): e.message for e in errors}
    assert "公式" in found[(2, "房号")]
    assert "超过 100 字" in found[(3, "业主姓名")]
    assert "面积数字" in found[(4, "产权登记面积（㎡）")]
    assert "文本格式" in found[(5, "证件号码")]
    assert not any(e.row == 6 for e in errors)  # Excel's numbers and TRUE read as what they say
    unit = next(u for u in units if u.room == "105")
    assert (unit.floor, unit.registered_area, unit.delivered, unit.owners[0].mobile) == (
        1,
        Decimal("80.50"),
        True,
        "13700000007",
    )


def test_a_1_mb_cell_in_an_xlsx_is_refused_not_stored():
    _units, errors = parse(
        "f.xlsx", xlsx([["1号楼", "101", "1", "80", "", "", "", "", "x" * (1024 * 1024), "", "", ""]])
    )
    assert any(e.column == "业主姓名" and "超过" in e.message for e in errors)


def test_the_template_has_the_headers_an_example_and_notes():
    book = load_workbook(io.BytesIO(template_workbook()))
    assert book.sheetnames == ["房屋与业主", "填写说明"]
    rows = list(book["房屋与业主"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and len(rows) >= 2
    notes = [r[0] for r in book["填写说明"].iter_rows(values_only=True)]
    assert all(h in notes for h in HEADERS)
    _units, errors = parse("template.xlsx", template_workbook())
    assert errors == []  # the example itself imports


# ------------------------------------------------------------------ importing


def _owners(estate):
    return sorted(
        (h.unit.building.name, h.unit.room, h.owner.name)
        for h in Ownership.objects.in_force()
        .filter(unit__building__estate=estate)
        .select_related("unit__building", "owner")
    )


@pytest.mark.django_db
def test_the_happy_path_writes_units_owners_and_holdings(world):
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    plan = import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(GOOD))
    assert len(plan.new_units) == 4 and len(plan.new_owners) == 3 and len(plan.new_holdings) == 4
    assert set(Unit.objects.filter(building__estate=estate).values_list("building__name", "room")) >= {
        ("1号楼", "101"),
        ("1号楼", "102"),
        ("2号楼", "201"),
        ("2号楼", "202"),
    }
    assert ("1号楼", "101", "钱二") in _owners(estate) and ("2号楼", "202", "赵一") in _owners(estate)
    zhao = Owner.objects.get(id_number=ID1)
    assert zhao.mobile == "13700000001" and zhao.ownerships.count() == 2
    assert Ownership.objects.get(owner=zhao, unit__room="101").started_on == date(2021, 6, 30)
    # a blank start date on a first registration means the estate's delivery
    assert Ownership.objects.get(owner__name="孙三").started_on == estate.delivered_on
    assert not Unit.objects.get(building__estate=estate, room="201").delivered


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing_and_duplicates_nothing(world):
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(GOOD))
    counts = (Unit.objects.count(), Owner.objects.count(), Ownership.objects.count(), Building.objects.count())
    plan = preview_import(actor=staff, estate=estate, name="f.csv", content=csv_bytes(GOOD))
    assert plan.errors == [] and plan.changes == 0 and plan.unchanged_units == 4 and plan.unchanged_owners == 3
    import_registry(actor=staff, estate=estate, name="f.csv", content=csv_bytes(GOOD))
    assert (Unit.objects.count(), Owner.objects.count(), Ownership.objects.count(), Building.objects.count()) == counts


@pytest.mark.django_db
def test_a_corrected_file_updates_by_natural_key(world):
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(GOOD))
    owners_before = Owner.objects.count()
    fixed = [list(r) for r in GOOD]
    fixed[0][4] = "88.80"  # 1号楼-101 gets a surveyed area
    fixed[2][8] = "孙叁"  # 孙三 (found by mobile) corrects his name
    fixed[4][10] = "13700000009"  # 赵一 (found by ID) has a new mobile
    fixed.append(["东楼", "301", "3", "66", "", "", "", "", "郑八", ID3, "", ""])
    plan = preview_import(actor=staff, estate=estate, name="f.xlsx", content=xlsx(fixed))
    assert plan.errors == []
    assert [(r.label, f) for _u, r, f in plan.changed_units] == [("1号楼-101", ["surveyed_area"])]
    assert {o.name: f for o, _r, f in plan.changed_owners.values()} == {"赵一": ["mobile"], "孙三": ["name"]}
    assert [u.label for u in plan.new_units] == ["东楼-301"] and plan.new_buildings == ["东楼"]
    assert any("1号楼-101" in line and "88.80" in line for line in plan.lines())
    import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(fixed))
    assert Owner.objects.count() == owners_before + 1
    assert Owner.objects.get(id_number=ID1).mobile == "13700000009"
    assert Owner.objects.filter(name="孙叁").count() == 1 and not Owner.objects.filter(name="孙三").exists()
    assert Unit.objects.get(building__estate=estate, room="101").surveyed_area == Decimal("88.80")


@pytest.mark.django_db
def test_a_new_owner_in_the_file_ends_the_previous_holding(world):
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(GOOD))
    sale = date.today() - timedelta(days=10)
    rows = [GOOD[0][:8] + ["冯九", "", "13700000010", sale.isoformat()]]
    plan = import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(rows))
    assert len(plan.ended_holdings) == 2 and len(plan.new_holdings) == 1
    ended = Ownership.objects.filter(unit__building__estate=estate, unit__room="101", ended_on__isnull=False)
    assert {h.ended_on for h in ended} == {sale - timedelta(days=1)}
    assert [o[2] for o in _owners(estate) if o[1] == "101"] == ["冯九"]


@pytest.mark.django_db
def test_an_owner_found_by_mobile_without_id_is_not_duplicated_when_the_id_arrives(world):
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx([GOOD[2]]))
    with_id = [GOOD[2][:9] + [ID3, "13700000003", ""]]
    import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(with_id))
    assert Owner.objects.filter(name="孙三").get().id_number == ID3


@pytest.mark.django_db
def test_a_bad_file_writes_nothing_and_lists_every_error(world):
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    before = (Unit.objects.count(), Owner.objects.count(), Ownership.objects.count(), Building.objects.count())
    rows = GOOD + [
        ["北楼", "901", "1", "abc", "", "", "", "", "甲", "", "", ""],
        ["北楼", "902", "1", "80", "", "", "", "", "乙", "", "12", ""],
    ]
    with pytest.raises(ImportRefused) as exc:
        import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(rows))
    assert [(e.row, e.column) for e in exc.value.rows] == [(7, "产权登记面积（㎡）"), (8, "手机号码")]
    assert (Unit.objects.count(), Owner.objects.count(), Ownership.objects.count(), Building.objects.count()) == before


@pytest.mark.django_db
def test_a_failure_midway_rolls_everything_back(world, monkeypatch):
    estate, staff = world.e2, world.users[Role.COMMUNITY_STAFF]
    before = (Unit.objects.count(), Owner.objects.count(), Building.objects.count())

    def explode(label):
        if label == "写入产权":
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        import_registry(actor=staff, estate=estate, name="f.xlsx", content=xlsx(GOOD), progress=explode)
    assert (Unit.objects.count(), Owner.objects.count(), Building.objects.count()) == before


@pytest.mark.django_db
def test_an_ambiguous_mobile_asks_for_the_id_number(world):
    OwnerFactory(name="甲", mobile="13700000003")
    OwnerFactory(name="乙", mobile="13700000003")
    plan = preview_import(actor=None, estate=world.e2, name="f.xlsx", content=xlsx([GOOD[2]]))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "手机号码")] and "2 位业主" in plan.errors[0].message


@pytest.mark.django_db
def test_an_owner_holding_units_outside_the_uploaders_scope_is_not_renamed(world):
    staff = world.users[Role.COMMUNITY_STAFF]
    outsider = OwnerFactory(name="外区业主", id_number=ID3)
    OwnershipFactory(owner=outsider, unit=UnitFactory(building__estate=world.e5))
    rows = [["1号楼", "101", "1", "80", "", "", "", "", "改名", ID3, "", ""]]
    plan = preview_import(actor=staff, estate=world.e2, name="f.xlsx", content=xlsx(rows))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "业主姓名")] and "管辖范围以外" in plan.errors[0].message
    rows[0][8] = "外区业主"  # copied as registered: the holding is linked, the name untouched
    import_registry(actor=staff, estate=world.e2, name="f.xlsx", content=xlsx(rows))
    assert outsider.ownerships.count() == 2


@pytest.mark.django_db
def test_a_new_start_date_before_the_current_holding_is_refused(world):
    unit = UnitFactory(building__estate=world.e2, building__name="1号楼", room="101")
    OwnershipFactory(unit=unit, owner=OwnerFactory(name="原主"), started_on=date(2022, 1, 1))
    rows = [["1号楼", "101", "", str(unit.effective_area), "", "", "", "", "新主", "", "", "2021-12-31"]]
    plan = preview_import(actor=None, estate=world.e2, name="f.xlsx", content=xlsx(rows))
    assert plan.errors and "原业主 原主" in plan.errors[0].message


@pytest.mark.django_db
def test_only_holders_of_change_on_the_estate_may_import(world):
    for role in (Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR):
        with pytest.raises(PermissionDenied):
            preview_import(actor=world.users[role], estate=world.e1, name="f.xlsx", content=xlsx(GOOD))
    with pytest.raises(PermissionDenied):
        import_registry(actor=world.users[Role.COMMUNITY_STAFF], estate=world.e3, name="f.xlsx", content=xlsx(GOOD))
    assert not Unit.objects.filter(building__estate=world.e3, room="101").exists()


@pytest.mark.django_db
def test_the_command_shows_errors_and_imports_all_or_nothing(world, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(GOOD + [["北楼", "901", "1", "abc", "", "", "", "", "甲", "", "", ""]]))
    with pytest.raises(CommandError) as exc:
        call_command("import_registry", world.e2.code, str(bad), "--quiet-progress")
    assert "第 7 行“产权登记面积（㎡）”" in str(exc.value) and not Building.objects.filter(name="北楼").exists()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD))
    out = io.StringIO()
    call_command("import_registry", world.e2.code, str(good), "--quiet-progress", stdout=out)
    assert "新增房屋 4" in out.getvalue()
    call_command("import_registry", world.e2.code, str(good), "--dry-run", "--quiet-progress", stdout=out)
    assert "未变化房屋 4" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import_registry", "NO-SUCH", str(good), "--quiet-progress")
