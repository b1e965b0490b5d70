"""Registering client systems and their tokens: the district administrator's acts, each checked,
atomic and audited. A token is returned once, in clear, and never stored."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, audit
from community import services as registry
from community.models import Community, District, Role, Street

from .auth import digest
from .models import ApiClient, ApiToken, Webhook

NOT_ALLOWED = _("只有区管理员可以登记和管理本区的接口客户端。")
NAME_TAKEN = _("本区已有同名的接口客户端。")
NO_NAME = _("请填写客户端名称和所属单位。")
BAD_RATE = _("每分钟调用上限须在 1 到 6000 之间。")
OUT_OF_DISTRICT = _("客户端的范围须是区、街道或社区。")
ALREADY_REVOKED = _("该客户端已停用。")


def _district_of(node) -> District:
    """The district of a scope node (a district, street or community)."""
    if isinstance(node, District):
        return node
    if isinstance(node, Street):
        return node.district
    if isinstance(node, Community):
        return node.street.district
    raise ValidationError(OUT_OF_DISTRICT)


def _require_admin(actor, district: District) -> None:
    if actor is None:
        return  # the demo and the management commands
    if not access.holds_on(actor, access.CHANGE_RULES, district):
        raise PermissionDenied(NOT_ALLOWED)


def _new_token(client: ApiClient, actor) -> str:
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(client=client, prefix=prefix, digest=digest(token), created_by=actor)
    return token


@transaction.atomic
def register_client(
    *, actor, scope, name: str, organisation: str, contact: str = "", rate_per_minute: int = 120
) -> tuple[ApiClient, str]:
    """A new client on ``scope`` (a district, street or community of the actor's district): its
    account, its role there and its first token, which is returned in clear this once."""
    district = _district_of(scope)
    _require_admin(actor, district)
    name, organisation = (name or "").strip(), (organisation or "").strip()
    if not name or not organisation:
        raise ValidationError(NO_NAME)
    if not 1 <= int(rate_per_minute) <= 6000:
        raise ValidationError(BAD_RATE)
    if ApiClient.objects.filter(district=district, name=name).exists():
        raise ValidationError(NAME_TAKEN)
    User = get_user_model()
    username = f"api-{secrets.token_hex(5)}"
    account = User(username=username, first_name=name[:150])
    account.set_unusable_password()
    account.save()
    registry.assign_role(actor=None, user=account, role=Role.API_CLIENT, scope=scope)
    client = ApiClient.objects.create(
        name=name,
        organisation=organisation,
        contact=(contact or "").strip(),
        account=account,
        district=district,
        rate_per_minute=int(rate_per_minute),
        created_by=actor,
    )
    token = _new_token(client, actor)
    audit.record("api_client_register", user=actor, obj=client, detail={"scope": str(scope)})
    return client, token


@transaction.atomic
def rotate_token(*, actor, client: ApiClient) -> str:
    """A new token; the old one stops working at once."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    _require_admin(actor, client.district)
    if client.revoked_at:
        raise ValidationError(ALREADY_REVOKED)
    client.tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = _new_token(client, actor)
    audit.record("api_token_rotate", user=actor, obj=client)
    return token


@transaction.atomic
def revoke_client(*, actor, client: ApiClient) -> ApiClient:
    """Stop a client: its tokens fail at once, its webhooks stop, its account can do nothing."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    _require_admin(actor, client.district)
    if client.revoked_at:
        raise ValidationError(ALREADY_REVOKED)
    now = timezone.now()
    client.tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    client.webhooks.update(active=False)
    client.revoked_at = now
    client.save(update_fields=["revoked_at"])
    account = client.account
    account.is_active = False
    account.save(update_fields=["is_active"])
    audit.record("api_client_revoke", user=actor, obj=client)
    return client


# --------------------------------------------------------------------------- webhooks

WEBHOOKS_MAX = 5
TOO_MANY_WEBHOOKS = _("每个客户端最多登记 %(n)s 个推送地址。")
WEBHOOK_TAKEN = _("该推送地址已登记。")
NOT_YOURS = _("只有客户端本身或本区的区管理员可以管理它的推送地址。")


def _require_client_or_admin(actor, client: ApiClient) -> None:
    if actor is None or actor.pk == client.account_id:
        return  # the demo and the management commands; the client itself
    if not access.holds_on(actor, access.CHANGE_RULES, client.district):
        raise PermissionDenied(NOT_YOURS)


@transaction.atomic
def register_webhook(*, actor, client: ApiClient, url: str) -> tuple[Webhook, str]:
    """A URL the client's case changes are pushed to (https, or http to the hosts the deployment
    allows for tests and the demo), and its signing secret, returned in clear this once."""
    from .webhooks import checked_url, refuse_internal

    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    _require_client_or_admin(actor, client)
    if client.revoked_at:
        raise ValidationError(ALREADY_REVOKED)
    url = checked_url(url)
    refuse_internal(url, resolve=False)  # a name is looked up before every push
    live = client.webhooks.filter(active=True)
    if live.filter(url=url).exists():
        raise ValidationError(WEBHOOK_TAKEN)
    if live.count() >= WEBHOOKS_MAX:
        raise ValidationError(TOO_MANY_WEBHOOKS, params={"n": WEBHOOKS_MAX})
    secret = secrets.token_hex(32)
    webhook = Webhook.objects.create(client=client, url=url, secret=secret)
    audit.record("api_webhook", user=actor, obj=client, detail={"webhook": webhook.pk, "url": url, "active": True})
    return webhook, secret


@transaction.atomic
def deactivate_webhook(*, actor, webhook: Webhook) -> Webhook:
    """Stop pushing to a URL; what is still pending to it fails at its next try."""
    webhook = Webhook.objects.select_for_update().select_related("client").get(pk=webhook.pk)
    _require_client_or_admin(actor, webhook.client)
    if webhook.active:
        webhook.active = False
        webhook.save(update_fields=["active"])
        audit.record(
            "api_webhook",
            user=actor,
            obj=webhook.client,
            detail={"webhook": webhook.pk, "url": webhook.url, "active": False},
        )
    return webhook
