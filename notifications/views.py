"""The inbox (every signed-in user, staff and owners) and the choice of channels."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.web import act, cleaned, paged

from . import selectors, services
from .forms import PreferenceForm

INBOX_PAGE_SIZE = 20


@login_required
def inbox(request):
    page, query = paged(request, selectors.inbox(request.user), INBOX_PAGE_SIZE)
    return render(request, "notifications/inbox.html", {"page": page, "query": query})


@login_required
def item(request, pk):
    delivery = services.mark_read(actor=request.user, delivery=selectors.inbox_item_or_404(request.user, pk))
    return render(request, "notifications/item.html", {"delivery": delivery, "message": delivery.message})


@login_required
@require_POST
def read_all(request):
    return act(
        request, lambda: services.mark_all_read(actor=request.user), "notifications:inbox", _("已全部标为已读。")
    )


@login_required
def preferences(request):
    if request.method == "POST":
        return act(
            request,
            lambda: services.set_preferences(actor=request.user, **cleaned(PreferenceForm(request.POST))),
            "notifications:preferences",
        )
    initial = selectors.channel_choices(request.user)
    owner = getattr(request.user, "owner", None)
    return render(
        request,
        "notifications/preferences.html",
        {"form": PreferenceForm(initial=initial), "mobile": owner.mobile if owner else "", "email": request.user.email},
    )
