"""Every change to the registry goes through one of these functions: roles, estates,
buildings, units, owners and their holdings. Who manages an estate (companies, contracts,
self-management) changes through ``community.tenure.services``.

Each is keyword-only and atomic, checks the actor's access, validates, then
writes. The admin, the views, ``seed_demo`` and the tests all call them, so a
rule holds on every path. ``actor=None`` means the system itself (migrations,
``seed_demo``): it is never reachable from a request.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm, remove_perm

from . import access, audit
from .locks import lock_rows
from .models import (
    Building,
    Estate,
    Grid,
    Owner,
    Ownership,
    PropertyCompany,
    Role,
    RoleAssignment,
    Unit,
)
from .signals import roles_changed

NOT_ALLOWED = access.NOT_ALLOWED
WRONG_SCOPE = _("“%(role)s”只能分配在%(scope)s上。")
ALREADY_ASSIGNED = _("该用户已在此范围担任此角色。")
NO_NEW_OWNERS = _("过户至少要有一位新业主。")
TRANSFER_BEFORE_START = _("过户日期不能早于现业主的起始日期（%(date)s）。")
DUPLICATE_ROOM = _("房号重复：%(room)s。")
DUPLICATE_BUILDING = _("楼栋名称重复：%(name)s。")
OWNERSHIP_ENDS_BEFORE_START = _("产权终止日期不能早于起始日期。")
NO_AREA = _("房屋 %(room)s 没有面积：产权登记、实测、合同面积至少填一项。")
UNIT_NOT_IN_ESTATE = _("房屋 %(unit)s 不属于小区 %(estate)s。")
DELIVERED_WITHOUT_OWNER = _(
    "%(unit)s 已交付但没有登记业主：已交付的房屋须有业主。请先通过导入或过户登记业主；"
    "未售或已售未交付的房屋请将“已交付”设为否（由开发建设单位持有）。"
)


# --------------------------------------------------------------------------- roles


def check_role(*, user, role: str, scope) -> None:
    """Raise ValidationError unless ``role`` may be held by ``user`` on ``scope``."""
    expected = access.scope_models(role)
    if not isinstance(scope, expected):
        names = "、".join(str(model._meta.verbose_name) for model in expected)
        raise ValidationError(WRONG_SCOPE, params={"role": Role(role).label, "scope": names})
    scope_type = ContentType.objects.get_for_model(scope)
    if RoleAssignment.objects.filter(user=user, role=role, scope_type=scope_type, scope_id=scope.pk).exists():
        raise ValidationError(ALREADY_ASSIGNED)


@transaction.atomic
def assign_role(*, actor, user, role: str, scope) -> RoleAssignment:
    """Give ``user`` a role on ``scope`` and grant its object permissions there."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(NOT_ALLOWED)
    check_role(user=user, role=role, scope=scope)
    scope_type = ContentType.objects.get_for_model(scope)
    assignment = RoleAssignment.objects.create(
        user=user, role=role, scope_type=scope_type, scope_id=scope.pk, granted_by=actor
    )
    for perm in access.ROLE_PERMS[role]:
        assign_perm(perm, user, scope)
    if role in access.ADMIN_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    access.forget(user)
    roles_changed.send(sender=RoleAssignment, user=user)
    audit.record("role_grant", user=actor, obj=assignment, detail={"user": user.username, "role": role})
    return assignment


@transaction.atomic
def revoke_role(*, actor, assignment: RoleAssignment) -> None:
    """Remove a role; permissions another of the user's roles grants on the same scope stay."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(NOT_ALLOWED)
    user, scope = assignment.user, assignment.scope
    audit.record("role_revoke", user=actor, obj=assignment, detail={"user": user.username, "role": assignment.role})
    assignment.delete()
    siblings = RoleAssignment.objects.filter(user=user, scope_type=assignment.scope_type, scope_id=assignment.scope_id)
    still = {perm for other in siblings for perm in access.ROLE_PERMS[other.role]}
    for perm in set(access.ROLE_PERMS[assignment.role]) - still:
        remove_perm(perm, user, scope)
    if user.is_staff and not user.is_superuser:
        if not RoleAssignment.objects.filter(user=user, role__in=access.ADMIN_ROLES).exists():
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    access.forget(user)
    roles_changed.send(sender=RoleAssignment, user=user)


# --------------------------------------------------------------------------- registry


@dataclass
class UnitSpec:
    room: str
    registered_area: Decimal | None = None
    surveyed_area: Decimal | None = None
    contract_area: Decimal | None = None
    floor: int | None = None
    delivered: bool = True


@dataclass
class BuildingSpec:
    name: str
    units: list[UnitSpec] = field(default_factory=list)


@transaction.atomic
def register_estate(
    *, actor, grid: Grid, name: str, code: str, delivered_on: date, address: str = "", buildings=()
) -> Estate:
    """Register an estate with its buildings and units in one transaction (bulk inserts)."""
    access.require(actor, access.CHANGE, grid)
    estate = Estate(grid=grid, name=name, code=code, address=address, delivered_on=delivered_on)
    estate.full_clean()
    estate.save()
    _add_buildings(estate, buildings)
    audit.record(
        "registry_create",
        user=actor,
        obj=estate,
        detail={"buildings": len(buildings), "units": sum(len(b.units) for b in buildings)},
    )
    return estate


@transaction.atomic
def add_buildings(*, actor, estate: Estate, buildings) -> list[Building]:
    access.require(actor, access.CHANGE, estate)
    created = _add_buildings(estate, buildings)
    audit.record(
        "registry_create",
        user=actor,
        obj=estate,
        detail={"buildings": [b.name for b in buildings], "units": sum(len(b.units) for b in buildings)},
    )
    return created


def _add_buildings(estate: Estate, buildings) -> list[Building]:
    names = Counter(b.name for b in buildings)
    dup = {n for n, k in names.items() if k > 1} | set(
        Building.objects.filter(estate=estate, name__in=names).values_list("name", flat=True)
    )
    if dup:
        raise ValidationError(DUPLICATE_BUILDING, params={"name": "、".join(sorted(dup))})
    created = Building.objects.bulk_create([Building(estate=estate, name=b.name) for b in buildings])
    units = []
    for building, spec in zip(created, buildings, strict=False):
        dup_rooms = {r for r, k in Counter(u.room for u in spec.units).items() if k > 1}
        if dup_rooms:
            raise ValidationError(DUPLICATE_ROOM, params={"room": "、".join(sorted(dup_rooms))})
        for u in spec.units:
            unit = Unit(
                building=building,
                room=u.room,
                floor=u.floor,
                registered_area=u.registered_area,
                surveyed_area=u.surveyed_area,
                contract_area=u.contract_area,
                delivered=u.delivered,
            )
            if unit.effective_area is None:
                raise ValidationError(NO_AREA, params={"room": f"{spec.name}-{u.room}"})
            # Constraints are the database's job here: checking them row by row
            # would cost a query per unit per constraint.
            unit.full_clean(exclude=["building"], validate_unique=False, validate_constraints=False)
            units.append(unit)
    Unit.objects.bulk_create(units, batch_size=2000)
    return created


@transaction.atomic
def save_registry_object(*, actor, obj, perm: str = access.CHANGE):
    """Validate and save one registry row edited by hand (the admin's path).

    The actor needs ``perm`` on the row as it was and on the parent it now
    hangs under, so nothing can be moved out of, or into, someone else's scope.
    Territory roots (districts) are the superuser's; owners and companies are
    not tied to one scope and need ``perm`` somewhere.
    """
    if actor is not None and not actor.is_superuser:
        model = type(obj)
        if obj.pk is not None:
            access.require(actor, perm, model._default_manager.get(pk=obj.pk))
        if model in access.PARENT:
            access.require(actor, perm, getattr(obj, access.PARENT[model]))
        elif model not in (Owner, PropertyCompany) or not access.holds_anywhere(actor, perm):
            raise PermissionDenied(NOT_ALLOWED)
    obj.full_clean()
    if isinstance(obj, Unit):
        check_unit_held(obj)
    created = obj.pk is None
    obj.save()
    audit.record("registry_create" if created else "registry_change", user=actor, obj=obj)
    return obj


def check_unit_held(unit: Unit, *, on: date | None = None) -> None:
    """A unit saved by hand (the admin) as delivered must have an owner in force: a new unit has
    none yet, so it is registered undelivered (the developer's) and its owners come through the
    import or a transfer; an owned unit may be marked delivered at any time."""
    if not unit.delivered:
        return
    if unit.pk is not None and Ownership.objects.in_force(on).filter(unit_id=unit.pk).exists():
        return
    label = f"{unit.building.name} {unit.room}" if unit.building_id else unit.room
    raise ValidationError(DELIVERED_WITHOUT_OWNER, params={"unit": label}, code="delivered_without_owner")


@transaction.atomic
def register_owners(*, actor, owners: list[Owner]) -> list[Owner]:
    """Create owners in bulk; uniqueness (ID number, credit code) is the database's to enforce."""
    if actor is not None and not access.holds_anywhere(actor, access.CHANGE):
        raise PermissionDenied(NOT_ALLOWED)
    for owner in owners:
        owner.full_clean(validate_unique=False, validate_constraints=False)
    created = Owner.objects.bulk_create(owners, batch_size=1000)
    audit.record("registry_create", user=actor, obj=("community.owner", "", _("业主")), detail={"owners": len(created)})
    return created


@transaction.atomic
def record_ownerships(*, actor, estate: Estate, ownerships: list[Ownership]) -> list[Ownership]:
    """Record holdings of units in one estate (first registration or history brought in)."""
    access.require(actor, access.CHANGE, estate)
    unit_ids = {o.unit_id for o in ownerships}
    inside = set(Unit.objects.filter(pk__in=unit_ids, building__estate=estate).values_list("pk", flat=True))
    stray = unit_ids - inside
    if stray:
        raise ValidationError(UNIT_NOT_IN_ESTATE, params={"unit": min(stray), "estate": estate})
    for ownership in ownerships:
        ownership.full_clean(exclude=["unit", "owner"], validate_unique=False, validate_constraints=False)
        if ownership.ended_on is not None and ownership.ended_on < ownership.started_on:
            raise ValidationError(OWNERSHIP_ENDS_BEFORE_START)
    created = Ownership.objects.bulk_create(ownerships, batch_size=2000)
    audit.record("registry_create", user=actor, obj=estate, detail={"ownerships": len(created)})
    return created


@transaction.atomic
def transfer_unit(*, actor, unit: Unit, new_owners: list[Owner], on: date) -> list[Ownership]:
    """A sale: the current ownership ends the day before ``on``, the new owners hold from ``on``."""
    access.require(actor, access.CHANGE, unit)
    if not new_owners:
        raise ValidationError(NO_NEW_OWNERS)
    current = lock_rows(Ownership.objects.filter(unit=unit, ended_on__isnull=True))
    for ownership in current:
        if ownership.started_on >= on:
            raise ValidationError(TRANSFER_BEFORE_START, params={"date": ownership.started_on})
        ownership.ended_on = on - timedelta(days=1)
        ownership.save(update_fields=["ended_on"])
    created = Ownership.objects.bulk_create(
        [Ownership(unit=unit, owner=owner, started_on=on) for owner in dict.fromkeys(new_owners)]
    )
    audit.record(
        "registry_transfer",
        user=actor,
        obj=unit,
        detail={"on": on.isoformat(), "ended": [o.pk for o in current], "owners": [o.owner_id for o in created]},
    )
    return created
