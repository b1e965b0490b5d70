"""Committee pages: the staff queue of committees and deadlines, and a committee's filing checklist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from community import access

from . import committee_services as life
from .models import Committee


def _visible(user, perm):
    qs = Committee.objects.select_related("estate__grid__community__street__district__rule_set", "election_vote")
    return access.visible(user, perm, qs)


@login_required
def queue(request):
    """Street, community and district staff: committees in scope, each deadline with the days left."""
    if not (access.holds_anywhere(request.user, access.REVIEW_FILINGS) or access.holds_anywhere(request.user, access.RUN_EXAMS)):
        raise PermissionDenied
    today = timezone.localdate()
    committees = _visible(request.user, access.VIEW).exclude(status="dissolved").order_by("status", "elected_on")
    rows = [(c, life.deadlines(c, on=today)) for c in committees]
    return render(request, "committees/queue.html", {
        "rows": rows, "can_review": access.holds_anywhere(request.user, access.REVIEW_FILINGS),
    })


@login_required
def detail(request, pk):
    committee = _visible(request.user, access.VIEW).filter(pk=pk).first()
    if committee is None:
        raise Http404
    return render(request, "committees/committee.html", {
        "committee": committee,
        "members": committee.members.select_related("owner").order_by("role", "pk"),
        "checklist": life.filing_checklist(committee),
        "events": committee.events.select_related("actor"),
        "can_file": access.can(request.user, access.CONVENE_VOTES, committee.estate),
        "can_review": access.can(request.user, access.REVIEW_FILINGS, committee.estate),
    })


@login_required
@require_POST
def act(request, pk):
    committee = _visible(request.user, access.VIEW).filter(pk=pk).first()
    if committee is None:
        raise Http404
    action = request.POST.get("action")
    try:
        if action == "file":
            life.submit_filing(actor=request.user, committee=committee)
        elif action in ("accept", "return"):
            life.review_filing(actor=request.user, committee=committee, accept=action == "accept",
                               reasons=request.POST.get("reasons", ""))
        else:
            raise Http404
        messages.success(request, "已办理。")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    return redirect("committees:committee", committee.pk)
