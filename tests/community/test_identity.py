"""Identity (身份鉴别): failed sign-ins and locks, the second factor on every staff page, staff
sessions, password rules and age, the demo's known codes."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessFailureLog
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from community import identity
from community.identity import CharacterClassValidator
from community.models import Account, AuditEvent, Role, RuleSet
from tests.factories import PASSWORD, UserFactory, login, second_factor_code

STAFF_ROLES = [
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMPANY_STAFF,
]


def sign_in(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def age_failures(minutes, **filters):
    """Time travel: move the stored failures back by ``minutes``."""
    for row in AccessFailureLog.objects.filter(**filters):
        AccessFailureLog.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - timedelta(minutes=minutes))


# --------------------------------------------------------------------------- passwords


@pytest.mark.parametrize("password", ["Ab1!", "abcdefgh", "abcd1234", "ABCDEFG1", "12345678!"])
def test_weak_passwords_are_refused_in_chinese(password):
    with pytest.raises(ValidationError) as exc:
        CharacterClassValidator().validate(password)
    assert "至少 8 位" in exc.value.messages[0]


@pytest.mark.parametrize("password", ["Abcdefg1", "abcdef1!", "ABCDEF1!", "Abc-defg"])
def test_three_of_four_classes_pass(password):
    CharacterClassValidator().validate(password)


@pytest.mark.django_db
def test_the_password_date_is_kept_however_a_password_is_set():
    user = UserFactory()
    assert Account.objects.get(user=user).password_changed_at is not None
    Account.objects.filter(user=user).update(password_changed_at=timezone.now() - timedelta(days=200))
    user.first_name = "改名"
    user.save()  # no new password: the date stays
    assert (timezone.now() - Account.objects.get(user=user).password_changed_at).days >= 199
    user.set_password("Another-1")
    user.save()
    assert (timezone.now() - Account.objects.get(user=user).password_changed_at).days == 0
    call_command("createsuperuser", username="root", email="r@example.com", interactive=False)
    root = get_user_model().objects.get(username="root")
    root.set_password("Root-pass-1")
    root.save()
    assert Account.objects.get(user=root).password_changed_at is not None


@pytest.mark.django_db
def test_the_strictest_districts_password_age_applies(world):
    admin = world.users[Role.DISTRICT_ADMIN]
    assert identity.password_max_days(admin) == 90
    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="严格", staff_password_max_days=30)
    district.save()
    assert identity.password_max_days(admin) == 30
    district.rule_set.staff_password_max_days = 180  # a district may also allow longer than the default
    district.rule_set.save()
    assert identity.password_max_days(admin) == 180
    assert identity.password_max_days(UserFactory()) == 90  # no role anywhere: the national rule


# --------------------------------------------------------------------------- failed sign-ins


@pytest.mark.django_db
def test_four_failures_then_the_right_password_signs_in(client):
    user = UserFactory()
    for _i in range(4):
        assert sign_in(client, user.username, "wrong").status_code == 200
    response = sign_in(client, user.username)
    assert response.status_code == 302
    assert not AccessFailureLog.objects.filter(username=user.username).exists()  # forgotten on success


@pytest.mark.django_db
def test_the_fifth_failure_locks_the_account_with_a_chinese_message(client):
    user = UserFactory()
    for _i in range(4):
        sign_in(client, user.username, "wrong")
    response = sign_in(client, user.username, "wrong")
    assert response.status_code == 429
    assert "锁定 30 分钟" in response.content.decode()
    # Locked: the right password from another address is refused too, and does not extend it.
    refused = sign_in(client, user.username, ip="10.9.9.9")
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(username=user.username).count() == 5
    lock = AuditEvent.objects.get(action="lockout")
    assert lock.username == user.username and lock.result == "denied" and lock.ip == "10.0.0.1"


@pytest.mark.django_db
def test_failures_spread_over_more_than_the_window_do_not_lock(client):
    user = UserFactory()
    for _i in range(4):
        sign_in(client, user.username, "wrong")
    age_failures(16, username=user.username)  # the four are now 16 minutes old
    assert sign_in(client, user.username, "wrong").status_code == 200
    assert sign_in(client, user.username).status_code == 302
    assert not AuditEvent.objects.filter(action="lockout").exists()


@pytest.mark.django_db
def test_failures_just_inside_the_window_lock(client):
    user = UserFactory()
    for _i in range(4):
        sign_in(client, user.username, "wrong")
    age_failures(14, username=user.username)
    assert sign_in(client, user.username, "wrong").status_code == 429


@pytest.mark.django_db
def test_the_lock_lifts_after_thirty_minutes_not_before(client):
    user = UserFactory()
    for _i in range(5):
        sign_in(client, user.username, "wrong")
    age_failures(29, username=user.username)
    assert sign_in(client, user.username).status_code == 429
    age_failures(2, username=user.username)  # now 31 minutes
    assert sign_in(client, user.username).status_code == 302


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_locked(client):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", ip="10.6.6.6")
    user = UserFactory()
    assert sign_in(client, user.username, ip="10.6.6.6").status_code == 429
    assert sign_in(client, user.username, ip="10.7.7.7").status_code == 302


@pytest.mark.django_db
def test_a_district_administrator_unlocks_an_account(client, world):
    victim = UserFactory()
    for _i in range(5):
        sign_in(Client(), victim.username, "wrong")
    admin = world.users[Role.DISTRICT_ADMIN]
    login(client, admin)
    page = client.get("/accounts/locks/")
    assert page.status_code == 200 and victim.username in page.content.decode()
    response = client.post("/accounts/locks/", {"username": victim.username}, follow=True)
    assert "已解除" in response.content.decode()
    assert sign_in(Client(), victim.username).status_code == 302
    unlock = AuditEvent.objects.get(action="unlock")
    assert unlock.user_id == admin.pk and unlock.object_id == victim.username


@pytest.mark.django_db
def test_unlocking_needs_a_name_or_a_valid_address(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.post("/accounts/locks/", {"username": "", "ip": "not-an-ip"}, follow=True)
    assert "地址格式不正确" in response.content.decode()
    response = client.post("/accounts/locks/", {}, follow=True)
    assert "请指明" in response.content.decode()
    assert not AuditEvent.objects.filter(action="unlock").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF]
)
def test_only_district_administrators_unlock(client, world, role):
    victim = UserFactory()
    for _i in range(5):
        sign_in(Client(), victim.username, "wrong")
    login(client, world.users[role])
    assert client.get("/accounts/locks/").status_code == 403
    assert client.post("/accounts/locks/", {"username": victim.username}).status_code == 403
    assert sign_in(Client(), victim.username).status_code == 429
    with pytest.raises(PermissionDenied):
        identity.unlock(actor=world.users[role], username=victim.username)


@pytest.mark.django_db
def test_an_owner_cannot_reach_the_unlock_page(client, world):
    login(client, world.owner_user)
    assert client.get("/accounts/locks/").status_code == 403


@pytest.mark.django_db
def test_the_axes_admin_is_for_superusers_only(client, world):
    login(client, world.users[Role.DISTRICT_ADMIN])  # is_staff: reaches the admin
    assert client.get("/admin/axes/accessfailurelog/").status_code == 403
    root = UserFactory(is_superuser=True, is_staff=True)
    other = Client()
    login(other, root)
    assert other.get("/admin/axes/accessfailurelog/").status_code == 200


# --------------------------------------------------------------------------- the second factor


@pytest.mark.django_db
def test_first_sign_in_enrols_with_a_qr_code_and_shows_ten_recovery_codes(client, world):
    user = world.users[Role.GRID_WORKER]
    response = sign_in(client, user.username)
    assert response.status_code == 302
    blocked = client.get("/workspace/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/login/otp/setup/")
    page = client.get(blocked["Location"])
    assert "<svg" in page.content.decode()
    wrong = client.post("/login/otp/setup/", {"token": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    device.throttle_reset()  # a wrong code makes the next try wait a moment; the user would
    response = client.post("/login/otp/setup/", {"token": f"{totp(device.bin_key):06d}", "next": "/workspace/"})
    codes_page = client.get(response["Location"])
    codes = re.findall(r"<li><code>(\w+)</code></li>", codes_page.content.decode())
    assert len(codes) == 10
    assert client.get("/login/otp/codes/").status_code == 302  # shown once
    assert client.get("/workspace/").status_code == 302  # on to the staff home: no longer the OTP step
    assert client.get("/estates/").status_code == 200
    assert AuditEvent.objects.filter(action="otp_enrol", user=user).exists()
    # Next time: a recovery code works once.
    other = Client()
    sign_in(other, user.username)
    assert other.get("/estates/")["Location"].startswith("/login/otp/?")
    assert other.post("/login/otp/", {"token": codes[0]}).status_code == 302
    assert other.get("/estates/").status_code == 200
    third = Client()
    sign_in(third, user.username)
    assert "验证码不正确" in third.post("/login/otp/", {"token": codes[0]}).content.decode()
    assert AuditEvent.objects.filter(action="otp_failed", user=user).exists()


@pytest.mark.django_db
def test_a_password_alone_cannot_re_enrol_an_account_that_has_a_device(client, world):
    user = world.users[Role.COMMUNITY_STAFF]
    second_factor_code(user)
    sign_in(client, user.username)
    response = client.get("/login/otp/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/login/otp/?")


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def _example_path(route: str) -> str | None:
    if route.startswith("^") or "(?P" in route:
        return None  # the Wagtail admin's regular expressions: covered by /cms/ below
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<(?:str|slug):\w+>", "x", path)
    path = re.sub(r"<path:\w+>", "x/", path)
    path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", path)
    return "/" + path


STAFF_URLS = sorted(
    {
        path
        for route, name in _walk(get_resolver())
        if (path := _example_path(route)) is not None
        and name not in identity.OPEN_BEFORE_SECOND_FACTOR
        and not path.startswith("/documents/")
    }
    | {"/admin/", "/admin/community/owner/", "/cms/", "/cms/pages/"}
)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*STAFF_ROLES, Role.MEDIATOR, "superuser"])
def test_a_staff_session_without_the_second_factor_reaches_nothing(client, world, role):
    user = UserFactory(is_superuser=True, is_staff=True) if role == "superuser" else world.users[role]
    assert sign_in(client, user.username).status_code == 302
    reached = []
    for path in STAFF_URLS:
        for method in (client.get, client.post):
            response = method(path)
            if response.status_code != 302 or not response["Location"].startswith("/login/otp/"):
                reached.append((method.__name__, path, response.status_code))
    assert reached == []
    assert len(STAFF_URLS) > 100


@pytest.mark.django_db
def test_before_the_second_factor_the_bar_offers_only_signing_out(client, world):
    assert sign_in(client, world.users[Role.DISTRICT_ADMIN].username).status_code == 302
    page = client.get("/login/otp/", follow=True).content.decode()  # the verify step, or the enrolment
    bar = page[page.index('<header class="top">') : page.index("</header>")]
    assert "退出" in bar
    for link in ("工作台", "审计记录", "登录锁定", "账号安全", "/workspace/", "/audit/"):
        assert link not in bar
    client.post("/logout/")
    login(client, world.users[Role.DISTRICT_ADMIN])
    page = client.get("/audit/").content.decode()
    bar = page[page.index('<header class="top">') : page.index("</header>")]
    assert "工作台" in bar and "审计记录" in bar


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*STAFF_ROLES, Role.MEDIATOR])
def test_with_the_second_factor_staff_reach_their_pages(client, world, role):
    login(client, world.users[role])
    assert client.get("/workspace/").status_code == 302
    assert client.get(client.get("/workspace/")["Location"]).status_code == 200


@pytest.mark.django_db
def test_the_public_site_stays_open_before_the_second_factor(client, world):
    sign_in(client, world.users[Role.DISTRICT_ADMIN].username)
    assert client.get("/").status_code in (200, 404)  # the public site's own answer, no OTP step
    assert client.get("/").get("Location", "").startswith("/login/otp/") is False


@pytest.mark.django_db
def test_committee_members_and_owners_sign_in_with_the_password_alone(client, world):
    login(client, world.users[Role.COMMITTEE_MEMBER], second_factor=False)
    assert client.get("/estates/").status_code == 200
    owner = Client()
    login(owner, world.owner_user, second_factor=False)
    assert owner.get("/me/units/").status_code == 200


@pytest.mark.django_db
def test_an_owner_turns_the_second_factor_on_and_off(client, world):
    user = world.owner_user
    login(client, user)
    assert "未开启" in client.get("/me/security/").content.decode()
    client.get("/login/otp/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post("/login/otp/setup/", {"token": f"{totp(device.bin_key):06d}"})
    assert StaticDevice.objects.get(user=user, name="recovery").token_set.count() == 10
    # Next sign-in asks for it.
    other = Client()
    sign_in(other, user.username)
    assert other.get("/me/units/")["Location"].startswith("/login/otp/?")
    # Turning it off is the owner's choice; staff cannot.
    response = client.post("/me/security/off/", follow=True)
    assert "已关闭" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    staff = Client()
    login(staff, world.users[Role.GRID_WORKER])
    response = staff.post("/me/security/off/", follow=True)
    assert "不能关闭" in response.content.decode()
    assert StaticDevice.objects.filter(user=world.users[Role.GRID_WORKER]).exists()


# --------------------------------------------------------------------------- sessions


def _move_session(client, **seconds_back):
    session = client.session
    for key, back in seconds_back.items():
        session[key] = session[key] - back
    session.save()


@pytest.mark.django_db
def test_a_staff_session_ends_after_thirty_idle_minutes(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    _move_session(client, identity_seen_at=29 * 60)
    assert client.get("/estates/").status_code == 200
    _move_session(client, identity_seen_at=31 * 60)
    response = client.get("/estates/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_staff_session_ends_after_twelve_hours_however_busy(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    _move_session(client, identity_auth_at=12 * 3600 - 60)
    assert client.get("/estates/").status_code == 200
    _move_session(client, identity_auth_at=120)
    response = client.get("/estates/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_owners_keep_their_session_length(client, world):
    login(client, world.owner_user)
    _move_session(client, identity_seen_at=3 * 3600, identity_auth_at=13 * 3600)
    assert client.get("/me/units/").status_code == 200


@pytest.mark.django_db
def test_signing_in_again_ends_the_older_staff_session(world):
    user = world.users[Role.STREET_STAFF]
    first, second = Client(), Client()
    login(first, user)
    assert first.get("/estates/").status_code == 200
    login(second, user)
    assert second.get("/estates/").status_code == 200
    assert first.get("/estates/").status_code == 302
    assert Account.objects.get(user=user).session_key == second.session.session_key


@pytest.mark.django_db
def test_owners_may_keep_two_sessions(world):
    first, second = Client(), Client()
    login(first, world.owner_user)
    login(second, world.owner_user)
    assert first.get("/me/units/").status_code == 200


@pytest.mark.django_db
def test_a_staff_role_given_during_a_session_ends_it(client, world):
    from community import services

    user = UserFactory()
    login(client, user)
    assert client.get("/me/security/").status_code == 200
    services.assign_role(actor=None, user=user, role=Role.GRID_WORKER, scope=world.e1.grid)
    assert client.get("/me/security/").status_code == 302


# --------------------------------------------------------------------------- password age


@pytest.mark.django_db
def test_an_old_staff_password_must_be_changed_first(client, world):
    user = world.users[Role.GRID_WORKER]
    Account.objects.filter(user=user).update(password_changed_at=timezone.now() - timedelta(days=91))
    login(client, user)
    response = client.get("/estates/")
    assert response.status_code == 302 and response["Location"].startswith("/login/password/")
    weak = client.post(
        "/login/password/", {"old_password": PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"}
    )
    assert weak.status_code == 200 and "至少 8 位" in weak.content.decode()
    assert client.get("/estates/").status_code == 302
    done = client.post(
        "/login/password/", {"old_password": PASSWORD, "new_password1": "Neu-Pass-77", "new_password2": "Neu-Pass-77"}
    )
    assert done.status_code == 302
    assert client.get("/estates/").status_code == 200
    assert (timezone.now() - Account.objects.get(user=user).password_changed_at).days == 0


@pytest.mark.django_db
def test_a_password_within_the_limit_and_an_owners_old_one_are_not_asked_for(client, world):
    staff = world.users[Role.GRID_WORKER]
    Account.objects.filter(user=staff).update(password_changed_at=timezone.now() - timedelta(days=89))
    login(client, staff)
    assert client.get("/estates/").status_code == 200
    Account.objects.filter(user=world.owner_user).update(password_changed_at=timezone.now() - timedelta(days=900))
    owner = Client()
    login(owner, world.owner_user)
    assert owner.get("/me/units/").status_code == 200


# --------------------------------------------------------------------------- the demo


@pytest.mark.django_db
def test_demo_codes_are_refused_outside_debug(client, world, settings):
    user = world.users[Role.DISTRICT_ADMIN]
    with pytest.raises(PermissionDenied):
        identity.install_demo_devices([user.username])
    settings.DEBUG = True
    codes = identity.install_demo_devices([user.username, world.owner_user.username])
    assert list(codes) == [user.username]  # owners get none
    secret, static = codes[user.username]
    assert static == identity.demo_codes(user.username) and len(static) == 10
    # A demo database run with DEBUG off: the known codes do not pass.
    settings.DEBUG = False
    sign_in(client, user.username)
    response = client.post("/login/otp/", {"token": static[0]})
    assert response.status_code == 302 and response["Location"].startswith("/login/otp/setup/")
    # Under DEBUG (make demo) they do.
    settings.DEBUG = True
    demo = Client()
    sign_in(demo, user.username)
    assert demo.post("/login/otp/", {"token": static[1]}).status_code == 302
    assert demo.get("/estates/").status_code == 200
    # …and a session verified by one stops counting when DEBUG goes off.
    settings.DEBUG = False
    assert demo.get("/estates/")["Location"].startswith("/login/otp/")
    device = TOTPDevice.objects.get(user=user, name="demo")
    assert device.key == identity.demo_secret(user.username)
    assert settings.AXES_FAILURE_LIMIT == 5
