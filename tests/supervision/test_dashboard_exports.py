"""The dashboard's lists as .xlsx files: the content read back, owners' names masked unless
the reader may see them, formula-like cells as text, the unmasked export in the audit trail."""

import io

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook

from community import access
from community.models import AuditEvent, Role
from tests.factories import UserFactory, login

from .test_dashboard import build

pytestmark = pytest.mark.django_db


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    book = load_workbook(io.BytesIO(response.content))
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def test_every_list_exports_the_rows_it_shows(client, world):
    build(world)
    login(client, world.users[Role.STREET_STAFF])
    for page, size in (("collection", 2), ("fund", 2), ("requests", 5), ("exams", 1), ("mediation", 4)):
        shown = client.get(reverse(f"supervision:{page}")).context["page"].paginator.count
        rows = _sheet(client.get(reverse(f"supervision:{page}"), {"export": "xlsx"}))
        assert len(rows) - 1 == shown == size, page
    rows = _sheet(client.get(reverse("supervision:collection"), {"export": "xlsx"}))
    assert rows[0][:3] == ["小区", "社区", "街道"]
    e1 = next(r for r in rows if r[0] == world.e1.name)
    assert e1[3:] == ["150.00", "110.00", "40.00", "73.33%"]
    # the filters apply to the file as to the page
    rows = _sheet(client.get(reverse("supervision:requests"), {"export": "xlsx", "timely": "late"}))
    assert len(rows) - 1 == 2 and all(r[10] == "超时" for r in rows[1:])


def test_the_arrears_list_names_owners_to_those_who_may_see_them_and_audits_it(client, world):
    build(world)
    staff = world.users[Role.STREET_STAFF]
    login(client, staff)
    rows = _sheet(client.get(reverse("supervision:arrears", args=[world.e1.pk]), {"export": "xlsx"}))
    assert rows[0] == ["房屋", "应缴业主", "欠费（元）", "账单数", "最早账期"]
    assert [r[1:4] for r in rows[1:]] == [["王小明", "70.00", "1"], ["王小明", "40.00", "1"]]
    exported = AuditEvent.objects.filter(action="export", user=staff).get()
    assert exported.object_id == str(world.e1.pk) and exported.detail == {"document": "arrears_xlsx", "rows": 2}

    # A reader with the dashboard but without personal data sees the names masked, and nothing is audited.
    viewer = UserFactory(username="viewer")
    assign_perm(access.VIEW, viewer, world.e1.grid.community.street.district)
    login(client, viewer, second_factor=False)
    rows = _sheet(client.get(reverse("supervision:arrears", args=[world.e1.pk]), {"export": "xlsx"}))
    assert {r[1] for r in rows[1:]} == {"王**"}
    body = client.get(reverse("supervision:arrears", args=[world.e1.pk])).content.decode()
    assert "王**" in body and "王小明" not in body
    assert not AuditEvent.objects.filter(user=viewer, action__in=["export", "view_personal"]).exists()


def test_a_cell_that_looks_like_a_formula_comes_out_as_text(client, world):
    build(world)
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.get(reverse("supervision:arrears", args=[world.e3.pk]), {"export": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    cell = book.active["B2"]
    assert cell.value == '\'=HYPERLINK("http://x","点我")' and cell.data_type == "s"
    assert not any(c.data_type == "f" for row in book.active.iter_rows() for c in row)
