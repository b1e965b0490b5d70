"""Vote pages: owners see their votes and cast ballots on a phone; conveners watch turnout."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from community import access
from community.models import Ownership

from . import vote_services as votes
from .models import Ballot, Matter, Vote


def _owner(request):
    owner = getattr(request.user, "owner", None)
    if owner is None:
        raise PermissionDenied
    return owner


def _percent(share) -> str:
    """An exact share as a percentage with two decimals, computed in Decimal (never a float)."""
    return f"{Decimal(share.numerator * 100) / Decimal(share.denominator):.2f}" if share.denominator else "0.00"


@login_required
def my_votes(request):
    owner = _owner(request)
    estates = Ownership.objects.in_force().filter(owner=owner).values("unit__building__estate")
    vote_list = Vote.objects.filter(estate__in=estates).select_related("estate").order_by("-opens_at")
    mine = dict(Ballot.objects.filter(vote__in=vote_list, cast_by=owner).values_list("vote_id", "choice"))
    return render(request, "committees/my_votes.html", {"votes": [(v, mine.get(v.pk)) for v in vote_list], "now": timezone.now()})


@login_required
def ballot(request, vote_id):
    owner = _owner(request)
    vote = Vote.objects.select_related("estate").filter(pk=vote_id).first()
    holdings = votes.holdings_of(owner, vote) if vote else []
    if not holdings:
        raise Http404
    if request.method == "POST":
        try:
            votes.cast_ballot(voter=owner, vote=vote, holder=request.POST.get("holder", ""), choice=request.POST.get("choice", ""))
            messages.success(request, "您的表决已记录。")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("committees:ballot", vote.pk)
    cast = {b.holder: b for b in Ballot.objects.filter(vote=vote, holder__in=holdings)}
    return render(request, "committees/ballot.html", {
        "vote": vote, "matter": Matter(vote.matter).label, "holdings": [(h, cast.get(h)) for h in holdings],
        "open": vote.status == "open" and vote.opens_at <= timezone.now() < vote.closes_at,
    })


@login_required
def turnout(request, vote_id):
    vote = Vote.objects.select_related("estate").filter(pk=vote_id).first()
    if vote is None or not access.can(request.user, access.CONVENE_VOTES, vote.estate):
        raise Http404
    live = votes.turnout(vote)
    result = live["result"]
    return render(request, "committees/turnout.html", {
        "vote": vote, "matter": Matter(vote.matter).label, "live": live, "result": result,
        "quorum_area_pct": _percent(result.quorum_area), "quorum_heads_pct": _percent(result.quorum_heads),
    })
