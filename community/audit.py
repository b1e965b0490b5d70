"""The audit trail (安全审计): the one way anything is written to ``AuditEvent``.

Every app calls ``record(...)`` where something happens that an assessor, or a district
administrator after an incident, must be able to find later: a sign-in or its failure, a page
or an export that shows unmasked personal data, a role given or taken, a registry change, an
import, a payment, a vote convened or closed. A row is written in the caller's transaction, so
an action that rolls back leaves no line claiming it happened; a refusal (a failed sign-in, a
denied export) is recorded by its caller outside any rolled-back work.

Rows are never changed or deleted: nothing in the code does it, and on PostgreSQL a trigger
refuses it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, AuditResult

# Every action the trail records, with its name on the audit page. A name missing here is still
# recorded and shown as written; adding one here makes it searchable by name.
ACTIONS = {
    "login": _("登录"),
    "logout": _("退出登录"),
    "login_failed": _("登录失败"),
    "lockout": _("账号锁定"),
    "unlock": _("解除锁定"),
    "view_personal": _("查看个人信息"),
    "export": _("导出"),
    "role_grant": _("授予角色"),
    "role_revoke": _("撤销角色"),
    "registry_create": _("登记新增"),
    "registry_change": _("登记修改"),
    "registry_transfer": _("过户"),
    "import": _("导入"),
    "payment": _("收款"),
    "reversal": _("冲正"),
    "expenditure_decision": _("支出审批"),
    "fund_payout_review": _("维修资金拨付审核"),
    "fund_payout": _("维修资金拨付"),
    "vote_convene": _("召集表决"),
    "vote_close": _("结束表决"),
    "proxy_appoint": _("表决委托"),
    "proxy_revoke": _("撤销表决委托"),
    "challenge_record": _("登记撤销决定之诉"),
    "challenge_decide": _("登记撤销之诉裁判结果"),
    "binding_letters": _("打印绑定函"),
    "bind": _("绑定业主账号"),
    "bind_failed": _("绑定核验失败"),
    "binding_request": _("提交绑定申请"),
    "binding_decision": _("审核绑定申请"),
    "sms_code": _("发送短信验证码"),
    "register": _("注册账号"),
    "household_invite": _("邀请家庭成员"),
    "household_join": _("加入家庭"),
    "household_change": _("家庭成员变更"),
    "filing_review": _("备案审查"),
    "meeting_request": _("委员提议召开会议"),
    "assembly_proposal": _("临时业主大会提议"),
    "assembly_support": _("支持临时业主大会提议"),
    "assembly_convene": _("召开临时业主大会"),
    "document_upload": _("上传业主查阅资料"),
    "document_withdraw": _("撤下业主查阅资料"),
    "document_read": _("查阅资料"),
    "branch_create": _("登记小区党支部"),
    "branch_change": _("修改小区党支部"),
    "branch_member": _("党支部成员变更"),
    "credit_inspection": _("录入物业企业检查评分"),
    "credit_publish": _("公布物业企业信用评价"),
    "credit_objection": _("对信用评价提出异议"),
    "credit_objection_decide": _("裁决信用评价异议"),
    "handling_unit_create": _("登记处置单位"),
    "handling_unit_change": _("修改处置单位"),
    "unit_staff_add": _("开通处置单位工作人员账号"),
    "unit_staff_remove": _("撤销处置单位工作人员"),
    "api_call": _("接口调用"),
    "api_client_register": _("登记接口客户端"),
    "api_token_rotate": _("更换接口令牌"),
    "api_client_revoke": _("停用接口客户端"),
    "api_webhook": _("登记或停用推送地址"),
    "fee_history_import": _("导入历史缴费记录"),
}


def label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def client_ip(request) -> str | None:
    """The address the request came from. Behind a reverse proxy that the deployment trusts
    (TRUST_X_FORWARDED_FOR=1) the first address of X-Forwarded-For, else the socket's peer."""
    if request is None:
        return None
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.META.get("REMOTE_ADDR") or None


def _describe(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, Model):
        return obj._meta.label_lower, str(obj.pk or ""), str(obj)[:200]
    # A (type, id, text) triple for things that are not one model row (a search, a file).
    kind, ident, text = obj
    return str(kind)[:100], str(ident)[:64], str(text)[:200]


def record(
    action: str,
    *,
    request=None,
    user=None,
    obj: Model | tuple[str, Any, str] | None = None,
    result: str = AuditResult.SUCCESS,
    detail: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Write one line of the trail. ``user`` defaults to the request's signed-in user;
    ``username`` is what was typed when nobody is signed in (a failed sign-in)."""
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    object_type, object_id, object_repr = _describe(obj)
    return AuditEvent.objects.create(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        ip=client_ip(request),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        result=result,
        detail=detail or {},
    )


def recent_failures(action: str, *, ip: str | None, obj: Model | None, since, limit: int) -> list:
    """When ``action`` last failed, newest first (at most ``limit``), from the address ``ip`` or
    against ``obj``: the trail doubles as the counter of a lock (an owner's binding attempts)."""
    where = Q(ip=ip) if ip else Q(pk__in=[])
    if obj is not None:
        where |= Q(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(
        AuditEvent.objects.filter(where, action=action, result=AuditResult.FAILURE, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )


def latest(action: str, *, detail: dict, limit: int) -> list[AuditEvent]:
    """The newest lines of ``action`` (at most ``limit``) whose detail holds each key of ``detail``
    with its value, each with its user: the readings of an estate's documents, for the page that
    shows who read what. One query."""
    rows = AuditEvent.objects.filter(action=action, **{f"detail__{key}": value for key, value in detail.items()})
    return list(rows.select_related("user").order_by("-at", "-pk")[:limit])


# --------------------------------------------------------------------------- sign-in and sign-out
# Django's own signals, connected in CommunityConfig.ready(): every way of signing in (the login
# page, the admin's, a test client's login) goes through django.contrib.auth and is recorded here.


def on_logged_in(sender, request, user, **kwargs):
    record("login", request=request, user=user, obj=user)


def on_logged_out(sender, request, user, **kwargs):
    if user is not None:  # signing out with no session is not an event
        record("logout", request=request, user=user, obj=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    """A failed sign-in: the name that was typed, never the password (Django has already
    replaced it in ``credentials``, and only the username field is read here)."""
    from django.contrib.auth import get_user_model

    typed = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")
    record("login_failed", request=request, username=typed, result=AuditResult.FAILURE)
