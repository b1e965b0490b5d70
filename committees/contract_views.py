"""The page where registry staff link an estate's contracts to the owners' votes (matter 4 of
Civil Code art. 278) that hired or dismissed the company. Reached from the estate page."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import access
from community.models import Estate, ServiceContract
from community.tenure.selectors import estate_contracts
from community.web import act, cleaned

from . import contract_services
from .models import ContractDecisionKind, Vote
from .selectors import passed_manager_votes


class LinkForm(forms.Form):
    contract = forms.ModelChoiceField(label=gettext_lazy("物业服务合同"), queryset=ServiceContract.objects.none())
    vote = forms.ModelChoiceField(label=gettext_lazy("业主表决"), queryset=Vote.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("表决决定"), choices=ContractDecisionKind.choices)

    def __init__(self, *args, estate, votes=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices offered are the estate's; a vote of any estate may be posted, and the service refuses it.
        self.fields["contract"].queryset = ServiceContract.objects.filter(estate=estate).select_related("company")
        self.fields["vote"].queryset = Vote.objects.all()
        if votes is not None:
            self.fields["vote"].choices = [
                (v.pk, f"{v.question}（{timezone.localdate(v.closes_at):%Y-%m-%d}）") for v in votes
            ]


@login_required
def contract_votes(request, estate_id):
    estate = Estate.objects.filter(pk=estate_id).first()
    if estate is None or not access.can(request.user, access.CHANGE, estate):
        raise PermissionDenied
    here = reverse("committees:contract_votes", args=[estate.pk])
    if request.method == "POST":
        form = LinkForm(request.POST, estate=estate)

        def handler():
            data = cleaned(form)
            contract_services.link_contract_to_vote(
                actor=request.user, contract=data["contract"], vote=data["vote"], kind=data["kind"]
            )
            return _("已将合同与业主表决关联。")

        return act(request, handler, here)
    votes = passed_manager_votes(estate)
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
