"""Deadlines watched in one place: every legal duty with a last day, from whichever app owns it.

An app offers its duties as a *source*, ``source(on) -> iterable of Duty``, registered from its
``AppConfig.ready()`` with ``register(source, perms=…)`` (``perms``: the permissions its duties
name, so the navigation bar can count them in one query). The registry does not import the
apps above it; they come to it.

* ``due(on)``: every duty open on ``on``, by last day.
* ``for_user(user, on)``: those the user answers for (``community.access``, one query per
  permission and kind of node, however many duties).
* ``refresh(on)``: brings ``OpenDuty`` (the copy the bar counts) up to date with the sources;
  the duty page and the daily watch call it.
* ``changed()``: a service that does a duty or gives rise to one calls it, so the copy is
  refreshed as soon as its transaction commits; within ``refreshed_once()`` (bulk work such as
  seed_demo), once at the end.
* ``overdue_count(user, on)``: the bar's "N 项逾期", one query on ``OpenDuty``.

A duty is overdue from the day after its last day (``community.legaltime``: in time on the last
day itself) and "soon" within ``SOON_DAYS`` before it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import access
from .legaltime import in_time
from .models import Estate, OpenDuty

SOON_DAYS = 7  # a last day this close stands out (as on the committees' queue)


@dataclass(frozen=True)
class Duty:
    key: str  # stable while the duty is the same one: a new duty (a new period, a new change) gets a new key
    what: str  # in Chinese, for the list and the message
    last_day: date
    node: Any  # the registry node it belongs to (an estate)
    perm: str  # whose holders on ``node`` answer for it
    link: str  # the page where it is done
    kind: str  # e.g. "vote_result", "filing", "fee_statement"

    def overdue(self, on: date) -> bool:
        return not in_time(on, self.last_day)

    def days_overdue(self, on: date) -> int:
        return max(0, (on - self.last_day).days)

    def days_left(self, on: date) -> int:
        return (self.last_day - on).days

    def soon(self, on: date) -> bool:
        return not self.overdue(on) and self.days_left(on) <= SOON_DAYS


Source = Callable[[date], Iterable[Duty]]
_SOURCES: list[Source] = []
_PERMS: set[str] = set()
_NODES: set[type] = {Estate}


def register(source: Source, *, perms: Iterable[str], nodes: Iterable[type] = (Estate,)) -> None:
    """Add an app's source of duties (once, however often ``ready()`` runs)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    _PERMS.update(perms)
    _NODES.update(nodes)


def perms() -> tuple[str, ...]:
    """The permissions the registered sources' duties name."""
    return tuple(sorted(_PERMS))


def due(on: date) -> list[Duty]:
    """Every open duty, by last day. Each source costs its own few queries."""
    found: dict[str, Duty] = {}
    for source in _SOURCES:
        for duty in source(on):
            found[duty.key] = duty
    return sorted(found.values(), key=lambda d: (d.last_day, d.key))


def scoped(user, duties: Iterable[Duty]) -> list[Duty]:
    """The duties among ``duties`` whose permission ``user`` holds on their node: one query for
    the user's grants and one per permission and kind of node, not one per duty."""
    duties = list(duties)
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return duties
    access.prefetch(user, {d.perm for d in duties})
    wanted: dict[tuple[str, type], set[int]] = defaultdict(set)
    for d in duties:
        if access.holds_anywhere(user, d.perm):
            wanted[(d.perm, type(d.node))].add(d.node.pk)
    allowed = set()
    for (perm, model), pks in wanted.items():
        rows = access.visible(user, perm, model._default_manager.filter(pk__in=pks)).values_list("pk", flat=True)
        allowed.update((perm, model, pk) for pk in rows)
    return [d for d in duties if (d.perm, type(d.node), d.node.pk) in allowed]


def for_user(user, on: date) -> list[Duty]:
    """The duties ``user`` answers for, by last day."""
    return scoped(user, due(on))


@transaction.atomic
def refresh(on: date, duties: Iterable[Duty] | None = None) -> int:
    """Make ``OpenDuty`` the list of ``duties`` (by default every source's, read now): rows of
    closed duties go, new ones come, changed ones follow. Returns how many rows changed."""
    duties = {d.key: d for d in (due(on) if duties is None else duties)}
    kept = {row.key: row for row in OpenDuty.objects.all()}
    gone = [key for key in kept if key not in duties]
    if gone:
        OpenDuty.objects.filter(key__in=gone).delete()
    fresh, changed = [], []
    for key, d in duties.items():
        values = {
            "kind": d.kind,
            "what": d.what[:300],
            "last_day": d.last_day,
            "perm": d.perm,
            "node_type_id": ContentType.objects.get_for_model(type(d.node)).pk,
            "node_id": d.node.pk,
            "link": d.link[:300],
            "refreshed_on": on,
        }
        row = kept.get(key)
        if row is None:
            fresh.append(OpenDuty(key=key, **values))
        elif any(getattr(row, f) != v for f, v in values.items() if f != "refreshed_on"):
            for f, v in values.items():
                setattr(row, f, v)
            changed.append(row)
    OpenDuty.objects.bulk_create(fresh, ignore_conflicts=True)  # a refresh running beside this one
    if changed:
        OpenDuty.objects.bulk_update(changed, ["kind", "what", "last_day", "perm", "node_type_id", "node_id", "link"])
    return len(gone) + len(fresh) + len(changed)


def changed() -> None:
    """A duty was done or born in the caller's transaction: refresh ``OpenDuty`` once it commits,
    so the bar's overdue count follows at once, not at the next daily watch or duty page visit.
    A failing refresh is logged and leaves the committed work alone (the watch mends the copy).
    Inside ``refreshed_once()`` it only notes that a refresh is due."""
    if getattr(_batch, "depth", 0):
        _batch.due = True
        return
    transaction.on_commit(lambda: refresh(timezone.localdate()), robust=True)


_batch = threading.local()


@contextmanager
def refreshed_once():
    """For bulk work that runs many services in a row (``seed_demo``): a refresh reads every
    source afresh, so one when the outermost block ends (once what it did has committed) leaves
    ``OpenDuty`` as one per commit would, without recomputing every duty after each commit."""
    _batch.depth = getattr(_batch, "depth", 0) + 1
    try:
        yield
    finally:
        _batch.depth -= 1
        if not _batch.depth and getattr(_batch, "due", False):
            _batch.due = False
            changed()


def overdue_count(user, on: date) -> int:
    """How many duties ``user`` answers for were past their last day when last refreshed: one
    query (the user's grants are the navigation bar's, read once for every flag)."""
    if not user.is_authenticated or not user.is_active:
        return 0
    rows = OpenDuty.objects.filter(last_day__lt=on)
    if not user.is_superuser:
        access.prefetch(user, sorted(_PERMS))
        held = Q(pk__in=[])
        for perm in sorted(_PERMS):
            if not access.holds_anywhere(user, perm):
                continue
            for model in _NODES:
                visible = access.visible(user, perm, model._default_manager.all()).values("pk")
                held |= Q(perm=perm, node_type=ContentType.objects.get_for_model(model), node_id__in=visible)
        rows = rows.filter(held)
    return rows.count()
