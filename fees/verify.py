"""The public page that checks a published disclosure against the live books.

A fee statement and a fund statement are verified the same way: whoever holds the paper
opens the URL printed under its QR code, the period is read again from the ledger, and
the fingerprints are compared. Both apps' verify views hand their own reading here.
"""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import render

from community import pagecache
from community.pdf import ungrouped

from . import ledger, selectors


def verify_page(request, estate, start: str, end: str, *, subject: str, read, template: str):
    """Recompute the period with ``read(start, end)`` and compare its fingerprint with the one
    claimed (``?fp=``, read as typed: case, spaces and hyphens do not matter). A mismatch
    answers 404, so a scanner sees it.

    The page is shared from the cache (community.pagecache) only for a period whose books are
    closed by a published statement (``ledger`` refuses an entry dated in it), so only a new
    statement changes it; an open period is read live every time."""
    pagecache.public(request, estate)
    try:
        start_day, end_day = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise Http404 from None
    if end_day < start_day:
        raise Http404
    claimed = ungrouped(request.GET.get("fp", ""))
    live = read(start_day, end_day)
    ok = bool(claimed) and claimed == live.fingerprint
    published = selectors.published_statement(estate, subject, start_day, end_day)
    closed = ledger.closed_until(estate, subject)
    if closed is None or end_day > closed:
        pagecache.withdraw(request)
    return render(
        request,
        template,
        {
            "estate": estate,
            "start": start_day,
            "end": end_day,
            "claimed": claimed,
            "ok": ok,
            "live": live,
            "published": published,
        },
        status=200 if ok or not claimed else 404,
    )
