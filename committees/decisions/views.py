"""An estate's decisions with their windows: the owners' votes and the committee's decisions,
the day each was made and posted, the last day to ask a court to revoke it, its challenges and
their outcomes; community staff record a challenge and its outcome here."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access
from community.models import Estate
from community.privacy import mask_name
from community.web import act, cleaned

from . import selectors, services
from .forms import ChallengeForm, OutcomeForm

ESTATE = "grid__community__street__district__rule_set"


@login_required
def decisions(request, estate_id):
    access.prefetch(request.user, (access.VIEW, access.CHANGE, access.PERSONAL))
    if not access.holds_anywhere(request.user, access.VIEW):
        raise PermissionDenied
    estate = access.get_visible_or_404(request.user, access.VIEW, Estate.objects.select_related(ESTATE), pk=estate_id)
    can_record = access.can(request.user, access.CHANGE, estate)
    here = reverse("committees:decisions", args=[estate.pk])
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        return act(request, lambda: _post(request, estate), here)
    full = access.can(request.user, access.PERSONAL, estate)
    today = timezone.localdate()
    rows = selectors.decisions_of(estate)
    for row in rows:
        row.open = row.open_on(today)
        for c in row.challenges:
            c.shown_name = c.plaintiff.name if full else mask_name(c.plaintiff.name)
    return render(
        request,
        "committees/decisions.html",
        {
            "estate": estate,
            "rows": rows,
            "today": today,
            "can_record": can_record,
            "challenge_form": ChallengeForm(),
            "outcome_form": OutcomeForm(),
        },
    )


def _post(request, estate):
    action = request.POST.get("action")
    if action == "challenge":
        data = cleaned(ChallengeForm(request.POST))
        kind, pk = data["target"].split(":")
        item = selectors.vote_of(estate, pk) if kind == "vote" else selectors.decision_of(estate, pk)
        if item is None:
            raise Http404
        plaintiff = selectors.owner_of_unit(estate, data["building"], data["room"], data["name"], data["filed_on"])
        if plaintiff is None:
            raise ValidationError(services.NOT_AN_OWNER)
        services.record_challenge(
            actor=request.user,
            vote=item if kind == "vote" else None,
            decision=item if kind == "decision" else None,
            plaintiff=plaintiff,
            court=data["court"],
            case_number=data["case_number"],
            filed_on=data["filed_on"],
        )
        return _("已登记撤销决定之诉。")
    if action == "outcome":
        data = cleaned(OutcomeForm(request.POST))
        challenge = selectors.challenge_of(estate, data["challenge"])
        if challenge is None:
            raise Http404
        services.decide_challenge(
            actor=request.user, challenge=challenge, outcome=data["outcome"], decided_on=data["decided_on"]
        )
        return _("已登记裁判结果。")
    raise Http404
