"""Grid's scheduled work."""

from __future__ import annotations

from community import jobs

from . import services


@jobs.task(name="grid.escalate_grid_cases")
def escalate_grid_cases() -> int:
    """Raise every case that overran its step's time limit one level per overrun (idempotent)."""
    return services.escalate_overdue()
