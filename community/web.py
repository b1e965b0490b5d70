"""View helpers every app's pages share.

* ``cleaned(form)``: a bound form's data, or a ``ValidationError`` naming each bad field.
* ``error_text(exc)``: a service's refusal as one line for ``messages``.
* ``act(request, handler, fallback)``: the shape of every POST handler: run one service call,
  show what it did or why it was refused, redirect back.
* ``paged(request, rows, size)``: one page of a list and the query string its pager links
  keep (the filters, without the page number).
* ``owner_or_403(request)``: the owner record the signed-in user is, for the resident pages.

A view that needs one object the user may see uses ``community.access.get_visible_or_404``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def cleaned(form) -> dict:
    """The form's data, or a ValidationError naming each bad field, for a view to show as a message
    (the same way it shows a service's refusal)."""
    if not form.is_valid():
        raise ValidationError(
            "；".join(
                f"{form.fields[f].label}：{e}" if f in form.fields else str(e)
                for f, errs in form.errors.items()
                for e in errs
            )
        )
    return form.cleaned_data


def error_text(exc) -> str:
    """A service's refusal (ValidationError or PermissionDenied) as one line for ``messages``."""
    return "；".join(getattr(exc, "messages", [str(exc)]))


def act(request, handler, fallback, done=None):
    """For every app's POST handlers: run one service call; show what it did (the handler's
    text, else ``done``) or its refusal as a message; redirect back."""
    try:
        result = handler()
        messages.success(request, result if isinstance(result, str) else done or _("已办理。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect(fallback)


def owner_or_403(request):
    """The registry's owner record of the signed-in user; 403 for an account that is no owner
    (staff logins, or an owner not yet bound to an account)."""
    owner = getattr(request.user, "owner", None)
    if owner is None:
        raise PermissionDenied
    return owner


def querystring(request) -> str:
    """The request's query string without the page number, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def paged(request, rows, size: int) -> tuple[Page, str]:
    """The page of ``rows`` the request asks for (the last one past the end) and the query
    string the pager's links keep."""
    return Paginator(rows, size).get_page(request.GET.get("page")), querystring(request)
