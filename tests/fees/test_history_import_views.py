"""The HC payment-history page: who may reach it (every role, on its own estate and another),
the preview, the confirmation as a job, the sample download, and bad input."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from community import access
from community.models import Job, JobStatus, Role, ServiceContract
from community.tenure import services as tenure
from fees import history_import
from fees.models import Bill, LedgerEntry, Payment
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, login, user_with_role
from tests.world import PERSON_ROLES

from .conftest import publish
from .test_history_import import row, xlsx

# Who keeps 江滨豪园's books: its company's staff while the contract runs, nobody else.
KEEPERS = {Role.COMPANY_STAFF}


@pytest.fixture
def hc(pilot):
    building = BuildingFactory(estate=pilot, name="1")
    unit = UnitFactory(building=building, room="1-101")
    OwnershipFactory(unit=unit, owner=OwnerFactory(name="赵一"), started_on=date(2019, 1, 1))
    return pilot


def upload(content=None, name="hc.xlsx"):
    return SimpleUploadedFile(name, content if content is not None else xlsx(row()))


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_the_page_and_sample_are_for_the_keeper_of_the_books_only(client, world, hc, role):
    login(client, world.users[role])
    allowed = role in KEEPERS
    for name in ("fees:history_import", "fees:history_sample"):
        response = client.get(reverse(name, args=[hc.pk]))
        expected = 200 if allowed else (403 if access.can(world.users[role], access.VIEW, hc) else 404)
        assert response.status_code == expected, (role, name)
    response = client.post(reverse("fees:history_import", args=[hc.pk]), {"file": upload()})
    assert (response.status_code == 200) is allowed
    # on an estate outside the role's scope: never
    other = world.other.get(role, world.e5)
    assert client.get(reverse("fees:history_import", args=[other.pk])).status_code in (403, 404)
    assert not Payment.objects.exists()


def test_the_estate_fee_page_links_to_the_import_for_the_keeper_only(client, world, hc):
    login(client, world.users[Role.COMPANY_STAFF])
    assert (
        reverse("fees:history_import", args=[hc.pk])
        in client.get(reverse("fees:estate", args=[hc.pk])).content.decode()
    )
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.get(reverse("fees:estate", args=[hc.pk])).content.decode()
    assert reverse("fees:history_import", args=[hc.pk]) not in page


def test_a_self_managed_estates_committee_imports_its_history(client, world):
    tenure.start_self_management(actor=None, estate=world.e2, on=date(2020, 1, 1))
    publish(world.e2)
    unit = UnitFactory(building=BuildingFactory(estate=world.e2, name="1"), room="1-101")
    OwnershipFactory(unit=unit, owner=OwnerFactory(name="赵一"), started_on=date(2019, 1, 1))
    member = user_with_role(Role.COMMITTEE_MEMBER, world.e2, "committee-e2")
    login(client, member)
    response = client.post(reverse("fees:history_import", args=[world.e2.pk]), {"file": upload()})
    assert response.status_code == 200 and response.context["token"]
    response = client.post(
        reverse("fees:history_confirm", args=[world.e2.pk]), {"token": response.context["token"], "action": "import"}
    )
    job = Job.objects.get()
    assert response.url == reverse("community:job", args=[job.pk]) and job.status == JobStatus.DONE, job.error
    assert Payment.objects.get(imported=True).estate == world.e2


def test_preview_then_confirm_runs_the_import_as_a_job(client, world, hc, django_capture_on_commit_callbacks):
    login(client, world.users[Role.COMPANY_STAFF])
    response = client.post(reverse("fees:history_import", args=[hc.pk]), {"file": upload()})
    page = response.content.decode()
    assert "新增历史账单" in page and "物业服务费" in page and not Bill.objects.exists()
    token = response.context["token"]
    with django_capture_on_commit_callbacks(execute=True):  # the job deletes the upload once committed
        client.post(reverse("fees:history_confirm", args=[hc.pk]), {"token": token, "action": "import"})
    job = Job.objects.get()
    assert job.status == JobStatus.DONE and "历史账单 1 笔" in job.message
    assert Payment.objects.get().imported and LedgerEntry.objects.get().imported
    # the same ticket again: its file is gone, nothing more is written
    response = client.post(
        reverse("fees:history_confirm", args=[hc.pk]), {"token": token, "action": "import"}, follow=True
    )
    assert "预览已过期" in response.content.decode() and Payment.objects.count() == 1
    # the same file again: the preview says there is nothing to import
    page = client.post(reverse("fees:history_import", args=[hc.pk]), {"file": upload()}).content.decode()
    assert "无需再次导入" in page


def test_errors_are_listed_with_row_numbers_and_there_is_nothing_to_confirm(client, world, hc):
    login(client, world.users[Role.COMPANY_STAFF])
    content = xlsx(row(), row(house="9-9-901"), row(item="装修押金", start="2024-02-01", end="2024-02-29"))
    response = client.post(reverse("fees:history_import", args=[hc.pk]), {"file": upload(content)})
    page = response.content.decode()
    assert "发现 2 处错误" in page and "9-9-901" in page and "装修押金" in page
    assert "token" not in response.context and "确认导入" not in page


def test_bad_input_is_refused_clearly(client, world, hc):
    login(client, world.users[Role.COMPANY_STAFF])
    url = reverse("fees:history_import", args=[hc.pk])
    assert "物业服务费、生活垃圾清运费、车位管理费" in client.get(url).content.decode()  # the names it matches
    page = client.post(url, {"file": upload(b"%PDF-1.4 not a sheet", "hc.xlsx")}).content.decode()
    assert "只接受 .xlsx 或 .csv 文件" in page
    page = client.post(url, {}).content.decode()
    assert "这个字段是必填项" in page or "必填" in page
    response = client.post(reverse("fees:history_confirm", args=[hc.pk]), {"token": "forged"}, follow=True)
    assert "预览已过期" in response.content.decode()
    assert client.get(reverse("fees:history_confirm", args=[hc.pk])).status_code == 405
    assert not Job.objects.exists()


def test_another_users_ticket_or_another_estates_is_refused(client, world, hc):
    login(client, world.users[Role.COMPANY_STAFF])
    token = client.post(reverse("fees:history_import", args=[hc.pk]), {"file": upload()}).context["token"]
    company = ServiceContract.objects.filter(estate=hc).first().company
    other = user_with_role(Role.COMPANY_STAFF, company, "company-2")  # a colleague: may import, not this ticket
    login(client, other)
    client.post(reverse("fees:history_confirm", args=[hc.pk]), {"token": token, "action": "import"})
    assert not Job.objects.exists() and not Payment.objects.exists()


def test_cancel_deletes_the_waiting_file(client, world, hc):
    login(client, world.users[Role.COMPANY_STAFF])
    token = client.post(reverse("fees:history_import", args=[hc.pk]), {"file": upload()}).context["token"]
    response = client.post(
        reverse("fees:history_confirm", args=[hc.pk]), {"token": token, "action": "cancel"}, follow=True
    )
    assert "已取消导入" in response.content.decode()
    response = client.post(
        reverse("fees:history_confirm", args=[hc.pk]), {"token": token, "action": "import"}, follow=True
    )
    assert "预览已过期" in response.content.decode() and not Job.objects.exists()


def test_the_sample_is_hcs_sheet_as_an_xlsx(client, world, hc):
    login(client, world.users[Role.COMPANY_STAFF])
    response = client.get(reverse("fees:history_sample", args=[hc.pk]))
    assert response["Content-Disposition"].endswith("hc-fee-history-sample.xlsx")
    rows, errors = history_import.parse("sample.xlsx", response.content, today=date(2026, 6, 15))
    assert errors == [] and [r.house for r in rows] == [r[0] for r in history_import.SAMPLE]
