"""Signals the registry sends so that apps built on it (cms) can follow, without community importing them."""

from django.dispatch import Signal

# A user's role assignments changed: sent with ``user``.
roles_changed = Signal()
# Who manages an estate changed (a contract signed or ended): sent with ``estate``.
management_changed = Signal()
