"""The owner's way in: binding with a letter or from the registry, registering, asking staff;
and the staff queue of binding requests.

A binding takes two pages: the first checks who this is and sends an SMS code; the second takes
the code (and a new password, when nobody is signed in). What the first page learnt is kept in
the session, and the second checks all of it again.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import access, audit, uploads
from community.models import Owner
from community.privacy import mask_mobile
from community.selectors import units_of_owner_user
from community.web import error_text, paged

from . import services
from .forms import ApplyForm, DecideForm, LetterForm, RegisterForm, VerifyForm
from .models import Binding, BindingRequest, CodePurpose, RequestStatus

PENDING = "residents.pending"  # the session key of a binding or registration half done
PENDING_SECONDS = 30 * 60
REQUESTS_PAGE_SIZE = 30
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _bound(user) -> bool:
    return user.is_authenticated and Owner.objects.filter(user=user).exists()


def _pending(request, kind: str) -> dict | None:
    found = request.session.get(PENDING)
    if not found or found.get("kind") != kind or time.time() - found.get("at", 0) > PENDING_SECONDS:
        return None
    return found


def _remember(request, **values) -> None:
    request.session[PENDING] = {**values, "at": time.time()}


def _refusal(form, exc) -> None:
    form.add_error(None, error_text(exc))


# --------------------------------------------------------------------------- with a letter


def bind(request, code: str = ""):
    """Step one with a letter: its code, the owner's ID tail and the mobile to verify."""
    if _bound(request.user):
        messages.info(request, _("您的账号已绑定业主。"))
        return redirect("residents:my_binding")
    initial = {"code": code}
    if request.user.is_authenticated and hasattr(request.user, "verified_mobile"):
        initial["mobile"] = request.user.verified_mobile.mobile
    form = LetterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            match = services.check_letter(code=data["code"], id_tail=data["id_tail"], request=request)
            services.send_code(mobile=data["mobile"], purpose=CodePurpose.BIND, request=request)
        except (ValidationError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            _remember(request, kind="letter", letter=match.letter.pk, owner=match.owner.pk, mobile=data["mobile"])
            return redirect("residents:bind_verify")
    return render(request, "residents/bind.html", {"form": form})


def bind_verify(request):
    """Step two, for a letter or a registry match: the SMS code, and a password for a new account."""
    pending = _pending(request, "letter") or _pending(request, "registry")
    if pending is None:
        messages.error(request, _("请先填写绑定信息（超过 30 分钟未完成需重新开始）。"))
        return redirect("residents:bind")
    new_account = not request.user.is_authenticated
    form = VerifyForm(request.POST or None, new_account=new_account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = None if new_account else request.user
        secrets = {"password": data.get("password", ""), "password2": data.get("password2", "")}
        try:
            if pending["kind"] == "letter":
                user = services.bind_with_letter(
                    letter_id=pending["letter"],
                    owner_id=pending["owner"],
                    mobile=pending["mobile"],
                    sms_code=data["sms_code"],
                    user=user,
                    request=request,
                    **secrets,
                )
            else:
                user = services.bind_from_registry(
                    owner_id=pending["owner"], sms_code=data["sms_code"], user=user, request=request, **secrets
                )
        except (ValidationError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            request.session.pop(PENDING, None)
            if new_account:
                login(request, user, backend=SIGN_IN_BACKEND)
            messages.success(request, _("绑定成功：您名下的房屋已关联到本账号，可以查看账单、参加表决。"))
            return redirect("residents:my_binding")
    return render(
        request,
        "residents/bind_verify.html",
        {"form": form, "mobile": mask_mobile(pending["mobile"]), "new_account": new_account, "kind": pending["kind"]},
    )


@require_POST
def resend(request):
    """Send the pending step's SMS code again (after the resend wait)."""
    pending = _pending(request, "letter") or _pending(request, "registry") or _pending(request, "register")
    if pending is None:
        return redirect("residents:bind")
    purpose = CodePurpose.REGISTER if pending["kind"] == "register" else CodePurpose.BIND
    try:
        services.send_code(mobile=pending["mobile"], purpose=purpose, request=request)
        messages.success(request, _("验证码已重新发送至 %(mobile)s。") % {"mobile": mask_mobile(pending["mobile"])})
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect("residents:register_verify" if pending["kind"] == "register" else "residents:bind_verify")


# --------------------------------------------------------------------------- without a letter


def apply(request):
    """No letter: an exact registry match binds after an SMS code to the registry's mobile;
    otherwise a signed-in account asks community staff, with a proof."""
    if _bound(request.user):
        messages.info(request, _("您的账号已绑定业主。"))
        return redirect("residents:my_binding")
    form = ApplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            return _apply(request, form, data)
        except (ValidationError, PermissionDenied) as exc:
            _refusal(form, exc)
    return render(request, "residents/apply.html", {"form": form, "signed_in": request.user.is_authenticated})


def _apply(request, form, data):
    services.refuse_if_locked(request)
    owner = services.match_registry(
        name=data["name"],
        id_number=data["id_number"],
        estate=data["estate"],
        building_name=data["building_name"],
        room=data["room"],
    )
    if owner is not None and owner.user_id is not None:
        raise ValidationError(_("您已绑定账号，请直接登录。如忘记密码，请持身份证件到社区办理。"))
    if owner is not None and owner.mobile:
        services.send_code(mobile=owner.mobile, purpose=CodePurpose.BIND, request=request)
        _remember(request, kind="registry", owner=owner.pk, mobile=owner.mobile)
        return redirect("residents:bind_verify")
    if owner is None:
        services.note_mismatch(request)
    if not request.user.is_authenticated:
        messages.warning(
            request,
            _("登记信息未能自动核验。请先用手机号注册账号，登录后上传产权证明，由社区审核。"),
        )
        return redirect(f"{reverse('residents:register')}?next={reverse('residents:apply')}")
    if not data.get("proof"):
        raise ValidationError(_("登记信息未能自动核验：请上传产权证书或购房合同的照片，提交社区人工审核。"))
    services.submit_request(
        actor=request.user,
        name=data["name"],
        id_number=data["id_number"],
        estate=data["estate"],
        building_name=data["building_name"],
        room=data["room"],
        proof=data["proof"],
        request=request,
    )
    messages.success(request, _("申请已提交，社区工作人员审核后会通知您。审核进度可在本页查看。"))
    return redirect("residents:my_binding")


# --------------------------------------------------------------------------- registering


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def register(request):
    """An account of one's own, proved by an SMS code: before asking for binding with a proof,
    or to join the home an owner invited one to."""
    if request.user.is_authenticated:
        return redirect("residents:my_binding")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.send_code(mobile=form.cleaned_data["mobile"], purpose=CodePurpose.REGISTER, request=request)
        except (ValidationError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            _remember(request, kind="register", mobile=form.cleaned_data["mobile"], next=_next(request))
            return redirect("residents:register_verify")
    return render(request, "residents/register.html", {"form": form, "next": _next(request)})


def register_verify(request):
    pending = _pending(request, "register")
    if pending is None or request.user.is_authenticated:
        return redirect("residents:register")
    form = VerifyForm(request.POST or None, new_account=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.register(
                mobile=pending["mobile"],
                sms_code=data["sms_code"],
                password=data["password"],
                password2=data["password2"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            request.session.pop(PENDING, None)
            login(request, user, backend=SIGN_IN_BACKEND)
            messages.success(request, _("账号已注册。"))
            return redirect(pending.get("next") or "residents:my_binding")
    return render(
        request,
        "residents/bind_verify.html",
        {"form": form, "mobile": mask_mobile(pending["mobile"]), "new_account": True},
    )


# --------------------------------------------------------------------------- the owner's own page


@login_required
def my_binding(request):
    """What this account is bound to, its requests and their state, and the ways to bind."""
    owner = Owner.objects.filter(user=request.user).first()
    return render(
        request,
        "residents/my_binding.html",
        {
            "owner": owner,
            "ownerships": units_of_owner_user(request.user) if owner else [],
            "bindings": Binding.objects.filter(user=request.user).select_related("owner")[:10],
            "requests": BindingRequest.objects.filter(user=request.user).select_related("estate")[:20],
            "mobile": getattr(getattr(request.user, "verified_mobile", None), "mobile", ""),
        },
    )


# --------------------------------------------------------------------------- staff


def _may_decide(user) -> None:
    if not access.holds_anywhere(user, access.CHANGE):
        raise PermissionDenied


@login_required
def queue(request):
    """The binding requests of the estates whose registry the user keeps."""
    _may_decide(request.user)
    status = request.GET.get("status", RequestStatus.PENDING)
    rows = services.request_queue(request.user)
    if status in RequestStatus.values:
        rows = rows.filter(status=status)
    page, querystring = paged(request, rows, REQUESTS_PAGE_SIZE)
    return render(
        request,
        "residents/queue.html",
        {"page": page, "querystring": querystring, "status": status, "statuses": RequestStatus.choices},
    )


def _request_or_404(user, pk) -> BindingRequest:
    found = get_object_or_404(
        BindingRequest.objects.select_related("estate__grid__community", "unit__building", "user"), pk=pk
    )
    if not access.can(user, access.CHANGE, found.estate):
        raise Http404
    return found


@login_required
def decide(request, pk):
    """One request: the applicant's details and proof beside the unit's registered owners;
    approve (choosing whom it binds) or refuse with a reason."""
    req = _request_or_404(request.user, pk)
    owners = services.candidate_owners(req)
    form = DecideForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("decision") == "approve":
                if form.cleaned_data["owner"] is None:
                    raise ValidationError(_("请选择绑定到哪一位业主。"))
                services.approve_request(actor=request.user, req=req, owner=form.cleaned_data["owner"], request=request)
                messages.success(request, _("已通过，申请人的账号已绑定。"))
            else:
                services.refuse_request(
                    actor=request.user, req=req, reason=form.cleaned_data["reason"], request=request
                )
                messages.success(request, _("已退回，申请人会看到原因。"))
        except (ValidationError, PermissionDenied) as exc:
            _refusal(form, exc)
        else:
            return redirect("residents:queue")
    audit.record("view_personal", request=request, obj=req, detail={"page": "binding_request"})
    return render(
        request,
        "residents/decide.html",
        {"req": req, "form": form, "owners": owners, "pending": req.status == RequestStatus.PENDING},
    )


@login_required
def proof(request, pk):
    req = _request_or_404(request.user, pk)
    audit.record("export", request=request, obj=req, detail={"document": "binding_proof"})
    return uploads.serve(req.proof, filename=f"binding-proof-{req.pk}")
