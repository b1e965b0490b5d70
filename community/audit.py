"""The audit trail (安全审计): the one way anything is written to ``AuditEvent``.

Every app calls ``record(...)`` where something happens that an assessor, or a district
administrator after an incident, must be able to find later: a sign-in or its failure, a page
or an export that shows unmasked personal data, a role given or taken, a registry change, an
import, a payment, a vote convened or closed. A row is written in the caller's transaction, so
an action that rolls back leaves no line claiming it happened; a refusal (a failed sign-in, a
denied export) is recorded by its caller outside any rolled-back work.

Rows are never changed or deleted: nothing in the code does it, and on PostgreSQL a trigger
refuses it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Model

from .models import AuditEvent, AuditResult


def client_ip(request) -> str | None:
    """The address the request came from. Behind a reverse proxy that the deployment trusts
    (TRUST_X_FORWARDED_FOR=1) the first address of X-Forwarded-For, else the socket's peer."""
    if request is None:
        return None
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.META.get("REMOTE_ADDR") or None


def _describe(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, Model):
        return obj._meta.label_lower, str(obj.pk or ""), str(obj)[:200]
    # A (type, id, text) triple for things that are not one model row (a search, a file).
    kind, ident, text = obj
    return str(kind)[:100], str(ident)[:64], str(text)[:200]


def record(
    action: str,
    *,
    request=None,
    user=None,
    obj: Model | tuple[str, Any, str] | None = None,
    result: str = AuditResult.SUCCESS,
    detail: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Write one line of the trail. ``user`` defaults to the request's signed-in user;
    ``username`` is what was typed when nobody is signed in (a failed sign-in)."""
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    object_type, object_id, object_repr = _describe(obj)
    return AuditEvent.objects.create(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        ip=client_ip(request),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        result=result,
        detail=detail or {},
    )
