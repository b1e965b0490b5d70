"""The extraordinary assembly's pages: owners see their estates' proposals at /me/assembly/,
support one or open a new one; staff and the committee see an estate's proposals with their
support, the paper-list form, the day to convene by and the convene form. Writes go through
committees.assembly; reads come from committees.selectors."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import access, uploads
from community.models import Estate
from community.rules import rules_for
from community.web import act, cleaned, owner_or_403

from . import assembly, selectors
from .forms import AssemblyVoteForm, PaperProposalForm, PaperSupportForm, ProposalForm
from .models import ProposalStatus
from .votes import services as votes


@login_required
def my_assembly(request):
    owner = owner_or_403(request)
    today = timezone.localdate()
    estates = selectors.owner_estates(owner, today)
    rows = selectors.owner_proposals(owner, today)
    return render(
        request,
        "committees/my_assembly.html",
        {
            "rows": rows,
            "form": ProposalForm(estates=estates),
            "has_estate": estates.exists(),
            "user_id": request.user.pk,
        },
    )


def _posted_proposal(request) -> int:
    """The proposal a form posts: ASCII digits only, anything else is no such proposal (404)."""
    value = request.POST.get("proposal", "")
    if not (value.isascii() and value.isdigit()):
        raise Http404
    return int(value)


@login_required
@require_POST
def my_assembly_act(request):
    owner = owner_or_403(request)
    today = timezone.localdate()
    back = reverse("committees:my_assembly")
    action = request.POST.get("action")
    if action == "open":

        def handler():
            data = cleaned(ProposalForm(request.POST, estates=selectors.owner_estates(owner, today)))
            assembly.open_proposal(
                actor=request.user, estate=data["estate"], subject=data["subject"], reasons=data["reasons"]
            )
            return _("提议已发起，您的支持已计入。")

        return act(request, handler, back)
    proposal = selectors.visible_proposal(request.user, _posted_proposal(request))
    if proposal is None:
        raise Http404
    if action == "support":

        def handler():
            assembly.support_proposal(actor=request.user, proposal=proposal)
            return _("您的支持已记录。")

    elif action == "withdraw":

        def handler():
            assembly.withdraw_proposal(actor=request.user, proposal=proposal)
            return _("提议已撤回。")

    else:
        raise Http404
    return act(request, handler, back)


def _estate_for(request, estate_id) -> tuple[Estate, bool]:
    """The estate, to those who convene its votes (who may act) or review its committee's
    filings (who watch); 404 for anybody else."""
    estate = access.get_visible_or_404(request.user, access.VIEW, Estate, pk=estate_id)
    runs = access.can(request.user, access.CONVENE_VOTES, estate)
    if not runs and not access.can(request.user, access.REVIEW_FILINGS, estate):
        raise Http404
    return estate, runs


def _units_to_owners(estate, text, on):
    units = [pk for _n, pk, *_rest in votes.read_unit_lines(estate, text, with_choice=False)]
    return selectors.owners_of_units(units, on)


@login_required
def estate_assembly(request, estate_id):
    estate, runs = _estate_for(request, estate_id)
    today = timezone.localdate()
    back = reverse("committees:assembly", args=[estate.pk])
    if request.method == "POST":
        if not runs:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "open":

            def handler():
                data = cleaned(PaperProposalForm(request.POST))
                assembly.open_proposal(
                    actor=request.user, estate=estate, subject=data["subject"], reasons=data["reasons"], paper=True
                )
                return _("已登记业主的书面提议，请录入签名名单。")

            return act(request, handler, back)
        proposal = selectors.proposal_of(estate, _posted_proposal(request))
        if proposal is None:
            raise Http404
        if action == "paper":

            def handler():
                data = cleaned(PaperSupportForm(request.POST, request.FILES))
                added = assembly.record_paper_support(
                    actor=request.user,
                    proposal=proposal,
                    owners=_units_to_owners(estate, data["units"], today),
                    signed_list=data["signed_list"],
                )
                return _("已登记 %(n)s 位业主的支持。") % {"n": added}

        elif action == "convene":

            def handler():
                form = AssemblyVoteForm(request.POST, reviews=selectors.pending_reviews(estate))
                assembly.convene_for_proposal(actor=request.user, proposal=proposal, **cleaned(form))
                return _("临时业主大会已召集，表决公告已生成草稿。")

        else:
            raise Http404
        return act(request, handler, back)
    proposals = list(selectors.estate_proposals(estate)[:100])
    lists = selectors.paper_lists(proposals) if runs else {}
    rows = [{"proposal": p, "overdue": selectors.overdue(p, today), "lists": lists.get(p.pk, [])} for p in proposals]
    rules = rules_for(estate)
    return render(
        request,
        "committees/assembly.html",
        {
            "estate": estate,
            "rows": rows,
            "runs": runs,
            "sees_scans": runs and access.can(request.user, access.PERSONAL, estate),
            "committee": selectors.sitting_committee(estate),
            "needed": (rules.extraordinary_assembly_area, rules.extraordinary_assembly_heads),
            "convene_days": rules.extraordinary_assembly_convene_days,
            "forms": {
                "open": PaperProposalForm(),
                "paper": PaperSupportForm(),
                "convene": AssemblyVoteForm(reviews=selectors.pending_reviews(estate)),
            }
            if runs
            else {},
            "collecting": ProposalStatus.COLLECTING,
            "reached": ProposalStatus.REACHED,
        },
    )


@login_required
def signed_list(request, estate_id, pk):
    """A recorded paper list, to those who run the estate's votes and may see personal data
    (names, rooms, signatures; a committee member sees the registry masked): media files are
    never served bare."""
    estate, runs = _estate_for(request, estate_id)
    if not runs or not access.can(request.user, access.PERSONAL, estate):
        raise Http404
    support = selectors.paper_support(estate, pk)
    if support is None:
        raise Http404
    return uploads.serve(support.signed_list, filename=f"assembly-{support.proposal_id}-list-{support.pk}")
