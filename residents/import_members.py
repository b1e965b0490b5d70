"""Household members brought in by a registry import (an HC workbook's 1002 家庭成员 and 1003
租客 rows), registered into ``community.import_services`` from this app's ``ready()``.

Each becomes an invitation of the unit by its mobile, from the unit's first owner in the file
(or its earliest current owner): the same ``Household`` row an owner's own invitation makes.
No text is sent (an import of two thousand rows must not text a whole estate); an account that
already proved the mobile joins at once, anyone else joins when they register with that mobile
(``household.join_invited``). A re-import finds each member again by unit and mobile: an open
row whose inviter still holds the unit is left alone (its relation follows the file); a row whose
inviter no longer holds it is closed and the mobile invited again by the new owner.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from community.import_services import MemberPlan
from community.models import Ownership
from community.spreadsheet import RowError

from .household import MAX_MEMBERS, _attach
from .models import Household, VerifiedMobile


def plan(*, estate, rows, today) -> tuple[MemberPlan, list[RowError]]:
    """rows: [(MemberRow, the registry's Unit or None, {owner pks holding it after the import})]."""
    result, errors = MemberPlan(), []
    units = {unit.pk for _m, unit, _after in rows if unit is not None}
    open_rows = defaultdict(list)
    for household in Household.objects.filter(unit__in=units, removed_at__isnull=True):
        open_rows[household.unit_id].append(household)
    added = defaultdict(int)
    for member, unit, after in rows:
        current = open_rows.get(unit.pk, []) if unit is not None else []
        same = next((h for h in current if h.mobile == member.mobile), None)
        if same is not None and same.owner_id in after:
            if same.relation != member.relation:
                result.changed.append((same, member))
            else:
                result.unchanged += 1
            continue
        if same is not None:  # its inviter no longer holds the unit: closed, invited again
            result.closing.append(same)
        live = sum(1 for h in current if h.owner_id in after)
        added[member.label] += 1
        if live + added[member.label] > MAX_MEMBERS:
            errors.append(
                RowError(
                    member.row,
                    "",
                    _("每套房屋最多 %(n)s 位家庭成员或租户：%(unit)s 超出。")
                    % {"n": MAX_MEMBERS, "unit": member.label},
                )
            )
            continue
        result.new.append(member)
    return result, errors


def write(*, actor, estate, plan: MemberPlan, resolve, now) -> None:
    """Inside the import's transaction: close lapsed rows, change relations, add the invitations,
    and attach the accounts that already proved their mobile."""
    for household in plan.closing:
        household.removed_at = now
    Household.objects.bulk_update(plan.closing, ["removed_at"], batch_size=1000)
    for household, member in plan.changed:
        household.relation = member.relation
    Household.objects.bulk_update([h for h, _m in plan.changed], ["relation"], batch_size=1000)
    created = []
    for member in plan.new:
        unit, inviter = resolve(member)
        created.append(
            Household(
                unit=unit,
                owner=inviter,
                mobile=member.mobile,
                name=member.name,
                relation=member.relation,
                invited_at=now,
            )
        )
    Household.objects.bulk_create(created, batch_size=1000)
    accounts = {
        v.mobile: v.user
        for v in VerifiedMobile.objects.filter(mobile__in={h.mobile for h in created}).select_related("user")
    }
    if not accounts:
        return
    today = timezone.localdate(now)
    owners_of = set(
        Ownership.objects.in_force(today)
        .filter(unit__in={h.unit_id for h in created}, owner__user__in=list(accounts.values()))
        .values_list("unit", "owner__user")
    )
    member_of = set(
        Household.objects.filter(user__in=list(accounts.values()), removed_at__isnull=True).values_list("unit", "user")
    )
    for household in created:
        user = accounts.get(household.mobile)
        if user is None or (household.unit_id, user.pk) in owners_of | member_of:
            continue
        _attach(household, user, now, None)
