"""Panels the floors above add to the public pages: an estate's service figures on its page.

cms does not import the apps that compute such figures; an app registers a function
``panel(obj, request) -> (template name, context) | None`` for a kind of registry object
(``Estate``, ``Community``, ``District``) from its ``AppConfig.ready()``. The page that stands
for that object (``ScopePage.get_context``) asks every registered function and its template
includes ``cms/panels.html``, which renders each panel's template with its own context only.
A function answers ``None`` when it has nothing to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PanelFn = Callable[[object, object], "tuple[str, dict] | None"]
_PANELS: dict[type, list[PanelFn]] = {}


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict


def register_panel(model: type, fn: PanelFn) -> None:
    """Show ``fn``'s panel on the public page of every ``model`` object (an Estate's page)."""
    found = _PANELS.setdefault(model, [])
    if fn not in found:
        found.append(fn)


def panels_for(obj, request) -> list[Panel]:
    """The panels registered for ``obj``'s kind, in the order they were registered."""
    shown = []
    for fn in _PANELS.get(type(obj), ()):
        found = fn(obj, request)
        if found is not None:
            template, context = found
            shown.append(Panel(template, context))
    return shown
