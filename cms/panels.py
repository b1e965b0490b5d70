"""Panels the floors above add to the public pages: an estate's service figures on its page;
and the contacts they add to its contact card (the owners' committee).

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


# --------------------------------------------------------------------------- contacts


@dataclass(frozen=True)
class Contact:
    """One line of a public page's contact card: who (``label``: what they are to the estate;
    ``name``), a phone number to call if they publish one, and a note (how else to reach them)."""

    label: str
    name: str
    phone: str = ""
    note: str = ""


ContactFn = Callable[[object], "list[Contact]"]
_CONTACTS: dict[type, list[ContactFn]] = {}


def register_contact(model: type, fn: ContactFn) -> None:
    """Add ``fn``'s contacts to the contact card of every ``model`` object's public page (the
    owners' committee on an estate's page, which cms cannot read itself)."""
    found = _CONTACTS.setdefault(model, [])
    if fn not in found:
        found.append(fn)


def contacts_for(obj) -> list[Contact]:
    """The contacts the floors above give for ``obj``, in the order they were registered."""
    return [contact for fn in _CONTACTS.get(type(obj), ()) for contact in fn(obj)]
