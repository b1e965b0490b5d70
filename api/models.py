"""Clients of the API and what the API owes them: tokens, webhooks with their deliveries, and the
tombstones that tell an incremental sync what was deleted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import records


class ApiClient(models.Model):
    """An organisation's system (the city platform) registered by a district administrator. It
    acts through its own account, which holds ``Role.API_CLIENT`` on one node of the territory
    tree; so every read and every case it reports is scoped by ``community.access`` as a person's
    would be. The account has no usable password: it signs in only with a token."""

    name = models.CharField(_("客户端名称"), max_length=100)
    organisation = models.CharField(_("所属单位"), max_length=200)
    contact = models.CharField(_("联系人及电话"), max_length=100, blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("接口账号"), on_delete=models.PROTECT, related_name="api_client"
    )
    district = models.ForeignKey(
        "community.District", verbose_name=_("登记区"), on_delete=models.PROTECT, related_name="api_clients"
    )
    rate_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=120)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")
        ordering = ["district", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="api_client_name_per_district")]

    def __str__(self):
        return self.name


class ApiToken(models.Model):
    """A bearer token, stored as its SHA-256 digest: the token itself is shown once, when it is
    made. ``prefix`` (the first characters, not secret) finds the row; rotating makes a new
    token and revokes the old one at once."""

    client = models.ForeignKey(ApiClient, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="tokens")
    prefix = models.CharField(_("前缀"), max_length=12, unique=True)
    digest = models.CharField(_("摘要"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(revoked_at__isnull=True), name="api_one_live_token_per_client"
            )
        ]

    def __str__(self):
        return f"{self.client} · {self.prefix}…"


class Webhook(models.Model):
    """A URL a client asked case changes to be pushed to, with the secret the pushes are signed
    with (HMAC-SHA256 over the timestamp and the body)."""

    client = models.ForeignKey(ApiClient, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="webhooks")
    url = models.URLField(_("推送地址"), max_length=300)
    secret = models.CharField(_("签名密钥"), max_length=64)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("推送地址")
        verbose_name_plural = _("推送地址")
        ordering = ["client", "pk"]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待推送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("推送失败")


class WebhookDelivery(models.Model):
    """One event pushed to one webhook: what was sent, each try's answer, and the outcome."""

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("推送地址"), on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.CharField(_("事件"), max_length=40)
    event_id = models.CharField(_("事件编号"), max_length=40)
    payload = models.JSONField(_("内容"))
    created_at = models.DateTimeField(_("产生时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="api_delivery_status_idx")]
        constraints = [models.UniqueConstraint(fields=["webhook", "event_id"], name="api_delivery_once_per_event")]

    def __str__(self):
        return f"{self.event} → {self.webhook}"


class Tombstone(models.Model):
    """A synced row that was deleted: its kind (the API's resource name), its id and where in the
    territory tree it lived, so a client's ``updated_since`` sync sees the deletion in its scope."""

    kind = models.CharField(_("资源"), max_length=30)
    object_id = models.PositiveBigIntegerField(_("编号"))
    deleted_at = models.DateTimeField(_("删除时间"), default=timezone.now, db_index=True)
    district_id_at = models.PositiveBigIntegerField(_("所属区"), null=True, blank=True)
    street_id_at = models.PositiveBigIntegerField(_("所属街道"), null=True, blank=True)
    community_id_at = models.PositiveBigIntegerField(_("所属社区"), null=True, blank=True)

    class Meta:
        verbose_name = _("删除记录")
        verbose_name_plural = _("删除记录")
        ordering = ["deleted_at", "pk"]
        triggers = records.append_only("api_tombstone")

    def __str__(self):
        return f"{self.kind} {self.object_id}"
