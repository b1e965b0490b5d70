"""Incremental sync: the ``updated_since`` filter every list takes, and the tombstones that tell a
client what was deleted.

Deletions are one list, ``/api/v1/tombstones/`` (``kind`` and ``updated_since`` filters), rather
than a field in each list: a deleted row has no row left to carry it. A tombstone is written in
the deleting transaction by a ``post_delete`` receiver (connected in ``ApiConfig.ready``) with the
district, street and community the row lived in, so a client sees the deletions of its own
territory only. A deleted property company is a row of the public register, not of a territory:
its tombstone has no place and every client sees it."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from committees.models import Committee
from community.models import (
    Community,
    District,
    Estate,
    Grid,
    PropertyCompany,
    Role,
    RoleAssignment,
    ServiceContract,
    Street,
)

from .models import Tombstone

BAD_SINCE = _("updated_since 须是 ISO 8601 日期时间，例如 2026-01-31T08:00:00+08:00。")
BAD_KIND = _("kind 须是以下之一：%(kinds)s。")


def updated_since(request) -> datetime | None:
    """The ``updated_since`` query parameter as an aware datetime (a time without an offset is
    read in the site's time zone), ``None`` when absent; a 400 with a Chinese message when bad."""
    raw = request.query_params.get("updated_since")
    if raw is None:
        return None
    try:
        value = parse_datetime(raw.strip().replace(" ", "+"))  # a "+" left unescaped reads as a space
    except ValueError:
        value = None
    if value is None:
        raise exceptions.ValidationError({"updated_since": [BAD_SINCE]})
    if timezone.is_naive(value):
        try:
            value = timezone.make_aware(value)
        except Exception:  # a local time that does not exist or is ambiguous
            raise exceptions.ValidationError({"updated_since": [BAD_SINCE]}) from None
    try:
        # in UTC: an offset PostgreSQL does not take (beyond ±15:59) is still a valid instant
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise exceptions.ValidationError({"updated_since": [BAD_SINCE]}) from None


def since_filter(request, rows, field: str = "updated_at"):
    """``rows`` changed at or after the request's ``updated_since`` (all of them without it)."""
    since = updated_since(request)
    return rows if since is None else rows.filter(**{f"{field}__gte": since})


def object_id(raw) -> int | None:
    """An id from an address, or None when it cannot be one (not digits, beyond a bigint)."""
    raw = str(raw)
    if not raw.isascii() or not raw.isdigit() or int(raw) > 2**63 - 1:
        return None
    return int(raw)


# --------------------------------------------------------------------------- tombstones


def _estate_place(estate_id) -> tuple:
    row = Estate.objects.filter(pk=estate_id).values_list(
        "grid__community__street__district_id", "grid__community__street_id", "grid__community_id"
    )
    return row.first() or (None, None, None)


def _place(instance) -> tuple:
    """(district id, street id, community id) where ``instance`` lived."""
    if isinstance(instance, Street):
        return instance.district_id, instance.pk, None
    if isinstance(instance, Community):
        district_id = Street.objects.filter(pk=instance.street_id).values_list("district_id", flat=True).first()
        return district_id, instance.street_id, instance.pk
    if isinstance(instance, Grid):
        row = Community.objects.filter(pk=instance.community_id).values_list("street__district_id", "street_id")
        district_id, street_id = row.first() or (None, None)
        return district_id, street_id, instance.community_id
    if isinstance(instance, Estate):
        row = Grid.objects.filter(pk=instance.grid_id).values_list(
            "community__street__district_id", "community__street_id", "community_id"
        )
        return row.first() or (None, None, None)
    if isinstance(instance, PropertyCompany):
        return None, None, None
    return _estate_place(instance.estate_id)  # contracts, committees


#: The synced registry models and the API resource each one's tombstones are named by.
KINDS = {
    Street: "streets",
    Community: "communities",
    Grid: "grids",
    Estate: "estates",
    PropertyCompany: "companies",
    ServiceContract: "contracts",
    Committee: "committees",
}


def _bury(sender, instance, **kwargs):
    district_id, street_id, community_id = _place(instance)
    Tombstone.objects.create(
        kind=KINDS[sender],
        object_id=instance.pk,
        district_id_at=district_id,
        street_id_at=street_id,
        community_id_at=community_id,
    )


def connect() -> None:
    for model in KINDS:
        post_delete.connect(_bury, sender=model, dispatch_uid=f"api-tombstone-{model._meta.label_lower}")


def tombstones_for(user) -> QuerySet:
    """The tombstones of the territory ``user`` (a client's account) holds its role on, and
    those without a place (the company register)."""
    q = Q(district_id_at__isnull=True, street_id_at__isnull=True, community_id_at__isnull=True)
    fields = {District: "district_id_at", Street: "street_id_at", Community: "community_id_at"}
    types = ContentType.objects.get_for_models(*fields)
    for scope_type_id, scope_id in RoleAssignment.objects.filter(user=user, role=Role.API_CLIENT).values_list(
        "scope_type_id", "scope_id"
    ):
        for model, field in fields.items():
            if types[model].pk == scope_type_id:
                q |= Q(**{field: scope_id})
    return Tombstone.objects.filter(q)


def kind_filter(request, queryset: QuerySet) -> QuerySet:
    kind = request.query_params.get("kind")
    if kind is None:
        return queryset
    if kind not in KINDS.values():
        raise exceptions.ValidationError({"kind": [BAD_KIND % {"kinds": "、".join(KINDS.values())}]})
    return queryset.filter(kind=kind)
