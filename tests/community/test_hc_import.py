"""HC小区's 资产信息 workbook: read, previewed and written like the native file."""

import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from community import hc_import, selectors
from community.hc_import import HEADERS, NEW_HEADERS, SHEET, parse, sample_workbook
from community.import_services import ImportRefused, import_registry, preview_import
from community.models import Building, Job, Owner, OwnerKind, Ownership, Role, Unit
from residents.models import Household
from tests.factories import login, valid_resident_id
from tests.world import PERSON_ROLES

DEV = "翠湖置业有限公司"
ID1, ID2 = valid_resident_id(21), valid_resident_id(22)


def hc_row(
    room="101",
    *,
    unit="1",
    building="1",
    state="2001",
    name="张三",
    mobile="13900000001",
    id_card="",
    kind="1001",
    area="89.5",
    floor="1",
):  # noqa: E501
    return [
        building,
        unit,
        room,
        floor,
        "6",
        "否",
        "普通住宅",
        "两室一厅",
        area,
        "70",
        "0",
        state,
        name,
        "男",
        mobile,
        id_card,
        kind,
    ]  # noqa: E501


def hc_book(rows, headers=HEADERS, sheet=SHEET, extra=()):
    book = Workbook()
    first = book.active
    first.title = sheet
    first.append(list(headers))
    for row in rows:
        first.append(list(row) + list(extra))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def messages(errors):
    return [str(e) for e in errors]


def registry(estate):
    return (
        Unit.objects.filter(building__estate=estate).count(),
        Owner.objects.count(),
        Ownership.objects.count(),
        Household.objects.count(),
    )


# ------------------------------------------------------------------ parsing


def test_each_person_type_code_is_mapped():
    rows = [
        hc_row(kind="1001"),
        hc_row(name="李梅", mobile="13900000002", kind="1002"),
        hc_row(name="孙七", mobile="13900000004", kind="1003"),
        hc_row(name="周八", mobile="13900000005", kind="1004"),
    ]
    units, members, report, errors = parse("hc.xlsx", hc_book(rows))
    assert errors == []
    assert [u.label for u in units] == ["1-1-101"] and [o.name for o in units[0].owners] == ["张三"]
    assert [(m.name, m.relation, m.row) for m in members] == [("李梅", "family", 3), ("孙七", "tenant", 4)]
    assert (report.owners, report.co_owners, report.family, report.tenants, report.temporary) == (1, 0, 1, 1, 1)


def test_an_unknown_person_type_or_room_state_is_named_with_the_sheet_row():
    rows = [hc_row(), hc_row("102", kind="1009"), hc_row("103", state="3001")]
    _u, _m, _r, errors = parse("hc.xlsx", hc_book(rows))
    assert [(e.row, e.column) for e in errors] == [(3, "业主类型"), (4, "房屋状态")]
    assert "1001（业主）" in errors[0].message and "2002 为未销售" in errors[1].message


@pytest.mark.parametrize("sep", ["，", ",", "、"])
def test_co_owners_in_one_cell_become_one_owner_each(sep):
    rows = [hc_row(name=f"王五{sep}赵六{sep}钱七", mobile="13900000003")]
    units, _m, report, errors = parse("hc.xlsx", hc_book(rows))
    assert errors == []
    owners = units[0].owners
    assert [o.name for o in owners] == ["王五", "赵六", "钱七"]
    # one value in the mobile cell belongs to the first name only
    assert [o.mobile for o in owners] == ["13900000003", "", ""]
    assert (report.owners, report.co_owners) == (1, 2)


def test_co_owners_pair_with_as_many_mobiles_and_ids_and_a_wrong_count_is_an_error():
    paired = [hc_row(name="王五，赵六", mobile="13900000003、13900000007", id_card=f"{ID1},{ID2}")]
    units, _m, _r, errors = parse("hc.xlsx", hc_book(paired))
    assert errors == []
    assert [(o.name, o.mobile, o.id_number) for o in units[0].owners] == [
        ("王五", "13900000003", ID1),
        ("赵六", "13900000007", ID2),
    ]
    wrong = [hc_row(name="王五，赵六，钱七", mobile="13900000003，13900000007")]
    _u, _m, _r, errors = parse("hc.xlsx", hc_book(wrong))
    assert [(e.row, e.column) for e in errors] == [(2, "手机号")]
    assert "业主名称有 3 人，本列有 2 个" in errors[0].message


def test_mobiles_stored_as_excel_numbers_read_as_text_and_a_numeric_id_is_refused():
    rows = [hc_row(mobile=13900000001.0), hc_row("102", mobile=13900000008), hc_row("103", id_card=110101199003070000)]
    units, _m, _r, errors = parse("hc.xlsx", hc_book(rows))
    assert [o.mobile for u in units[:2] for o in u.owners] == ["13900000001", "13900000008"]
    assert [(e.row, e.column) for e in errors] == [(4, "身份证号")] and "文本格式" in errors[0].message


def test_unit_zero_is_a_shop_and_areas_go_to_the_chosen_source():
    rows = [hc_row("01", unit="0", area="45.5"), hc_row("101", unit="2")]
    units, _m, _r, errors = parse("hc.xlsx", hc_book(rows), area_source=hc_import.REGISTERED)
    assert errors == []
    assert [u.room for u in units] == ["商铺-01", "2-101"]
    assert units[0].registered_area == Decimal("45.50") and units[0].surveyed_area is None
    units, _m, _r, _e = parse("hc.xlsx", hc_book(rows))  # surveyed by default
    assert units[0].surveyed_area == Decimal("45.50") and units[0].registered_area is None


def test_missing_headers_are_named_in_chinese():
    headers = [h for h in HEADERS if h not in ("业主类型", "房屋状态")]
    _u, _m, _r, errors = parse("hc.xlsx", hc_book([], headers=headers))
    assert len(errors) == 1 and "缺少：房屋状态、业主类型" in str(errors[0])


def test_the_2024_layout_is_read_and_its_extra_columns_reported_as_not_imported():
    rows = [hc_row()]
    units, _m, report, errors = parse(
        "hc.xlsx", hc_book(rows, headers=HEADERS + NEW_HEADERS, extra=["业主", "户主", "张三", "13900000001"])
    )
    assert errors == [] and len(units) == 1
    assert (
        report.not_imported
        == ["总层数", "是否有电梯", "房屋类型", "房屋户型", "室内面积", "租金", "性别"] + NEW_HEADERS
    )


def test_unsold_rooms_need_the_developer_and_hold_no_named_owner():
    rows = [hc_row("201", state="2002", name="", mobile=""), hc_row("202", state="2002", name="某人")]
    _u, _m, _r, errors = parse("hc.xlsx", hc_book(rows))
    assert [(e.row, e.column) for e in errors] == [(2, "房屋状态"), (3, "业主名称")]
    assert "请填写开发建设单位名称" in errors[0].message
    units, _m, report, errors = parse("hc.xlsx", hc_book(rows[:1]), developer=DEV)
    assert errors == [] and report.unsold == 1
    assert units[0].delivered is False and [(o.name, o.kind, o.developer) for o in units[0].owners] == [
        (DEV, "org", True)
    ]


def test_every_error_is_listed_at_once():
    rows = [
        hc_row(area=""),
        hc_row("102", name="李梅", mobile="", kind="1002"),
        hc_row("103", mobile="1390000"),
        hc_row("104", building=""),
    ]
    _u, _m, _r, errors = parse("hc.xlsx", hc_book(rows))
    assert [(e.row, e.column) for e in errors] == [(2, "建筑面积"), (3, "手机号"), (4, "手机号"), (5, "楼号")]


def test_the_sample_is_written_as_hcs_template():
    book = load_workbook(io.BytesIO(sample_workbook()))
    assert book.sheetnames == [SHEET]
    rows = list(book[SHEET].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert {r[16] for r in rows[1:]} == {"1001", "1002", "1003", "1004"} and "2002" in {r[11] for r in rows[1:]}


# ------------------------------------------------------------------ plan and write


@pytest.mark.django_db
def test_the_sample_imports_into_an_empty_estate_and_again_changes_nothing(world):
    content = sample_workbook()
    before = registry(world.e3)
    plan = preview_import(actor=None, estate=world.e3, name="hc.xlsx", content=content, developer=DEV)
    assert plan.errors == [] and plan.layout == "hc"
    assert dict((str(k), v) for k, v in plan.report.lines()) == {
        "业主（1001）": 3,
        "共有人（同一房屋的其他业主）": 1,
        "家庭成员（1002）→ 邀请加入": 1,
        "租客（1003）→ 邀请加入": 1,
        "临时人员（1004，未导入）": 1,
        "未销售房屋（2002）→ 开发建设单位": 1,
    }
    assert (len(plan.new_units), len(plan.new_owners), len(plan.member_plan.new)) == (4, 5, 2)
    assert registry(world.e3) == before  # a preview writes nothing

    import_registry(actor=None, estate=world.e3, name="hc.xlsx", content=content, developer=DEV)
    after = registry(world.e3)
    assert after[0] == 4 and after[3] - before[3] == 2
    assert set(Building.objects.filter(estate=world.e3).values_list("name", flat=True)) == {"1"}
    shop = Unit.objects.get(building__estate=world.e3, room="商铺-01")
    assert shop.surveyed_area == Decimal("45.00")
    unsold = Unit.objects.get(building__estate=world.e3, room="2-201")
    developer = Ownership.objects.get(unit=unsold).owner
    assert not unsold.delivered and developer.is_developer and developer.kind == OwnerKind.ORGANISATION
    tenant = Household.objects.get(unit__building__estate=world.e3, relation="tenant")
    assert (tenant.mobile, tenant.name, tenant.owner.name, tenant.user) == ("13900000004", "孙七", "王五", None)

    again = preview_import(actor=None, estate=world.e3, name="hc.xlsx", content=content, developer=DEV)
    assert again.errors == [] and again.changes == 0 and again.member_plan.unchanged == 2
    import_registry(actor=None, estate=world.e3, name="hc.xlsx", content=content, developer=DEV)
    assert registry(world.e3) == after


@pytest.mark.django_db
def test_the_developer_is_the_estates_own_and_not_a_namesake_in_another_district(world):
    assert world.e3.grid.community.street.district != world.e5.grid.community.street.district
    content = hc_book([hc_row(), hc_row("102", state="2002", name="", mobile="", kind="")])

    def developer_of(estate):
        return Ownership.objects.get(unit__building__estate=estate, unit__room="1-102").owner

    import_registry(actor=None, estate=world.e3, name="hc.xlsx", content=content, developer=DEV)
    theirs = developer_of(world.e3)
    Owner.objects.filter(pk=theirs.pk).update(mobile="13700000009")  # B's own contact, not A's

    plan = preview_import(actor=None, estate=world.e5, name="hc.xlsx", content=content, developer=DEV)
    assert plan.errors == [] and any(o.developer for o in plan.new_owners.values())
    import_registry(actor=None, estate=world.e5, name="hc.xlsx", content=content, developer=DEV)
    ours = developer_of(world.e5)
    assert ours.pk != theirs.pk and ours.is_developer and ours.name == DEV and ours.mobile == ""

    owners = Owner.objects.count()
    again = preview_import(actor=None, estate=world.e5, name="hc.xlsx", content=content, developer=DEV)
    assert again.errors == [] and again.changes == 0
    import_registry(actor=None, estate=world.e5, name="hc.xlsx", content=content, developer=DEV)
    assert Owner.objects.count() == owners and developer_of(world.e5).pk == ours.pk


@pytest.mark.django_db
def test_one_bad_row_writes_nothing(world):
    rows = [hc_row(), hc_row(name="李梅", mobile="13900000002", kind="1002"), hc_row("102", mobile="12345")]
    before = registry(world.e3)
    with pytest.raises(ImportRefused) as refused:
        import_registry(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows))
    assert [(e.row, e.column) for e in refused.value.rows] == [(4, "手机号")]
    assert registry(world.e3) == before


@pytest.mark.django_db
def test_a_member_of_a_room_without_an_owner_is_refused(world):
    rows = [hc_row(name="李梅", mobile="13900000002", kind="1002")]
    plan = preview_import(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows))
    assert any("没有业主" in m for m in messages(plan.errors))


@pytest.mark.django_db
def test_a_changed_relation_is_the_only_change_on_reimport(world):
    rows = [hc_row(), hc_row(name="李梅", mobile="13900000002", kind="1002")]
    import_registry(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows))
    rows[1] = hc_row(name="李梅", mobile="13900000002", kind="1003")
    plan = preview_import(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows))
    assert plan.changes == 1 and len(plan.member_plan.changed) == 1
    import_registry(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows))
    assert Household.objects.get(mobile="13900000002").relation == "tenant"


# ------------------------------------------------------------------ the page and the command


def _upload(client, estate, content, **extra):
    data = {"estate": estate.pk, "file": SimpleUploadedFile("hc.xlsx", content), **extra}
    return client.post(reverse("community:import"), data)


@pytest.mark.django_db
def test_community_staff_preview_and_import_the_sample_on_the_page(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert "HC小区格式样例" in client.get(reverse("community:import")).content.decode()
    download = client.get(reverse("community:import_hc_sample"))
    assert download.status_code == 200 and download.content[:2] == b"PK"
    page = _upload(client, world.e2, download.content).content.decode()
    assert "请填写开发建设单位名称" in page and 'name="token"' not in page
    page = _upload(client, world.e2, download.content, developer=DEV, area_source="contract_area").content.decode()
    assert "临时人员（1004，未导入）" in page and "总层数、是否有电梯" in page and "合同面积" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    client.post(reverse("community:import_confirm"), {"token": token})
    assert Job.objects.get().status == "done"
    assert Unit.objects.get(building__estate=world.e2, room="1-101").contract_area == Decimal("89.50")
    assert Household.objects.filter(unit__building__estate=world.e2).count() == 2
    again = _upload(client, world.e2, download.content, developer=DEV, area_source="contract_area").content.decode()
    assert "无需导入" in again and "新邀请 0，修改 0，不变 2" in again


@pytest.mark.django_db
@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_hc_sample_and_import_by_role(client, world, role):
    user = world.users[role]
    login(client, user)
    allowed = role in (Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER)
    assert client.get(reverse("community:import_hc_sample")).status_code == (200 if allowed else 403)
    estate = selectors.importable_estates(user).first() if allowed else world.e1
    response = _upload(client, estate, sample_workbook(), developer=DEV)
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        assert "未销售房屋（2002）→ 开发建设单位" in response.content.decode()


@pytest.mark.django_db
def test_an_owner_cannot_reach_the_hc_import(client, world):
    login(client, world.owner_user)
    assert client.get(reverse("community:import_hc_sample")).status_code == 403
    assert _upload(client, world.e1, sample_workbook(), developer=DEV).status_code == 403


@pytest.mark.django_db
def test_the_command_imports_an_hc_workbook(world, tmp_path, capsys):
    path = tmp_path / "hc.xlsx"
    path.write_bytes(sample_workbook())
    with pytest.raises(CommandError, match="请填写开发建设单位名称"):
        call_command("import_registry", world.e3.code, str(path), "--quiet-progress")
    call_command("import_registry", world.e3.code, str(path), "--dry-run", "--developer", DEV)
    assert "预览（未写入）" in capsys.readouterr().out and registry(world.e3)[0] == 0
    call_command(
        "import_registry",
        world.e3.code,
        str(path),
        "--quiet-progress",
        "--developer",
        DEV,
        "--area-source",
        "registered_area",
    )
    out = capsys.readouterr().out
    assert "新增房屋 4" in out and "临时人员（1004，未导入） 1" in out and "家庭成员/租户：新邀请 2" in out
    assert Unit.objects.get(building__estate=world.e3, room="1-102").registered_area == Decimal("92.10")
    call_command(
        "import_registry", world.e3.code, str(path), "--dry-run", "--developer", DEV, "--area-source", "registered_area"
    )
    assert "新增房屋 0，修改房屋 0" in capsys.readouterr().out


@pytest.mark.django_db
def test_hc_headers_are_recognised_in_a_renamed_sheet_and_in_a_csv(world):
    rows = [hc_row(), hc_row(name="李梅", mobile="13900000002", kind="1002")]
    renamed = preview_import(actor=None, estate=world.e3, name="hc.xlsx", content=hc_book(rows, sheet="Sheet1"))
    text = "\n".join([",".join(HEADERS)] + [",".join(r) for r in rows]).encode("utf-8-sig")
    as_csv = preview_import(actor=None, estate=world.e3, name="hc.csv", content=text)
    for plan in (renamed, as_csv):
        assert plan.errors == [] and plan.layout == "hc" and len(plan.member_plan.new) == 1
