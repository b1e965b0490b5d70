"""Status workflows: one table of allowed moves each, one exception for a refused move.

Every workflow in the project (a committee's life, an expenditure, a fund use request, a
mediation case, a grid case) is a ``status`` field with ``TextChoices`` and a table that maps
each status to the statuses it may move to. The service module that owns the workflow builds
one ``Workflow`` from its table and changes the status only through ``Workflow.move``; it then
records the step in its own history table (who, when, why), which differs per workflow.

An illegal move raises ``IllegalTransition``, a ``ValidationError``, so every view shows it the
way it shows any other refusal.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ILLEGAL_MOVE = _("不能从“%(from)s”转为“%(to)s”。")


class IllegalTransition(ValidationError):
    """A status move the workflow's table does not allow; views show its message."""


class Workflow:
    """The allowed moves of one status field.

    ``statuses`` is the field's ``TextChoices`` (for the labels in the message); ``table`` maps
    every status to the set of statuses it may move to, an empty set for a final status.
    """

    def __init__(self, statuses, table: dict):
        missing = set(statuses) - set(table)
        if missing:
            raise ValueError(f"transition table has no row for {sorted(missing)}")
        self.statuses = statuses
        self.table = table

    def allows(self, current: str, to: str) -> bool:
        return to in self.table[current]

    def refusal(self, current: str, to: str) -> IllegalTransition:
        """The error for moving from ``current`` to ``to``, for a service that refuses a move
        for a reason of its own (a step the table allows but the case's facts do not)."""
        return IllegalTransition(
            ILLEGAL_MOVE, params={"from": self.statuses(current).label, "to": self.statuses(to).label}
        )

    def check(self, current: str, to: str) -> None:
        if not self.allows(current, to):
            raise self.refusal(current, to)

    def move(self, obj, to: str, *, field: str = "status") -> str:
        """Check the move and set ``obj.<field>`` to ``to`` (the caller saves and records the
        step); returns the status it left."""
        current = getattr(obj, field)
        self.check(current, to)
        setattr(obj, field, to)
        return current

    @property
    def open_statuses(self) -> list[str]:
        """The statuses something can still move on from, in the choices' order."""
        return [s for s in self.statuses if self.table[s]]
