"""Signals the registry sends so that apps built on it (cms) can follow, without community importing them."""

from django.dispatch import Signal

# A user's role assignments changed: sent with ``user``.
roles_changed = Signal()
# Who manages an estate changed (a contract signed or ended): sent with ``estate``, ``contract``,
# ``event`` ("signed" or "terminated") and, when signed, ``previous_state``: the estate's state the
# day before the contract starts ("none", "self", "company"; None when it starts on delivery).
management_changed = Signal()
