"""The registry import's uploaded file (full ID numbers) leaves the disk on every path: confirmed,
cancelled, refused by the job, or unconfirmed for an hour; the formula guard names its cell."""

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from community import import_services, tasks
from community.models import Owner, Role, Unit
from tests.community.test_import import GOOD, csv_bytes, xlsx
from tests.community.uploads_helpers import HOSTILE, pdf_bytes, upload
from tests.factories import OwnerFactory, login

pytestmark = pytest.mark.django_db


def _waiting():
    try:
        return sorted(default_storage.listdir(import_services.UPLOADS)[1])
    except FileNotFoundError:
        return []


def _preview(client, estate, name, content):
    response = client.post(reverse("community:import"), {"estate": estate.pk, "file": upload(name, content)})
    page = response.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)
    return page, token.group(1) if token else None


@pytest.fixture
def staff(client, world):
    for name in _waiting():
        default_storage.delete(f"{import_services.UPLOADS}/{name}")
    login(client, world.users[Role.COMMUNITY_STAFF])
    return client


def test_the_previewed_file_waits_under_a_random_name_and_goes_on_confirm(
    staff, world, django_capture_on_commit_callbacks
):
    page, token = _preview(staff, world.e2, "业主名册.xlsx", xlsx(GOOD))
    (stored,) = _waiting()
    assert re.fullmatch(r"[0-9a-f]{32}\.xlsx", stored)
    with django_capture_on_commit_callbacks(execute=True):  # deleted once the import is committed
        staff.post(reverse("community:import_confirm"), {"token": token})
    assert Unit.objects.filter(building__estate=world.e2, room="202").exists()
    assert _waiting() == []


def test_a_csv_named_xlsx_is_kept_as_the_csv_it_is(staff, world):
    _page, token = _preview(staff, world.e2, "registry.xlsx", csv_bytes(GOOD))
    assert token and [n[-4:] for n in _waiting()] == [".csv"]


def test_cancelling_deletes_the_file_at_once(staff, world):
    _page, token = _preview(staff, world.e2, "r.csv", csv_bytes(GOOD))
    assert len(_waiting()) == 1
    response = staff.post(reverse("community:import_cancel"), {"token": token}, follow=True)
    assert "已取消导入，上传的文件已删除" in response.content.decode()
    assert _waiting() == [] and not Owner.objects.filter(name="孙三").exists()
    # the cancelled preview can no longer be confirmed
    response = staff.post(reverse("community:import_confirm"), {"token": token}, follow=True)
    assert "预览已过期或无效" in response.content.decode() and not Unit.objects.filter(room="202").exists()


def test_someone_elses_ticket_cancels_nothing(client, staff, world):
    _page, token = _preview(staff, world.e2, "r.csv", csv_bytes(GOOD))
    login(client, world.users[Role.DISTRICT_ADMIN])
    client.post(reverse("community:import_cancel"), {"token": token})
    assert len(_waiting()) == 1


def test_a_preview_with_errors_or_nothing_to_change_keeps_no_file(staff, world, django_capture_on_commit_callbacks):
    bad = [list(GOOD[0])]
    bad[0][9] = "350404198001120110"  # a wrong check digit
    page, token = _preview(staff, world.e2, "r.csv", csv_bytes(bad))
    assert token is None and _waiting() == []
    _page, token = _preview(staff, world.e2, "r.csv", csv_bytes(GOOD))
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("community:import_confirm"), {"token": token})
    page, token = _preview(staff, world.e2, "r.csv", csv_bytes(GOOD))
    assert "无需导入" in page and token is None and _waiting() == []


def test_a_file_the_job_refuses_is_deleted(staff, world):
    _page, token = _preview(staff, world.e2, "r.csv", csv_bytes(GOOD))
    # the registry changes between preview and confirm: two owners now have 孙三's mobile
    OwnerFactory(mobile=GOOD[2][10], id_number="")
    OwnerFactory(mobile=GOOD[2][10], id_number="")
    staff.post(reverse("community:import_confirm"), {"token": token})
    assert not Owner.objects.filter(name="孙三").exists()
    assert _waiting() == []


def test_an_unconfirmed_preview_is_deleted_after_an_hour(staff, world):
    _preview(staff, world.e2, "r.csv", csv_bytes(GOOD))
    assert import_services.delete_stale_uploads() == 0 and len(_waiting()) == 1
    later = timezone.now() + import_services.UPLOAD_AGE + timedelta(minutes=1)
    assert import_services.delete_stale_uploads(now=later) == 1 and _waiting() == []


def test_the_scheduled_sweep_is_the_task_that_deletes_them(staff, world, monkeypatch):
    _preview(staff, world.e2, "r.csv", csv_bytes(GOOD))
    monkeypatch.setattr(import_services, "UPLOAD_AGE", timedelta(seconds=-1))
    tasks.delete_import_previews.apply()
    assert _waiting() == []


@pytest.mark.parametrize("name", ["registry.xlsx", "registry.csv"])
@pytest.mark.parametrize("content", [HOSTILE["invoice.pdf"], HOSTILE["page.png"], HOSTILE["drawing.png"], pdf_bytes()])
def test_hostile_imports_are_refused_whatever_their_name(staff, world, name, content):
    page, token = _preview(staff, world.e2, name, content)
    assert "只接受 .xlsx 或 .csv 文件" in page and token is None and _waiting() == []


def test_a_formula_in_the_registry_is_refused_with_its_row_and_column(staff, world):
    rows = [list(r) for r in GOOD]
    rows[2][8] = '=HYPERLINK("http://evil.example","孙三")'
    page, token = _preview(staff, world.e2, "r.xlsx", xlsx(rows))
    assert token is None and "可能被当作公式执行" in page
    assert re.search(r'<td[^>]*class="num">4</td><td[^>]*>业主姓名</td>', page)
    assert not Owner.objects.filter(name__contains="孙三").exists()
