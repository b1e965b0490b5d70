"""What grid tells the floors above it, without importing them.

``case_changed`` is sent once the transaction that changed a case has committed: when a case is
reported, when it moves (分派, 处置, 核查 …) and when it rises a level (督办). Its arguments:
``case_id``, ``step_id`` (the ``GridCaseStep`` that records the change) and ``event`` (one of
``EVENTS``). The API connects its webhooks to it (``api.webhooks``).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

REPORTED = "case.reported"
MOVED = "case.moved"
ESCALATED = "case.escalated"
EVENTS = (REPORTED, MOVED, ESCALATED)

case_changed = Signal()


def changed(case_id: int, step_id: int | None, event: str) -> None:
    """Send ``case_changed`` after the current transaction commits (at once outside of one)."""
    transaction.on_commit(
        lambda: case_changed.send(sender="grid", case_id=case_id, step_id=step_id, event=event), robust=True
    )
