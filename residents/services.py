"""Binding an owner's account to the registry, and the SMS codes that prove a mobile.

Three ways in, each ending in ``_bind``, the one writer of ``Owner.user``:

* **a letter** (``check_letter`` then ``bind_with_letter``): the letter's code, the last six
  characters of the owner's ID number (or credit code) and an SMS code to the mobile they give;
* **the registry** (``match_registry`` then ``bind_from_registry``): name, ID number and the
  unit match an owner exactly, and an SMS code reaches the mobile the registry holds;
* **a request** (``submit_request``, then ``approve_request`` / ``refuse_request`` by community
  staff): anything else, with a proof of ownership.

Wrong letter codes and wrong ID tails are failures: each is a line of the audit trail (``bind_failed``),
and the trail is also the counter: ``BINDING_FAILURE_LIMIT`` of them from one address, or against
one letter, within ``BINDING_LOCK_MINUTES`` lock that address or letter for as long again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import access, audit
from community.identifiers import is_valid_mobile
from community.locks import lock_one
from community.models import AuditResult, Estate, Owner, OwnerKind, Ownership, Unit
from community.privacy import mask_mobile
from community.uploads import ATTACHMENT, store
from community.workflow import Workflow
from notifications.channels import send_sms_now

from . import codes
from .models import (
    Binding,
    BindingLetter,
    BindingRequest,
    BindingVia,
    CodePurpose,
    PhoneCode,
    RequestStatus,
    VerifiedMobile,
)

User = get_user_model()

LETTER_WRONG = gettext_lazy("绑定码不正确、已作废或已被重新打印的绑定函取代。请核对绑定函上的 12 位绑定码。")
TAIL_WRONG = gettext_lazy("证件号码后六位与登记信息不符。")
MOBILE_WRONG = gettext_lazy("请输入 11 位手机号码。")
CODE_WRONG = gettext_lazy("短信验证码不正确。")
NO_ID = gettext_lazy(
    "登记信息中没有该房屋业主的证件号码，无法用绑定函核验。请选择“没有绑定函”，上传产权证明由社区审核。"
)


# --------------------------------------------------------------------------- the lock


def locked_until(*, ip: str | None, letter: BindingLetter | None = None, now: datetime | None = None):
    """When the lock on this address (or letter) ends, or None when there is none: the last
    ``BINDING_FAILURE_LIMIT`` failures all within ``BINDING_LOCK_MINUTES`` lock until that long
    after the last of them."""
    now = now or timezone.now()
    span = timedelta(minutes=settings.BINDING_LOCK_MINUTES)
    recent = audit.recent_failures(
        "bind_failed", ip=ip, obj=letter, since=now - 2 * span, limit=settings.BINDING_FAILURE_LIMIT
    )
    if len(recent) < settings.BINDING_FAILURE_LIMIT or recent[0] - recent[-1] > span:
        return None
    until = recent[0] + span
    return until if now < until else None


def _refuse_if_locked(ip, letter=None):
    until = locked_until(ip=ip, letter=letter)
    if until is not None:
        raise PermissionDenied(
            _("核验失败次数过多，已锁定至 %(time)s。请稍后再试，或持产权证明到社区办理。")
            % {"time": timezone.localtime(until).strftime("%H:%M")}
        )


def refuse_if_locked(request) -> None:
    """Refuse a binding attempt from an address that is locked (the no-letter page asks first)."""
    _refuse_if_locked(audit.client_ip(request))


def note_mismatch(request) -> None:
    """Details that match no owner in the registry count toward the address's lock: trying
    ID numbers against a room is the same guessing as trying letter codes."""
    audit.record(
        "bind_failed",
        request=request,
        obj=("residents.bindingletter", "", _("无绑定函核验")),
        result=AuditResult.FAILURE,
        detail={"reason": "registry"},
    )


def _fail(request, letter, reason: str, message: str):
    """Record a failure (outside any transaction the caller rolls back) and refuse."""
    audit.record(
        "bind_failed",
        request=request,
        obj=letter or ("residents.bindingletter", "", _("未知绑定码")),
        result=AuditResult.FAILURE,
        detail={"reason": reason},
    )
    raise ValidationError(message)


# --------------------------------------------------------------------------- SMS codes


def send_code(*, mobile: str, purpose: str, request=None, now: datetime | None = None) -> PhoneCode:
    """Send a fresh six-digit code to ``mobile``. Refused when the last one went out less than
    ``SMS_CODE_RESEND_SECONDS`` ago or the day's ``SMS_CODE_DAILY_LIMIT`` is reached (per mobile
    and, three times that, per address)."""
    if not is_valid_mobile(mobile):
        raise ValidationError(MOBILE_WRONG)
    now = now or timezone.now()
    ip = audit.client_ip(request)
    last = PhoneCode.objects.filter(mobile=mobile).order_by("-sent_at").values_list("sent_at", flat=True).first()
    wait = settings.SMS_CODE_RESEND_SECONDS - int((now - last).total_seconds()) if last else 0
    if wait > 0:
        raise ValidationError(_("验证码已发送，请 %(s)s 秒后再重新获取。") % {"s": wait})
    day = now - timedelta(days=1)
    if PhoneCode.objects.filter(mobile=mobile, sent_at__gte=day).count() >= settings.SMS_CODE_DAILY_LIMIT:
        raise ValidationError(_("该手机号今日获取验证码次数已达上限，请明天再试。"))
    if ip and PhoneCode.objects.filter(ip=ip, sent_at__gte=day).count() >= 3 * settings.SMS_CODE_DAILY_LIMIT:
        raise ValidationError(_("本网络今日获取验证码次数已达上限，请明天再试。"))
    code = codes.new_sms_code()
    sent = PhoneCode.objects.create(
        mobile=mobile,
        purpose=purpose,
        code_hash=codes.sms_digest(mobile, purpose, code),
        sent_at=now,
        expires_at=now + timedelta(minutes=settings.SMS_CODE_MINUTES),
        ip=ip,
    )
    text = _("您的%(purpose)s验证码为 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人。") % {
        "purpose": CodePurpose(purpose).label,
        "code": code,
        "minutes": settings.SMS_CODE_MINUTES,
    }
    reason = send_sms_now(mobile, text, event="sms_code")
    audit.record(
        "sms_code",
        request=request,
        obj=("residents.phonecode", sent.pk, mask_mobile(mobile)),
        result=AuditResult.FAILURE if reason else AuditResult.SUCCESS,
        detail={"purpose": purpose, **({"reason": reason} if reason else {})},
    )
    if reason:
        raise ValidationError(_("短信发送失败：%(reason)s。请稍后重试。") % {"reason": reason})
    return sent


def _check_code(*, mobile: str, purpose: str, code: str, now: datetime | None = None) -> PhoneCode:
    """The live code sent to ``mobile`` for ``purpose``, if ``code`` is it. A wrong try is
    counted at once (it survives the caller's rollback); the code is spent by ``_spend``."""
    now = now or timezone.now()
    sent = (
        PhoneCode.objects.filter(mobile=mobile, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
        .order_by("-sent_at")
        .first()
    )
    if sent is None:
        raise ValidationError(_("验证码已失效或尚未获取，请重新获取。"))
    if sent.tries >= settings.SMS_CODE_TRIES:
        raise ValidationError(_("验证码错误次数过多，请重新获取。"))
    if codes.sms_digest(mobile, purpose, (code or "").strip()) != sent.code_hash:
        PhoneCode.objects.filter(pk=sent.pk).update(tries=F("tries") + 1)
        left = settings.SMS_CODE_TRIES - sent.tries - 1
        raise ValidationError(
            str(CODE_WRONG) + (_("还可尝试 %(n)s 次。") % {"n": left} if left else _("请重新获取验证码。"))
        )
    return sent


def _spend(sent: PhoneCode) -> None:
    if not PhoneCode.objects.filter(pk=sent.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise ValidationError(_("验证码已使用，请重新获取。"))


# --------------------------------------------------------------------------- accounts


def _new_account(*, mobile: str, password: str, password2: str) -> User:
    if password != password2:
        raise ValidationError(_("两次输入的密码不一致。"))
    if User.objects.filter(username=mobile).exists() or VerifiedMobile.objects.filter(mobile=mobile).exists():
        raise ValidationError(_("该手机号已注册账号：请先登录，再绑定房屋。"))
    candidate = User(username=mobile)
    validate_password(password, candidate)
    candidate.set_password(password)
    candidate.save()
    VerifiedMobile.objects.create(user=candidate, mobile=mobile)
    return candidate


def _prove_mobile(user, mobile: str) -> None:
    """Keep the mobile a signed-in account just proved, unless another account holds it."""
    taken = VerifiedMobile.objects.filter(mobile=mobile).exclude(user=user).exists()
    if taken:
        raise ValidationError(_("该手机号已是另一个账号的验证手机：请用那个账号登录后绑定。"))
    VerifiedMobile.objects.update_or_create(user=user, defaults={"mobile": mobile, "verified_at": timezone.now()})


def register(*, mobile: str, sms_code: str, password: str, password2: str, request=None) -> User:
    """A resident account of its own, not yet bound to an owner: for an owner who will ask for
    binding with a proof, and for the family members and tenants owners invite."""
    from .household import join_invited

    sent = _check_code(mobile=mobile, purpose=CodePurpose.REGISTER, code=sms_code)
    with transaction.atomic():
        _spend(sent)
        user = _new_account(mobile=mobile, password=password, password2=password2)
        audit.record("register", request=request, user=user, obj=user)
        join_invited(user=user, request=request)
    return user


# --------------------------------------------------------------------------- binding


def _owners_in_force(unit: Unit):
    return Owner.objects.filter(pk__in=Ownership.objects.in_force().filter(unit=unit).values("owner"))


def _bind(*, owner: Owner, user, via: str, mobile: str, letter=None, req=None, request=None) -> Binding:
    """The one writer of ``Owner.user``. Runs inside the caller's transaction."""
    owner = lock_one(Owner, pk=owner.pk)
    if owner.user_id is not None:
        raise ValidationError(_("该业主已绑定账号。如需更换账号，请持身份证件到社区办理。"))
    if Owner.objects.filter(user=user).exists():
        raise ValidationError(_("您的账号已绑定一位业主。一个账号只能绑定一位业主（其名下的全部房屋都随之绑定）。"))
    owner.user = user
    fields = ["user"]
    if not owner.mobile and mobile:
        owner.mobile = mobile
        fields.append("mobile")
    owner.save(update_fields=fields)
    try:
        with transaction.atomic():
            binding = Binding.objects.create(owner=owner, user=user, via=via, letter=letter, request=req, mobile=mobile)
    except IntegrityError as exc:
        raise ValidationError(_("本绑定函已为该业主使用过。")) from exc
    access.forget(user)
    audit.record(
        "bind",
        request=request,
        user=user,
        obj=owner,
        detail={"via": via, **({"letter": letter.pk} if letter else {}), **({"request": req.pk} if req else {})},
    )
    return binding


@dataclass(frozen=True)
class LetterMatch:
    letter: BindingLetter
    owner: Owner


def _live_letter(code: str):
    letter = BindingLetter.objects.filter(code_hash=codes.digest(code)).select_related("unit__building__estate").first()
    return letter


def check_letter(*, code: str, id_tail: str, request=None) -> LetterMatch:
    """The first step with a letter: which owner of the letter's unit this is. Wrong codes and
    wrong ID tails are failures toward the lock; an expired or voided letter says so."""
    ip = audit.client_ip(request)
    _refuse_if_locked(ip)
    code, tail = codes.normalise(code), (id_tail or "").strip().upper()
    if len(tail) != 6:
        raise ValidationError(_("请输入证件号码的最后六位（身份证末位为 X 的请输入 X）。"))
    letter = _live_letter(code) if codes.well_formed(code) else None
    if letter is None:
        _fail(request, None, "code", LETTER_WRONG)
    _refuse_if_locked(ip, letter)
    if letter.voided_at is not None:
        _fail(request, letter, "voided", _("这封绑定函已作废：社区已重新打印了该房屋的绑定函，请使用最新的一封。"))
    if letter.expires_on < timezone.localdate():
        raise ValidationError(
            _("这封绑定函已于 %(day)s 过期。请联系社区重新打印，或选择“没有绑定函”方式申请。")
            % {"day": letter.expires_on.isoformat()}
        )
    owners = list(_owners_in_force(letter.unit))
    matches = [o for o in owners if codes.id_tail(o) == tail]
    if not matches and not any(codes.id_tail(o) for o in owners):
        # Nothing to check the tail against: the letter alone is not enough to bind.
        _fail(request, letter, "no_id", NO_ID)
    if not matches:
        _fail(request, letter, "id_tail", TAIL_WRONG)
    if len(matches) > 1:
        raise ValidationError(_("该房屋有多位业主的证件号码后六位相同，无法区分：请选择“没有绑定函”方式申请。"))
    owner = matches[0]
    if Binding.objects.filter(letter=letter, owner=owner).exists():
        raise ValidationError(_("本绑定函已为您使用过。如需更换账号，请持身份证件到社区办理。"))
    if owner.user_id is not None:
        raise ValidationError(_("您已绑定账号，请直接登录。如忘记密码，请持身份证件到社区办理。"))
    return LetterMatch(letter=letter, owner=owner)


def bind_with_letter(
    *,
    letter_id: int,
    owner_id: int,
    mobile: str,
    sms_code: str,
    user=None,
    password: str = "",
    password2: str = "",
    request=None,
) -> User:
    """The second step: the SMS code sent to ``mobile`` proves it; a new account (when nobody is
    signed in) or the signed-in one is bound to the owner. Everything is checked again."""
    letter = BindingLetter.objects.select_related("unit").filter(pk=letter_id).first()
    if letter is None or letter.voided_at is not None or letter.expires_on < timezone.localdate():
        raise ValidationError(_("这封绑定函已失效，请重新开始。"))
    owner = _owners_in_force(letter.unit).filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError(_("该业主已不再持有这套房屋，请重新开始。"))
    sent = _check_code(mobile=mobile, purpose=CodePurpose.BIND, code=sms_code)
    return _account_and_bind(
        sent,
        owner=owner,
        user=user,
        secrets=(password, password2),
        via=BindingVia.LETTER,
        letter=letter,
        request=request,
    )


def _account_and_bind(sent: PhoneCode, *, owner, user, secrets, via, letter=None, request=None):
    """The end of every binding an owner does themself: the code is spent, the account made (or
    the signed-in one keeps the mobile it proved), the owner bound and any invitations joined."""
    from .household import join_invited

    with transaction.atomic():
        _spend(sent)
        if user is None:
            user = _new_account(mobile=sent.mobile, password=secrets[0], password2=secrets[1])
        else:
            _prove_mobile(user, sent.mobile)
        _bind(owner=owner, user=user, via=via, mobile=sent.mobile, letter=letter, request=request)
        join_invited(user=user, request=request)
    return user


# --------------------------------------------------------------------------- without a letter


def find_unit(*, estate: Estate, building_name: str, room: str) -> Unit | None:
    return (
        Unit.objects.filter(building__estate=estate, building__name=building_name.strip(), room=room.strip())
        .select_related("building__estate")
        .first()
    )


def match_registry(*, name: str, id_number: str, estate: Estate, building_name: str, room: str) -> Owner | None:
    """The owner in force on that unit whose name and ID number (or credit code) are exactly
    these, else None."""
    unit = find_unit(estate=estate, building_name=building_name, room=room)
    if unit is None:
        return None
    number = id_number.strip().upper()
    if not number:
        return None
    return (
        _owners_in_force(unit)
        .filter(name=name.strip())
        .filter(Q(kind=OwnerKind.PERSON, id_number=number) | Q(kind=OwnerKind.ORGANISATION, uscc=number))
        .first()
    )


def bind_from_registry(
    *,
    owner_id: int,
    sms_code: str,
    user=None,
    password: str = "",
    password2: str = "",
    request=None,
) -> User:
    """An exact registry match: the SMS code went to the mobile the registry holds."""
    owner = Owner.objects.filter(pk=owner_id).first()
    if owner is None or not owner.mobile:
        raise ValidationError(_("登记信息已变化，请重新开始。"))
    sent = _check_code(mobile=owner.mobile, purpose=CodePurpose.BIND, code=sms_code)
    return _account_and_bind(
        sent, owner=owner, user=user, secrets=(password, password2), via=BindingVia.REGISTRY, request=request
    )


REQUEST_FLOW = Workflow(
    RequestStatus,
    {
        RequestStatus.PENDING: {RequestStatus.APPROVED, RequestStatus.REFUSED},
        RequestStatus.APPROVED: set(),
        RequestStatus.REFUSED: set(),
    },
)


def submit_request(
    *, actor, name: str, id_number: str, estate: Estate, building_name: str, room: str, proof, request=None
) -> BindingRequest:
    """A signed-in account asks community staff to bind it, with a proof of ownership."""
    if not actor.is_authenticated:
        raise PermissionDenied(access.NOT_ALLOWED)
    if Owner.objects.filter(user=actor).exists():
        raise ValidationError(_("您的账号已绑定业主，无需再申请。"))
    mobile = VerifiedMobile.objects.filter(user=actor).values_list("mobile", flat=True).first()
    if not mobile:
        raise ValidationError(_("请先验证您的手机号（注册账号时验证），再提交申请。"))
    if not proof:
        raise ValidationError(_("请上传产权证书或购房合同的照片（JPG、PNG 或 PDF）。"))
    pending = BindingRequest.objects.filter(
        user=actor, estate=estate, building_name=building_name.strip(), room=room.strip(), status=RequestStatus.PENDING
    )
    if pending.exists():
        raise ValidationError(_("这套房屋已有一份您的申请在审核中，请等待结果。"))
    with transaction.atomic():
        req = BindingRequest(
            user=actor,
            name=name.strip(),
            id_number=id_number.strip().upper(),
            estate=estate,
            building_name=building_name.strip(),
            room=room.strip(),
            unit=find_unit(estate=estate, building_name=building_name, room=room),
            mobile=mobile,
        )
        store(req.proof, proof, ATTACHMENT)
        try:
            with transaction.atomic():
                req.save()
        except IntegrityError as exc:
            raise ValidationError(_("这套房屋已有一份您的申请在审核中，请等待结果。")) from exc
        audit.record("binding_request", request=request, user=actor, obj=req)
    return req


def request_queue(user):
    """Requests in the estates the user may change the registry of, newest pending first."""
    estates = access.visible(user, access.CHANGE, Estate.objects.all())
    return (
        BindingRequest.objects.filter(estate__in=estates)
        .select_related("estate", "unit__building", "decided_by")
        .order_by("status", "-created_at")
    )


def _pending(actor, req: BindingRequest) -> BindingRequest:
    access.require(actor, access.CHANGE, req.estate)
    req = lock_one(BindingRequest, pk=req.pk)
    if req.status != RequestStatus.PENDING:
        raise ValidationError(_("该申请已审核。"))
    return req


def candidate_owners(req: BindingRequest):
    """The owners in force on the request's unit still without an account: whom it may bind."""
    if req.unit_id is None:
        return Owner.objects.none()
    return _owners_in_force(req.unit).filter(user__isnull=True).order_by("pk")


def approve_request(*, actor, req: BindingRequest, owner: Owner, request=None) -> BindingRequest:
    """Staff saw the proof and bind the applicant to ``owner``, an owner in force on the
    request's unit without an account (the registry is corrected first when it lags a sale)."""
    with transaction.atomic():
        req = _pending(actor, req)
        if not candidate_owners(req).filter(pk=owner.pk).exists():
            raise ValidationError(_("请选择这套房屋当前登记的、尚未绑定账号的业主；登记有误的，请先更正登记。"))
        REQUEST_FLOW.move(req, RequestStatus.APPROVED)
        req.decided_by, req.decided_at, req.owner = actor, timezone.now(), owner
        req.save(update_fields=["status", "decided_by", "decided_at", "owner"])
        _bind(owner=owner, user=req.user, via=BindingVia.REQUEST, mobile=req.mobile, req=req, request=request)
        audit.record("binding_decision", request=request, user=actor, obj=req, detail={"decision": "approved"})
    return req


def refuse_request(*, actor, req: BindingRequest, reason: str, request=None) -> BindingRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请写明未通过的原因，申请人会看到它。"))
    with transaction.atomic():
        req = _pending(actor, req)
        REQUEST_FLOW.move(req, RequestStatus.REFUSED)
        req.decided_by, req.decided_at, req.reason = actor, timezone.now(), reason[:200]
        req.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit.record("binding_decision", request=request, user=actor, obj=req, detail={"decision": "refused"})
    return req
