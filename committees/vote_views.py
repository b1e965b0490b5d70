"""Vote pages: owners see their votes and cast ballots on a phone; conveners watch turnout."""

from decimal import Decimal
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access
from community.models import Estate, Owner, Ownership
from community.privacy import mask_name
from community.rules import rules_for

from . import steward
from . import vote_services as votes
from .forms import PaperBallotsForm, VoteForm
from .models import Ballot, Matter, Vote
from .tally import DEVELOPER


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
    return render(
        request, "committees/my_votes.html", {"votes": [(v, mine.get(v.pk)) for v in vote_list], "now": timezone.now()}
    )


@login_required
def ballot(request, vote_id):
    owner = _owner(request)
    vote = Vote.objects.select_related("estate").filter(pk=vote_id).first()
    holdings = votes.holdings_of(owner, vote) if vote else []
    if not holdings:
        raise Http404
    if request.method == "POST":
        try:
            votes.cast_ballot(
                voter=owner, vote=vote, holder=request.POST.get("holder", ""), choice=request.POST.get("choice", "")
            )
            messages.success(request, _("您的表决已记录。"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("committees:ballot", vote.pk)
    cast = {b.holder: b for b in Ballot.objects.filter(vote=vote, holder__in=holdings)}
    return render(
        request,
        "committees/ballot.html",
        {
            "vote": vote,
            "matter": Matter(vote.matter).label,
            "holdings": [(h, cast.get(h)) for h in holdings],
            "open": vote.status == "open" and vote.opens_at <= timezone.now() < vote.closes_at,
        },
    )


VOTES_PAGE_SIZE = 30


@login_required
def manage(request):
    """Conveners (committee members, community staff) see the votes of their estates and start new ones."""
    if not access.holds_anywhere(request.user, access.CONVENE_VOTES):
        raise PermissionDenied
    vote_list = access.visible(request.user, access.CONVENE_VOTES, Vote.objects.select_related("estate")).order_by(
        "-opens_at"
    )
    estates = access.visible(request.user, access.CONVENE_VOTES, Estate.objects.order_by("code"))
    chosen = request.GET.get("estate")
    if chosen and chosen.isdigit() and estates.filter(pk=chosen).exists():
        return redirect("committees:convene", int(chosen))
    return render(
        request,
        "committees/manage_votes.html",
        {
            "page": Paginator(vote_list, VOTES_PAGE_SIZE).get_page(request.GET.get("page")),
            "estates": estates.values_list("pk", "name")[:500],
            "now": timezone.now(),
        },
    )


def _convened(request, vote_id) -> Vote:
    """A vote the user may run (convene, watch, enter ballots for); anything else is not found."""
    return access.get_visible_or_404(
        request.user, access.CONVENE_VOTES, Vote.objects.select_related("estate"), pk=vote_id
    )


@login_required
def turnout(request, vote_id):
    """Live figures while the vote runs (refreshing itself), the close button once it has
    ended, and afterwards the result exactly as frozen at the close."""
    vote = _convened(request, vote_id)
    if request.method == "POST":
        try:
            votes.close_vote(actor=request.user, vote=vote)
            messages.success(request, _("已结束计票，结果公告已起草，请在公告编辑中审核发布。"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("committees:turnout", vote.pk)
    now, rules = timezone.now(), rules_for(vote.estate)
    if vote.status == "closed":
        live, result = None, vote.result
        shares = (Fraction(result["quorum_area"]), Fraction(result["quorum_heads"]))
    else:
        live = votes.turnout(vote)
        result = live["result"]
        shares = (result.quorum_area, result.quorum_heads)
    return render(
        request,
        "committees/turnout.html",
        {
            "vote": vote,
            "matter": Matter(vote.matter).label,
            "live": live,
            "result": result,
            "quorum_area_pct": _percent(shares[0]),
            "quorum_heads_pct": _percent(shares[1]),
            "refresh": vote.status == "open" and vote.opens_at <= now < vote.closes_at,
            "can_close": vote.status == "open" and now >= vote.closes_at,
            "quorum_rules": (rules.vote_quorum_area, rules.vote_quorum_heads),
        },
    )


@login_required
def convene(request, estate_id):
    """A committee member (or community staff, for a first assembly) convenes a vote."""
    estate = access.get_visible_or_404(request.user, access.CONVENE_VOTES, Estate, pk=estate_id)
    reviews, rules = steward.pending_reviews(estate), rules_for(estate)
    form = VoteForm(request.POST or None, estate=estate, reviews=reviews)
    if request.method == "POST" and form.is_valid():
        try:
            vote = votes.convene_vote(actor=request.user, estate=estate, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("表决已发起，表决公告已起草，请在公告编辑中审核发布。"))
            return redirect("committees:turnout", vote.pk)
    return render(
        request,
        "committees/convene.html",
        {
            "estate": estate,
            "form": form,
            "review_matters": [Matter(m).label for m in sorted(rules.branch_review_matters)],
            "notice_days": rules.assembly_notice_days,
        },
    )


@login_required
def paper(request, vote_id):
    """Staff enter paper ballots by unit, one or a stack at a time, and see every ballot with
    who entered it. Owners' names are masked here: the figures are the point, not the people."""
    vote = _convened(request, vote_id)
    form = PaperBallotsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            n = votes.enter_paper_lines(actor=request.user, vote=vote, text=form.cleaned_data["lines"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error("lines", exc)
        else:
            messages.success(request, _("已录入 %(n)s 张纸质表决票。") % {"n": n})
            return redirect("committees:paper", vote.pk)
    ballots = list(Ballot.objects.filter(vote=vote).select_related("entered_by", "cast_by").order_by("-cast_at")[:500])
    owner_ids = {int(pk) for b in ballots if b.holder != DEVELOPER for pk in b.holder.split(",")}
    names = dict(Owner.objects.filter(pk__in=owner_ids).values_list("pk", "name"))
    rows = [
        (
            b,
            _("开发建设单位")
            if b.holder == DEVELOPER
            else "、".join(mask_name(names.get(int(pk), "?")) for pk in b.holder.split(",")),
        )
        for b in ballots
    ]
    return render(
        request,
        "committees/paper.html",
        {
            "vote": vote,
            "form": form,
            "rows": rows,
            "total": Ballot.objects.filter(vote=vote).count(),
            "open": vote.status == "open" and vote.opens_at <= timezone.now() < vote.closes_at,
        },
    )
