"""Property-dispute mediation (人民调解法): rooms, mediators, cases, sessions, agreements.

Mediation is free (art. 4): nothing here has a fee, price or amount field.
Statuses change only in ``mediation.services``, along its one transition table.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import records
from community.models import REGISTRY_PERMS, Community, Estate, Owner, PropertyCompany, Unit, validate_mobile
from community.templatetags.punct import bracketed


class TsTzRange(Func):
    """PostgreSQL ``tstzrange(start, end, '[)')``: a half-open time range, so one session may
    end at 10:00 and the next begin at 10:00."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusion(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL and nothing elsewhere. SQLite has no exclusion
    constraints; there the booking service checks for an overlap inside its transaction."""

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if schema_editor.connection.vendor == "postgresql" else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if schema_editor.connection.vendor == "postgresql" else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if schema_editor.connection.vendor == "postgresql" else None

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


# --------------------------------------------------------------------------- rooms and mediators


class Room(models.Model):
    """A property-dispute mediation room (物业纠纷调解室) run by a community's mediation committee."""

    community = models.ForeignKey(
        Community, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="mediation_rooms"
    )
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    hours = models.CharField(_("开放时间"), max_length=100)
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    opened_on = models.DateField(_("设立日期"))

    class Meta:
        verbose_name = _("调解室")
        verbose_name_plural = _("调解室")
        ordering = ["community__code", "name"]
        # The registry's own wording for the two it shares with the territory nodes.
        permissions = tuple(p for p in REGISTRY_PERMS if p[0] in ("view_registry", "open_cases")) + (
            ("mediate", _("主持调解：安排调解会、记录调解协议与回访")),
        )
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="mediation_room_name_unique")]

    def __str__(self):
        return self.name

    @property
    def district(self):
        """For ``rules_for(room)``: the district whose rule set applies."""
        return self.community.street.district


class Position(models.TextChoices):
    CHAIR = "chair", _("调解委员会主任")
    VICE_CHAIR = "vice_chair", _("调解委员会副主任")
    MEMBER = "member", _("调解委员会委员")
    HIRED = "hired", _("聘任调解员")


COMMITTEE_POSITIONS = (Position.CHAIR, Position.VICE_CHAIR, Position.MEMBER)


class MediatorPost(models.Model):
    """One term of one mediator in one room. A new term is a new row; the old one ends."""

    room = models.ForeignKey(Room, verbose_name=_("调解室"), on_delete=models.PROTECT, related_name="posts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), on_delete=models.PROTECT, related_name="mediator_posts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    mobile = models.CharField(_("手机"), max_length=11, blank=True, validators=[validate_mobile])
    position = models.CharField(_("职务"), max_length=12, choices=Position.choices)
    appointed_on = models.DateField(_("任职日期"))
    term_ends_on = models.DateField(_("任期届满"))
    left_on = models.DateField(_("离任日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("调解员任职")
        verbose_name_plural = _("调解员任职")
        ordering = ["room", "position", "appointed_on"]
        constraints = [
            models.CheckConstraint(condition=Q(term_ends_on__gt=F("appointed_on")), name="mediator_term_positive"),
            models.UniqueConstraint(
                fields=["room", "user"], condition=Q(left_on__isnull=True), name="mediator_one_open_post_per_room"
            ),
        ]

    def __str__(self):
        return bracketed(self.name, self.get_position_display())

    def serving_on(self, day) -> bool:
        return self.appointed_on <= day <= self.term_ends_on and (self.left_on is None or day < self.left_on)


# --------------------------------------------------------------------------- cases


class Category(models.TextChoices):
    FEES = "fees", _("物业费收缴")
    REPAIRS = "repairs", _("维修与渗漏")
    PARKING = "parking", _("停车管理")
    NOISE = "noise", _("噪声与扰民")
    COMMON_PARTS = "common", _("共有部分与公共收益")
    SERVICE = "service", _("服务质量")
    OTHER = "other", _("其他")


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("已登记")
    ACCEPTED = "accepted", _("已受理")
    REFUSED = "refused", _("当事人拒绝调解")
    MEDIATING = "mediating", _("调解中")
    AGREED = "agreed", _("达成协议")
    ENDED = "ended", _("调解终止（未达成协议）")
    FOLLOW_UP = "follow_up", _("回访中")
    CLOSED = "closed", _("已结案")


class SessionWish(models.TextChoices):
    NONE = "none", _("无要求")
    PUBLIC = "public", _("要求公开调解")
    PRIVATE = "private", _("要求不公开调解")


class Case(models.Model):
    """A dispute from its registration to its close: the case file of art. 27."""

    number = models.CharField(_("案号"), max_length=30, unique=True)
    room = models.ForeignKey(Room, verbose_name=_("调解室"), on_delete=models.PROTECT, related_name="cases")
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="mediation_cases")
    unit = models.ForeignKey(
        Unit, verbose_name=_("房屋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("纠纷类别"), max_length=10, choices=Category.choices)
    facts = models.TextField(_("纠纷事实"))
    claims = models.TextField(_("申请事项"))
    status = models.CharField(_("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.INTAKE)
    session_wish = models.CharField(
        _("公开调解意愿"), max_length=8, choices=SessionWish.choices, default=SessionWish.NONE
    )
    requested_mediator = models.ForeignKey(
        MediatorPost,
        verbose_name=_("当事人选择的调解员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refused_mediators = models.ManyToManyField(
        MediatorPost, verbose_name=_("当事人拒绝的调解员"), blank=True, related_name="+"
    )
    mediator = models.ForeignKey(
        MediatorPost,
        verbose_name=_("承办调解员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    opened_on = models.DateField(_("登记日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.TextField(_("终止或拒绝说明"), blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("调解案件")
        verbose_name_plural = _("调解案件")
        ordering = ["-opened_on", "-pk"]
        indexes = [models.Index(fields=["room", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="mediation_case_closes_after_opening",
            ),
        ]

    def __str__(self):
        return self.number


class Side(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")


class PartyKind(models.TextChoices):
    OWNER = "owner", _("业主")
    COMPANY = "company", _("物业服务企业")
    COMMITTEE = "committee", _("业主委员会")
    OTHER = "other", _("其他当事人")


class CaseParty(models.Model):
    """A party as the agreement names them; ``owner``/``company`` link the party to a login."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("身份"), max_length=10, choices=Side.choices)
    kind = models.CharField(_("类别"), max_length=10, choices=PartyKind.choices)
    owner = models.ForeignKey(
        Owner, verbose_name=_("业主"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("物业服务企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("姓名或名称"), max_length=100)
    representative = models.CharField(_("负责人或代理人"), max_length=50, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    mobile = models.CharField(_("联系电话"), max_length=11, blank=True, validators=[validate_mobile])
    refused = models.BooleanField(_("明确拒绝调解"), default=False)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["case", "side", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="owner") | Q(owner__isnull=False), name="mediation_owner_party_linked"
            ),
            models.CheckConstraint(
                condition=~Q(kind="company") | Q(company__isnull=False), name="mediation_company_party_linked"
            ),
        ]

    def __str__(self):
        return f"{self.get_side_display()} {self.name}"


class CaseStep(models.Model):
    """One step of a case: the status it reached, when, by whom, and what was said."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(_("状态"), max_length=10, choices=CaseStatus.choices)
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["case", "pk"]
        triggers = records.append_only("case_step_append_only")

    def __str__(self):
        return f"{self.case_id}: {self.get_status_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------- sessions


class SessionStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    HELD = "held", _("已举行")
    CANCELLED = "cancelled", _("已取消")


class Session(models.Model):
    """A mediation session booked in a room. Two sessions that are not cancelled never overlap
    in one room: PostgreSQL enforces it with an exclusion constraint over the time range."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="sessions")
    room = models.ForeignKey(Room, verbose_name=_("调解室"), on_delete=models.PROTECT, related_name="sessions")
    mediator = models.ForeignKey(
        MediatorPost, verbose_name=_("调解员"), on_delete=models.PROTECT, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    public = models.BooleanField(_("公开调解"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.BOOKED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("预约人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attendees = models.TextField(_("到场人员"), blank=True)
    record = models.TextField(_("调解笔录"), blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调解会")
        verbose_name_plural = _("调解会")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="mediation_session_ends_after_start"),
            PostgresExclusion(
                name="mediation_room_never_double_booked",
                expressions=[
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("room", RangeOperators.EQUAL),
                ],
                condition=~Q(status="cancelled"),
            ),
        ]

    def __str__(self):
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------- agreements


class AgreementForm(models.TextChoices):
    WRITTEN = "written", _("书面协议")
    ORAL = "oral", _("口头协议")


class Decision(models.TextChoices):
    CONFIRMED = "confirmed", _("裁定确认有效")
    REJECTED = "rejected", _("裁定驳回申请")


class Agreement(models.Model):
    """调解协议书 (art. 29), or an oral agreement the mediator records (arts. 28, 30)."""

    case = models.OneToOneField(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="agreement")
    number = models.CharField(_("协议编号"), max_length=30, unique=True)
    form = models.CharField(_("形式"), max_length=8, choices=AgreementForm.choices)
    facts = models.TextField(_("纠纷的主要事实"))
    issues = models.TextField(_("争议事项"))
    responsibility = models.TextField(_("各方当事人的责任"))
    terms = models.TextField(_("协议内容"))
    performance = models.TextField(_("履行方式"))
    perform_by = models.DateField(_("履行期限"))
    reached_on = models.DateField(_("达成日期"))
    mediator = models.ForeignKey(MediatorPost, verbose_name=_("调解员"), on_delete=models.PROTECT, related_name="+")
    mediator_signed_on = models.DateField(_("调解员签名日期"), null=True, blank=True)
    sealed_on = models.DateField(_("调解委员会盖章日期"), null=True, blank=True)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Judicial confirmation (art. 33): both parties apply jointly within the window.
    applied_on = models.DateField(_("申请司法确认日期"), null=True, blank=True)
    court = models.CharField(_("受理法院"), max_length=100, blank=True)
    court_extended = models.BooleanField(_("法院延长审查期限"), default=False)
    decided_on = models.DateField(_("法院裁定日期"), null=True, blank=True)
    decision = models.CharField(_("法院裁定"), max_length=10, choices=Decision.choices, blank=True)

    class Meta:
        verbose_name = _("调解协议")
        verbose_name_plural = _("调解协议")
        constraints = [
            models.CheckConstraint(
                condition=Q(perform_by__gte=F("reached_on")), name="mediation_perform_after_agreeing"
            ),
            models.CheckConstraint(
                condition=Q(applied_on__isnull=True) | Q(effective_on__isnull=False),
                name="mediation_confirmation_needs_effect",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(applied_on__isnull=False),
                name="mediation_decision_needs_application",
            ),
        ]

    def __str__(self):
        return self.number


class SignMethod(models.TextChoices):
    SIGN = "sign", _("签名")
    SEAL = "seal", _("盖章")
    FINGERPRINT = "fingerprint", _("按指印")


class Signature(models.Model):
    """A party's signature, seal or fingerprint on a written agreement, and its date."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("调解协议"), on_delete=models.CASCADE, related_name="signatures"
    )
    party = models.ForeignKey(CaseParty, verbose_name=_("当事人"), on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("方式"), max_length=12, choices=SignMethod.choices)
    signed_on = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("当事人签署")
        verbose_name_plural = _("当事人签署")
        constraints = [models.UniqueConstraint(fields=["agreement", "party"], name="mediation_one_signature_per_party")]

    def __str__(self):
        return f"{self.agreement_id}/{self.party_id}: {self.get_method_display()} {self.signed_on}"


# --------------------------------------------------------------------------- follow-ups


class Performance(models.TextChoices):
    FULL = "full", _("已全部履行")
    PARTIAL = "partial", _("部分履行")
    NONE = "none", _("尚未履行")
    OTHER_ROUTE = "other_route", _("已另行申请仲裁、行政处理或诉讼")
    SETTLED = "settled", _("纠纷已自行化解")


class FollowUp(models.Model):
    """A return visit: how the agreement is being performed, or what became of an ended case."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="follow_ups")
    visited_on = models.DateField(_("回访日期"))
    performance = models.CharField(_("履行情况"), max_length=12, choices=Performance.choices)
    notes = models.TextField(_("回访记录"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["case", "visited_on", "pk"]

    def __str__(self):
        return f"{self.case_id}: {self.visited_on} {self.get_performance_display()}"
