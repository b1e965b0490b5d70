"""Handling units managed in the product (grid.units, grid.unit_views): who lists, registers and
corrects them and manages their staff's logins; bad input refused in Chinese with nothing written;
a company's unit made once and safely beside a unit of the same name."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from community import access, identity
from community.models import Account, AuditEvent, Role, RoleAssignment
from grid import units
from grid.models import HandlingUnit, UnitKind
from residents.models import VerifiedMobile
from tests.factories import CompanyFactory, UserFactory, login, user_with_role

pytestmark = pytest.mark.django_db
User = get_user_model()

# Who lists the units of E1's district, and who manages them.
READERS = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF}
MANAGERS = {Role.DISTRICT_ADMIN}
STAFF_ROLES = [
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMMITTEE_MEMBER,
    Role.COMPANY_STAFF,
    Role.MEDIATOR,
]


@pytest.fixture
def water(world):
    return units.register_unit(actor=None, district=world.e1.district, name="自来水公司江滨营业所", kind="utility")


@pytest.fixture
def elsewhere(world):
    """A unit of the other district, out of everyone's reach but its own administrator's."""
    return units.register_unit(actor=None, district=world.e5.district, name="另一区供电所", kind="utility")


@pytest.fixture
def worker(water):
    """A staff member of the water unit, with an account of their own already."""
    user = UserFactory(username="13900000001", first_name="周师傅")
    units.add_staff(actor=None, unit=water, name="周师傅", mobile="13900000001")
    return user


def _admin(world):
    return world.users[Role.DISTRICT_ADMIN]


def _audits(action):
    return AuditEvent.objects.filter(action=action).count()


# --------------------------------------------------------------------------- the role matrix


def _as(client, user):
    client.logout()
    login(client, user)


def test_the_list_is_for_district_street_and_community_staff(client, world, water, elsewhere):
    company = units.company_unit(CompanyFactory(name="绿城物业"), district=world.e1.district)
    for role in STAFF_ROLES:
        _as(client, world.users[role])
        response = client.get(reverse("grid:units"))
        if role in READERS:
            body = response.content.decode()
            assert response.status_code == 200, role
            assert water.name in body and company.name in body and elsewhere.name not in body, role
            assert (reverse("grid:unit_new") in body) == (role in MANAGERS), role
        else:
            assert response.status_code == 403, role


def test_the_list_refuses_owners_unit_staff_and_strangers(client, world, worker):
    assert client.get(reverse("grid:units")).status_code == 302  # to the sign-in
    for user in (world.owner_user, worker):
        _as(client, user)
        assert client.get(reverse("grid:units")).status_code == 403


def test_a_unit_page_in_the_district_and_out(client, world, water, worker, elsewhere):
    for role in STAFF_ROLES:
        _as(client, world.users[role])
        response = client.get(reverse("grid:unit", args=[water.pk]))
        assert response.status_code == (200 if role in READERS else 404), role
        if role in READERS:
            body = response.content.decode()
            assert "周师傅" in body and "139****0001" in body and "13900000001" not in body
            assert ('value="add_staff"' in body) == (role in MANAGERS), role
            assert ('value="remove_staff"' in body) == (role in MANAGERS), role
        assert client.get(reverse("grid:unit", args=[elsewhere.pk])).status_code == 404, role
    for user in (world.owner_user, worker):
        _as(client, user)
        assert client.get(reverse("grid:unit", args=[water.pk])).status_code == 404


def test_the_create_and_edit_forms_are_the_district_administrators(client, world, water, worker):
    for role in STAFF_ROLES:
        _as(client, world.users[role])
        new = client.get(reverse("grid:unit_new"))
        edit = client.get(reverse("grid:unit_edit", args=[water.pk]))
        if role in MANAGERS:
            assert new.status_code == 200 and edit.status_code == 200
            assert "自来水公司江滨营业所" in edit.content.decode()
        else:
            assert new.status_code == 403, role
            assert edit.status_code == (403 if role in READERS else 404), role
    for user in (world.owner_user, worker):
        _as(client, user)
        assert client.get(reverse("grid:unit_new")).status_code == 403
        assert client.get(reverse("grid:unit_edit", args=[water.pk])).status_code == 404


def test_readers_cannot_act_on_a_unit(client, world, water, worker):
    url = reverse("grid:unit", args=[water.pk])
    for role in sorted(READERS - MANAGERS):
        _as(client, world.users[role])
        for data in (
            {"action": "deactivate"},
            {"action": "add_staff", "name": "王五", "mobile": "13900000002"},
            {"action": "remove_staff", "user": worker.pk},
        ):
            assert client.post(url, data).status_code == 403, (role, data)
        edit = client.post(reverse("grid:unit_edit", args=[water.pk]), {"name": "改名", "kind": "utility"})
        assert edit.status_code == 403
    _as(client, worker)
    assert client.post(url, {"action": "deactivate"}).status_code == 404
    water.refresh_from_db()
    assert water.active and water.name == "自来水公司江滨营业所"
    assert [a.user for a in units.staff_of(water)] == [worker]
    assert not User.objects.filter(username="13900000002").exists()


def test_another_districts_administrator_reaches_nothing_here(client, world, water):
    other_admin = user_with_role(Role.DISTRICT_ADMIN, world.e5.district, "district2")
    login(client, other_admin)
    assert water.name not in client.get(reverse("grid:units")).content.decode()
    for name in ("grid:unit", "grid:unit_edit"):
        assert client.get(reverse(name, args=[water.pk])).status_code == 404
    assert client.post(reverse("grid:unit", args=[water.pk]), {"action": "deactivate"}).status_code == 404
    with pytest.raises(PermissionDenied):
        units.register_unit(actor=other_admin, district=world.e1.district, name="越权单位", kind="utility")
    with pytest.raises(PermissionDenied):
        units.set_active(actor=other_admin, unit=water, active=False)


def test_community_staff_hold_dispatch_below_the_district_but_do_not_manage_its_units(world, water):
    staff = world.users[Role.COMMUNITY_STAFF]
    # The trap the module avoids: the district is "visible" to them from below.
    assert access.can(staff, access.DISPATCH_CASES, world.e1.district)
    assert not units.manages_district(staff, world.e1.district)
    assert not units.may_manage(staff, water)
    with pytest.raises(PermissionDenied):
        units.register_unit(actor=staff, district=world.e1.district, name="社区自设单位", kind="utility")
    with pytest.raises(PermissionDenied):
        units.add_staff(actor=staff, unit=water, name="王五", mobile="13900000002")
    assert (
        not HandlingUnit.objects.filter(name="社区自设单位").exists()
        and not User.objects.filter(username="13900000002").exists()
    )


# --------------------------------------------------------------------------- the pages at work


def test_the_administrator_registers_renames_and_takes_a_unit_out_of_use(client, world):
    login(client, _admin(world))
    response = client.post(
        reverse("grid:unit_new"),
        {"district": world.e1.district.pk, "name": " 区住建局 ", "kind": "department", "phone": "0571-8888 0001"},
    )
    unit = HandlingUnit.objects.get(name="区住建局")
    assert response.status_code == 302 and response["Location"] == reverse("grid:unit", args=[unit.pk])
    assert (unit.kind, unit.phone, unit.district, unit.active) == (
        "department",
        "0571-88880001",
        world.e1.district,
        True,
    )
    response = client.post(
        reverse("grid:unit_edit", args=[unit.pk]), {"name": "区住房和城乡建设局", "kind": "department"}
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "区住房和城乡建设局" and unit.phone == ""
    client.post(reverse("grid:unit", args=[unit.pk]), {"action": "deactivate"})
    unit.refresh_from_db()
    assert not unit.active
    body = client.get(reverse("grid:unit", args=[unit.pk])).content.decode()
    assert "已停用" in body and 'value="reactivate"' in body
    client.post(reverse("grid:unit", args=[unit.pk]), {"action": "reactivate"})
    unit.refresh_from_db()
    assert unit.active
    trail = AuditEvent.objects.filter(object_type="grid.handlingunit", object_id=str(unit.pk)).order_by("pk")
    assert [e.action for e in trail] == [
        "handling_unit_create",
        "handling_unit_change",
        "handling_unit_change",
        "handling_unit_change",
    ]
    assert AuditEvent.objects.filter(action="handling_unit_create").get().user == _admin(world)


def test_a_new_staff_login_is_shown_once_and_must_pass_both_steps(client, world, water):
    login(client, _admin(world))
    response = client.post(
        reverse("grid:unit", args=[water.pk]), {"action": "add_staff", "name": "钱师傅", "mobile": "13900000009"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="new-login"' in body
    user = User.objects.get(username="13900000009")
    assert user.first_name == "钱师傅" and not user.is_staff
    password = body.split("<strong>")[1].split("</strong>")[0]
    assert user.check_password(password) and len(password) == 12
    assert RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF, scope_id=water.pk).exists()
    assert access.can(user, access.HANDLE_REQUESTS, water) and not access.can(user, access.VIEW, world.e1)
    # The role needs the second factor, and the first password must be changed at once.
    assert identity.second_factor_required(user)
    assert Account.objects.get(user=user).password_changed_at is None and identity.password_expired(user)
    event = AuditEvent.objects.get(action="unit_staff_add")
    assert event.user == _admin(world) and event.detail == {"user": "13900000009", "new_account": True}
    assert password not in str(AuditEvent.objects.values_list("detail", flat=True))
    # Shown once: the unit's page does not show it again.
    assert password not in client.get(reverse("grid:unit", args=[water.pk])).content.decode()
    client.logout()
    response = client.post("/login/", {"username": "13900000009", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("grid:units"))["Location"].startswith(reverse("otp_setup"))


def test_an_existing_account_is_reused_by_its_mobile(client, world, water):
    resident = UserFactory(username="resident-zhou")
    VerifiedMobile.objects.create(user=resident, mobile="13900000003")
    login(client, _admin(world))
    response = client.post(
        reverse("grid:unit", args=[water.pk]), {"action": "add_staff", "name": "周三", "mobile": "13900000003"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(username="13900000003").exists()
    resident.refresh_from_db()
    assert resident.first_name == "周三" and access.can(resident, access.HANDLE_REQUESTS, water)
    assert AuditEvent.objects.get(action="unit_staff_add").detail == {"user": "resident-zhou", "new_account": False}
    body = client.get(reverse("grid:unit", args=[water.pk])).content.decode()
    assert "沿用原有账号" in body and "周三" in body


def test_removing_a_staff_member_takes_the_role_and_keeps_the_account(client, world, water, worker):
    other_unit = units.register_unit(actor=None, district=world.e1.district, name="燃气公司", kind="utility")
    units.add_staff(actor=None, unit=other_unit, name="周师傅", mobile="13900000001")
    login(client, _admin(world))
    response = client.post(reverse("grid:unit", args=[water.pk]), {"action": "remove_staff", "user": worker.pk})
    assert response.status_code == 302
    access.forget(worker)
    assert not access.can(worker, access.HANDLE_REQUESTS, water)
    assert access.can(worker, access.HANDLE_REQUESTS, other_unit)  # the other unit's role stays
    assert User.objects.filter(pk=worker.pk, is_active=True).exists()
    assert AuditEvent.objects.get(action="unit_staff_remove").detail == {"user": "13900000001"}
    # Again: not the unit's staff any more, refused, nothing written.
    before = _audits("unit_staff_remove")
    client.post(reverse("grid:unit", args=[water.pk]), {"action": "remove_staff", "user": worker.pk})
    assert _audits("unit_staff_remove") == before
    page = client.get(reverse("grid:unit", args=[water.pk])).content.decode()
    assert "该账号不是本单位的工作人员" in page


def test_a_company_unit_is_listed_with_the_companys_staff_and_cannot_be_managed(client, world):
    company = world.users[Role.COMPANY_STAFF].role_assignments.get().scope
    unit = units.company_unit(company, district=world.e1.district)
    login(client, _admin(world))
    body = client.get(reverse("grid:unit", args=[unit.pk])).content.decode()
    assert company.name in body and 'value="add_staff"' not in body and 'value="deactivate"' not in body
    assert "物业服务企业的工作人员即该企业的工作人员" in body
    assert [a.user for a in units.staff_of(unit)] == [world.users[Role.COMPANY_STAFF]]
    assert client.get(reverse("grid:unit_edit", args=[unit.pk])).status_code == 403
    assert client.post(reverse("grid:unit", args=[unit.pk]), {"action": "deactivate"}).status_code == 403
    for call in (
        lambda: units.set_active(actor=_admin(world), unit=unit, active=False),
        lambda: units.change_unit(actor=_admin(world), unit=unit, name="改名", kind="utility"),
        lambda: units.add_staff(actor=_admin(world), unit=unit, name="王五", mobile="13900000002"),
    ):
        with pytest.raises(ValidationError) as refused:
            call()
        assert "物业服务企业的处置单位随企业设立" in refused.value.messages[0]
    unit.refresh_from_db()
    assert unit.active and unit.name == company.name


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "自来水公司江滨营业所", "kind": "utility"}, "本区已有名为“自来水公司江滨营业所”的处置单位"),
        ({"name": "   ", "kind": "utility"}, "单位名称"),
        ({"name": "新单位", "kind": "company"}, "单位类型"),
        ({"name": "新单位", "kind": "utility", "phone": "call me"}, "联系电话只能由数字和“-”组成"),
    ],
)
def test_bad_unit_input_is_refused_in_chinese_and_nothing_is_written(client, world, water, data, message):
    login(client, _admin(world))
    before = (HandlingUnit.objects.count(), _audits("handling_unit_create"))
    response = client.post(reverse("grid:unit_new"), {"district": world.e1.district.pk, **data})
    assert response.status_code == 200 and message in response.content.decode()
    assert (HandlingUnit.objects.count(), _audits("handling_unit_create")) == before


def test_renaming_onto_another_units_name_is_refused(client, world, water):
    gas = units.register_unit(actor=None, district=world.e1.district, name="燃气公司", kind="utility")
    login(client, _admin(world))
    response = client.post(reverse("grid:unit_edit", args=[gas.pk]), {"name": water.name, "kind": "utility"})
    assert response.status_code == 200 and "本区已有名为" in response.content.decode()
    gas.refresh_from_db()
    assert gas.name == "燃气公司" and _audits("handling_unit_change") == 0


def test_the_same_name_in_another_district_is_allowed(world, water):
    twin = units.register_unit(actor=None, district=world.e5.district, name=water.name, kind="utility")
    assert twin.pk != water.pk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "王五", "mobile": "1390000000"}, "手机号码应为 1 开头的 11 位数字"),
        ({"name": "王五", "mobile": "23900000002"}, "手机号码应为 1 开头的 11 位数字"),
        ({"name": "王五", "mobile": "1390000000x"}, "手机号码应为 1 开头的 11 位数字"),
        ({"name": "", "mobile": "13900000002"}, "姓名"),
        ({"name": "周师傅", "mobile": "13900000001"}, "该账号已是本单位的工作人员"),
    ],
)
def test_bad_staff_input_is_refused_in_chinese_and_nothing_is_written(client, world, water, worker, data, message):
    login(client, _admin(world))
    before = (User.objects.count(), RoleAssignment.objects.count(), _audits("unit_staff_add"))
    response = client.post(reverse("grid:unit", args=[water.pk]), {"action": "add_staff", **data})
    body = response.content.decode()
    assert response.status_code == 200 and message in body and 'id="new-login"' not in body
    assert (User.objects.count(), RoleAssignment.objects.count(), _audits("unit_staff_add")) == before


def test_a_disabled_account_is_not_given_the_role(world, water):
    UserFactory(username="13900000004", is_active=False)
    with pytest.raises(ValidationError, match="已停用"):
        units.add_staff(actor=_admin(world), unit=water, name="赵六", mobile="13900000004")
    assert not RoleAssignment.objects.filter(role=Role.UNIT_STAFF, user__username="13900000004").exists()


def test_taking_a_unit_out_of_use_twice_is_refused(world, water):
    units.set_active(actor=_admin(world), unit=water, active=False)
    with pytest.raises(ValidationError, match="该单位已停用"):
        units.set_active(actor=_admin(world), unit=water, active=False)
    assert _audits("handling_unit_change") == 1


def test_first_passwords_pass_the_password_rules():
    from django.contrib.auth.password_validation import validate_password

    for _i in range(20):
        validate_password(units.first_password(), User(username="13900000005"))


# --------------------------------------------------------------------------- company units


def test_company_unit_is_made_once(world):
    company = CompanyFactory(name="恒安物业")
    first = units.company_unit(company, district=world.e1.district)
    again = units.company_unit(company, district=world.e5.district)
    assert first == again and HandlingUnit.objects.filter(company=company).count() == 1
    assert (first.name, first.kind, first.district) == ("恒安物业", UnitKind.COMPANY, world.e1.district)


def test_company_unit_beside_a_unit_of_the_same_name(world):
    company = CompanyFactory(name="江滨水务")
    same = units.register_unit(actor=None, district=world.e1.district, name="江滨水务", kind="utility")
    unit = units.company_unit(company, district=world.e1.district)
    assert unit.pk != same.pk and unit.company == company
    assert unit.name == f"江滨水务（{company.uscc}）"
    assert units.company_unit(company, district=world.e1.district) == unit
    # A second company of the very same name gets the name with its own code.
    other = CompanyFactory(name="江滨水务")
    assert units.company_unit(other, district=world.e1.district).name == f"江滨水务（{other.uscc}）"
    # And the district may not register a utility under the company unit's name.
    with pytest.raises(ValidationError, match="本区已有名为"):
        units.register_unit(actor=None, district=world.e1.district, name=unit.name, kind="utility")


def test_company_unit_when_its_name_is_taken_at_the_last_moment(world, monkeypatch):
    """Another request registers the company's name between the check and the insert: the
    insert fails on the district's unique name, and the next try takes the name with the code."""
    company = CompanyFactory(name="晚到物业")
    real = units._company_unit_name
    calls = []

    def racing(company_, district):
        name = real(company_, district)
        if not calls:
            HandlingUnit.objects.create(district=district, name=name, kind="utility")
        calls.append(name)
        return name

    monkeypatch.setattr(units, "_company_unit_name", racing)
    unit = units.company_unit(company, district=world.e1.district)
    assert calls == ["晚到物业", f"晚到物业（{company.uscc}）"] and unit.name == calls[-1]


# --------------------------------------------------------------------------- query counts


def test_the_list_and_a_unit_page_run_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    district = world.e1.district
    water = units.register_unit(actor=None, district=district, name="水务", kind="utility")
    login(client, _admin(world))

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = (count(reverse("grid:units")), count(reverse("grid:unit", args=[water.pk])))
    for n in range(5):
        unit = units.register_unit(actor=None, district=district, name=f"单位{n}", kind="department")
        units.add_staff(actor=None, unit=unit, name=f"员工{n}", mobile=f"1390000010{n}")
        units.add_staff(actor=None, unit=water, name=f"水务{n}", mobile=f"1390000020{n}")
        units.company_unit(CompanyFactory(), district=district)
    large = (count(reverse("grid:units")), count(reverse("grid:unit", args=[water.pk])))
    assert large == small
    with django_assert_max_num_queries(small[0]):
        client.get(reverse("grid:units"))
