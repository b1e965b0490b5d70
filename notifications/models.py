"""Notifications: one message per event, one delivery row per recipient and channel.

A ``Message`` is what an event says (a vote convened, a bill issued …) and what it is about
(``subject``: the vote, the bill run …). A ``Delivery`` is that message on its way to one
recipient through one channel, with its own record: queued, sent, failed (with the reason),
read. A recipient is an owner of the registry (reachable by SMS at the mobile the registry
holds even without an account), a user account (staff, or an owner who has bound one), or
both.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内信")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class Event(models.TextChoices):
    VOTE_CONVENED = "vote_convened", _("表决开始")
    VOTE_CLOSING = "vote_closing", _("表决即将截止")
    VOTE_RESULT = "vote_result", _("表决结果公布")
    BILL_ISSUED = "bill_issued", _("物业费账单")
    DEMAND_LETTER = "demand_letter", _("催缴函")
    PAYMENT_RECEIPT = "payment_receipt", _("缴费收据")
    FUND_TOPUP = "fund_topup", _("维修资金续筹提醒")
    FUND_USE_VOTE = "fund_use_vote", _("维修资金使用表决")
    NOTICE_PUBLISHED = "notice_published", _("公告发布")
    MEDIATION_SESSION = "mediation_session", _("调解会议安排")
    CASE_MOVED = "case_moved", _("案件进展")
    DUTY_OVERDUE = "duty_overdue", _("法定期限逾期")
    MEETING_REQUESTED = "meeting_requested", _("委员提议召开会议")
    ASSEMBLY_PROPOSED = "assembly_proposed", _("临时业主大会提议达到法定比例")
    PROXY = "proxy", _("表决委托")
    CREDIT_PUBLISHED = "credit_published", _("信用评价结果公布")
    CREDIT_OBJECTION = "credit_objection", _("信用评价异议裁决")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("发送失败")
    READ = "read", _("已读")


class Message(models.Model):
    event = models.CharField(_("事件"), max_length=30, choices=Event.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False, help_text=_("紧急消息在夜间（22:00–08:00）也发送短信。"))
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("关于"), null=True, blank=True, on_delete=models.PROTECT
    )
    subject_id = models.PositiveBigIntegerField(_("关于对象"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # The same event about the same thing is told once, however often its cause runs.
    key = models.CharField(_("去重键"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "event"], name="message_subject_idx")]

    def __str__(self):
        return self.title


class Delivery(models.Model):
    message = models.ForeignKey(Message, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries")
    owner = models.ForeignKey(
        "community.Owner", verbose_name=_("业主"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("发送地址"), max_length=254, blank=True)  # the mobile or e-mail used
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    reason = models.CharField(_("失败原因"), max_length=300, blank=True)
    next_try_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(user__isnull=False), name="delivery_has_recipient"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "channel", "status"], name="delivery_inbox_idx"),
            models.Index(fields=["status", "next_try_at"], name="delivery_due_idx"),
            models.Index(fields=["message", "owner"], name="delivery_owner_idx"),
        ]

    def __str__(self):
        return f"{self.message} · {self.get_channel_display()} · {self.get_status_display()}"


class Preference(models.Model):
    """The channels a user chose besides the inbox, which is always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    sms = models.BooleanField(_("接收短信"), default=True)
    email = models.BooleanField(_("接收电子邮件"), default=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self):
        return str(self.user)
