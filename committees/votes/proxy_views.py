"""Proxy pages (委托): an owner appoints and revokes proxies from their own account and sees
those they hold; those who run a vote list the proxies covering it and record paper proxies
with the signed form. Every write goes through committees.votes.proxies."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access, uploads
from community.rules import rules_for
from community.web import act, cleaned, error_text, paged

from . import proxies, selectors, services
from .forms import OwnProxyForm, PaperProxyForm

PROXIES_PAGE_SIZE = 30


def _posted_pk(request) -> int:
    value = request.POST.get("proxy", "")
    return int(value) if value.isascii() and value.isdigit() else 0


def _open_votes(owner) -> list:
    """The open or coming votes of the owner's estates, which a proxy may still be given for."""
    now = timezone.now()
    return [v for v, _choice in selectors.owner_votes(owner) if v.status == "open" and v.closes_at > now]


@login_required
def my_proxies(request):
    """An owner's proxies: appoint one (for a vote or a period, by the agent's mobile), the
    proxies given and their state, revoke; and the proxies the account holds as agent."""
    owner = getattr(request.user, "owner", None)
    held = selectors.held_proxies(request.user)
    if owner is None and not held.exists():
        raise PermissionDenied
    here = reverse("committees:my_proxies")
    votes = _open_votes(owner) if owner else []
    if request.method == "POST":
        if owner is None:
            raise PermissionDenied
        if request.POST.get("action") == "revoke":
            proxy = selectors.given_proxies(owner).filter(pk=_posted_pk(request)).first()
            if proxy is None:
                raise Http404

            def handler():
                proxies.revoke_proxy(actor=request.user, proxy=proxy)
                return _("委托已撤销。")

            return act(request, handler, here)
        form = OwnProxyForm(request.POST, votes=votes)

        def handler():
            data = cleaned(form)
            proxies.appoint_proxy(
                actor=request.user,
                principal=owner,
                agent=data["agent"],
                vote=data["vote"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
            return _("委托已生效，受托人已收到通知。")

        return act(request, handler, here)
    return render(
        request,
        "committees/my_proxies.html",
        {
            "owner": owner,
            "given": list(selectors.given_proxies(owner)) if owner else [],
            "held": list(held),
            "form": OwnProxyForm(votes=votes) if owner else None,
            "limit": rules_for(votes[0].estate).proxy_max_principals if votes else None,
        },
    )


@login_required
def proxy_form(request, pk):
    """The signed proxy form, to the owner who gave the proxy and to its agent."""
    proxy = selectors.proxy_of_owner_or_agent(request.user, pk)
    if proxy is None or not proxy.form:
        raise Http404
    return uploads.serve(proxy.form, filename=f"proxy-{proxy.pk}")


def _convened(request, vote_id):
    return access.get_visible_or_404(request.user, access.CONVENE_VOTES, selectors.votes_with_estate(), pk=vote_id)


@login_required
def vote_proxies(request, vote_id):
    """Those who run the vote: the proxies covering it (masked names), a paper proxy recorded
    with the owner found by "楼栋 房号", the agent's mobile and the signed form; revoking."""
    vote = _convened(request, vote_id)
    here = reverse("committees:vote_proxies", args=[vote.pk])
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            proxy = selectors.vote_proxies(vote).filter(pk=_posted_pk(request)).first()
            if proxy is None:
                raise Http404

            def handler():
                proxies.revoke_proxy(actor=request.user, proxy=proxy)
                return _("委托已撤销。")

            return act(request, handler, here)
        form = PaperProxyForm(request.POST, request.FILES)

        def handler():
            data = cleaned(form)
            proxies.appoint_proxy(
                actor=request.user, principal=data["principal"], agent=data["agent"], vote=vote, form=data["form"]
            )
            return _("纸质委托已登记，受托人已收到通知。")

        return act(request, handler, here)
    unit_text, owners, lookup_error = request.GET.get("unit", "").strip(), [], ""
    if unit_text:
        try:
            _n, unit_pk, _b, _r, _c = services.read_unit_lines(vote.estate, unit_text, with_choice=False)[0]
        except ValidationError as exc:
            lookup_error = error_text(exc)
        else:
            owners = selectors.unit_owners(vote, unit_pk)
            if not owners:
                lookup_error = _("该房屋不在本次表决范围内，或目前没有业主。")
    page, query = paged(request, selectors.vote_proxies(vote), PROXIES_PAGE_SIZE)
    return render(
        request,
        "committees/vote_proxies.html",
        {
            "vote": vote,
            "page": page,
            "querystring": query,
            "unit_text": unit_text,
            "owners": owners,
            "lookup_error": lookup_error,
            "form": PaperProxyForm(),
            "limit": rules_for(vote.estate).proxy_max_principals,
        },
    )


@login_required
def vote_proxy_form(request, vote_id, pk):
    """A paper proxy's signed form, to those who run the vote (media files are never served bare)."""
    vote = _convened(request, vote_id)
    proxy = selectors.vote_proxies(vote).filter(pk=pk).exclude(form="").first()
    if proxy is None:
        raise Http404
    return uploads.serve(proxy.form, filename=f"vote-{vote.pk}-proxy-{proxy.pk}")
