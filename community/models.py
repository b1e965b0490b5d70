"""The registry: territory tree, estates, units, owners, companies, contracts, rule set, roles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Coalesce, Right, Round
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from . import identifiers, records
from .rules import RULE_SPECS, SPECS_BY_NAME, Rules, validate_stored

# --------------------------------------------------------------------------- fields


def area_field(verbose_name, **kwargs):
    """Areas in m², two decimal places, always positive when present."""
    kwargs.setdefault("validators", [MinValueValidator(Decimal("0.01"))])
    return models.DecimalField(verbose_name, max_digits=10, decimal_places=2, **kwargs)


def money_field(verbose_name, **kwargs):
    """Money in yuan: Decimal with two places, wide enough for a district's yearly totals."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


USCC_INVALID = _("统一社会信用代码无效：应为 18 位，且校验位正确（GB 32100-2015）。")
RESIDENT_ID_INVALID = _("居民身份证号码无效：应为 18 位，出生日期真实，且校验位正确。")
MOBILE_INVALID = _("手机号码无效：应为以 1 开头的 11 位数字。")


def validate_uscc(value):
    if value and not identifiers.is_valid_uscc(value):
        raise ValidationError(USCC_INVALID, code="invalid")


def validate_resident_id(value):
    if value and not identifiers.is_valid_resident_id(value):
        raise ValidationError(RESIDENT_ID_INVALID, code="invalid")


def validate_mobile(value):
    if value and not identifiers.is_valid_mobile(value):
        raise ValidationError(MOBILE_INVALID, code="invalid")


# --------------------------------------------------------------------------- permissions
# The capabilities a role assignment grants on its scope object (django-guardian
# object permissions). Every scope model declares the ones that can be granted on it.

REGISTRY_PERMS = (
    ("view_registry", _("查看辖区登记信息")),
    ("change_registry", _("维护辖区登记信息")),
    ("view_personal_data", _("查看业主完整个人信息")),
    ("draft_notices", _("起草公告")),
    ("publish_notices", _("发布公告")),
    ("run_exams", _("组织培训考试、查看成绩")),
    ("convene_votes", _("召集业主表决、录入纸质表决票")),
    ("review_filings", _("审查业主委员会备案")),
    ("keep_accounts", _("收费记账、提出支出申请")),
    ("approve_spending", _("审批支出、发布收支报表")),
    ("review_fund", _("审核维修资金使用、管理维修资金专户")),
    ("open_cases", _("登记物业纠纷调解案件、查阅案卷")),
    ("dispatch_cases", _("分派、核查网格案件并结案")),
    ("handle_requests", _("受理、派工、办理居民报事报修和分派的案件")),
    ("assess_companies", _("物业服务企业信用评价：检查评分、异议处理、公布排名")),
    ("manage_branches", _("维护小区党支部、党员和交叉任职")),
    ("report_cases", _("向网格转办案件（城市平台接口）")),
)


# --------------------------------------------------------------------------- rule set


class RuleSet(models.Model):
    """A district's overrides of the national defaults; blank fields follow the default."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("规则集")
        verbose_name_plural = _("规则集")

    def __str__(self):
        return self.name

    def stored_values(self) -> dict:
        values = {}
        for spec in RULE_SPECS:
            raw = getattr(self, spec.name)
            values[spec.name] = None if raw in (None, "") else raw
        return values

    def resolve(self) -> Rules:
        return Rules(self.stored_values(), source=self.name)


@deconstructible
class RuleValueValidator:
    """Refuses a stored value that its rule cannot read (a bad threshold such as "2/3" without ≥)."""

    def __init__(self, rule_name):
        self.rule_name = rule_name

    def __call__(self, value):
        if value in (None, ""):
            return
        spec = SPECS_BY_NAME[self.rule_name]
        try:
            validate_stored(spec, value)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                _("“%(label)s”的值无效：%(error)s"), params={"label": spec.label, "error": exc}, code="invalid"
            ) from exc

    def __eq__(self, other):
        return isinstance(other, RuleValueValidator) and other.rule_name == self.rule_name


def _rule_field(spec):
    help_text = _("留空则采用全国默认值：%(default)s。依据：%(source)s") % {
        "default": spec.default,
        "source": spec.source,
    }
    if spec.kind == "int":
        return models.PositiveIntegerField(spec.label, null=True, blank=True, help_text=help_text)
    if spec.kind == "bool":
        return models.BooleanField(spec.label, null=True, blank=True, help_text=help_text)
    return models.CharField(
        spec.label,
        max_length=32,
        blank=True,
        default="",
        help_text=help_text,
        validators=[RuleValueValidator(spec.name)],
    )


for _spec in RULE_SPECS:
    RuleSet.add_to_class(_spec.name, _rule_field(_spec))


# --------------------------------------------------------------------------- territory


class District(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("规则集"), null=True, blank=True, on_delete=models.PROTECT, related_name="districts"
    )

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        permissions = REGISTRY_PERMS + (
            ("change_rules", _("修改本区规则集")),
            ("view_audit", _("查询、导出审计记录")),
        )

    def __str__(self):
        return self.name

    @property
    def district(self):
        return self


class Tracked(models.Model):
    """A row the city platform's API syncs by ``updated_since``: ``updated_at`` moves on every
    save, also a save with ``update_fields`` (the services save only the fields they change). A
    queryset ``.update()`` does not move it, so a service whose change the sync must see saves
    the row."""

    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)


class TerritoryNode(Tracked):
    """A street, community or grid: a named, coded cell of the district on which roles are held."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=32, unique=True)

    class Meta(Tracked.Meta):
        abstract = True
        ordering = ["code"]
        permissions = REGISTRY_PERMS

    def __str__(self):
        return self.name


class Street(TerritoryNode):
    district = models.ForeignKey(District, verbose_name=_("区"), on_delete=models.PROTECT, related_name="streets")

    class Meta(TerritoryNode.Meta):
        verbose_name = _("街道")
        verbose_name_plural = _("街道")


class Community(TerritoryNode):
    street = models.ForeignKey(Street, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="communities")

    class Meta(TerritoryNode.Meta):
        verbose_name = _("社区")
        verbose_name_plural = _("社区")


class Grid(TerritoryNode):
    community = models.ForeignKey(Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="grids")

    class Meta(TerritoryNode.Meta):
        verbose_name = _("网格")
        verbose_name_plural = _("网格")


class ManagementState(models.TextChoices):
    COMPANY = "company", _("物业服务企业管理")
    SELF = "self", _("业主自行管理")
    NONE = "none", _("无物业管理")


def managed_on(on: date) -> tuple[Exists, Exists]:
    """(under a contract, self-managed) on ``on``, for the estate of the outer query."""
    contract = ServiceContract.objects.in_force(on).filter(estate=OuterRef("pk"))
    self_managed = SelfManagementPeriod.objects.in_force(on).filter(estate=OuterRef("pk"))
    return Exists(contract), Exists(self_managed)


class EstateQuerySet(models.QuerySet):
    def with_management_state(self, on: date | None = None):
        """Annotate ``management_state`` as of ``on`` (today by default), derived from the records."""
        contract, self_managed = managed_on(on or timezone.localdate())
        return self.annotate(
            management_state=Case(
                When(contract, then=Value(ManagementState.COMPANY)),
                When(self_managed, then=Value(ManagementState.SELF)),
                default=Value(ManagementState.NONE),
                output_field=models.CharField(),
            )
        )


class Estate(Tracked):
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="estates")
    name = models.CharField(_("小区名称"), max_length=100)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    delivered_on = models.DateField(_("交付日期"), help_text=_("管理状态历史从此日起算。"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = EstateQuerySet.as_manager()

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["code"]
        permissions = REGISTRY_PERMS
        constraints = [models.UniqueConstraint(fields=["grid", "name"], name="estate_name_unique_in_grid")]
        indexes = [models.Index(fields=["name"], name="estate_name_idx")]

    def __str__(self):
        return self.name

    @property
    def community(self):
        return self.grid.community

    @property
    def street(self):
        return self.grid.community.street

    @property
    def district(self):
        return self.grid.community.street.district


class Building(models.Model):
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("楼栋"), max_length=50)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["estate", "id"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="building_name_unique_in_estate")]

    def __str__(self):
        return f"{self.estate} {self.name}"


# RULES.md §1: the register's area, else the surveyed area, else the sale-contract area.
AREA_SOURCES = ("registered_area", "surveyed_area", "contract_area")


def area_cents():
    """A unit's effective area in whole cents, as a query expression: SQLite hands back COALESCE
    of decimals as a float, and rounding that to cents is exact; sums of integers are exact on
    every database."""
    return Cast(Round(Coalesce(*AREA_SOURCES) * Value(100)), models.BigIntegerField())


class UnitQuerySet(models.QuerySet):
    def with_effective_area(self):
        return self.annotate(effective_area_db=Coalesce(*AREA_SOURCES))


class Unit(models.Model):
    building = models.ForeignKey(Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="units")
    room = models.CharField(_("房号"), max_length=20)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    registered_area = area_field(_("产权登记面积（㎡）"), null=True, blank=True)
    surveyed_area = area_field(_("实测面积（㎡）"), null=True, blank=True)
    contract_area = area_field(_("合同面积（㎡）"), null=True, blank=True)
    delivered = models.BooleanField(
        _("已交付"), default=True, help_text=_("开发建设单位已售但未交付的房屋，表决时计入开发建设单位。")
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["building", "room"]
        indexes = [models.Index(fields=["room"], name="unit_room_idx")]
        constraints = [
            models.UniqueConstraint(fields=["building", "room"], name="unit_room_unique_in_building"),
            models.CheckConstraint(
                condition=Q(registered_area__isnull=False)
                | Q(surveyed_area__isnull=False)
                | Q(contract_area__isnull=False),
                name="unit_has_an_area",
                violation_error_message=_("房屋至少要有一个面积：产权登记、实测或合同面积。"),
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__gt": 0}), name=f"unit_{f}_positive"
                )
                for f in AREA_SOURCES
            ],
        ]

    def __str__(self):
        return f"{self.building.name}-{self.room}"

    @property
    def effective_area(self) -> Decimal | None:
        """The area that counts for votes and apportionment (RULES.md §1)."""
        for field in AREA_SOURCES:
            value = getattr(self, field)
            if value is not None:
                return value
        return None

    @property
    def area_source(self) -> str:
        for field in AREA_SOURCES:
            if getattr(self, field) is not None:
                return str(self._meta.get_field(field).verbose_name)
        return ""


class OwnerKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "org", _("组织")


class Owner(models.Model):
    kind = models.CharField(_("类型"), max_length=10, choices=OwnerKind.choices, default=OwnerKind.PERSON)
    name = models.CharField(_("姓名/名称"), max_length=100)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True, validators=[validate_mobile])
    id_number = models.CharField(
        _("居民身份证号码"),
        max_length=18,
        blank=True,
        validators=[validate_resident_id],
        help_text=_("仅在确有需要时登记，任何页面只显示脱敏后的号码。"),
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc])
    # The last four digits, kept by the database itself, so "找尾号 5678" is an index lookup.
    mobile_tail = models.GeneratedField(
        expression=Right("mobile", 4), output_field=models.CharField(max_length=4), db_persist=True, db_index=True
    )
    is_developer = models.BooleanField(_("开发建设单位"), default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owner",
    )

    class Meta:
        verbose_name = _("业主")
        verbose_name_plural = _("业主")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=~Q(id_number=""), name="owner_id_number_unique"),
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="owner_uscc_unique"),
            models.CheckConstraint(
                condition=Q(kind=OwnerKind.PERSON, uscc="") | Q(kind=OwnerKind.ORGANISATION, id_number=""),
                name="owner_identifier_matches_kind",
                violation_error_message=_("自然人不登记统一社会信用代码，组织不登记身份证号码。"),
            ),
            models.CheckConstraint(
                condition=Q(is_developer=False) | Q(kind=OwnerKind.ORGANISATION),
                name="developer_is_organisation",
                violation_error_message=_("开发建设单位须为组织。"),
            ),
        ]
        indexes = [models.Index(fields=["mobile"], name="owner_mobile_idx"), models.Index(fields=["name"])]

    def __str__(self):
        return self.name


def in_force_q(on: date, prefix: str = "") -> Q:
    """In force on ``on``: from ``started_on`` to ``ended_on`` inclusive, a blank end open.
    ``prefix`` reaches the dates through a relation (``"ownerships__"``)."""
    return Q(**{f"{prefix}started_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": on})
    )


class InForceQuerySet(models.QuerySet):
    """Records in force from ``started_on`` to ``ended_on`` inclusive; a blank end is open."""

    def in_force(self, on: date | None = None):
        return self.filter(in_force_q(on or timezone.localdate()))


class Ownership(models.Model):
    """An owner's hold on a unit over a dated period. Co-owners share a unit in the same period."""

    unit = models.ForeignKey(Unit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="ownerships")
    owner = models.ForeignKey(Owner, verbose_name=_("业主"), on_delete=models.PROTECT, related_name="ownerships")
    started_on = models.DateField(_("起始日期"))
    ended_on = models.DateField(_("终止日期"), null=True, blank=True, help_text=_("最后一个持有日；空表示仍持有。"))

    objects = InForceQuerySet.as_manager()

    class Meta:
        verbose_name = _("产权")
        verbose_name_plural = _("产权")
        ordering = ["unit", "started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="ownership_ends_after_start",
                violation_error_message=_("终止日期不能早于起始日期。"),
            ),
            models.UniqueConstraint(
                fields=["unit", "owner"], condition=Q(ended_on__isnull=True), name="ownership_one_open_per_owner"
            ),
        ]
        indexes = [models.Index(fields=["unit", "ended_on"]), models.Index(fields=["owner", "ended_on"])]

    def __str__(self):
        return f"{self.unit} · {self.owner}"


# --------------------------------------------------------------------------- management


class PropertyCompany(Tracked):
    name = models.CharField(_("企业名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("物业服务企业")
        verbose_name_plural = _("物业服务企业")
        ordering = ["name"]
        # Company staff see and draft for the estates their company serves.
        permissions = (REGISTRY_PERMS[0], REGISTRY_PERMS[3], REGISTRY_PERMS[8], REGISTRY_PERMS[13])

    def __str__(self):
        return self.name


class ContractMode(models.TextChoices):
    LUMP_SUM = "lump_sum", _("包干制")
    REMUNERATION = "remuneration", _("酬金制")


class ContractQuerySet(models.QuerySet):
    def in_force(self, on: date):
        """Contracts whose term (cut short by an early termination) covers ``on``."""
        return self.annotate(effective_last_day=Coalesce("terminated_on", "ends_on")).filter(
            starts_on__lte=on, effective_last_day__gte=on
        )


class ServiceContract(Tracked):
    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="contracts")
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业服务企业"), on_delete=models.PROTECT, related_name="contracts"
    )
    mode = models.CharField(_("收费方式"), max_length=20, choices=ContractMode.choices)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("约定终止日期"))
    terminated_on = models.DateField(_("提前终止日期"), null=True, blank=True, help_text=_("合同实际最后一日。"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("物业服务合同")
        verbose_name_plural = _("物业服务合同")
        ordering = ["estate", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_start",
                violation_error_message=_("合同终止日期不能早于起始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True)
                | (Q(terminated_on__gte=models.F("starts_on")) & Q(terminated_on__lte=models.F("ends_on"))),
                name="contract_terminated_within_term",
                violation_error_message=_("提前终止日期须在合同期内。"),
            ),
        ]
        # The management history: a term stays as it was signed (a renewal is a new contract);
        # only its early end may be recorded, and then only brought forward (terminate_contract).
        triggers = records.append_only(
            "contract_terms_kept",
            allow=(
                f"IF {records.unchanged_but('terminated_on', 'updated_at')} AND NEW.terminated_on IS NOT NULL"
                " AND (OLD.terminated_on IS NULL OR NEW.terminated_on <= OLD.terminated_on) THEN RETURN NEW; END IF;"
            ),
        )

    def __str__(self):
        return f"{self.estate} · {self.company}（{self.starts_on}—{self.last_day}）"

    @property
    def last_day(self) -> date:
        return self.terminated_on or self.ends_on


class SelfManagementPeriod(Tracked):
    """A period in which the owners manage the estate themselves (Civil Code art. 284)."""

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="self_management")
    started_on = models.DateField(_("起始日期"))
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = InForceQuerySet.as_manager()

    class Meta:
        verbose_name = _("自行管理期间")
        verbose_name_plural = _("自行管理期间")
        ordering = ["estate", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="self_management_ends_after_start",
                violation_error_message=_("终止日期不能早于起始日期。"),
            ),
        ]
        # Like a contract's term: a period's end is recorded, or brought forward, never removed.
        triggers = records.append_only(
            "self_management_kept",
            allow=(
                f"IF {records.unchanged_but('ended_on', 'updated_at')} AND NEW.ended_on IS NOT NULL"
                " AND (OLD.ended_on IS NULL OR NEW.ended_on <= OLD.ended_on) THEN RETURN NEW; END IF;"
            ),
        )

    def __str__(self):
        return f"{self.estate} · {self.started_on}"


# --------------------------------------------------------------------------- roles


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("区管理员")
    STREET_STAFF = "street_staff", _("街道工作人员")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    GRID_WORKER = "grid_worker", _("网格员")
    COMMITTEE_MEMBER = "committee_member", _("业委会委员")
    COMPANY_STAFF = "company_staff", _("物业企业工作人员")
    MEDIATOR = "mediator", _("调解员")
    UNIT_STAFF = "unit_staff", _("处置单位工作人员")
    API_CLIENT = "api_client", _("接口客户端（外部系统）")


class RoleAssignment(models.Model):
    """A role held on one scope object. Created and removed only through ``community.services``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    scope_type = models.ForeignKey(ContentType, verbose_name=_("范围类型"), on_delete=models.PROTECT)
    scope_id = models.PositiveBigIntegerField(_("范围编号"))
    scope = GenericForeignKey("scope_type", "scope_id")
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授予人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "scope_type", "scope_id"], name="role_assignment_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope}"


# --------------------------------------------------------------------------- numbering


class NumberSequence(models.Model):
    """The last number issued for one series (a ledger, receipts, certificates) in one year.

    Taken with SELECT ... FOR UPDATE inside the transaction that uses the number
    (community.sequences.next_number), so a rolled-back use leaves no gap.
    """

    series = models.CharField(_("编号系列"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(_("已用到"), default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="number_sequence_unique")]
        # A counter only moves forward: a smaller number would be issued twice.
        triggers = records.append_only(
            "sequence_forward_only",
            allow=f"IF {records.unchanged_but('last')} AND NEW.last >= OLD.last THEN RETURN NEW; END IF;",
        )

    def __str__(self):
        return f"{self.series} {self.year}: {self.last}"


# --------------------------------------------------------------------------- background jobs


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """Work a user started and watches on its status page (community.jobs): an import, a
    billing run, a long PDF. The work and the job's "done" are committed together, so a job is
    done exactly when its work is written; a failed job wrote nothing."""

    kind = models.CharField(_("任务类型"), max_length=100)  # the Celery task's name
    title = models.CharField(_("任务"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="jobs"
    )
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    message = models.TextField(_("结果"), blank=True)  # what the work did, or why it failed, in words
    result_link = models.CharField(_("结果页面"), max_length=300, blank=True)
    result_file = models.FileField(_("结果文件"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("文件名"), max_length=200, blank=True)
    queue_note = models.CharField(_("队列说明"), max_length=300, blank=True)  # why it has not started yet
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="job_status_idx")]

    def __str__(self):
        return f"{self.title} · {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


# --------------------------------------------------------------------------- security


class Account(models.Model):
    """What the sign-in needs to know about a user beyond Django's own fields: when the password
    was last set (staff must change it after the rule set's limit) and the one staff session
    allowed at a time (signing in again ends the older one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="account"
    )
    password_changed_at = models.DateTimeField(_("密码设置时间"), null=True, blank=True)
    session_key = models.CharField(_("当前会话"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("账号安全信息")
        verbose_name_plural = _("账号安全信息")

    def __str__(self):
        return str(self.user)


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class AuditEvent(models.Model):
    """One line of the audit trail (安全审计): when, who, from where, what, on which object, with
    what result. Append-only: written through community.audit, never changed or deleted (on
    PostgreSQL a trigger refuses it). The user is kept as a plain number as well as a name, so
    that removing an account neither rewrites nor loses its history."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=50)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    result = models.CharField(_("结果"), max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["user", "at"], name="audit_user_idx"),
            models.Index(fields=["action", "at"], name="audit_action_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]
        triggers = [
            *records.append_only("audit_append_only"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action}"


class OpenDuty(models.Model):
    """A legal deadline still open, as ``community.duties.refresh`` last found it: the copy the
    navigation bar counts in one query (the sources themselves take a query or more each). The
    duty list page and the daily watch read the sources live and bring this table up to date."""

    key = models.CharField(_("标识"), max_length=200, unique=True)
    kind = models.CharField(_("类别"), max_length=40)
    what = models.CharField(_("事项"), max_length=300)
    last_day = models.DateField(_("最后一日"), db_index=True)
    perm = models.CharField(_("负责权限"), max_length=40)
    node_type = models.ForeignKey(
        ContentType, verbose_name=_("所属对象类型"), on_delete=models.CASCADE, related_name="+"
    )
    node_id = models.PositiveBigIntegerField(_("所属对象"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    refreshed_on = models.DateField(_("更新日期"))

    class Meta:
        verbose_name = _("待办法定期限")
        verbose_name_plural = _("待办法定期限")
        ordering = ["last_day", "key"]
        indexes = [models.Index(fields=["node_type", "node_id"], name="open_duty_node_idx")]

    def __str__(self):
        return f"{self.what} {self.last_day}"
