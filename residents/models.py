"""Owners' accounts bound to the registry, and the people who live with them.

* ``BindingLetter``: one unit's one-time binding code (绑定函), printed on paper and posted to
  the door. Only the code's SHA-256 is kept; printing again voids the unit's earlier letters.
  Each co-owner of the unit binds their own account with the same letter, once.
* ``Binding``: the record of an owner record being bound to an account, by letter, by an exact
  registry match or by an approved request. ``Owner.user`` holds the binding in force.
* ``BindingRequest``: an owner without a letter whose details did not match the registry
  asks community staff, with a proof, to bind them; approved or refused with a reason.
* ``PhoneCode``: an SMS code proving a mobile number, stored hashed, short-lived, few tries;
  ``VerifiedMobile``: the number an account proved that way.
* ``Household``: a family member or tenant an owner invited to a unit by mobile. They read the
  estate's notices and never vote; they see bills only while the owner shares them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import records
from community.models import Estate, Owner, Unit


class BindingLetter(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="binding_letters")
    code_hash = models.CharField(_("绑定码摘要"), max_length=64, unique=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("打印人"), on_delete=models.PROTECT, related_name="+"
    )
    printed_at = models.DateTimeField(_("打印时间"), default=timezone.now)
    expires_on = models.DateField(_("有效期至"), help_text=_("含当日。"))
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("绑定函")
        verbose_name_plural = _("绑定函")
        ordering = ["-printed_at", "-pk"]
        indexes = [models.Index(fields=["unit", "voided_at"], name="letter_unit_open_idx")]
        # A printed letter is a record: it is only ever voided, once (by a reprint).
        triggers = records.append_only(
            "binding_letter_append_only",
            allow="IF OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL AND "
            f"{records.unchanged_but('voided_at')} THEN RETURN NEW; END IF;",
        )

    def __str__(self):
        return f"{self.unit} · {self.printed_at:%Y-%m-%d}"


class BindingVia(models.TextChoices):
    LETTER = "letter", _("绑定函")
    REGISTRY = "registry", _("登记信息核验")
    REQUEST = "request", _("社区审核")


class Binding(models.Model):
    owner = models.ForeignKey(Owner, verbose_name=_("业主"), on_delete=models.PROTECT, related_name="bindings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="bindings"
    )
    via = models.CharField(_("方式"), max_length=10, choices=BindingVia.choices)
    letter = models.ForeignKey(
        BindingLetter, verbose_name=_("绑定函"), null=True, blank=True, on_delete=models.PROTECT, related_name="uses"
    )
    request = models.ForeignKey(
        "BindingRequest", verbose_name=_("申请"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mobile = models.CharField(_("验证手机"), max_length=11, blank=True)
    at = models.DateTimeField(_("绑定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("账号绑定记录")
        verbose_name_plural = _("账号绑定记录")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "owner"], condition=Q(letter__isnull=False), name="binding_letter_once_per_owner"
            ),
        ]
        triggers = records.append_only("binding_append_only")

    def __str__(self):
        return f"{self.owner} · {self.get_via_display()}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REFUSED = "refused", _("未通过")


class BindingRequest(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请账号"), on_delete=models.PROTECT, related_name="binding_requests"
    )
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_number = models.CharField(_("证件号码"), max_length=18)
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="+")
    building_name = models.CharField(_("楼栋"), max_length=50)
    room = models.CharField(_("房号"), max_length=20)
    unit = models.ForeignKey(
        Unit, verbose_name=_("房屋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mobile = models.CharField(_("手机号码"), max_length=11)
    proof = models.FileField(_("产权证明"), upload_to="binding/%Y/%m/", max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    owner = models.ForeignKey(
        Owner, verbose_name=_("绑定业主"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("未通过原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("绑定申请")
        verbose_name_plural = _("绑定申请")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["estate", "status"], name="binding_request_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "estate", "building_name", "room"],
                condition=Q(status="pending"),
                name="binding_request_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.estate} {self.building_name}-{self.room} · {self.get_status_display()}"


class VerifiedMobile(models.Model):
    """The mobile number an account proved with an SMS code (on registering or binding): where
    its own texts go, and how a household invitation by mobile finds it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="verified_mobile"
    )
    mobile = models.CharField(_("手机号码"), max_length=11, unique=True)
    verified_at = models.DateTimeField(_("验证时间"), default=timezone.now)

    class Meta:
        verbose_name = _("已验证手机")
        verbose_name_plural = _("已验证手机")

    def __str__(self):
        return self.mobile


class CodePurpose(models.TextChoices):
    BIND = "bind", _("绑定房屋")
    REGISTER = "register", _("注册账号")
    JOIN = "join", _("加入家庭")


class PhoneCode(models.Model):
    mobile = models.CharField(_("手机号码"), max_length=11)
    purpose = models.CharField(_("用途"), max_length=10, choices=CodePurpose.choices)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    tries = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["mobile", "sent_at"], name="phone_code_mobile_idx")]

    def __str__(self):
        return f"{self.mobile} · {self.get_purpose_display()}"


class Relation(models.TextChoices):
    FAMILY = "family", _("家庭成员")
    TENANT = "tenant", _("租户")


class HouseholdQuerySet(models.QuerySet):
    def active(self):
        """Members who joined and were not removed (the inviting owner's holding is checked by
        the selectors, which know the day)."""
        return self.filter(user__isnull=False, removed_at__isnull=True)


class Household(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="household")
    owner = models.ForeignKey(Owner, verbose_name=_("邀请业主"), on_delete=models.PROTECT, related_name="invited")
    mobile = models.CharField(_("手机号码"), max_length=11)
    name = models.CharField(_("称呼"), max_length=50, blank=True)
    relation = models.CharField(_("关系"), max_length=10, choices=Relation.choices, default=Relation.FAMILY)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    shares_bills = models.BooleanField(_("可查看账单"), default=False)
    invited_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    joined_at = models.DateTimeField(_("加入时间"), null=True, blank=True)
    removed_at = models.DateTimeField(_("移除时间"), null=True, blank=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("家庭成员/租户")
        verbose_name_plural = _("家庭成员/租户")
        ordering = ["unit", "invited_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "mobile"], condition=Q(removed_at__isnull=True), name="household_one_per_mobile"
            ),
        ]
        indexes = [models.Index(fields=["mobile", "removed_at"], name="household_mobile_idx")]

    def __str__(self):
        return f"{self.unit} · {self.get_relation_display()}"
