"""The sign-in pages (身份鉴别): password, the second factor and its enrolment, the password
change staff are sent to, an owner's own security page, and the district administrator's list
of sign-in locks. The rules live in ``community.identity``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import access, audit, identity
from .web import act, error_text


class TokenForm(forms.Form):
    token = forms.CharField(label=gettext_lazy("验证码"), max_length=32)


class UnlockForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("账号"), max_length=150, required=False)
    ip = forms.GenericIPAddressField(label=gettext_lazy("地址"), required=False)


def _then(name: str, request) -> str:
    """The address of the sign-in step ``name``, carrying on where the user was going."""
    return f"{reverse(name)}?{urlencode({'next': _next(request)})}"


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"


def locked_out(request, original_response=None, credentials=None):
    """What a locked account or address sees (AXES_LOCKOUT_CALLABLE): the sign-in page with why."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return render(
        request,
        "registration/login.html",
        {
            "locked": _(
                "登录失败次数过多，该账号或本机地址已被锁定 %(minutes)d 分钟。请稍后再试，或请区管理员解除锁定。"
            )
            % {"minutes": minutes},
            "username": username,
            "next": request.POST.get("next", ""),
        },
        status=429,
    )


@login_required
def otp_verify(request):
    """The second step: a code from the authenticator app, or one recovery code."""
    if getattr(request.user, "otp_device", None) is not None:
        return redirect(_next(request))
    if not identity.has_second_factor(request.user):
        if access.needs_second_factor(request.user):
            return redirect(_then("otp_setup", request))
        return redirect(_next(request))
    error = ""
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and identity.verify(request, form.cleaned_data["token"]):
            return redirect(_next(request))
        error = _("验证码不正确或已使用，请重新输入。")
    return render(request, "registration/otp_verify.html", {"form": form, "error": error, "next": _next(request)})


@login_required
def otp_setup(request):
    """Enrolment: scan the QR code, confirm with the first code, then see the recovery codes once.
    Open at the first sign-in (no device yet) and to a verified user; never to someone who holds
    only the password of an account that already has a device."""
    verified = getattr(request.user, "otp_device", None) is not None
    if not verified and identity.has_second_factor(request.user):
        return redirect(_then("otp_verify", request))
    device = identity.pending_totp(request.user)
    error = ""
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationError(_("请输入验证器应用显示的 6 位数字。"))
            codes = identity.enrol(request, form.cleaned_data["token"])
        except ValidationError as exc:
            error = error_text(exc)
        else:
            request.session[identity.FRESH_CODES] = codes
            return redirect(_then("otp_codes", request))
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "error": error,
            "qr": identity.qr_svg(device),
            "secret": identity.secret_text(device),
            "next": _next(request),
            "required": access.needs_second_factor(request.user),
        },
    )


@login_required
def otp_codes(request):
    """The recovery codes just made, shown this once."""
    codes = request.session.pop(identity.FRESH_CODES, None)
    if not codes:
        return redirect(_next(request))
    return render(request, "registration/otp_codes.html", {"codes": codes, "next": _next(request)})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy(settings.LOGIN_REDIRECT_URL)

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.pop(identity.PASSWORD_EXPIRED, None)
        audit.record(
            "password_change", request=self.request, obj=("account", self.request.user.pk, str(self.request.user))
        )
        messages.success(self.request, _("密码已修改。"))
        return response


@login_required
def my_security(request):
    """An owner's (or anyone's) own page: the second factor's state; turn it on or off, new
    recovery codes."""
    user = request.user
    return render(
        request,
        "community/security.html",
        {
            "enabled": identity.has_second_factor(user),
            "required": access.needs_second_factor(user),
            "verified": getattr(user, "otp_device", None) is not None,
        },
    )


@login_required
@require_POST
def my_security_codes(request):
    try:
        codes = identity.renew_recovery_codes(actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, error_text(exc))
        return redirect("community:my_security")
    request.session[identity.FRESH_CODES] = codes
    return redirect(f"{reverse('otp_codes')}?next={reverse('community:my_security')}")


@login_required
@require_POST
def my_security_off(request):
    def handler():
        done = identity.turn_off(actor=request.user)
        request.session[identity.OWNER_SECOND_FACTOR] = False
        return done

    return act(request, handler, "community:my_security")


@login_required
def locks(request):
    """Sign-in locks in force, and lifting one (district administrators)."""
    if not access.may_unlock_accounts(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = UnlockForm(request.POST)

        def handler():
            if not form.is_valid():
                raise ValidationError(_("地址格式不正确。"))
            return identity.unlock(
                actor=request.user, username=form.cleaned_data["username"], ip=form.cleaned_data["ip"] or ""
            )

        return act(request, handler, "community:locks")
    return render(request, "community/locks.html", {"locks": identity.current_locks()})
