"""Bringing one estate's units and owners in from a spreadsheet: preview, then import.

``preview_import`` reads the file, checks every row against itself and against
the registry, and says what an import would add, change and leave alone; it
writes nothing. ``import_registry`` does the same checks again under the
estate's row lock and, only when no row has an error, writes everything in one
transaction. A re-import of the same (or a corrected) file finds what it wrote
before by natural key, so it never duplicates:

* a unit by estate + building name + room;
* an owner by ID number (or credit code), else by mobile, else by name among
  the unit's current owners.

Blank ID and mobile cells keep what the registry has; the unit columns are the
truth for the unit. A unit row with no owner leaves the unit's holdings alone.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, audit, hc_import, uploads
from .locks import hold
from .models import Building, Estate, Job, JobStatus, Owner, OwnerKind, Ownership, Unit
from .privacy import mask_id_number, mask_mobile
from .registry_import import ID_NUMBER, MOBILE, NAME, SINCE, OwnerRow, UnitRow, parse
from .spreadsheet import RowError

UNIT_FIELDS = ("floor", "registered_area", "surveyed_area", "contract_area", "delivered")
OWNER_COLUMNS = ("kind", "name", "mobile", "id_number", "uscc", "is_developer")
NATIVE, HC = "native", "hc"  # the file layouts an import reads: ours, and HC小区's 资产信息 workbook


@dataclass
class MemberPlan:
    """What an import does to the household members (家庭成员/租户) its file names: filled in by
    the hook residents registers (``register_member_import``); community only counts it."""

    new: list = field(default_factory=list)  # MemberRow: a new invitation
    changed: list = field(default_factory=list)  # (household, MemberRow): its relation changes
    closing: list = field(default_factory=list)  # households whose inviter no longer holds the unit
    unchanged: int = 0


_member_hook: dict = {}


def register_member_import(*, plan, write) -> None:
    """residents says how a file's household members are planned and written (community cannot
    import residents). ``plan(estate=, rows=[(MemberRow, Unit | None, {owner pks holding after})],
    today=) -> (MemberPlan, [RowError])`` reads only; ``write(actor=, estate=, plan=, resolve=, now=)``
    runs inside the import's transaction, ``resolve(MemberRow) -> (Unit, inviting Owner)``."""
    _member_hook.update(plan=plan, write=write)


STEPS = 6  # progress ticks of an import: read, compare, buildings and units, owners, holdings, done


class ImportRefused(ValidationError):
    """The file has errors; ``rows`` lists each with its row and column. Nothing was written."""

    def __init__(self, rows: list[RowError]):
        super().__init__([str(e) for e in rows])
        self.rows = rows


@dataclass
class Plan:
    """What an import of one file into one estate adds, changes and leaves alone."""

    estate: Estate
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_buildings: list[str] = field(default_factory=list)
    new_units: list[UnitRow] = field(default_factory=list)
    changed_units: list[tuple[Unit, UnitRow, list[str]]] = field(default_factory=list)
    unchanged_units: int = 0
    new_owners: dict = field(default_factory=dict)  # key → OwnerRow (first row of that owner)
    changed_owners: dict = field(default_factory=dict)  # owner pk → (Owner, OwnerRow, [fields])
    unchanged_owners: int = 0
    new_holdings: list[tuple[UnitRow, OwnerRow, object, date]] = field(
        default_factory=list
    )  # (unit, owner row, target, since)
    ended_holdings: list[tuple[Ownership, date, UnitRow]] = field(default_factory=list)
    known_units: dict = field(default_factory=dict)  # (building, room) → the registry's Unit
    layout: str = NATIVE
    report: hc_import.Report | None = None  # an HC file: rows mapped per kind, columns left out
    members: list = field(default_factory=list)  # MemberRow
    member_plan: MemberPlan = field(default_factory=MemberPlan)
    inviter: dict = field(default_factory=dict)  # (building, room) → Owner or OwnerRow inviting its members

    @property
    def changes(self) -> int:
        return (
            len(self.member_plan.new)
            + len(self.member_plan.changed)
            + len(self.member_plan.closing)
            + len(self.new_units)
            + len(self.changed_units)
            + len(self.new_owners)
            + len(self.changed_owners)
            + len(self.new_holdings)
            + len(self.ended_holdings)
        )

    def lines(self, limit: int = 200) -> list[str]:
        """Each change in words, for the preview (personal numbers masked)."""
        out = [_("%(unit)s：新增房屋") % {"unit": u.label} for u in self.new_units]
        for unit, row, fields in self.changed_units:
            out.append(
                _("%(unit)s：%(changes)s")
                % {
                    "unit": row.label,
                    "changes": "；".join(
                        f"{Unit._meta.get_field(f).verbose_name} {_show(getattr(unit, f))} → {_show(getattr(row, f))}"
                        for f in fields
                    ),
                }
            )
        first_unit = {}
        for u, o, _target, _since in self.new_holdings:
            first_unit.setdefault(id(o), u.label)
        out += [
            _("新增业主：%(name)s（%(unit)s）") % {"name": o.name, "unit": first_unit.get(id(o), "")}
            for o in self.new_owners.values()
        ]
        for owner, row, fields in self.changed_owners.values():
            out.append(
                _("业主 %(name)s：%(changes)s")
                % {
                    "name": owner.name,
                    "changes": "；".join(
                        f"{Owner._meta.get_field(f).verbose_name} "
                        f"{_mask(f, getattr(owner, f))} → {_mask(f, _owner_value(row, f))}"
                        for f in fields
                    ),
                }
            )
        out += [
            _("%(unit)s：%(name)s 自 %(since)s 起持有") % {"unit": u.label, "name": o.name, "since": since}
            for u, o, _target, since in self.new_holdings
        ]
        out += [
            _("%(unit)s：%(name)s 的产权于 %(last)s 终止") % {"unit": u.label, "name": h.owner.name, "last": last}
            for h, last, u in self.ended_holdings
        ]
        relation = {"family": _("家庭成员"), "tenant": _("租户")}
        out += [
            _("%(unit)s：邀请%(relation)s %(name)s（%(mobile)s），凭此号码注册后加入")
            % {
                "unit": m.label,
                "relation": relation[m.relation],
                "name": m.name or "—",
                "mobile": mask_mobile(m.mobile),
            }
            for m in self.member_plan.new
        ]
        out += [
            _("%(unit)s：%(mobile)s 改为%(relation)s")
            % {"unit": m.label, "relation": relation[m.relation], "mobile": mask_mobile(m.mobile)}
            for _h, m in self.member_plan.changed
        ]
        return out[:limit]


def _show(value) -> str:
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return "—" if value is None else str(value)


def _mask(field_name, value) -> str:
    if not value:
        return "—"
    if field_name == "mobile":
        return mask_mobile(value)
    if field_name in ("id_number", "uscc"):
        return mask_id_number(value)
    return value


def _owner_value(row: OwnerRow, field_name: str) -> str:
    if field_name in ("id_number", "uscc"):
        return row.id_number
    return getattr(row, field_name)


def _id_field(kind: str) -> str:
    return "uscc" if kind == OwnerKind.ORGANISATION else "id_number"


def _ownerless_rows(estate: Estate, units: list[UnitRow], today: date) -> list[RowError]:
    """A delivered unit must have an owner: a delivered row that names none, for a unit the
    registry has no owner in force for either, is refused with the unit's name and row. A unit
    the file marks undelivered (已交付 “否”: unsold, or sold and not yet handed over) is the
    developer's and needs no owner row. One query."""
    bare = [u for u in units if u.delivered and not u.owners]
    if not bare:
        return []
    held = set(
        Ownership.objects.in_force(today)
        .filter(unit__building__estate=estate, unit__room__in={u.room for u in bare})
        .values_list("unit__building__name", "unit__room")
    )
    return [
        RowError(
            u.row,
            NAME,
            _(
                "%(unit)s 已交付但没有登记业主：请填写业主姓名；"
                "未售或已售未交付（由开发建设单位持有）的房屋，请在“已交付”列填“否”。"
            )
            % {"unit": f"{u.building} {u.room}"},
        )
        for u in bare
        if (u.building, u.room) not in held
    ]


def _plan(*, actor, estate: Estate, units: list[UnitRow], today: date) -> Plan:
    plan = Plan(estate=estate, rows=sum(max(1, len(u.owners)) for u in units))
    buildings = {b.name: b for b in Building.objects.filter(estate=estate)}
    existing = {
        (u.building.name, u.room): u for u in Unit.objects.filter(building__estate=estate).select_related("building")
    }
    plan.known_units = existing
    holdings = defaultdict(list)
    for h in Ownership.objects.in_force(today).filter(unit__building__estate=estate).select_related("owner"):
        holdings[h.unit_id].append(h)
    rows = [o for u in units for o in u.owners]
    ids = {o.id_number for o in rows if o.id_number}
    mobiles = {o.mobile for o in rows if o.mobile}
    by_id, by_mobile = {}, defaultdict(list)
    if ids or mobiles:
        for owner in Owner.objects.filter(Q(id_number__in=ids) | Q(uscc__in=ids) | Q(mobile__in=mobiles)):
            for number in (owner.id_number, owner.uscc):
                if number:
                    by_id[number] = owner
            if owner.mobile:
                by_mobile[owner.mobile].append(owner)

    # The developer is this estate's: one that holds (or held) units here. A developer of the
    # same name elsewhere is another record (its mobile and credit code are not this estate's).
    developers = {}
    names = {o.name for o in rows if o.developer}
    if names:
        for owner in (
            Owner.objects.filter(is_developer=True, name__in=names, ownerships__unit__building__estate=estate)
            .distinct()
            .order_by("pk")
        ):
            developers.setdefault(owner.name, owner)

    plan.new_buildings = sorted({u.building for u in units} - set(buildings))
    for row in units:
        unit = existing.get((row.building, row.room))
        if unit is None:
            plan.new_units.append(row)
            continue
        fields = [f for f in UNIT_FIELDS if getattr(unit, f) != getattr(row, f)]
        if fields:
            plan.changed_units.append((unit, row, fields))
        else:
            plan.unchanged_units += 1

    # Each owner row → an existing Owner, or the first row of a new owner (one per key,
    # however many units they hold).
    target_of: dict[int, object] = {}
    matched: dict[tuple[str, str], Owner] = {}
    for row in units:
        unit = existing.get((row.building, row.room))
        current = holdings.get(unit.pk, []) if unit else []
        for o in row.owners:
            target = matched.get(o.key) if o.key[0] != "name" else None
            if target is None:
                target = developers.get(o.name) if o.developer else _match(o, current, by_id, by_mobile, plan)
            if target is None:
                key = o.key if o.key[0] != "name" else (row.label, o.name)
                target = plan.new_owners.setdefault(key, o)
            else:
                if o.key[0] != "name":
                    matched[o.key] = target
                _compare_owner(plan, target, o)
            target_of[id(o)] = target
        _holdings(plan, row, current, [target_of[id(o)] for o in row.owners], today)
        if row.owners:
            plan.inviter[(row.building, row.room)] = target_of[id(row.owners[0])]
        elif current:
            plan.inviter[(row.building, row.room)] = min(current, key=lambda h: (h.started_on, h.pk)).owner
    plan.unchanged_owners = len({t.pk for t in target_of.values() if isinstance(t, Owner)}) - len(plan.changed_owners)
    _check_owner_scope(actor, estate, plan, today)
    plan.errors += _ownerless_rows(estate, units, today)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _compare_owner(plan: Plan, owner: Owner, o: OwnerRow) -> None:
    if owner.kind != o.kind:
        plan.errors.append(
            RowError(
                o.row,
                ID_NUMBER,
                _("已登记的同一业主类型为“%(kind)s”，与本行不符。") % {"kind": owner.get_kind_display()},
            )
        )
        return
    fields = [
        f
        for f, value in (("name", o.name), ("mobile", o.mobile), (_id_field(o.kind), o.id_number))
        if value and getattr(owner, f) != value
    ]
    if fields and owner.pk not in plan.changed_owners:
        plan.changed_owners[owner.pk] = (owner, o, fields)


def _match(o: OwnerRow, current: list[Ownership], by_id, by_mobile, plan) -> Owner | None:
    if o.id_number and o.id_number in by_id:
        return by_id[o.id_number]
    if o.mobile:
        # An owner registered with this mobile and no ID number yet (or the row gives none).
        candidates = [c for c in by_mobile.get(o.mobile, []) if not (o.id_number and getattr(c, _id_field(c.kind)))]
        holding = [c for c in candidates if any(h.owner_id == c.pk for h in current)]
        if len(candidates) == 1 or len(holding) == 1:
            return (holding or candidates)[0]
        if len(candidates) > 1:
            plan.errors.append(
                RowError(
                    o.row,
                    MOBILE,
                    _("已有 %(n)s 位业主登记了此手机号码，请填写证件号码以区分。") % {"n": len(candidates)},
                )
            )
        return None
    if not o.id_number:
        return next((h.owner for h in current if h.owner.name == o.name), None)
    return None


def _holdings(plan: Plan, row: UnitRow, current: list[Ownership], targets: list, today: date) -> None:
    """Who holds the unit after the import: the file's owners. Whoever the registry has
    besides them stops holding the day before the new owners start."""
    if not row.owners:
        return
    held = {h.owner_id for h in current}
    starts = []
    for o, target in zip(row.owners, targets, strict=True):
        if isinstance(target, Owner) and target.pk in held:
            continue
        since = o.since or (today if current else plan.estate.delivered_on)
        if since > today:
            plan.errors.append(RowError(o.row, SINCE, _("产权起始日期不能晚于今天。")))
            continue
        plan.new_holdings.append((row, o, target, since))
        starts.append(since)
    staying = {t.pk for t in targets if isinstance(t, Owner)}
    last = (min(starts) if starts else today) - timedelta(days=1)
    for h in current:
        if h.owner_id in staying:
            continue
        if last < h.started_on:
            plan.errors.append(
                RowError(
                    row.row,
                    SINCE,
                    _("%(unit)s 原业主 %(name)s 自 %(start)s 起持有，新业主的产权起始日期须晚于该日。")
                    % {"unit": row.label, "name": h.owner.name, "start": h.started_on},
                )
            )
            continue
        plan.ended_holdings.append((h, last, row))


def _plan_members(plan: Plan, units: list[UnitRow], members: list, today: date) -> None:
    """The household members the file names, through residents' hook: which are new, which
    the registry has already (a re-import changes nothing), and each one's inviting owner."""
    plan.members = members
    if not members:
        return
    if not _member_hook:
        plan.errors.append(RowError(members[0].row, "", _("未启用家庭成员功能，无法导入家庭成员和租客。")))
        return
    after = {(row.building, row.room): set() for row in units}  # owner pks holding each unit after the import
    ended = {h.pk for h, _last, _row in plan.ended_holdings}
    known = {u.pk: key for key, u in plan.known_units.items() if key in after}
    for h in Ownership.objects.in_force(today).filter(unit__in=list(known)).only("pk", "owner_id", "unit_id"):
        if h.pk not in ended:
            after[known[h.unit_id]].add(h.owner_id)
    for row, _o, target, _since in plan.new_holdings:
        if isinstance(target, Owner):
            after[(row.building, row.room)].add(target.pk)
    rows = []
    for m in members:
        key = (m.building, m.room)
        if key not in plan.inviter:
            plan.errors.append(
                RowError(
                    m.row,
                    hc_import.NAME,
                    _("%(unit)s 没有业主，无法邀请家庭成员或租客：请同时导入该房屋的业主（1001）。")
                    % {"unit": m.label},
                )
            )
            continue
        rows.append((m, plan.known_units.get(key), after.get(key, set())))
    member_plan, errors = _member_hook["plan"](estate=plan.estate, rows=rows, today=today)
    plan.member_plan = member_plan
    plan.errors += errors


def _check_owner_scope(actor, estate, plan: Plan, today: date) -> None:
    """An owner who also holds units elsewhere may be renamed only by someone who may change those estates too."""
    if actor is None or actor.is_superuser or not plan.changed_owners:
        return
    elsewhere = defaultdict(set)
    for owner_id, estate_id in (
        Ownership.objects.in_force(today)
        .filter(owner__in=list(plan.changed_owners))
        .exclude(unit__building__estate=estate)
        .values_list("owner", "unit__building__estate")
    ):
        elsewhere[owner_id].add(estate_id)
    if not elsewhere:
        return
    allowed = set(
        access.visible(
            actor, access.CHANGE, Estate.objects.filter(pk__in={e for ids in elsewhere.values() for e in ids})
        ).values_list("pk", flat=True)
    )
    for owner_id, estates in elsewhere.items():
        if estates - allowed:
            _owner, row, _fields = plan.changed_owners.pop(owner_id)
            plan.errors.append(
                RowError(
                    row.row,
                    NAME,
                    _(
                        "该业主在您管辖范围以外的小区也登记有房屋，其姓名、证件号码和手机号码须由那里的社区修改；本行请照抄已登记的信息。"
                    ),
                )
            )


def _noop(label: str) -> None:
    return None


def _read(name: str, content: bytes, developer: str, area_source: str):
    """(layout, units, members, report, errors). An HC workbook is told by its sheet 资产信息, or,
    when the file is not a native one, by HC's own headers (a renamed sheet, a CSV): a native
    file pays for no second reading."""
    hc = hc_import.has_hc_sheet(content)
    if not hc:
        units, errors = parse(name, content)
        header_refused = len(errors) == 1 and errors[0].row == 1 and not errors[0].column
        if not (header_refused and hc_import.has_hc_headers(content)):
            return NATIVE, units, [], None, errors
    units, members, report, errors = hc_import.parse(
        name, content, developer=developer, area_source=area_source or hc_import.SURVEYED
    )
    return HC, units, members, report, errors


def _checked_plan(*, actor, estate, read, today) -> Plan:
    layout, units, members, report, errors = read
    if errors:  # every error at once: the file's own, and its delivered units without an owner
        plan = Plan(estate=estate, errors=_all_errors(estate, units, errors, today))
    else:
        plan = _plan(actor=actor, estate=estate, units=units, today=today)
        _plan_members(plan, units, members, today)
        plan.errors.sort(key=lambda e: e.row)
    plan.layout, plan.report = layout, report
    return plan


def preview_import(
    *,
    actor,
    estate: Estate,
    name: str,
    content: bytes,
    today: date | None = None,
    developer: str = "",
    area_source: str = "",
) -> Plan:
    """What importing this file into ``estate`` would do, with every error; writes nothing.
    ``developer`` and ``area_source`` are read for an HC workbook only."""
    access.require(actor, access.CHANGE, estate)
    today = today or timezone.localdate()
    return _checked_plan(actor=actor, estate=estate, read=_read(name, content, developer, area_source), today=today)


def _all_errors(estate: Estate, units: list[UnitRow], errors: list[RowError], today: date) -> list[RowError]:
    return sorted(errors + _ownerless_rows(estate, units, today), key=lambda e: e.row)


@transaction.atomic
def import_registry(
    *,
    actor,
    estate: Estate,
    name: str,
    content: bytes,
    today: date | None = None,
    progress=_noop,
    developer: str = "",
    area_source: str = "",
) -> Plan:
    """Import the file, all or nothing: ImportRefused (listing every bad row) unless it is clean."""
    access.require(actor, access.CHANGE, estate)
    today = today or timezone.localdate()
    progress(_("读取文件"))
    read = _read(name, content, developer, area_source)
    _layout, units, _members, _report, errors = read
    if errors:
        raise ImportRefused(_all_errors(estate, units, errors, today))
    hold(estate)  # one import or management change per estate at a time
    progress(_("与登记信息比对"))
    plan = _checked_plan(actor=actor, estate=estate, read=read, today=today)
    if plan.errors:
        raise ImportRefused(plan.errors)

    progress(_("写入楼栋和房屋"))
    # Plain rows, not model instances: every value was checked row by row in parse() and _plan(),
    # and the database's constraints still check each row (a second full_clean or 30,000 model
    # instances would cost more than the writing itself).
    building_ids = dict(Building.objects.filter(estate=estate).values_list("name", "pk"))
    building_ids.update(
        zip(
            plan.new_buildings,
            _insert(Building, ("estate", "name"), [(estate.pk, n) for n in plan.new_buildings]),
            strict=True,
        )
    )
    unit_ids = {key: unit.pk for key, unit in plan.known_units.items()}
    unit_ids.update(
        zip(
            [(u.building, u.room) for u in plan.new_units],
            _insert(
                Unit,
                ("building", "room", *UNIT_FIELDS),
                [(building_ids[u.building], u.room, *(getattr(u, f) for f in UNIT_FIELDS)) for u in plan.new_units],
            ),
            strict=True,
        )
    )
    for unit, row, fields in plan.changed_units:
        for f in fields:
            setattr(unit, f, getattr(row, f))
    for field_name in UNIT_FIELDS:
        changed = [u for u, _r, fields in plan.changed_units if field_name in fields]
        Unit.objects.bulk_update(changed, [field_name], batch_size=2000)

    progress(_("写入业主"))
    new_owners = list(plan.new_owners.values())
    owner_ids = _insert(
        Owner,
        OWNER_COLUMNS,
        [
            (
                o.kind,
                o.name,
                o.mobile,
                *(o.id_number if _id_field(o.kind) == f else "" for f in ("id_number", "uscc")),
                o.developer,
            )
            for o in new_owners
        ],
    )
    owner_of_row = {id(o): pk for o, pk in zip(new_owners, owner_ids, strict=True)}
    changed = []
    for owner, row, fields in plan.changed_owners.values():
        for f in fields:
            setattr(owner, f, _owner_value(row, f))
        changed.append(owner)
    Owner.objects.bulk_update(changed, ["name", "mobile", "id_number", "uscc"], batch_size=1000)

    progress(_("写入产权"))
    for holding, last, _row in plan.ended_holdings:
        holding.ended_on = last
    Ownership.objects.bulk_update([h for h, _l, _r in plan.ended_holdings], ["ended_on"], batch_size=2000)
    _insert(
        Ownership,
        ("unit", "owner", "started_on"),
        [
            (
                unit_ids[(u.building, u.room)],
                target.pk if isinstance(target, Owner) else owner_of_row[id(target)],
                since,
            )
            for u, _o, target, since in plan.new_holdings
        ],
        returning=False,
    )
    if plan.members:
        progress(_("写入家庭成员和租户"))

        def resolve(member):
            key = (member.building, member.room)
            unit = plan.known_units.get(key) or Unit(
                pk=unit_ids[key],
                building=Building(pk=building_ids[member.building], estate=estate, name=member.building),
                room=member.room,
            )
            inviter = plan.inviter[key]
            if not isinstance(inviter, Owner):  # a new owner's first row (the plan's target)
                inviter = Owner(pk=owner_of_row[id(inviter)], kind=inviter.kind, name=inviter.name)
            return unit, inviter

        _member_hook["write"](actor=actor, estate=estate, plan=plan.member_plan, resolve=resolve, now=timezone.now())
    audit.record(
        "import",
        user=actor,
        obj=estate,
        detail={
            "file": name,
            "layout": plan.layout,
            "members": [len(plan.member_plan.new), len(plan.member_plan.changed), len(plan.member_plan.closing)],
            "units": [len(plan.new_units), len(plan.changed_units)],
            "owners": [len(plan.new_owners), len(plan.changed_owners)],
            "holdings": [len(plan.new_holdings), len(plan.ended_holdings)],
        },
    )
    progress(_("完成"))
    return plan


def _insert(model, fields: tuple[str, ...], rows: list[tuple], *, returning: bool = True) -> list[int]:
    """Insert plain rows (values in ``fields`` order, as the database takes them) into ``model``'s
    table; the new ids in row order when ``returning``. Multi-row INSERT … RETURNING in the
    batches the database allows (the order Django's own bulk_create relies on), else one
    executemany per 5,000 rows."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
    marks = f"({', '.join(['%s'] * len(fields))})"
    ids = []
    with connection.cursor() as cursor:
        if not returning:
            for start in range(0, len(rows), 5000):
                cursor.executemany(head + marks, rows[start : start + 5000])
            return ids
        size = _rows_per_statement(fields, rows)
        tail = f" RETURNING {quote(model._meta.pk.column)}"
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(head + ", ".join([marks] * len(batch)) + tail, [v for row in batch for v in row])
            ids += [pk for (pk,) in cursor.fetchall()]
    return ids


def _rows_per_statement(fields, rows) -> int:
    """How many rows one INSERT may carry: SQLite's own limit on parameters (32,766 since
    3.32, where Django assumes the old 999), else what the backend says."""
    if connection.vendor == "sqlite" and hasattr(connection.connection, "getlimit"):
        return max(1, connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(fields))
    return max(1, connection.ops.bulk_batch_size(fields, rows))


UPLOADS = "imports"  # where a previewed file waits for its confirmation (default storage)
UPLOAD_AGE = timedelta(hours=1)  # a preview is confirmable this long; then its file is deleted


def keep_upload(content: bytes) -> str:
    """Keep a previewed file, under a random name in the uploads folder, until it is confirmed,
    cancelled or an hour old (it may hold full ID numbers). Returns its path."""
    name = f"{UPLOADS}/{uploads.random_name(uploads.detect(content))}"
    return default_storage.save(name, ContentFile(content))


def read_upload(path: str) -> bytes:
    """The previewed file a confirmation names, or a ValidationError when it has gone."""
    try:
        with default_storage.open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ValidationError(_("预览已过期或无效，请重新上传文件。")) from None


def is_waiting_upload(path: str) -> bool:
    """Whether ``path`` is a previewed file still waiting in the uploads folder."""
    return path.startswith(f"{UPLOADS}/") and ".." not in path and default_storage.exists(path)


def discard_upload(path: str) -> None:
    """Delete a previewed file (its import was cancelled, refused or written)."""
    if path.startswith(f"{UPLOADS}/") and ".." not in path:
        default_storage.delete(path)


def delete_stale_uploads(now=None) -> int:
    """Delete previewed files older than ``UPLOAD_AGE``: they hold full ID numbers and mobiles,
    and an unconfirmed preview must not keep them on disk. A file whose import was confirmed
    but has not run yet (the job queue was down) is kept for it; the job deletes it.
    Returns how many were deleted."""
    now = now or timezone.now()
    try:
        _dirs, names = default_storage.listdir(UPLOADS)
    except FileNotFoundError:
        return 0
    waiting = set(  # a confirmed import still queued or running needs its file
        Job.objects.exclude(status__in=(JobStatus.DONE, JobStatus.FAILED))
        .filter(params__has_key="path")
        .values_list("params__path", flat=True)
    )
    deleted = 0
    for name in names:
        path = f"{UPLOADS}/{name}"
        if path in waiting:
            continue
        try:
            if now - default_storage.get_modified_time(path) > UPLOAD_AGE:
                default_storage.delete(path)
                deleted += 1
        except FileNotFoundError:  # deleted meanwhile by its confirmation
            continue
    return deleted
