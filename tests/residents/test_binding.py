"""Binding an owner's account: with a letter, from the registry, by a request; SMS codes and the lock."""

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community.models import AuditEvent, Owner, OwnerKind, Role
from residents import codes, services
from residents.models import Binding, BindingLetter, BindingRequest, PhoneCode, RequestStatus, VerifiedMobile
from tests.community.uploads_helpers import png_bytes
from tests.factories import (
    EstateFactory,
    OwnerFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
    login,
    user_with_role,
    valid_resident_id,
    valid_uscc,
)

User = get_user_model()
PASSWORD = "Ab3-good-pass"
PNG = png_bytes()


class Texts(list):
    """The texts the binding pages sent, as (mobile, text)."""

    def code(self, mobile):
        texts = [text for to, text in self if to == mobile]
        return re.search(r"(\d{6})", texts[-1]).group(1)


@pytest.fixture
def sms(monkeypatch):
    sent = Texts()

    def fake(mobile, text, *, event):
        sent.append((mobile, text))
        return ""

    monkeypatch.setattr(services, "send_sms_now", fake)
    return sent


def _letter(unit, *, code=None, expires_on=None, printed_by=None):
    code = code or codes.new_code()
    letter = BindingLetter.objects.create(
        unit=unit,
        code_hash=codes.digest(code),
        printed_by=printed_by or UserFactory(),
        expires_on=expires_on or timezone.localdate() + timedelta(days=60),
    )
    return letter, code


@pytest.fixture
def unit(db):
    unit = UnitFactory(building__estate=EstateFactory(name="江滨豪园"), building__name="3栋", room="101")
    return unit


def _owner(unit, n, **extra):
    owner = OwnerFactory(id_number=valid_resident_id(n), mobile="", **extra)
    OwnershipFactory(unit=unit, owner=owner, started_on=date(2018, 1, 1))
    return owner


def _walk(client, code, owner, mobile, sms, *, password=PASSWORD):
    response = client.post("/bind/", {"code": code, "id_tail": owner.id_number[-6:], "mobile": mobile})
    assert response.status_code == 302, response.content.decode()
    return client.post("/bind/verify/", {"sms_code": sms.code(mobile), "password": password, "password2": password})


# --------------------------------------------------------------------------- the letter path


def test_owner_binds_from_a_letter_and_is_signed_in(client, unit, sms):
    owner = _owner(unit, 1)
    letter, code = _letter(unit)
    response = client.post(
        "/bind/", {"code": codes.printed(code).lower(), "id_tail": owner.id_number[-6:], "mobile": "13700000001"}
    )
    assert response.status_code == 302 and response["Location"] == "/bind/verify/"
    assert sms[-1][0] == "13700000001" and re.search(r"验证码为 \d{6}，10 分钟内有效", sms[-1][1])
    page = client.get("/bind/verify/")
    assert "137****0001" in page.content.decode()
    response = client.post(
        "/bind/verify/", {"sms_code": sms.code("13700000001"), "password": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/me/binding/"
    owner.refresh_from_db()
    assert owner.user.username == "13700000001" and owner.mobile == "13700000001"
    assert VerifiedMobile.objects.get(user=owner.user).mobile == "13700000001"
    assert Binding.objects.get(owner=owner).letter == letter
    assert AuditEvent.objects.filter(action="bind", user=owner.user).count() == 1
    me = client.get("/me/binding/").content.decode()
    assert "3栋-101" in me
    assert client.get("/me/bills/").status_code == 200  # signed in as the owner


def test_qr_link_fills_in_the_code(client, unit):
    _letter_row, code = _letter(unit)
    page = client.get(f"/bind/{code}/").content.decode()
    assert f'value="{code}"' in page


def test_co_owners_each_bind_their_own_account_from_one_letter(client, unit, sms):
    first, second = _owner(unit, 1), _owner(unit, 2)
    _letter_row, code = _letter(unit)
    _walk(client, code, first, "13700000001", sms)
    client.logout()
    _walk(client, code, second, "13700000002", sms)
    first.refresh_from_db(), second.refresh_from_db()
    assert first.user.username == "13700000001" and second.user.username == "13700000002"
    client.logout()
    again = client.post("/bind/", {"code": code, "id_tail": first.id_number[-6:], "mobile": "13700000003"})
    assert "本绑定函已为您使用过" in again.content.decode()


def test_an_owner_of_several_units_binds_once_and_all_follow(client, unit, sms):
    owner = _owner(unit, 1)
    other = UnitFactory(building=unit.building, room="102")
    OwnershipFactory(unit=other, owner=owner, started_on=date(2019, 1, 1))
    _letter_row, code = _letter(unit)
    _walk(client, code, owner, "13700000001", sms)
    page = client.get("/me/binding/").content.decode()
    assert "3栋-101" in page and "3栋-102" in page
    # the other unit's letter finds the owner already bound
    client.logout()
    _second, code2 = _letter(other)
    refused = client.post("/bind/", {"code": code2, "id_tail": owner.id_number[-6:], "mobile": "13700000009"})
    assert "您已绑定账号" in refused.content.decode()


def test_an_organisation_binds_with_its_credit_code_tail(client, unit, sms):
    org = OwnerFactory(kind=OwnerKind.ORGANISATION, name="某某科技有限公司", uscc=valid_uscc(77), mobile="")
    OwnershipFactory(unit=unit, owner=org)
    _letter_row, code = _letter(unit)
    response = client.post("/bind/", {"code": code, "id_tail": org.uscc[-6:].lower(), "mobile": "13700000005"})
    assert response.status_code == 302
    client.post("/bind/verify/", {"sms_code": sms.code("13700000005"), "password": PASSWORD, "password2": PASSWORD})
    org.refresh_from_db()
    assert org.user is not None


def test_wrong_tail_and_wrong_code_are_refused_and_recorded(client, unit, sms):
    owner = _owner(unit, 1)
    _letter_row, code = _letter(unit)
    wrong_tail = client.post("/bind/", {"code": code, "id_tail": "000000", "mobile": "13700000001"})
    assert "证件号码后六位与登记信息不符" in wrong_tail.content.decode()
    wrong_code = client.post(
        "/bind/", {"code": "ABCD-EFGH-JKMN", "id_tail": owner.id_number[-6:], "mobile": "13700000001"}
    )
    assert "绑定码不正确" in wrong_code.content.decode()
    assert AuditEvent.objects.filter(action="bind_failed", result="failure").count() == 2
    assert sms == [] and PhoneCode.objects.count() == 0 and Owner.objects.get(pk=owner.pk).user is None


def test_five_failures_lock_the_address_for_thirty_minutes(client, unit, sms, settings):
    owner = _owner(unit, 1)
    _letter_row, code = _letter(unit)
    for _ in range(4):
        client.post("/bind/", {"code": code, "id_tail": "000000", "mobile": "13700000001"})
    fifth = client.post("/bind/", {"code": code, "id_tail": "000000", "mobile": "13700000001"})
    assert "证件号码后六位与登记信息不符" in fifth.content.decode()
    # now even the right details are refused, from this address and against this letter
    locked = client.post("/bind/", {"code": code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"})
    assert "核验失败次数过多" in locked.content.decode()
    other = client.post(
        "/bind/",
        {"code": code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert "核验失败次数过多" in other.content.decode()  # the letter itself is locked too
    assert sms == []
    # thirty minutes after the last failure the lock is over
    last = AuditEvent.objects.filter(action="bind_failed").order_by("-at").first().at
    assert services.locked_until(ip="127.0.0.1", now=last + timedelta(minutes=29, seconds=59)) is not None
    assert services.locked_until(ip="127.0.0.1", now=last + timedelta(minutes=30)) is None


def test_four_failures_do_not_lock(unit, rf):
    _owner(unit, 1)
    letter, _code = _letter(unit)
    request = rf.post("/bind/")
    for _ in range(4):
        with pytest.raises(ValidationError):
            services.check_letter(code=_code, id_tail="000000", request=request)
    assert services.locked_until(ip="127.0.0.1", letter=letter) is None


def _failures_at(ip, *minutes):
    start = timezone.now() - timedelta(hours=3)
    for m in minutes:
        AuditEvent.objects.create(at=start + timedelta(minutes=m), ip=ip, action="bind_failed", result="failure")
    return start


def test_five_failures_within_thirty_minutes_lock_and_spread_ones_do_not(db):
    start = _failures_at("10.1.1.1", 0, 10, 20, 25, 30)  # the fifth exactly 30 minutes after the first
    assert services.locked_until(ip="10.1.1.1", now=start + timedelta(minutes=31)) == start + timedelta(minutes=60)
    assert services.locked_until(ip="10.1.1.1", now=start + timedelta(minutes=60)) is None
    spread = _failures_at("10.2.2.2", 0, 10, 20, 25, 31)  # 31 minutes from first to fifth
    assert services.locked_until(ip="10.2.2.2", now=spread + timedelta(minutes=32)) is None
    assert services.locked_until(ip="10.3.3.3", now=spread + timedelta(minutes=32)) is None


def test_voided_and_expired_letters_are_refused(client, unit, sms):
    owner = _owner(unit, 1)
    old, old_code = _letter(unit)
    BindingLetter.objects.filter(pk=old.pk).update(voided_at=timezone.now())
    voided = client.post("/bind/", {"code": old_code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"})
    assert "已作废" in voided.content.decode()
    _expired, expired_code = _letter(unit, expires_on=timezone.localdate() - timedelta(days=1))
    expired = client.post("/bind/", {"code": expired_code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"})
    assert "已于" in expired.content.decode() and "过期" in expired.content.decode()
    _today, today_code = _letter(unit, expires_on=timezone.localdate())  # the expiry day itself still counts
    assert (
        client.post(
            "/bind/", {"code": today_code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"}
        ).status_code
        == 302
    )


def test_wrong_sms_code_binds_nothing_and_five_wrong_tries_spend_the_code(client, unit, sms):
    owner = _owner(unit, 1)
    _letter_row, code = _letter(unit)
    client.post("/bind/", {"code": code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"})
    right = sms.code("13700000001")
    wrong = "000000" if right != "000000" else "111111"
    page = client.post("/bind/verify/", {"sms_code": wrong, "password": PASSWORD, "password2": PASSWORD})
    assert "短信验证码不正确" in page.content.decode() and "还可尝试 4 次" in page.content.decode()
    for _ in range(4):
        client.post("/bind/verify/", {"sms_code": wrong, "password": PASSWORD, "password2": PASSWORD})
    late = client.post("/bind/verify/", {"sms_code": right, "password": PASSWORD, "password2": PASSWORD})
    assert "错误次数过多" in late.content.decode()
    assert not User.objects.filter(username="13700000001").exists() and Owner.objects.get(pk=owner.pk).user is None


def test_weak_or_mismatched_password_binds_nothing(client, unit, sms):
    owner = _owner(unit, 1)
    _letter_row, code = _letter(unit)
    client.post("/bind/", {"code": code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"})
    code_now = sms.code("13700000001")
    weak = client.post("/bind/verify/", {"sms_code": code_now, "password": "12345678", "password2": "12345678"})
    assert weak.status_code == 200 and "密码" in weak.content.decode()
    assert not User.objects.filter(username="13700000001").exists() and Owner.objects.get(pk=owner.pk).user is None
    # the code was not spent by the refused attempt
    PhoneCode.objects.update(tries=0)
    done = client.post("/bind/verify/", {"sms_code": code_now, "password": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302


def test_sms_resend_waits_and_the_daily_limit_holds(unit, settings, rf, sms):
    now = timezone.now()
    services.send_code(mobile="13700000001", purpose="bind", request=rf.post("/"), now=now)
    with pytest.raises(ValidationError, match="秒后"):
        services.send_code(mobile="13700000001", purpose="bind", request=rf.post("/"), now=now + timedelta(seconds=59))
    for i in range(1, settings.SMS_CODE_DAILY_LIMIT):
        services.send_code(mobile="13700000001", purpose="bind", now=now + timedelta(minutes=i))
    with pytest.raises(ValidationError, match="上限"):
        services.send_code(mobile="13700000001", purpose="bind", now=now + timedelta(hours=2))
    with pytest.raises(ValidationError, match="11 位"):
        services.send_code(mobile="1370000", purpose="bind")


def test_a_signed_in_account_binds_without_a_new_password(client, unit, sms):
    owner = _owner(unit, 1)
    account = UserFactory(username="13700000001")
    login(client, account, second_factor=False)
    _letter_row, code = _letter(unit)
    client.post("/bind/", {"code": code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"})
    page = client.get("/bind/verify/").content.decode()
    assert 'name="password"' not in page
    assert client.post("/bind/verify/", {"sms_code": sms.code("13700000001")}).status_code == 302
    owner.refresh_from_db()
    assert owner.user == account


# --------------------------------------------------------------------------- without a letter


def test_exact_registry_match_binds_after_a_code_to_the_registry_mobile(client, unit, sms):
    owner = _owner(unit, 3)
    Owner.objects.filter(pk=owner.pk).update(mobile="13911112222")
    response = client.post(
        "/bind/apply/",
        {
            "name": owner.name,
            "id_number": owner.id_number.lower(),
            "estate": unit.building.estate.pk,
            "building_name": "3栋",
            "room": "101",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/bind/verify/"
    assert sms[-1][0] == "13911112222"
    assert "139****2222" in client.get("/bind/verify/").content.decode()
    client.post("/bind/verify/", {"sms_code": sms.code("13911112222"), "password": PASSWORD, "password2": PASSWORD})
    owner.refresh_from_db()
    assert owner.user.username == "13911112222" and Binding.objects.get(owner=owner).via == "registry"


def _apply_data(unit, **extra):
    return {
        "name": "王五",
        "id_number": valid_resident_id(9),
        "estate": unit.building.estate.pk,
        "building_name": "3栋",
        "room": "101",
        **extra,
    }


def _registered(client, mobile="13700000007"):
    user = UserFactory(username=mobile)
    VerifiedMobile.objects.create(user=user, mobile=mobile)
    login(client, user, second_factor=False)
    return user


def test_an_invalid_id_number_is_refused_before_anything_else(client, unit, sms):
    page = client.post("/bind/apply/", _apply_data(unit, id_number="350404198001011234")).content.decode()
    assert "证件号码无效" in page and sms == [] and not AuditEvent.objects.filter(action="bind_failed").exists()


def test_a_mismatch_from_an_anonymous_visitor_asks_them_to_register(client, unit, sms):
    _owner(unit, 1)
    response = client.post("/bind/apply/", _apply_data(unit))
    assert response.status_code == 302 and response["Location"].startswith("/register/")
    assert BindingRequest.objects.count() == 0 and sms == []
    assert AuditEvent.objects.filter(action="bind_failed", detail__reason="registry").count() == 1


def test_a_mismatch_becomes_a_request_with_a_proof(client, unit, sms):
    _owner(unit, 1)
    user = _registered(client)
    no_proof = client.post("/bind/apply/", _apply_data(unit))
    assert "请上传产权证书" in no_proof.content.decode() and BindingRequest.objects.count() == 0
    not_an_image = client.post(
        "/bind/apply/", _apply_data(unit, proof=SimpleUploadedFile("x.png", b"MZ not an image", "image/png"))
    )
    assert not_an_image.status_code == 200 and BindingRequest.objects.count() == 0
    done = client.post("/bind/apply/", _apply_data(unit, proof=SimpleUploadedFile("p.png", PNG, "image/png")))
    assert done.status_code == 302
    req = BindingRequest.objects.get()
    assert req.user == user and req.unit == unit and req.status == RequestStatus.PENDING
    assert "等待社区审核" in client.get("/me/binding/").content.decode()
    twice = client.post("/bind/apply/", _apply_data(unit, proof=SimpleUploadedFile("p.png", PNG, "image/png")))
    assert "已有一份您的申请在审核中" in twice.content.decode() and BindingRequest.objects.count() == 1


@pytest.fixture
def pending(client, unit, sms):
    owner = _owner(unit, 1)
    user = _registered(client)
    client.post("/bind/apply/", _apply_data(unit, proof=SimpleUploadedFile("p.png", PNG, "image/png")))
    client.logout()
    return BindingRequest.objects.get(), owner, user


def test_community_staff_approve_a_request(client, pending):
    req, owner, applicant = pending
    staff = user_with_role(Role.COMMUNITY_STAFF, req.estate.grid.community)
    login(client, staff)
    queue = client.get("/bindings/requests/").content.decode()
    assert "3栋-101" in queue
    page = client.get(f"/bindings/requests/{req.pk}/").content.decode()
    assert owner.name in page and req.id_number in page
    assert client.get(f"/bindings/requests/{req.pk}/proof/").status_code == 200
    refused = client.post(f"/bindings/requests/{req.pk}/", {"decision": "approve"})
    assert "请选择绑定到哪一位业主" in refused.content.decode()
    client.post(f"/bindings/requests/{req.pk}/", {"decision": "approve", "owner": owner.pk})
    req.refresh_from_db(), owner.refresh_from_db()
    assert req.status == RequestStatus.APPROVED and owner.user == applicant
    assert Binding.objects.get(owner=owner).via == "request"
    assert AuditEvent.objects.filter(action="binding_decision", user=staff).count() == 1
    again = client.post(f"/bindings/requests/{req.pk}/", {"decision": "refuse", "reason": "x"})
    assert again.status_code in (200, 302) and BindingRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED


def test_refusal_needs_a_reason_the_owner_then_sees(client, pending):
    req, owner, applicant = pending
    staff = user_with_role(Role.GRID_WORKER, req.estate.grid)
    login(client, staff)
    blank = client.post(f"/bindings/requests/{req.pk}/", {"decision": "refuse", "reason": " "})
    assert "请写明未通过的原因" in blank.content.decode()
    client.post(f"/bindings/requests/{req.pk}/", {"decision": "refuse", "reason": "产权证照片看不清，请重新拍摄"})
    req.refresh_from_db()
    assert req.status == RequestStatus.REFUSED and Owner.objects.get(pk=owner.pk).user is None
    client.logout()
    login(client, applicant, second_factor=False)
    assert "产权证照片看不清" in client.get("/me/binding/").content.decode()


@pytest.mark.parametrize(
    "role, allowed",
    [
        (Role.DISTRICT_ADMIN, True),
        (Role.COMMUNITY_STAFF, True),
        (Role.GRID_WORKER, True),
        (Role.STREET_STAFF, False),
        (Role.COMMITTEE_MEMBER, False),
        (Role.COMPANY_STAFF, False),
        ("owner", False),
        ("elsewhere", False),
        ("anonymous", False),
    ],
)
def test_request_pages_role_matrix(client, pending, role, allowed):
    req, owner, _applicant = pending
    estate = req.estate
    if role == "anonymous":
        user = None
    elif role == "owner":
        user = UserFactory()
        OwnerFactory(user=user)
    elif role == "elsewhere":
        user = user_with_role(Role.COMMUNITY_STAFF, EstateFactory().grid.community)
    elif role == Role.COMPANY_STAFF:
        from tests.factories import CompanyFactory, contract

        company = CompanyFactory()
        contract(estate, company)
        user = user_with_role(role, company)
    else:
        scope = {
            Role.DISTRICT_ADMIN: estate.grid.community.street.district,
            Role.STREET_STAFF: estate.grid.community.street,
            Role.COMMUNITY_STAFF: estate.grid.community,
            Role.GRID_WORKER: estate.grid,
            Role.COMMITTEE_MEMBER: estate,
        }[role]
        user = user_with_role(role, scope)
    if user is not None:
        login(client, user)
    pages = [f"/bindings/requests/{req.pk}/", f"/bindings/requests/{req.pk}/proof/"]
    for url in pages:
        status = client.get(url).status_code
        if allowed:
            assert status == 200, url
        else:
            assert status in (302, 403, 404), (url, status)
            if user is not None:
                assert status in (403, 404)
    queue = client.get("/bindings/requests/")
    if allowed:
        assert "3栋-101" in queue.content.decode()
    elif role == "elsewhere":
        assert queue.status_code == 200 and "3栋-101" not in queue.content.decode()
    else:
        assert queue.status_code in (302, 403)
    response = client.post(f"/bindings/requests/{req.pk}/", {"decision": "approve", "owner": owner.pk})
    assert (BindingRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED) == allowed
    assert response.status_code in ((302,) if allowed else (302, 403, 404))


# --------------------------------------------------------------------------- registering


def test_register_with_an_sms_code(client, db, sms):
    response = client.post("/register/", {"mobile": "13600000001"})
    assert response["Location"] == "/register/verify/"
    bad = client.post("/register/verify/", {"sms_code": "x", "password": PASSWORD, "password2": PASSWORD + "x"})
    assert bad.status_code == 200 and not User.objects.filter(username="13600000001").exists()
    PhoneCode.objects.update(tries=0)
    done = client.post(
        "/register/verify/", {"sms_code": sms.code("13600000001"), "password": PASSWORD, "password2": PASSWORD}
    )
    assert done.status_code == 302
    user = User.objects.get(username="13600000001")
    assert user.verified_mobile.mobile == "13600000001" and not Owner.objects.filter(user=user).exists()
    assert "本账号尚未绑定业主" in client.get("/me/binding/").content.decode()
    client.logout()
    client.post("/register/", {"mobile": "13600000001"})
    PhoneCode.objects.update(sent_at=timezone.now() - timedelta(minutes=5))
    taken = client.post("/register/", {"mobile": "13600000001"})
    assert taken.status_code == 302
    PhoneCode.objects.update(sent_at=timezone.now() - timedelta(minutes=5))
    again = client.post(
        "/register/verify/", {"sms_code": sms.code("13600000001"), "password": PASSWORD, "password2": PASSWORD}
    )
    assert "已注册账号" in again.content.decode()


def test_pending_step_expires(client, unit, sms, monkeypatch):
    owner = _owner(unit, 1)
    _letter_row, code = _letter(unit)
    client.post("/bind/", {"code": code, "id_tail": owner.id_number[-6:], "mobile": "13700000001"})
    session = client.session
    session["residents.pending"]["at"] -= 31 * 60
    session.save()
    response = client.post(
        "/bind/verify/", {"sms_code": sms.code("13700000001"), "password": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/bind/"
    assert Owner.objects.get(pk=owner.pk).user is None


def test_service_refuses_a_second_owner_for_one_account(unit, sms, rf):
    first, second = _owner(unit, 1), _owner(unit, 2)
    account = UserFactory()
    first.user = account
    first.save()
    _letter_row, code = _letter(unit)
    match = services.check_letter(code=code, id_tail=second.id_number[-6:], request=rf.post("/"))
    services.send_code(mobile="13700000002", purpose="bind")
    with pytest.raises(ValidationError, match="已绑定一位业主"):
        services.bind_with_letter(
            letter_id=match.letter.pk,
            owner_id=second.pk,
            mobile="13700000002",
            sms_code=sms.code("13700000002"),
            user=account,
        )
    assert Owner.objects.get(pk=second.pk).user is None and not Binding.objects.exists()


def test_submit_request_needs_a_signed_in_account(unit):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.submit_request(
            actor=AnonymousUser(),
            name="x",
            id_number="x",
            estate=unit.building.estate,
            building_name="3栋",
            room="101",
            proof=None,
        )


def test_on_postgresql_a_letter_is_only_ever_voided_once_and_bindings_never_change(unit, sms, client):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the record triggers live in PostgreSQL")
    owner = _owner(unit, 1)
    letter, code = _letter(unit)
    _walk(client, code, owner, "13700000001", sms)
    refused = DatabaseError
    for change in (
        lambda: BindingLetter.objects.filter(pk=letter.pk).update(code_hash="0" * 64),
        lambda: BindingLetter.objects.filter(pk=letter.pk).delete(),
        lambda: Binding.objects.update(user=UserFactory()),
        lambda: Binding.objects.all().delete(),
    ):
        with pytest.raises(refused), transaction.atomic():
            change()
    BindingLetter.objects.filter(pk=letter.pk).update(voided_at=timezone.now())
    with pytest.raises(refused), transaction.atomic():
        BindingLetter.objects.filter(pk=letter.pk).update(voided_at=None)


def test_a_letter_cannot_bind_an_owner_whose_id_the_registry_lacks(client, unit, sms):
    OwnershipFactory(unit=unit, owner=OwnerFactory(id_number="", mobile=""))
    _letter_row, code = _letter(unit)
    page = client.post("/bind/", {"code": code, "id_tail": "123456", "mobile": "13700000001"}).content.decode()
    assert "没有该房屋业主的证件号码" in page and sms == []
    assert AuditEvent.objects.filter(action="bind_failed", detail__reason="no_id").count() == 1


def test_registering_with_an_invited_mobile_joins_the_home(client, unit, sms, monkeypatch):
    from residents import household
    from residents.models import Household

    monkeypatch.setattr(household, "send_sms_now", lambda *a, **k: "")
    owner = _owner(unit, 1)
    owner.user = UserFactory()
    owner.save()
    household.invite(actor=owner.user, unit=unit, mobile="13600000009", relation="tenant")
    client.post("/register/", {"mobile": "13600000009"})
    client.post("/register/verify/", {"sms_code": sms.code("13600000009"), "password": PASSWORD, "password2": PASSWORD})
    member = Household.objects.get(unit=unit)
    assert member.user.username == "13600000009" and member.joined_at is not None
    assert client.get("/me/household/").status_code == 200
    assert client.get("/votes/").status_code == 403 and client.get("/me/fund/").status_code == 403
