"""Row locks, taken one way everywhere.

Every service that reads a row, decides and then writes it takes the row's lock first, inside
its transaction (``SELECT … FOR UPDATE``). The helpers here lock only the named table's own
rows (``FOR UPDATE OF``), because PostgreSQL refuses to lock the nullable side of an outer join
that ``select_related`` may add, and take several rows in primary-key order, so that two
transactions wanting overlapping rows queue instead of deadlocking. SQLite has no row locks:
there the database's single writer already serialises transactions and the helpers just read.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet


def _queryset(source) -> QuerySet:
    return source if isinstance(source, QuerySet) else source._default_manager.all()


def lock_rows(source) -> list:
    """Every row of ``source`` (a queryset or a model), locked, in primary-key order."""
    return list(_queryset(source).select_for_update(of=("self",)).order_by("pk"))


def lock_one(source, **lookup):
    """The one row of ``source`` matching ``lookup``, locked and read afresh; raises
    ``DoesNotExist`` when there is none."""
    return _queryset(source).select_for_update(of=("self",)).get(**lookup)


def hold(obj: Model) -> None:
    """Take ``obj``'s row lock as the guard for work that belongs to it (one billing run or one
    statement per estate at a time). Nothing is read back; a deleted row locks nothing."""
    type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
