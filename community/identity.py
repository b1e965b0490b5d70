"""Identity (身份鉴别, 等保 level 3): who may sign in, with what, and for how long.

* Failed sign-ins: django-axes with ``WindowedAxesHandler``: AXES_FAILURE_LIMIT failures within
  AXES_FAILURE_WINDOW, for one account or from one address, lock it for AXES_COOLOFF_TIME. A
  district administrator lifts a lock early (``unlock``); both are in the audit trail.
* The second factor: every holder of a role in ``access.SECOND_FACTOR_ROLES`` and every
  superuser signs in with a TOTP code (django-otp), enrolled at the first sign-in with a QR code,
  with one-time recovery codes. Owners may turn it on. ``IdentityMiddleware`` keeps a signed-in
  user who has not passed it away from every page but the sign-in steps and the public site.
* Staff sessions end after STAFF_SESSION_IDLE without a request and STAFF_SESSION_MAX in all;
  signing in again ends the older session (``Account.session_key``).
* Passwords: ``CharacterClassValidator`` (length and three of four kinds of character); the date
  a password is set is kept on ``Account``; staff whose password is older than the rule set's
  ``staff_password_max_days`` change it before anything else.
* The demo: ``install_demo_devices`` gives the demo's staff logins known codes, only under DEBUG,
  and such codes are refused whenever DEBUG is off.

Writes here take ``*, actor`` and check access like every service.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from io import BytesIO

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit
from axes.models import AccessFailureLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import access, audit
from .models import Account, AuditResult, RoleAssignment
from .rules import NATIONAL, rules_for
from .signals import roles_changed

log = logging.getLogger(__name__)

# The names devices carry: the authenticator app, the recovery codes, the demo's known codes.
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"
DEMO_NAME = "demo"

# What the session remembers about the sign-in.
AUTH_AT = "identity_auth_at"
SEEN_AT = "identity_seen_at"
PASSWORD_EXPIRED = "identity_password_expired"
FRESH_CODES = "identity_fresh_codes"
OWNER_SECOND_FACTOR = "identity_second_factor"
STAFF = "identity_staff"

# --------------------------------------------------------------------------- passwords


class CharacterClassValidator:
    """At least ``min_length`` characters from at least ``min_classes`` of the four kinds: digits,
    lower-case letters, upper-case letters, other symbols."""

    def __init__(self, min_length: int = 8, min_classes: int = 3):
        self.min_length = min_length
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        kinds = (
            any(c.isdigit() for c in password),
            any(c.isalpha() and c.islower() for c in password),
            any(c.isalpha() and c.isupper() for c in password),
            any(not c.isalnum() for c in password),
        )
        return sum(kinds)

    def validate(self, password, user=None):
        if len(password) < self.min_length or self.classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_weak")

    def get_help_text(self):
        return _("密码至少 %(length)d 位，并含数字、小写字母、大写字母、符号中的至少 %(classes)d 种。") % {
            "length": self.min_length,
            "classes": self.min_classes,
        }


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="identity.password_date")
def _note_new_password(sender, instance, raw=False, update_fields=None, **kwargs):
    """Whichever way a password is set (set_password, the admin, createsuperuser, a factory with a
    ready hash), the date is kept: a save whose hash differs from the stored one sets it."""
    if raw or (update_fields is not None and "password" not in update_fields):
        return
    if not instance.password:
        return
    if instance.pk is None:
        instance._identity_password_set = True
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored != instance.password:
        instance._identity_password_set = True


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="identity.password_date_saved")
def _save_password_date(sender, instance, raw=False, **kwargs):
    if raw or not instance.__dict__.pop("_identity_password_set", False):
        return
    Account.objects.update_or_create(user=instance, defaults={"password_changed_at": timezone.now()})


def password_max_days(user) -> int:
    """The strictest ``staff_password_max_days`` among the districts where the user holds a role;
    the national rule when none says otherwise."""
    days = [
        rules_for(assignment.scope).staff_password_max_days
        for assignment in RoleAssignment.objects.filter(user=user).select_related("scope_type")
        if assignment.scope is not None
    ]
    return min(days, default=NATIONAL.staff_password_max_days)


def password_expired(user, now: datetime | None = None) -> bool:
    """A staff password older than the limit, or of unknown age, must be changed."""
    if not access.needs_second_factor(user) or not user.has_usable_password():
        return False
    changed = Account.objects.filter(user=user).values_list("password_changed_at", flat=True).first()
    if changed is None:
        return True
    return (now or timezone.now()) - changed > timedelta(days=password_max_days(user))


# --------------------------------------------------------------------------- failed sign-ins


class WindowedAxesHandler(AxesDatabaseHandler):
    """Axes' database handler, counting as the level-3 rule says.

    Axes itself keeps one row per account and address whose count only ends when the lock time
    has passed since the last failure, so five failures an hour apart still lock. Here every
    failure is one ``AccessFailureLog`` row; a lock is AXES_FAILURE_LIMIT rows for the account
    (or the address) within AXES_FAILURE_WINDOW, and it lasts AXES_COOLOFF_TIME from the failure
    that reached the limit, however often the locked form is tried meanwhile. A successful
    sign-in forgets the account's failures (not the address's); ``reset_attempts`` (the unlock
    page, axes' reset commands) forgets them as well."""

    @staticmethod
    def _now(request):
        # Not request.axes_attempt_time: AccessFailureLog stamps its rows itself (auto_now_add),
        # a moment later.
        return timezone.now()

    def _filters(self, request, credentials):
        username = get_client_username(request, credentials)
        params = get_client_parameters(username, request.axes_ip_address, request.axes_user_agent, request, credentials)
        # A missing account name or address does not make every nameless attempt one suspect.
        return [f for f in params if all(v not in (None, "") for v in f.values())]

    def get_failures(self, request, credentials=None) -> int:
        now = self._now(request)
        limit = get_failure_limit(request, credentials)
        worst = 0
        for filters in self._filters(request, credentials):
            rows = AccessFailureLog.objects.filter(**filters)
            if rows.filter(locked_out=True, attempt_time__gt=now - settings.AXES_COOLOFF_TIME).exists():
                return limit
            worst = max(worst, rows.filter(attempt_time__gt=now - settings.AXES_FAILURE_WINDOW).count())
        return worst

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return
        username = get_client_username(request, credentials)
        if getattr(request, "axes_locked_out", False):
            # Refused by the lock itself: not a new failure, and the lock is not extended.
            request.axes_credentials = credentials
            return
        if self.is_whitelisted(request, credentials):
            return
        with transaction.atomic():
            failure = AccessFailureLog.objects.create(
                username=username,
                ip_address=request.axes_ip_address,
                user_agent=request.axes_user_agent,
                http_accept=request.axes_http_accept,
                path_info=request.axes_path_info,
                attempt_time=request.axes_attempt_time,
                locked_out=False,
            )
            # Rows older than a day count for nothing any more: the audit trail keeps the record.
            AccessFailureLog.objects.filter(attempt_time__lt=self._now(request) - timedelta(days=1)).delete()
            request.axes_failures_since_start = self.get_failures(request, credentials)
            if request.axes_failures_since_start >= get_failure_limit(request, credentials):
                AccessFailureLog.objects.filter(pk=failure.pk).update(locked_out=True)
                request.axes_locked_out = True
                request.axes_credentials = credentials
                user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        AccessFailureLog.objects.filter(username=user.get_username()).delete()

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        count = super().reset_attempts(ip_address=ip_address, username=username, ip_or_username=ip_or_username)
        failures = AccessFailureLog.objects.all()
        if ip_or_username:
            failures = failures.filter(ip_address=ip_address) | failures.filter(username=username)
        else:
            if ip_address:
                failures = failures.filter(ip_address=ip_address)
            if username:
                failures = failures.filter(username=username)
        removed, _ = failures.delete()
        return count + removed


@receiver(user_locked_out, dispatch_uid="identity.lockout_audit")
def _record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    audit.record(
        "lockout",
        request=request,
        username=username or "",
        obj=("account", username or "", username or ip_address or ""),
        result=AuditResult.DENIED,
        detail={
            "ip": ip_address,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )


def current_locks(now: datetime | None = None) -> list[dict]:
    """The locks in force: one line per account or address, with when it ends by itself."""
    now = now or timezone.now()
    rows = AccessFailureLog.objects.filter(locked_out=True, attempt_time__gt=now - settings.AXES_COOLOFF_TIME).order_by(
        "-attempt_time"
    )
    locks, seen = [], set()
    for row in rows:
        key = (row.username or "", row.ip_address or "")
        if key in seen:
            continue
        seen.add(key)
        locks.append(
            {
                "username": row.username or "",
                "ip": row.ip_address or "",
                "at": row.attempt_time,
                "until": row.attempt_time + settings.AXES_COOLOFF_TIME,
            }
        )
    return locks


def unlock(*, actor, username: str = "", ip: str = "") -> str:
    """Lift the lock on an account, or on an address, before it ends by itself."""
    if actor is not None and not access.may_unlock_accounts(actor):
        raise PermissionDenied(access.NOT_ALLOWED)
    username, ip = (username or "").strip(), (ip or "").strip()
    if not username and not ip:
        raise ValidationError(_("请指明要解锁的账号或地址。"))
    from axes.handlers.proxy import AxesProxyHandler

    with transaction.atomic():
        if username:
            AxesProxyHandler.reset_attempts(username=username)
        if ip:
            AxesProxyHandler.reset_attempts(ip_address=ip)
        audit.record(
            "unlock",
            user=actor,
            obj=("account", username, username or ip),
            detail={"username": username, "ip": ip},
        )
    return _("已解除 %(who)s 的登录锁定。") % {"who": username or ip}


# --------------------------------------------------------------------------- the second factor


def confirmed_devices(user, *, for_verify=False):
    """The user's devices that may verify a code now: the demo's known codes only under DEBUG."""
    found = []
    for model in (TOTPDevice, StaticDevice):
        rows = model.objects.filter(user=user, confirmed=True)
        if not settings.DEBUG:
            rows = rows.exclude(name=DEMO_NAME)
        if for_verify:
            rows = rows.select_for_update()
        found.extend(rows)
    return found


def has_second_factor(user) -> bool:
    return bool(confirmed_devices(user))


def second_factor_required(user) -> bool:
    """Whether the user must pass the second factor: staff always, an owner once turned on."""
    return access.needs_second_factor(user) or has_second_factor(user)


def verify(request, token: str) -> bool:
    """Check a code from the app or a recovery code against the signed-in user's devices; on a
    match the session counts as verified."""
    token = "".join((token or "").split()).lower()
    user = request.user
    if not token:
        return False
    with transaction.atomic():
        for device in confirmed_devices(user, for_verify=True):
            if device.verify_token(token):
                otp_login(request, device)
                return True
    audit.record("otp_failed", request=request, result=AuditResult.FAILURE)
    return False


def pending_totp(user) -> TOTPDevice:
    """The authenticator being enrolled (unconfirmed), made on first asking."""
    device = TOTPDevice.objects.filter(user=user, name=TOTP_NAME, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no outside service)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def secret_text(device: TOTPDevice) -> str:
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode()
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(settings.OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def enrol(request, token: str) -> list[str]:
    """Confirm the authenticator being enrolled with its first code; returns the new recovery
    codes (shown once). The session counts as verified."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, name=TOTP_NAME, confirmed=False).first()
    token = "".join((token or "").split())
    if device is None:
        raise ValidationError(_("请先扫描二维码。"))
    if not token.isdigit() or not device.verify_token(token):
        audit.record("otp_failed", request=request, result=AuditResult.FAILURE, detail={"step": "enrol"})
        raise ValidationError(_("验证码不正确，请看验证器应用中当前的 6 位数字后重新输入。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, name=TOTP_NAME, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit.record("otp_enrol", request=request, obj=("account", user.pk, user.get_username()))
    otp_login(request, device)
    return codes


def renew_recovery_codes(*, actor) -> list[str]:
    """New recovery codes for a verified user; the old ones stop working."""
    if not actor.is_verified():
        raise PermissionDenied(access.NOT_ALLOWED)
    with transaction.atomic():
        codes = _new_recovery_codes(actor)
        audit.record("otp_recovery_codes", user=actor, obj=("account", actor.pk, actor.get_username()))
    return codes


def turn_off(*, actor) -> str:
    """An owner turns the second factor off again (staff cannot: their role needs it)."""
    if access.needs_second_factor(actor):
        raise ValidationError(_("您的岗位必须使用两步验证，不能关闭。"))
    if not actor.is_verified():
        raise PermissionDenied(access.NOT_ALLOWED)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor).delete()
        StaticDevice.objects.filter(user=actor).delete()
        audit.record("otp_off", user=actor, obj=("account", actor.pk, actor.get_username()))
    return _("已关闭两步验证。")


# --------------------------------------------------------------------------- the demo

DEMO_CODES = 10


def demo_secret(username: str) -> str:
    """A fixed TOTP secret per demo login (hex), so an authenticator app can be set up once."""
    return hashlib.sha1(f"estate-demo-totp:{username}".encode()).hexdigest()


def demo_codes(username: str) -> list[str]:
    """Fixed one-time codes per demo login, restored each time the demo is seeded."""
    base = int(hashlib.sha1(f"estate-demo-static:{username}".encode()).hexdigest()[:6], 16) % 9000 + 1000
    return [f"{base}{n:04d}" for n in range(1, DEMO_CODES + 1)]


def install_demo_devices(usernames) -> dict[str, tuple[str, list[str]]]:
    """Give each demo staff login its known secret and codes. Under DEBUG only: on any other
    database this refuses, and ``confirmed_devices`` ignores such devices whenever DEBUG is off."""
    if not settings.DEBUG:
        raise PermissionDenied(_("演示验证码只在演示环境（DEBUG=1）中设置。"))
    from base64 import b32encode

    installed = {}
    User = get_user_model()
    for user in User.objects.filter(username__in=list(usernames)).order_by("username"):
        if not access.needs_second_factor(user):
            continue
        key = demo_secret(user.username)
        TOTPDevice.objects.update_or_create(
            user=user, name=DEMO_NAME, defaults={"key": key, "confirmed": True, "last_t": -1}
        )
        static, _created = StaticDevice.objects.update_or_create(
            user=user, name=DEMO_NAME, defaults={"confirmed": True}
        )
        static.token_set.all().delete()
        codes = demo_codes(user.username)
        StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
        installed[user.username] = (b32encode(bytes.fromhex(key)).decode(), codes)
    return installed


# --------------------------------------------------------------------------- sessions


@receiver(user_logged_in, dispatch_uid="identity.session")
def _on_sign_in(sender, request, user, **kwargs):
    """Note when the session began; for staff end the older session and see to the password."""
    if request is None or not hasattr(request, "session"):
        return
    now = timezone.now()
    request.session[AUTH_AT] = request.session[SEEN_AT] = now.timestamp()
    account, _created = Account.objects.get_or_create(user=user)
    staff = request.session[STAFF] = access.needs_second_factor(user)
    if staff:
        older = account.session_key
        if older and older != request.session.session_key:
            type(request.session)(session_key=older).delete()
        request.session.set_expiry(int(settings.STAFF_SESSION_IDLE.total_seconds()))
        request.session[PASSWORD_EXPIRED] = password_expired(user, now)
    else:
        request.session[OWNER_SECOND_FACTOR] = has_second_factor(user)
    if account.session_key != (request.session.session_key or ""):
        Account.objects.filter(pk=account.pk).update(session_key=request.session.session_key or "")


@receiver(roles_changed, dispatch_uid="identity.roles_changed")
def _on_roles_changed(sender, user, **kwargs):
    """A role that needs the second factor, given to someone signed in as no staff, ends that
    session: the next sign-in asks for the second factor and keeps the staff limits."""
    if not access.needs_second_factor(user):
        return
    key = Account.objects.filter(user=user).values_list("session_key", flat=True).first()
    if not key:
        return
    from importlib import import_module

    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    if store.exists(key) and not store.load().get(STAFF):
        store.delete(key)


# The pages a signed-in user may reach before the second factor, and the ones that stay open
# while a staff password must be changed.
OPEN_BEFORE_SECOND_FACTOR = {
    "login",
    "logout",
    "otp_verify",
    "otp_setup",
    "set_language",
    "wagtail_serve",
}
OPEN_WHILE_PASSWORD_EXPIRED = {"login", "logout", "password_change", "set_language", "otp_codes"}


def _url_name(request) -> str:
    try:
        return resolve(request.path_info).url_name or ""
    except Resolver404:
        return ""


def _redirect(name: str, request) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


class IdentityMiddleware:
    """After django-otp's middleware: ends staff sessions that sat idle or ran too long, keeps
    everyone who must pass the second factor on its pages until they have, and staff with an
    old password on the password page until they have changed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._check(request)
        return response if response is not None else self.get_response(request)

    def _check(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        session = request.session
        # Whether this is a staff session is settled at sign-in (a role that needs the second
        # factor, given later, ends an unverified session: _on_roles_changed).
        staff = user.is_superuser or session.get(STAFF)
        if staff is None:
            staff = session[STAFF] = access.needs_second_factor(user)
        if staff:
            expired = self._session_expired(session)
            if expired:
                logout(request)
                messages.info(request, expired)
                return _redirect("login", request)
        name = _url_name(request)
        device = getattr(user, "otp_device", None)
        if device is not None and device.name == DEMO_NAME and not settings.DEBUG:
            session.pop(DEVICE_ID_SESSION_KEY, None)
            user.otp_device = device = None
        # Until both steps are done, the navigation bar offers nothing but signing out.
        request.signin_pending = (device is None and bool(staff or session.get(OWNER_SECOND_FACTOR))) or bool(
            staff and session.get(PASSWORD_EXPIRED)
        )
        if device is None and name not in OPEN_BEFORE_SECOND_FACTOR:
            if staff:
                return _redirect("otp_verify" if has_second_factor(user) else "otp_setup", request)
            if session.get(OWNER_SECOND_FACTOR):
                return _redirect("otp_verify", request)
        if staff and device is not None and session.get(PASSWORD_EXPIRED) and name not in OPEN_WHILE_PASSWORD_EXPIRED:
            messages.warning(request, _("您的密码已超过规定的使用期限，请先修改密码。"))
            return _redirect("password_change", request)
        return None

    @staticmethod
    def _session_expired(session) -> str:
        now = timezone.now().timestamp()
        began, seen = session.get(AUTH_AT), session.get(SEEN_AT)
        if began is None or now - began > settings.STAFF_SESSION_MAX.total_seconds():
            return _("登录已超过 %(hours)d 小时，请重新登录。") % {
                "hours": int(settings.STAFF_SESSION_MAX.total_seconds() // 3600)
            }
        if seen is None or now - seen > settings.STAFF_SESSION_IDLE.total_seconds():
            return _("已 %(minutes)d 分钟没有操作，请重新登录。") % {
                "minutes": int(settings.STAFF_SESSION_IDLE.total_seconds() // 60)
            }
        if now - seen > 30:
            session[SEEN_AT] = now
        return ""
