"""The audit trail (安全审计): a row for each audited action with who, from where, on what and
with what result; /audit/ for district administrators (search, export, a fixed number of
queries); nothing deletes from it; PostgreSQL refuses to change or delete a row."""

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from community import audit, services
from community.import_services import import_registry
from community.models import AuditEvent, Owner, Ownership, Role, RoleAssignment, Unit
from tests.community.test_import import GOOD, xlsx
from tests.community.test_workspace_views import _upload
from tests.factories import PASSWORD, OwnerFactory, UserFactory, login

pytestmark = pytest.mark.django_db
ADDRESS = "10.20.30.40"


def rows(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))


# --------------------------------------------------------------------------- sign-in


def test_sign_in_sign_out_and_a_failed_sign_in_are_recorded_with_the_address(client, world):
    user = world.users[Role.COMMUNITY_STAFF]
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200  # the form again
    [failed] = rows("login_failed")
    assert (failed.user_id, failed.username, failed.ip, failed.result) == (None, user.username, ADDRESS, "failure")
    assert "wrong" not in str(failed.detail) and "wrong" not in failed.object_repr

    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302
    [signed_in] = rows("login")
    assert (signed_in.user_id, signed_in.username, signed_in.ip, signed_in.result) == (
        user.pk,
        user.username,
        ADDRESS,
        "success",
    )
    assert (signed_in.object_type, signed_in.object_id) == ("auth.user", str(user.pk))

    client.post(reverse("logout"), REMOTE_ADDR=ADDRESS)
    [signed_out] = rows("logout")
    assert (signed_out.user_id, signed_out.ip) == (user.pk, ADDRESS)


def test_a_failed_sign_in_with_a_name_nobody_has_is_recorded_as_typed(client, db):
    client.post(reverse("login"), {"username": "nobody<script>", "password": "x"})
    [failed] = rows("login_failed")
    assert failed.username == "nobody<script>" and failed.user_id is None


def test_the_address_is_the_proxys_forwarded_one_only_when_the_deployment_trusts_it(client, world, settings):
    user = world.users[Role.GRID_WORKER]
    headers = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"{ADDRESS}, 127.0.0.1"}
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **headers)
    settings.TRUST_X_FORWARDED_FOR = True
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **headers)
    assert [r.ip for r in rows("login")] == ["127.0.0.1", ADDRESS]


# --------------------------------------------------------------------------- roles and the registry


def test_role_grant_and_revoke_name_the_actor_the_user_and_the_role(world):
    admin = UserFactory(username="root", is_superuser=True)
    clerk = UserFactory(username="clerk")
    grid = world.e1.grid
    assignment = services.assign_role(actor=admin, user=clerk, role=Role.GRID_WORKER, scope=grid)
    [granted] = rows("role_grant", user=admin)  # (the world's own roles were given by the system)
    assert (granted.user_id, granted.object_type, granted.object_id) == (
        admin.pk,
        "community.roleassignment",
        str(assignment.pk),
    )
    assert granted.detail == {"user": "clerk", "role": Role.GRID_WORKER}
    pk = assignment.pk
    services.revoke_role(actor=admin, assignment=assignment)
    [revoked] = rows("role_revoke", user=admin)
    assert (revoked.user_id, revoked.object_id, revoked.detail["user"]) == (admin.pk, str(pk), "clerk")
    assert not RoleAssignment.objects.filter(pk=pk).exists()


def test_a_refused_role_grant_leaves_no_line(world):
    with pytest.raises(Exception, match="没有权限"):
        services.assign_role(
            actor=world.users[Role.DISTRICT_ADMIN], user=UserFactory(), role=Role.GRID_WORKER, scope=world.e1.grid
        )
    assert not rows("role_grant", user=world.users[Role.DISTRICT_ADMIN])


def test_registry_changes_are_recorded_with_the_actor(world):
    staff = world.users[Role.COMMUNITY_STAFF]
    estate = services.register_estate(
        actor=staff,
        grid=world.e1.grid,
        name="审计苑",
        code="AUD-1",
        delivered_on=date(2020, 1, 1),
        buildings=[services.BuildingSpec("1号楼", [services.UnitSpec("101", registered_area=90)])],
    )
    [created] = rows("registry_create", user=staff)
    assert (created.user_id, created.object_type, created.object_id) == (staff.pk, "community.estate", str(estate.pk))
    assert created.detail == {"buildings": 1, "units": 1}

    services.add_buildings(actor=staff, estate=estate, buildings=[services.BuildingSpec("2号楼", [])])
    assert rows("registry_create")[-1].detail == {"buildings": ["2号楼"], "units": 0}

    estate.address = "审计路 1 号"
    services.save_registry_object(actor=staff, obj=estate)
    [changed] = rows("registry_change")
    assert (changed.user_id, changed.object_id, changed.object_repr) == (staff.pk, str(estate.pk), "审计苑")

    [owner] = services.register_owners(actor=staff, owners=[Owner(kind="person", name="王审计", mobile="13900000001")])
    assert rows("registry_create")[-1].detail == {"owners": 1}
    unit = Unit.objects.get(building__estate=estate, room="101")
    services.record_ownerships(
        actor=staff, estate=estate, ownerships=[Ownership(unit=unit, owner=owner, started_on=date(2020, 1, 1))]
    )
    assert rows("registry_create")[-1].detail == {"ownerships": 1}

    buyer = OwnerFactory()
    services.transfer_unit(actor=staff, unit=unit, new_owners=[buyer], on=date(2024, 6, 1))
    [transfer] = rows("registry_transfer")
    assert (transfer.user_id, transfer.object_type, transfer.object_id) == (staff.pk, "community.unit", str(unit.pk))
    assert transfer.detail["on"] == "2024-06-01" and transfer.detail["owners"] == [buyer.pk]


def test_a_refused_registry_change_leaves_no_line(world):
    with pytest.raises(Exception, match="没有权限"):
        services.add_buildings(
            actor=world.users[Role.COMMUNITY_STAFF], estate=world.e3, buildings=[services.BuildingSpec("9号楼", [])]
        )
    assert not AuditEvent.objects.filter(action__startswith="registry", user=world.users[Role.COMMUNITY_STAFF]).exists()


def test_an_import_is_recorded_with_its_file_and_what_it_changed(world):
    staff = world.users[Role.COMMUNITY_STAFF]
    import_registry(actor=staff, estate=world.e2, name="registry.xlsx", content=xlsx(GOOD))
    [imported] = rows("import")
    assert (imported.user_id, imported.object_type, imported.object_id) == (
        staff.pk,
        "community.estate",
        str(world.e2.pk),
    )
    assert imported.detail["file"] == "registry.xlsx" and imported.detail["units"][0] > 0


# --------------------------------------------------------------------------- who looked at whose data


def test_the_owner_list_is_recorded_only_for_those_who_see_it_unmasked(client, world):
    url = reverse("community:estate_detail", args=[world.e1.pk])
    login(client, world.users[Role.COMMITTEE_MEMBER])  # sees 张** and 139****5678
    page = client.get(url).content.decode()
    assert "张**" in page and not rows("view_personal")
    login(client, world.users[Role.GRID_WORKER])
    page = client.get(url, REMOTE_ADDR=ADDRESS).content.decode()
    assert "张三丰" in page
    [seen] = rows("view_personal")
    assert (seen.user_id, seen.ip, seen.object_type, seen.object_id) == (
        world.users[Role.GRID_WORKER].pk,
        ADDRESS,
        "community.estate",
        str(world.e1.pk),
    )
    assert seen.detail["page"] == "owner_list"


def test_a_search_that_shows_owners_unmasked_is_recorded_with_its_terms(client, world):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    assert "张**" in client.get(reverse("community:search"), {"q": "101"}).content.decode()
    assert not rows("view_personal")
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert "张三丰" in client.get(reverse("community:search"), {"q": "13912345678"}).content.decode()
    [seen] = rows("view_personal")
    assert (seen.object_type, seen.object_repr) == ("community.search", "13912345678")
    assert seen.detail == {"q": "13912345678", "read_as": "mobile", "owners": 1}
    client.get(reverse("community:search"), {"q": "没有这个人"})  # nothing found, nothing shown
    assert len(rows("view_personal")) == 1


def test_an_import_preview_naming_owners_is_recorded(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = _upload(client, world.e2, "registry.xlsx", xlsx(GOOD)).content.decode()
    assert 'name="token"' in page
    [seen] = rows("view_personal")
    assert seen.detail == {"page": "import_preview", "file": "registry.xlsx"}
    assert seen.object_id == str(world.e2.pk)


# --------------------------------------------------------------------------- /audit/


def _events(world, n):
    staff = world.users[Role.COMMUNITY_STAFF]
    for i in range(n):
        audit.record("view_personal", user=staff, obj=world.e1, detail={"page": f"p{i}"})


AUDITORS = [Role.DISTRICT_ADMIN]
DENIED = [
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMMITTEE_MEMBER,
    Role.COMPANY_STAFF,
    Role.MEDIATOR,
]


@pytest.mark.parametrize("role", AUDITORS)
def test_district_administrators_read_the_trail_and_see_it_in_the_bar(client, world, role):
    _events(world, 2)
    login(client, world.users[role])
    page = client.get(reverse("community:audit")).content.decode()
    assert "审计记录" in page and page.count("查看个人信息") >= 2
    assert reverse("community:audit") in client.get(reverse("community:directory")).content.decode()


@pytest.mark.parametrize("role", DENIED)
def test_every_other_role_is_refused_the_trail_and_its_export(client, world, role):
    login(client, world.users[role])
    assert client.get(reverse("community:audit")).status_code == 403
    assert client.get(reverse("community:audit_export")).status_code == 403
    if role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.GRID_WORKER):
        assert reverse("community:audit") not in client.get(reverse("community:directory")).content.decode()
    assert not rows("export")


def test_owners_are_refused_and_strangers_are_sent_to_sign_in(client, world):
    login(client, world.owner_user)
    assert client.get(reverse("community:audit")).status_code == 403
    client.logout()
    response = client.get(reverse("community:audit"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.get(reverse("community:audit_export"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_superusers_read_it_too(client, world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    login(client, root)
    assert client.get(reverse("community:audit")).status_code == 200


def test_the_search_filters_by_person_action_object_and_date(client, world):
    staff, grid = world.users[Role.COMMUNITY_STAFF], world.users[Role.GRID_WORKER]
    old = audit.record("export", user=grid, obj=world.e2, detail={"document": "x"})
    long_ago = AuditEvent.objects.create(
        at=timezone.now() - timedelta(days=40), username="someone", action="login", object_repr="旧记录"
    )
    _events(world, 3)
    login(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("community:audit")

    def found(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return [e.pk for e, _label in response.context["events"]]

    assert len(found(user=staff.username)) == 3
    assert len(found(user=staff.username.upper())) == 3  # a name is found whatever its case
    assert found(action="export") == [old.pk]
    assert found(obj=f"community.estate:{world.e2.pk}") == [old.pk]
    assert found(obj="旧记录") == [long_ago.pk]
    today = timezone.localdate()
    assert long_ago.pk not in found(since=(today - timedelta(days=7)).isoformat())
    assert found(until=(today - timedelta(days=39)).isoformat()) == [long_ago.pk]
    everything = found()
    assert everything[0] > everything[-1]  # newest first


@pytest.mark.parametrize(
    "query, message",
    [
        ({"since": "2026-13-45"}, "请输入正确的日期"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "截止日期不能早于起始日期"),
        ({"action": "drop_table"}, "没有这种操作"),
    ],
)
def test_a_bad_search_says_why_and_finds_nothing(client, world, query, message):
    _events(world, 2)
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.get(reverse("community:audit"), query)
    assert message in response.content.decode() and response.context["events"] == []
    response = client.get(reverse("community:audit_export"), query)
    assert response.status_code == 302 and not rows("export")
    assert "查询条件有误" in client.get(response.url).content.decode()


def test_the_page_runs_a_fixed_number_of_queries(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("community:audit")
    client.get(url)  # warm the session and the content types

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _events(world, 2)
    few = count()
    _events(world, 60)  # past one page
    assert count() == few
    assert few <= 10  # 8 for the page, the second factor's device django-otp reads on every staff request,
    # and the bar's count of overdue duties (community.duties)


def test_the_export_holds_what_the_search_found_and_is_itself_recorded(client, world):
    staff = world.users[Role.COMMUNITY_STAFF]
    _events(world, 3)
    audit.record("export", user=world.users[Role.GRID_WORKER], obj=world.e2)
    admin = world.users[Role.DISTRICT_ADMIN]
    login(client, admin)
    response = client.get(reverse("community:audit_export"), {"user": staff.username}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=audit-")
    assert response["X-Content-Type-Options"] == "nosniff"
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert lines[0][:4] == ["时间", "用户名", "来源地址", "操作"]
    assert len(lines) == 4 and {line[1] for line in lines[1:]} == {staff.username}
    assert {line[3] for line in lines[1:]} == {"查看个人信息"} and lines[1][6] == world.e1.name
    assert lines[1][8].startswith("page=p")
    [exported] = rows("export", user=admin)
    assert (exported.ip, exported.object_type) == (ADDRESS, "community.auditevent")
    assert exported.detail == {"filters": {"user": staff.username}, "rows": 3}


def test_an_export_too_large_is_refused_with_a_reason(client, world, monkeypatch):
    from community import audit_views

    monkeypatch.setattr(audit_views, "EXPORT_LIMIT", 2)
    _events(world, 3)
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.get(reverse("community:audit_export"))
    assert response.status_code == 302 and not rows("export")
    assert "超过 2 条" in client.get(response.url).content.decode()


def test_roles_given_before_the_trail_existed_get_it_from_the_migration(world):
    """A district administrator's role carries view_audit (the migration grants it to existing ones)."""
    from community import access

    assert access.VIEW_AUDIT in access.ROLE_PERMS[Role.DISTRICT_ADMIN]
    assert access.holds_anywhere(world.users[Role.DISTRICT_ADMIN], access.VIEW_AUDIT)
    assert not access.holds_anywhere(world.users[Role.STREET_STAFF], access.VIEW_AUDIT)


# --------------------------------------------------------------------------- nothing deletes it


def test_the_admin_is_a_superusers_window_with_no_door(client, world):
    model_admin = site._registry[AuditEvent]
    _events(world, 1)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    login(client, root)
    changelist = reverse("admin:community_auditevent_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and "delete_selected" not in page.content.decode()
    event = AuditEvent.objects.filter(action="view_personal").get()
    assert client.post(reverse("admin:community_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code in (
        403,
        302,
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    request = type("R", (), {"user": root})()
    assert not model_admin.has_delete_permission(request, event)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_add_permission(request)
    login(client, world.users[Role.DISTRICT_ADMIN])  # a staff member, but not a superuser
    assert client.get(changelist).status_code == 403


ROOT = Path(__file__).resolve().parents[2]
READERS = {  # the only modules that name the table: none of them deletes or updates it
    "community/models.py",
    "community/audit.py",
    "community/selectors.py",
    "community/admin.py",
    "community/audit_views.py",
}


def test_nothing_in_the_code_deletes_or_rewrites_audit_rows():
    """Retention (≥180 days, Cybersecurity Law art. 21): rows stay because nothing removes them.
    Only the listed modules name the table, and none of them deletes, updates or truncates it."""
    naming = set()
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/")) or "/migrations/" in relative:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"AuditEvent|community_auditevent", text):
            naming.add(relative)
    assert naming == READERS
    for relative in READERS:
        text = (ROOT / relative).read_text(encoding="utf-8")
        assert not re.search(r"AuditEvent[\w.()\[\]:, =\"']*\.(delete|update|bulk_update)\(", text), relative
        assert not re.search(r"(?i)(delete\s+from|truncate|update)\s+\"?community_auditevent", text), relative
    from community.schedule import SCHEDULE

    assert not any("audit" in str(entry).lower() for entry in SCHEDULE)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_refuses_to_change_or_delete_a_row(db):
    event = audit.record("login", username="someone")
    for statement in (
        "UPDATE community_auditevent SET username = 'other' WHERE id = %s",
        "DELETE FROM community_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).username == "someone"
