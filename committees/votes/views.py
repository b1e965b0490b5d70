"""Vote pages: owners see their votes and cast ballots on a phone; conveners start votes,
watch turnout, type in paper ballots and close the count; registry staff link an estate's
contracts to the votes (matter 4 of Civil Code art. 278) that hired or dismissed the company."""

from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access, audit, uploads
from community.models import Estate
from community.rules import rules_for
from community.tenure.selectors import estate_contracts
from community.web import act, cleaned, error_text, paged
from residents import coverage

from .. import selectors as committee_selectors
from .. import services as committee_services
from ..models import Matter, Vote
from . import pdf, proxies, selectors, services
from .forms import LinkForm, PaperBallotsForm, ServiceForm, VoteForm

VOTES_PAGE_SIZE = 30


@login_required
def my_votes(request):
    """An owner's votes, and the votes the signed-in account may vote in as a proxy (委托)."""
    owner = getattr(request.user, "owner", None)
    proxied = selectors.proxy_votes(request.user)
    if owner is None and not proxied:
        raise PermissionDenied
    return render(
        request,
        "committees/my_votes.html",
        {"votes": selectors.owner_votes(owner) if owner else [], "proxied": proxied, "now": timezone.now()},
    )


@login_required
def ballot(request, vote_id):
    """The ballot of each holding the account votes for: the owner's own, and those of the
    owners whose active proxies it holds for this vote (labelled with the owner, masked)."""
    owner = getattr(request.user, "owner", None)
    vote = selectors.vote_with_estate(vote_id)
    try:
        own = selectors.holdings_of(owner, vote) if vote and owner else []
        proxied = [(h, p) for h, p in selectors.proxied_holdings(request.user, vote) if h not in own] if vote else []
    except ValidationError as exc:  # the developer's share cannot be read while a unit has no owner
        messages.error(request, error_text(exc))
        own, proxied = [], []
    if not own and not proxied:
        if owner is None:
            raise PermissionDenied
        raise Http404
    if request.method == "POST":

        def handler():
            choice = request.POST.get("choice", "")
            proxy = None
            if request.POST.get("proxy"):
                proxy = next((p for _h, p in proxied if str(p.pk) == request.POST["proxy"]), None)
                if proxy is None:
                    raise ValidationError(proxies.NOT_ACTIVE)
            services.cast_ballot(
                voter=owner,
                vote=vote,
                holder=request.POST.get("holder", ""),
                choice=choice,
                candidates=_picked(request, vote, choice),
                proxy=proxy,
                agent=request.user,
            )
            return _("您的表决已记录。")

        return act(request, handler, reverse("committees:ballot", args=[vote.pk]))
    cast = selectors.ballots_cast(vote, own + [h for h, _p in proxied])
    return render(
        request,
        "committees/ballot.html",
        {
            "vote": vote,
            "matter": Matter(vote.matter).label,
            "holdings": [(h, cast.get(h), None) for h in own] + [(h, cast.get(h), p) for h, p in proxied],
            "open": vote.status == "open" and vote.opens_at <= timezone.now() < vote.closes_at,
            "candidates": selectors.candidates_of(vote) if vote.is_election else [],
            "closed": vote.status == "closed",
        },
    )


def _picked(request, vote, choice):
    """An election ballot's ticked candidates (none when the owner abstains); None for a yes/no vote."""
    if not vote.is_election or choice == "abstain":
        return None
    return request.POST.getlist("candidate")


@login_required
def manage(request):
    """Conveners (committee members, community staff) see the votes of their estates and start new ones."""
    if not access.holds_anywhere(request.user, access.CONVENE_VOTES):
        raise PermissionDenied
    chosen = request.GET.get("estate")
    if chosen and chosen.isascii() and chosen.isdigit() and selectors.convenes_in(request.user, chosen):
        return redirect("committees:convene", int(chosen))
    page, _query = paged(request, selectors.convened_votes(request.user), VOTES_PAGE_SIZE)
    return render(
        request,
        "committees/manage_votes.html",
        {"page": page, "estates": selectors.estate_choices(request.user), "now": timezone.now()},
    )


def _convened(request, vote_id) -> Vote:
    """A vote the user may run (convene, watch, enter ballots for); anything else is not found."""
    return access.get_visible_or_404(request.user, access.CONVENE_VOTES, selectors.votes_with_estate(), pk=vote_id)


@login_required
def turnout(request, vote_id):
    """Live figures while the vote runs (refreshing itself), the close button once it has
    ended, and afterwards the result exactly as frozen at the close.

    Its conveners run it from here; staff who may read the estate (the street reviewing a fund
    use, the company whose spending was put to the vote, the district, the grid) read the same
    figures, which name no owner, without the conveners' tools: paper ballots, the service
    register, the proxies and the close. While the vote runs, only the conveners and the
    offices that supervise (those who may see personal data) watch the count; a company's
    staff, whose own contract or spending may be the question, read the result once closed."""
    vote = access.get_visible_or_404(request.user, access.VIEW, selectors.votes_with_estate(), pk=vote_id)
    runs = access.can(request.user, access.CONVENE_VOTES, vote)
    if request.method == "POST":
        if not runs:
            raise PermissionDenied

        def handler():
            if vote.is_election:
                closed = committee_services.close_election(actor=request.user, vote=vote)
                if closed.result["election"]["committee"]:
                    return _("已结束计票并产生业主委员会，结果公告已起草，请在公告编辑中审核发布。")
                return _("已结束计票，未能产生业主委员会：%(why)s。结果公告已起草。") % {
                    "why": closed.result["election"]["reason"]
                }
            services.close_vote(actor=request.user, vote=vote)
            return _("已结束计票，结果公告已起草，请在公告编辑中审核发布。")

        return act(request, handler, reverse("committees:turnout", args=[vote.pk]))
    now, rules = timezone.now(), rules_for(vote.estate)
    sealed = vote.status != "closed" and not runs and not access.can(request.user, access.PERSONAL, vote)
    election, uncountable, live, service = None, "", None, None
    try:
        if vote.status != "closed" and not sealed:
            live = selectors.turnout(vote)
            if vote.is_election:
                candidates = selectors.candidates_of(vote)
                counted = selectors.election_count(vote, candidates=candidates)
                election = selectors.election_figures(vote, counted, candidates)
        if not sealed:
            service = selectors.service_summary(vote)
    except ValidationError as exc:  # a delivered unit in scope has no owner: say which, not a 500
        uncountable = error_text(exc)
    if vote.status == "closed":
        result = vote.result
        shares = (Fraction(result["quorum_area"]), Fraction(result["quorum_heads"]))
        election = result.get("election")
    elif live is not None:
        result = live["result"]
        shares = (result.quorum_area, result.quorum_heads)
    else:
        result, shares = None, (Fraction(0), Fraction(0))
    return render(
        request,
        "committees/turnout.html",
        {
            "vote": vote,
            "matter": Matter(vote.matter).label,
            "live": live,
            "result": result,
            "quorum_area_pct": coverage.percent(shares[0]),
            "quorum_heads_pct": coverage.percent(shares[1]),
            "refresh": vote.status == "open"
            and vote.opens_at <= now < vote.closes_at
            and not uncountable
            and not sealed,
            "runs": runs,
            "sealed": sealed,
            "can_close": runs and vote.status == "open" and now >= vote.closes_at,
            "quorum_rules": (rules.vote_quorum_area, rules.vote_quorum_heads),
            "service": service,
            "frozen_service": selectors.frozen_service(vote.result) if vote.status == "closed" else None,
            "service_incomplete": vote.status != "closed" and bool(service and service["heads"]["to_serve"]),
            "uncountable": uncountable,
            "election": election,
            "threshold": rules.approval_thresholds(vote.matter),
            "by_proxy": ([], 0) if sealed else selectors.proxy_ballots(vote),
        },
    )


@login_required
def result_pdf(request, vote_id):
    """The public copy of a closed vote's result (figures only, no owner named), to those who
    run the estate's votes and to the owners in the vote's scope."""
    vote = selectors.vote_with_estate(vote_id)
    if vote is None or vote.status != "closed":
        raise Http404
    if not access.can(request.user, access.CONVENE_VOTES, vote.estate):
        owner = getattr(request.user, "owner", None)
        try:
            in_scope = owner is not None and bool(selectors.holdings_of(owner, vote))
        except ValidationError:
            in_scope = False
        if not in_scope:
            raise Http404
    content, fp = pdf.result_pdf(selectors.result_document(vote))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="vote-{vote.pk}-result.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{fp}"'
    return response


@login_required
def service(request, vote_id):
    """Service of the convening notice (送达): served and to serve by heads and area, the
    deliveries per channel, the owners no channel reached (names and mobiles masked for those
    without access to personal data), and the paper services recorded for them."""
    vote = _convened(request, vote_id)
    here = reverse("committees:service", args=[vote.pk])
    if request.method == "POST":
        form = ServiceForm(request.POST, request.FILES)

        def handler():
            data = cleaned(form)
            rows = services.record_service(
                actor=request.user,
                vote=vote,
                owners=data["owners"],
                method=data["method"],
                photo=data["photo"],
                note=data["note"],
                served_on=data["served_on"],
            )
            return _("已登记 %(n)s 位业主的书面送达。") % {"n": len(rows)}

        return act(request, handler, here)
    personal = access.can(request.user, access.PERSONAL, vote.estate)
    try:
        figures = selectors.service_figures(vote, personal=personal)
    except ValidationError as exc:  # a delivered unit in scope has no owner
        return render(request, "committees/service.html", {"vote": vote, "uncountable": error_text(exc)})
    if personal:
        audit.record("view_personal", request=request, obj=vote, detail={"page": "vote_service"})
    return render(
        request,
        "committees/service.html",
        {
            "vote": vote,
            "figures": figures,
            "records": selectors.paper_service(vote)[: selectors.UNREACHED_SHOWN],
            "personal": personal,
            "form": ServiceForm(),
        },
    )


@login_required
def service_photo(request, vote_id, pk):
    """A paper service's photo, to those who run the vote (media files are never served bare)."""
    vote = _convened(request, vote_id)
    record = selectors.paper_service(vote).filter(pk=pk).exclude(photo="").first()
    if record is None:
        raise Http404
    return uploads.serve(record.photo, filename=f"vote-{vote.pk}-service-{record.pk}")


@login_required
def convene(request, estate_id):
    """A committee member (or community staff, for a first assembly) convenes a vote."""
    estate = access.get_visible_or_404(request.user, access.CONVENE_VOTES, Estate, pk=estate_id)
    reviews, rules = committee_selectors.pending_reviews(estate), rules_for(estate)
    form = VoteForm(request.POST or None, estate=estate, reviews=reviews)
    try:
        reach, uncountable = selectors.online_reach(estate), ""
    except ValidationError as exc:  # a delivered unit has no owner: name it, and still let a narrower vote be convened
        reach, uncountable = None, error_text(exc)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        lines = data.pop("candidates")
        try:
            candidates = services.read_candidate_lines(estate, lines) if lines.strip() else []
        except ValidationError as exc:
            form.add_error("candidates", exc)
    if request.method == "POST" and form.is_valid():
        try:
            vote = services.convene_vote(actor=request.user, estate=estate, candidates=candidates, **data)
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
            "reach": reach,
            "uncountable": uncountable,
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
            n = services.enter_paper_lines(actor=request.user, vote=vote, text=form.cleaned_data["lines"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error("lines", exc)
        else:
            messages.success(request, _("已录入 %(n)s 张纸质表决票。") % {"n": n})
            return redirect("committees:paper", vote.pk)
    rows, total = selectors.paper_ballots(vote)
    candidates = selectors.candidates_of(vote) if vote.is_election else []
    number = {c.pk: c.position for c in candidates}  # an election ballot shows the numbers it supports
    rows = [(b, who, "、".join(str(number[pk]) for pk in b.candidates)) for b, who in rows]
    return render(
        request,
        "committees/paper.html",
        {
            "vote": vote,
            "form": form,
            "candidates": candidates,
            "rows": rows,
            "total": total,
            "open": vote.status == "open" and vote.opens_at <= timezone.now() < vote.closes_at,
        },
    )


@login_required
def contract_votes(request, estate_id):
    """Registry staff link the estate's contracts to the passed votes on hiring or dismissing the company."""
    estate = access.get_permitted_or_403(request.user, access.CHANGE, Estate, pk=estate_id)
    here = reverse("committees:contract_votes", args=[estate.pk])
    if request.method == "POST":
        form = LinkForm(request.POST, estate=estate)

        def handler():
            data = cleaned(form)
            services.link_contract_to_vote(
                actor=request.user, contract=data["contract"], vote=data["vote"], kind=data["kind"]
            )
            return _("已将合同与业主表决关联。")

        return act(request, handler, here)
    votes = selectors.passed_manager_votes(estate)
    return render(
        request,
        "committees/contract_votes.html",
        {
            "estate": estate,
            "contracts": estate_contracts(request.user, estate),
            "votes": votes,
            "form": LinkForm(estate=estate, votes=votes),
        },
    )
