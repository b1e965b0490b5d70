"""The public pages under a crowd: an anonymous visitor's page served from the cache.

One mechanism for every public page (the site's district, community, estate and notice pages,
the price board, the statements and the verify pages): the view says the page is public and
what it shows with ``public(request, *scopes)``, and ``PublicPageCacheMiddleware`` keeps the
rendered page in the default cache (Redis with ``CACHE_URL``, local memory in the demo).

* Only an anonymous GET (or HEAD) with no session, no pending messages and no credentials is
  looked up or stored; a signed-in visitor always gets a fresh page, which is never stored. A
  page is stored only when it is a 200 that sets no cookie, so it holds nothing of one visitor
  (the public templates carry no CSRF token: the language switch does not need one).
* The key is the scheme, host, full path with its query, the language and the local date,
  so "剩余 N 天" turns at midnight and the English page is never served to a Chinese visitor.
* A scope is a registry object (an estate, a community, a district) or a name ("site" for
  every page). Each scope has a generation token in the cache; a stored page carries the tokens
  its scopes had before the view read anything, and is served only while they are unchanged.
  ``changed(*scopes)`` gives the scopes new tokens at once and again when the writing transaction
  commits, so the next visitor sees the change; nothing is deleted and a lost token only means a miss.
* ``watch(model, scopes_of)`` bumps the scopes from the model's ``post_save`` and ``post_delete``
  (an app registers its own models from ``AppConfig.ready()``); services that write in bulk call
  ``changed`` themselves. ``PUBLIC_PAGE_CACHE_SECONDS`` bounds how long a page is kept at all.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re, patch_vary_headers

SITE = "site"
PREFIX = "pagecache"
# A response may vary on these and still be shared: the key holds the language, and the
# request is looked up only without a session or messages cookie.
SHAREABLE_VARY = {"cookie", "accept-language"}


def _seconds() -> int:
    return int(getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 600))


def scope_of(model: type, pk) -> str:
    """The scope of one object, known by its primary key alone (no query)."""
    return f"{model._meta.concrete_model._meta.label_lower}:{pk}"


def scope_name(scope) -> str:
    """A name ("site", "page:12") as it is, or ``<app>.<model>:<pk>`` for a registry object."""
    if isinstance(scope, str):
        return scope
    return scope_of(scope._meta.model, scope.pk)


def _token_key(name: str) -> str:
    return f"{PREFIX}:gen:{name}"


def _tokens(names: list[str]) -> dict[str, str]:
    """The current token of each scope, giving a missing one a fresh token."""
    keys = {_token_key(name): name for name in names}
    found = cache.get_many(list(keys))
    for key in keys.keys() - found.keys():
        cache.add(key, uuid.uuid4().hex, None)
        found[key] = cache.get(key)
    return {keys[key]: value for key, value in found.items()}


def public(request, *scopes) -> None:
    """Mark this request's page as public and depending on ``scopes`` (and the whole site).

    Call it before the view reads what it shows: the tokens are read now, so a change that
    commits while the page renders makes the stored copy stale at once."""
    if getattr(request, "_pagecache_key", None) is None:
        return
    names = sorted({SITE, *(scope_name(s) for s in scopes if s is not None)})
    request._pagecache_tokens = _tokens(names)


def withdraw(request) -> None:
    """This request's page is not to be shared after all (the view found it reads live data)."""
    request._pagecache_tokens = None


def changed(*scopes) -> None:
    """The pages that show ``scopes`` are out of date from the moment the transaction commits."""
    names = {scope_name(s) for s in scopes if s is not None}
    if names:

        def bump():
            cache.set_many({_token_key(name): uuid.uuid4().hex for name in names}, None)

        # Now, for this transaction's own later reads; and again once it commits, since a visitor
        # may have read the new token and the old rows in between and stored that page.
        bump()
        transaction.on_commit(bump)


def watch(model: type, scopes_of: Callable[[object], object]) -> None:
    """Bump ``scopes_of(instance)`` (one scope, a list of them, or None) whenever an instance
    of ``model`` is saved or deleted."""

    def bump(sender, instance, raw=False, **kwargs):
        if raw:
            return
        found = scopes_of(instance)
        if found is None:
            return
        changed(*(found if isinstance(found, list | tuple | set) else [found]))

    uid = f"pagecache:{model._meta.label_lower}:{getattr(scopes_of, '__qualname__', id(scopes_of))}"
    post_save.connect(bump, sender=model, weak=False, dispatch_uid=f"{uid}:save")
    post_delete.connect(bump, sender=model, weak=False, dispatch_uid=f"{uid}:delete")


def _until_midnight(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min), local.tzinfo)
    return max(1, int((midnight - local).total_seconds()))


def _entry_key(request) -> str | None:
    """The page's key for an anonymous visitor, or None when this request is not one to share."""
    if request.method not in ("GET", "HEAD"):
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    where = "|".join(
        (
            request.scheme,
            request.get_host(),
            request.get_full_path(),
            translation.get_language() or "",
            timezone.localdate().isoformat(),
        )
    )
    return f"{PREFIX}:page:{hashlib.sha256(where.encode()).hexdigest()}"


def _storable(request, response) -> bool:
    if getattr(request, "_pagecache_tokens", None) is None or request.method != "GET":
        return False
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    control = response.get("Cache-Control", "").lower()
    if any(word in control for word in ("private", "no-store", "no-cache")):
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    return vary <= SHAREABLE_VARY


class PublicPageCacheMiddleware:
    """Serves a stored public page to an anonymous visitor, and stores the page a public view
    rendered for one. Placed after the language middleware (the key holds the language) and
    before everything that looks at the user, so a hit touches neither the session nor the
    database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request._pagecache_key = _entry_key(request)
        if key is not None:
            hit = self._fetch(key)
            if hit is not None:
                return hit
        response = self.get_response(request)
        if key is not None and _storable(request, response):
            patch_vary_headers(response, ("Cookie",))
            stored = (request._pagecache_tokens, response.status_code, list(response.items()), response.content)
            cache.set(key, stored, min(_seconds(), _until_midnight(timezone.now())))
        return response

    @staticmethod
    def _fetch(key: str) -> HttpResponse | None:
        stored = cache.get(key)
        if stored is None:
            return None
        tokens, status, headers, content = stored
        current = cache.get_many([_token_key(name) for name in tokens])
        if any(current.get(_token_key(name)) != token for name, token in tokens.items()):
            return None
        response = HttpResponse(content, status=status)
        for header, value in headers:
            response[header] = value
        return response
