"""The duty list (/duties/): the legal deadlines the signed-in staff member or committee member
answers for, by last day, the overdue ones in red."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from . import access, duties
from .web import paged

PAGE_SIZE = 50


@login_required
def duty_list(request):
    access.prefetch(request.user, (access.VIEW, *duties.perms()))  # one query for the page's grants
    if not access.holds_anywhere(request.user, access.VIEW):
        raise PermissionDenied  # owners and household members answer for no legal deadline
    today = timezone.localdate()
    found = duties.due(today)
    duties.refresh(today, found)  # the bar's count follows what the sources say now
    mine = duties.scoped(request.user, found)
    rows = [
        {
            "duty": d,
            "overdue": d.overdue(today),
            "late": d.days_overdue(today),
            "left": d.days_left(today),
            "soon": d.soon(today),
        }
        for d in mine
    ]
    page, query = paged(request, rows, PAGE_SIZE)
    return render(
        request,
        "community/duties.html",
        {
            "rows": page.object_list,
            "page": page,
            "querystring": query,
            "today": today,
            "overdue": sum(1 for r in rows if r["overdue"]),
        },
    )
