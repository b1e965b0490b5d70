"""Handling units (处置单位): the organisations cases are dispatched to, each with its own logins.

A property company's unit is made the first time one of its estates needs it (``company_unit``),
so its staff act on cases through the company role they already hold; its name follows the
company and its staff are the company's staff, so the pages here only show it. A utility's or a
department's unit is registered by the district (``register_unit``), renamed (``change_unit``),
taken out of use and back (``set_active``); its staff get a login and ``Role.UNIT_STAFF`` on the
unit (``add_staff``), which needs a second factor like every staff role, and lose the role again
(``remove_staff``).

Who manages the units: the district administrator, i.e. the holder of ``dispatch_cases`` on the
district itself. The units are where the district's cases are dispatched to, so the permission
that dispatches covers the register of who may receive them; community staff dispatch too but
hold it on their community only, and a unit serves the whole district. (``change_registry`` is
the registry of estates and owners, which grid workers also keep; a unit is not part of it.)
``access.can(user, perm, district)`` cannot answer this: a district is visible "from below" to
anyone with a grant inside it (so filters can name it), which would let community staff in. So
the district check reads the user's own grants on the district (``manages_district``), and a
unit once registered is checked with ``access.require(actor, MANAGE, unit)``, which holds only
through the district (a ``HandlingUnit`` hangs under its district, registered in ``grid.apps``).

Who reads the list: district, street and community staff of the unit's district (those with a
``view_registry`` grant on the district, a street or a community in it), so the staff who
dispatch see where to.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from community import access, audit
from community import services as registry
from community.identifiers import is_valid_mobile
from community.locks import lock_one
from community.models import Account, District, PropertyCompany, Role, RoleAssignment, Street
from community.models import Community as CommunityNode
from residents.models import VerifiedMobile

from .models import OPEN_STATUSES, GridCase, HandlingUnit, UnitKind

MANAGE = access.DISPATCH_CASES
# The kinds the district registers; a company's unit comes with the company (company_unit).
REGISTERED_KINDS = (UnitKind.UTILITY, UnitKind.DEPARTMENT)

NAME_MISSING = _("请填写单位名称。")
NAME_TOO_LONG = _("单位名称不能超过 %(n)s 个字。")
NAME_TAKEN = _("本区已有名为“%(name)s”的处置单位。")
KIND_NOT_REGISTERED = _("这里只登记公用事业单位和政府部门；物业服务企业的处置单位随企业自动设立。")
PHONE_INVALID = _("联系电话只能由数字和“-”组成，7 至 20 位。")
COMPANY_UNIT = _("物业服务企业的处置单位随企业设立，其工作人员即企业的工作人员，不在此处管理。")
ALREADY_ACTIVE = _("该单位已在用。")
ALREADY_INACTIVE = _("该单位已停用。")
STAFF_NAME_MISSING = _("请填写工作人员姓名。")
MOBILE_INVALID = _("手机号码应为 1 开头的 11 位数字。")
ALREADY_STAFF = _("该账号已是本单位的工作人员。")
ACCOUNT_DISABLED = _("该手机号对应的账号已停用，请联系系统管理员。")
NOT_STAFF = _("该账号不是本单位的工作人员。")


# --------------------------------------------------------------------------- reads


def manages_district(user, district: District) -> bool:
    """Whether ``user`` administers ``district``'s handling units: ``dispatch_cases`` held on the
    district itself (not inherited from below, see the module's note)."""
    return access.holds_on(user, MANAGE, district)


def manageable_districts(user) -> QuerySet:
    """The districts whose units ``user`` may register (the create form's choices)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return District.objects.order_by("code")
    return District.objects.filter(pk__in=access.granted_scopes(user, MANAGE).get(District, set())).order_by("code")


def readable_districts(user) -> QuerySet:
    """The districts whose units ``user`` may list: those of their district, street or community
    ``view_registry`` grants (grid workers, committees, companies and residents have none here)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return District.objects.all()
    scopes = access.granted_scopes(user, access.VIEW)
    held = Q(pk__in=scopes.get(District, set()))
    held |= Q(pk__in=Street.objects.filter(pk__in=scopes.get(Street, set())).values("district"))
    held |= Q(pk__in=CommunityNode.objects.filter(pk__in=scopes.get(CommunityNode, set())).values("street__district"))
    return District.objects.filter(held)


def may_read_units(user) -> bool:
    return readable_districts(user).exists()


def _staff_count(role: str, model, ref: str) -> Coalesce:
    rows = (
        RoleAssignment.objects.filter(
            role=role, scope_type=ContentType.objects.get_for_model(model), scope_id=OuterRef(ref)
        )
        .order_by()
        .values("scope_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def units_for(user) -> QuerySet:
    """The handling units of the districts ``user`` may read, each with its number of staff
    (a company's: the company's staff). One query."""
    return (
        HandlingUnit.objects.filter(district__in=readable_districts(user))
        .select_related("district", "company")
        .annotate(
            unit_staff=_staff_count(Role.UNIT_STAFF, HandlingUnit, "pk"),
            company_staff=_staff_count(Role.COMPANY_STAFF, PropertyCompany, "company_id"),
        )
        .order_by("district__code", "-active", "kind", "name")
    )


def staff_of(unit: HandlingUnit) -> list[RoleAssignment]:
    """The role assignments that make people the unit's staff (a company unit: the company's),
    with their accounts. One query."""
    if unit.kind == UnitKind.COMPANY:
        role, scope = Role.COMPANY_STAFF, unit.company
    else:
        role, scope = Role.UNIT_STAFF, unit
    return list(
        RoleAssignment.objects.filter(role=role, scope_type=ContentType.objects.get_for_model(scope), scope_id=scope.pk)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )


def may_manage(user, unit: HandlingUnit) -> bool:
    """Whether ``user`` may rename the unit, take it out of use and manage its staff."""
    return unit.kind != UnitKind.COMPANY and access.can(user, MANAGE, unit)


# --------------------------------------------------------------------------- company units


def _company_unit_name(company: PropertyCompany, district: District) -> str:
    """The company's name, or, when a unit of the district already bears it (a utility named like
    the company), the name with the company's credit code, then a number."""
    taken = set(
        HandlingUnit.objects.filter(district=district, name__startswith=company.name).values_list("name", flat=True)
    )
    candidates = [company.name, f"{company.name}（{company.uscc}）"]
    candidates += [f"{company.name}（{company.uscc}-{n}）" for n in range(2, 100)]
    return next(name for name in candidates if name not in taken)


def company_unit(company: PropertyCompany, *, district: District) -> HandlingUnit:
    """The handling unit that stands for ``company`` (created in ``district`` the first time).

    Safe to call again and from two requests at once (the company has one unit), and safe when
    another unit of the district already bears the company's name (the new one's name then
    carries the company's credit code). Runs in the caller's transaction."""
    for _attempt in range(3):
        unit = HandlingUnit.objects.filter(company=company).first()
        if unit is not None:
            return unit
        name = _company_unit_name(company, district)
        try:
            with transaction.atomic():
                return HandlingUnit.objects.create(company=company, district=district, name=name, kind=UnitKind.COMPANY)
        except IntegrityError:
            continue  # made a moment ago by another request, or its name was just taken: look again
    raise IntegrityError(f"no handling unit could be made for company {company.pk}")


# --------------------------------------------------------------------------- the district's units


def _require_district(actor, district: District) -> None:
    if actor is not None and not manages_district(actor, district):
        raise PermissionDenied(access.NOT_ALLOWED)


def _require_unit(actor, unit: HandlingUnit) -> None:
    access.require(actor, MANAGE, unit)
    if unit.kind == UnitKind.COMPANY:
        raise ValidationError(COMPANY_UNIT)


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(NAME_MISSING)
    if len(name) > HandlingUnit._meta.get_field("name").max_length:
        raise ValidationError(NAME_TOO_LONG, params={"n": HandlingUnit._meta.get_field("name").max_length})
    return name


def _phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if phone and not (7 <= len(phone) <= 20 and all(c.isdigit() or c == "-" for c in phone)):
        raise ValidationError(PHONE_INVALID)
    return phone


def _name_free(district: District, name: str, *, but: HandlingUnit | None = None) -> None:
    others = HandlingUnit.objects.filter(district=district, name=name)
    if but is not None:
        others = others.exclude(pk=but.pk)
    if others.exists():
        raise ValidationError(NAME_TAKEN, params={"name": name})


def _save(unit: HandlingUnit) -> None:
    """Save, turning a name taken a moment ago by someone else into the same refusal."""
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        raise ValidationError(NAME_TAKEN, params={"name": unit.name}) from None


@transaction.atomic
def register_unit(*, actor, district: District, name: str, kind: str, phone: str = "") -> HandlingUnit:
    """Register a public utility or a government department as a handling unit of ``district``."""
    _require_district(actor, district)
    name, phone = _name(name), _phone(phone)
    if kind not in REGISTERED_KINDS:
        raise ValidationError(KIND_NOT_REGISTERED)
    _name_free(district, name)
    unit = HandlingUnit(district=district, name=name, kind=kind, phone=phone)
    _save(unit)
    audit.record("handling_unit_create", user=actor, obj=unit, detail={"kind": kind, "district": district.name})
    return unit


@transaction.atomic
def change_unit(*, actor, unit: HandlingUnit, name: str, kind: str, phone: str = "") -> HandlingUnit:
    """Rename a utility's or a department's unit, change its kind or its phone."""
    _require_unit(actor, unit)
    name, phone = _name(name), _phone(phone)
    if kind not in REGISTERED_KINDS:
        raise ValidationError(KIND_NOT_REGISTERED)
    unit = lock_one(HandlingUnit, pk=unit.pk)
    _name_free(unit.district, name, but=unit)
    before = {"name": unit.name, "kind": unit.kind, "phone": unit.phone}
    unit.name, unit.kind, unit.phone = name, kind, phone
    _save(unit)
    after = {"name": name, "kind": kind, "phone": phone}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    audit.record("handling_unit_change", user=actor, obj=unit, detail=changed)
    return unit


@transaction.atomic
def set_active(*, actor, unit: HandlingUnit, active: bool) -> HandlingUnit:
    """Take a unit out of use (no new case may be dispatched to it; its staff finish the cases
    they have) or back into use."""
    _require_unit(actor, unit)
    unit = lock_one(HandlingUnit, pk=unit.pk)
    if unit.active == active:
        raise ValidationError(ALREADY_ACTIVE if active else ALREADY_INACTIVE)
    unit.active = active
    unit.save(update_fields=["active"])
    audit.record("handling_unit_change", user=actor, obj=unit, detail={"active": [not active, active]})
    return unit


# --------------------------------------------------------------------------- staff logins


@dataclass
class StaffAdded:
    user: object
    password: str  # the new account's first password, shown once; "" for an account reused


def first_password() -> str:
    """A random first password that passes the password rules (length, three kinds of
    character); the staff member changes it at the first sign-in."""
    alphabet = string.ascii_letters + string.digits
    while True:
        word = "".join(secrets.choice(alphabet) for _i in range(12))
        if any(c.islower() for c in word) and any(c.isupper() for c in word) and any(c.isdigit() for c in word):
            return word


def _account_for(mobile: str):
    """The account this mobile already signs in with (as its login name, or proved by SMS)."""
    User = get_user_model()
    user = User.objects.filter(username=mobile).first()
    if user is None:
        proved = VerifiedMobile.objects.filter(mobile=mobile).select_related("user").first()
        user = proved.user if proved is not None else None
    return user


@transaction.atomic
def add_staff(*, actor, unit: HandlingUnit, name: str, mobile: str) -> StaffAdded:
    """Give a unit's staff member a login: their existing account (found by mobile), or a new
    one named by the mobile with a random first password; and ``Role.UNIT_STAFF`` on the unit.

    The role needs a second factor: at the first sign-in the member enrols an authenticator
    (``community.identity``), and a new account changes its first password before anything else
    (its password date is left empty, which the sign-in treats as expired)."""
    _require_unit(actor, unit)
    name = " ".join((name or "").split())
    mobile = (mobile or "").strip()
    if not name:
        raise ValidationError(STAFF_NAME_MISSING)
    if not is_valid_mobile(mobile):
        raise ValidationError(MOBILE_INVALID)
    unit = lock_one(HandlingUnit, pk=unit.pk)
    user, password = _account_for(mobile), ""
    if user is not None:
        if not user.is_active:
            raise ValidationError(ACCOUNT_DISABLED)
        held = RoleAssignment.objects.filter(
            user=user, role=Role.UNIT_STAFF, scope_type=ContentType.objects.get_for_model(unit), scope_id=unit.pk
        )
        if held.exists():
            raise ValidationError(ALREADY_STAFF)
        if not user.first_name:
            user.first_name = name[:150]
            user.save(update_fields=["first_name"])
    else:
        password = first_password()
        user = get_user_model()(username=mobile, first_name=name[:150])
        user.set_password(password)
        user.save()
        # No date: the first sign-in asks for a new password (identity.password_expired).
        Account.objects.update_or_create(user=user, defaults={"password_changed_at": None})
    # The district's administrator is checked above; the role follows (as a mediator's does).
    registry.assign_role(actor=None, user=user, role=Role.UNIT_STAFF, scope=unit)
    audit.record(
        "unit_staff_add",
        user=actor,
        obj=unit,
        detail={"user": user.get_username(), "new_account": bool(password)},
    )
    return StaffAdded(user=user, password=password)


@transaction.atomic
def remove_staff(*, actor, unit: HandlingUnit, user) -> int:
    """Take ``Role.UNIT_STAFF`` on the unit from ``user`` (their account stays, with any other
    role it holds). Returns the number of the unit's open cases they still handle, which the
    unit must hand to someone else."""
    _require_unit(actor, unit)
    unit = lock_one(HandlingUnit, pk=unit.pk)
    assignment = RoleAssignment.objects.filter(
        user=user, role=Role.UNIT_STAFF, scope_type=ContentType.objects.get_for_model(unit), scope_id=unit.pk
    ).first()
    if assignment is None:
        raise ValidationError(NOT_STAFF)
    registry.revoke_role(actor=None, assignment=assignment)
    audit.record("unit_staff_remove", user=actor, obj=unit, detail={"user": user.get_username()})
    return GridCase.objects.filter(handling_unit=unit, handler=user, status__in=OPEN_STATUSES).count()
