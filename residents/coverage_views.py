"""Binding coverage for staff: how many units, and how much area, an estate's bound owner
accounts reach, and which units have none yet (e-voting turnout depends on it).

Readers: whoever sees the estate's owners' personal data (district, street, community and
grid staff) or convenes its owners' votes (its committee members, community staff). Anyone
else, and an estate out of the reader's scope, gets 404. The list of units without an account
names no owner.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from community import access
from community.web import paged

from . import coverage

PAGE_SIZE = 50


@login_required
def estate(request, pk):
    estate = get_object_or_404(coverage.estates_for_coverage(request.user).select_related("grid__community"), pk=pk)
    figures = coverage.estate_coverage(estate)
    page, querystring = paged(request, coverage.units_without_account(estate, on=figures.on), PAGE_SIZE)
    return render(
        request,
        "residents/coverage.html",
        {
            "estate": estate,
            "figures": figures,
            "page": page,
            "querystring": querystring,
            "may_print": access.can(request.user, access.CHANGE, estate),
        },
    )
