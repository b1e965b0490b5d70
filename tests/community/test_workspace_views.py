"""The registry workspace pages: spreadsheet upload → preview → confirm, the downloads, and search."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from community.demo import sample_rows, sample_workbook
from community.models import Job, JobStatus, Owner, Ownership, Role, Unit
from community.registry_import import HEADERS
from tests.community.test_import import GOOD, csv_bytes, fake_xlsx, xlsx
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, login

pytestmark = pytest.mark.django_db
THREE_ERRORS = [
    GOOD[0],
    ["1号楼", "102", "1", "九十", "", "", "", "", "孙三", "", "13700000003", ""],
    ["1号楼", "103", "1", "80", "", "", "", "", "李五", "350404198001120110", "", ""],
    ["1号楼", "104", "1", "80", "", "", "", "", "周六", "", "1370000", ""],
]


def _upload(client, estate, name, content):
    return client.post(reverse("community:import"), {"estate": estate.pk, "file": SimpleUploadedFile(name, content)})


def _registry_size():
    return Unit.objects.count(), Owner.objects.count(), Ownership.objects.count()


def test_three_errors_are_shown_at_once_and_the_fixed_file_imports(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    before = _registry_size()
    page = _upload(client, world.e2, "registry.xlsx", xlsx(THREE_ERRORS)).content.decode()
    assert "发现 3 处错误，未写入任何内容" in page
    for row, column in ((3, "产权登记面积（㎡）"), (4, "证件号码"), (5, "手机号码")):
        assert re.search(rf'<td[^>]*class="num">{row}</td><td[^>]*>{re.escape(column)}</td>', page), (row, column)
    assert 'name="token"' not in page and _registry_size() == before

    fixed = [list(r) for r in THREE_ERRORS]
    fixed[1][3], fixed[2][9], fixed[3][10] = "90", "", "13700000004"
    preview = _upload(client, world.e2, "registry.xlsx", xlsx(fixed)).content.decode()
    assert "新增 4，修改 0，不变 0" in preview and _registry_size() == before
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    response = client.post(reverse("community:import_confirm"), {"token": token})
    job = Job.objects.get()  # the import ran as a job (inline: no broker in the tests)
    assert response.status_code == 302 and response.url == reverse("community:job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "导入完成：新增房屋 4 套" in page and reverse("community:estate_detail", args=[world.e2.pk]) in page
    assert Unit.objects.filter(building__estate=world.e2, room__in=["101", "102", "103", "104"]).count() == 4
    # the same file again: everything left alone, nothing to confirm
    again = _upload(client, world.e2, "registry.xlsx", xlsx(fixed)).content.decode()
    assert "新增 0，修改 0，不变 4" in again and "无需导入" in again


def test_the_preview_says_what_changes(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    _confirm(client, _upload(client, world.e2, "r.csv", csv_bytes(GOOD)))
    changed = [list(r) for r in GOOD]
    changed[0][4] = "90.00"
    page = _upload(client, world.e2, "r.csv", csv_bytes(changed)).content.decode()
    assert "新增 0，修改 1，不变 3" in page and "1号楼-101：实测面积（㎡） — → 90.00" in page


def _confirm(client, preview):
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
    return client.post(reverse("community:import_confirm"), {"token": token})


def test_upload_is_limited_to_estates_in_scope(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = _upload(client, world.e3, "r.xlsx", xlsx(GOOD)).content.decode()
    assert "不在您的管辖范围内" in page and not Unit.objects.filter(building__estate=world.e3, room="202").exists()
    login(client, world.users[Role.GRID_WORKER])  # a grid worker keeps their own grid's registry
    assert 'name="token"' in _upload(client, world.e1, "r.xlsx", xlsx(GOOD)).content.decode()
    assert "不在您的管辖范围内" in _upload(client, world.e2, "r.xlsx", xlsx(GOOD)).content.decode()


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR])
def test_roles_that_do_not_keep_the_registry_cannot_import(client, world, role):
    login(client, world.users[role])
    for name in ("import", "import_template", "import_sample"):
        assert client.get(reverse(f"community:{name}")).status_code == 403
    assert _upload(client, world.e1, "r.xlsx", xlsx(GOOD)).status_code == 403


def test_residents_and_strangers_cannot_import(client, world):
    assert client.get(reverse("community:import")).status_code == 302  # to the login page
    login(client, world.owner_user)
    assert client.get(reverse("community:import")).status_code == 403
    assert client.post(reverse("community:import_confirm"), {"token": "x"}).status_code == 403


def test_a_token_is_good_only_for_its_own_user(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    preview = _upload(client, world.e1, "r.xlsx", xlsx(GOOD))
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = _confirm(client, preview)
    assert response.status_code == 302 and response.url == reverse("community:import")
    assert not Unit.objects.filter(building__estate=world.e1, room="202").exists()
    response = client.post(reverse("community:import_confirm"), {"token": "forged"}, follow=True)
    assert "预览已过期或无效" in response.content.decode()


def test_the_registry_changed_between_preview_and_confirm(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    preview = _upload(client, world.e2, "r.xlsx", xlsx([GOOD[2]]))
    OwnerFactory(name="甲", mobile="13700000003")
    OwnerFactory(name="乙", mobile="13700000003")  # now the mobile is ambiguous
    page = client.get(_confirm(client, preview).url).content.decode()
    assert "发现 1 处错误" in page and Job.objects.get().status == JobStatus.FAILED
    assert not Unit.objects.filter(building__estate=world.e2, room="102").exists()


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("r.csv", (",".join(HEADERS) + "\n" + "\n" * 100_000).encode(), "空行也计算在内"),
        ("r.pdf", b"%PDF-1.4", "只接受 .xlsx 或 .csv 文件"),
        ("r.xlsx", b"PK\x03\x04 not a zip", "只接受 .xlsx 或 .csv 文件"),
        ("r.xlsx", fake_xlsx(), "无法读取文件"),
    ],
)
def test_hostile_uploads_get_a_clear_refusal(client, world, name, content, needle):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = _upload(client, world.e2, name, content).content.decode()
    assert needle in page and 'name="token"' not in page


def test_the_downloads(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    template = client.get(reverse("community:import_template"))
    book = load_workbook(io.BytesIO(template.content))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats") and "填写说明" in book.sheetnames
    sample = client.get(reverse("community:import_sample"))
    rows = list(load_workbook(io.BytesIO(sample.content)).active.iter_rows(values_only=True))
    # The same cells as the file the demo imports (compared as cells: an .xlsx carries its
    # creation time, so two builds a second apart differ in bytes).
    assert rows == list(load_workbook(io.BytesIO(sample_workbook())).active.iter_rows(values_only=True))
    assert len(rows) == len(sample_rows()) + 1


# ------------------------------------------------------------------ search


def _search(client, q):
    return client.get(reverse("community:search"), {"q": q}).content.decode()


def test_community_staff_find_an_owner_by_the_last_four_digits(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = _search(client, "5678")
    assert "张三丰" in page and "13912345678" in page and "江滨豪园" in page


def test_search_reads_rooms_names_and_full_mobiles(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert "江滨豪园" in _search(client, "101")
    assert "张三丰" in _search(client, "三丰")
    assert "张三丰" in _search(client, "13912345678")
    assert "江滨豪园" in _search(client, "江滨")
    unit = world.resident.ownerships.get().unit
    assert "张三丰" in _search(client, f"{unit.building.name}-101")


def test_search_stays_inside_the_users_scope(client, world):
    outside = OwnerFactory(name="外社区业主", mobile="13911115678")
    OwnershipFactory(owner=outside, unit=UnitFactory(building__estate=world.e3))
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert "外社区业主" not in _search(client, "5678") and "外社区业主" not in _search(client, "外社区")
    login(client, world.users[Role.STREET_STAFF])  # e3 is in the street
    assert "外社区业主" in _search(client, "5678")


# Roles that see E1's owners masked search by room only; those who see them in full search by person too.
MASKED = [Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR]
FULL = [Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER]


@pytest.mark.parametrize("role", MASKED + FULL)
def test_a_search_by_person_finds_owners_only_where_they_are_seen_in_full(client, world, role):
    world.resident.id_number = "350404198001120113"
    world.resident.save()
    login(client, world.users[role])
    by_person = [_search(client, q) for q in ("三丰", "张三丰", "13912345678", "5678", "350404198001120113")]
    if role in FULL:
        assert all("张三丰" in page and "101" in page for page in by_person)
    else:
        # nothing confirms that the person or the number belongs to a unit
        # (the query itself is echoed back; no owner, masked or not, and no unit is shown)
        assert all("张**" not in p and "139****5678" not in p for p in by_person), role
        assert all("没有找到" in p and "<table" not in p for p in by_person)


@pytest.mark.parametrize("role", [Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF])
def test_masked_roles_still_find_a_unit_by_room_and_see_its_owners_masked(client, world, role):
    login(client, world.users[role])
    unit = world.resident.ownerships.get().unit
    for q in ("101", f"{unit.building.name}-101"):
        page = _search(client, q)
        assert "江滨豪园" in page and "张**" in page and "139****5678" in page
        assert "张三丰" not in page and "13912345678" not in page
    assert "房号或小区名称" in _search(client, "101")


@pytest.mark.parametrize("role", [Role.COMPANY_STAFF, Role.GRID_WORKER, Role.DISTRICT_ADMIN, Role.MEDIATOR])
def test_every_staff_role_may_search_its_own_scope(client, world, role):
    login(client, world.users[role])
    assert client.get(reverse("community:search"), {"q": "5678"}).status_code == 200


def test_residents_cannot_search(client, world):
    login(client, world.owner_user)
    assert client.get(reverse("community:search"), {"q": "5678"}).status_code == 403


def test_search_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    login(client, world.users[Role.DISTRICT_ADMIN])
    for q in ("5678", "三", "101"):
        with django_assert_max_num_queries(14):
            client.get(reverse("community:search"), {"q": q})
    for n in range(30):
        unit = UnitFactory(building__estate=world.e1, room="101" if n % 2 else f"9{n:03d}")
        OwnershipFactory(unit=unit, owner=OwnerFactory(name=f"张三{n}", mobile=f"1391234{n:04d}"[:7] + "5678"))
    for q in ("5678", "三", "101"):
        with django_assert_max_num_queries(14):
            client.get(reverse("community:search"), {"q": q})


def test_the_estate_page_shows_the_chain_from_grid_worker_to_street(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.get(reverse("community:estate_detail", args=[world.e1.pk])).content.decode()
    chain = page[page.index("网格责任") :]
    grid, community, street = world.e1.grid, world.e1.grid.community, world.e1.grid.community.street
    for label, node, user in (
        (("网格员", grid, Role.GRID_WORKER)),
        ("社区工作人员", community, Role.COMMUNITY_STAFF),
        ("街道工作人员", street, Role.STREET_STAFF),
    ):
        assert f"<strong>{label}</strong> · {node.name}：{world.users[user].username}" in chain
    page = client.get(reverse("community:estate_detail", args=[world.e2.pk])).content.decode()
    assert "<strong>网格员</strong> · " + world.e2.grid.name + '：<span class="muted">尚未指定' in page
