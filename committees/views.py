"""The committee's pages: the queue of committees and deadlines, a committee's page with its
filing checklist, motions, party branch, votes and meetings, and a meeting's page. Reads
come from committees.selectors, changes from committees.services.

Every form posts to one action endpoint; the services decide and their messages are shown."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import access
from community.web import cleaned, error_text

from . import consents, selectors, steward
from . import services as life
from .forms import (
    AttendanceForm,
    ChangeForm,
    DecisionForm,
    MeetingForm,
    MeetingRequestForm,
    MinutesForm,
    MotionForm,
    MotionVoteForm,
    ReviewForm,
)
from .models import ReviewLevel
from .votes import services as votes


@login_required
def queue(request):
    """Staff see the committees in their scope with each deadline and the days left; a committee
    member sees their own committee."""
    perms = (access.REVIEW_FILINGS, access.RUN_EXAMS, access.CONVENE_VOTES)
    if not any(access.holds_anywhere(request.user, p) for p in perms):
        raise PermissionDenied
    today = timezone.localdate()
    committees = list(selectors.committee_queue(request.user))
    pending = selectors.pending_levels(committees)
    rows = [(c, selectors.deadlines(c, on=today), pending.get(c.pk, [])) for c in committees]
    return render(
        request,
        "committees/queue.html",
        {
            "rows": rows,
            "can_review": access.holds_anywhere(request.user, access.REVIEW_FILINGS),
        },
    )


@login_required
def detail(request, pk):
    committee = access.get_visible_or_404(request.user, access.VIEW, selectors.committees_with_estate(), pk=pk)
    can_act = access.can(request.user, access.CONVENE_VOTES, committee.estate)
    seats = selectors.seats_of(committee)
    lists = selectors.committee_page(committee)
    active = committee.status in selectors.ACTIVE
    states = selectors.filing_review_states(committee)
    level = (
        selectors.reviewer_level(request.user, committee.estate)
        if committee.status == "filing" and access.can(request.user, access.REVIEW_FILINGS, committee.estate)
        else None
    )
    requests = selectors.open_requests_of(committee)
    return render(
        request,
        "committees/committee.html",
        {
            "committee": committee,
            "members": lists["members"],
            "checklist": selectors.filing_checklist(committee),
            "deadlines": selectors.deadlines(committee),
            "events": lists["events"],
            "motions": lists["motions"],
            "meetings": lists["meetings"],
            "votes": lists["votes"],
            "branch": lists["branch"],
            "cross": selectors.cross_appointments(committee),
            "reviews": lists["reviews"],
            "filing_states": states,
            "open_requests": selectors.open_requests(committee),
            "can_act": can_act and active,
            "can_file": can_act and committee.status in selectors.FILABLE,
            "review_level": level and ReviewLevel(level).label,
            "can_review": level is not None and any(st.level == level and st.pending for st in states),
            "sees_assembly": can_act or access.can(request.user, access.REVIEW_FILINGS, committee.estate),
            "forms": {
                "motion": MotionForm(seats=seats),
                "motion_vote": MotionVoteForm(),
                "change": ChangeForm(),
                "meeting": MeetingForm(requests=requests),
                "meeting_request": MeetingRequestForm(seats=seats),
                "review": ReviewForm(),
            }
            if can_act and active
            else {},
        },
    )


def _owners_of_lines(committee, text, on):
    if not text.strip():
        return []
    units = [pk for _n, pk, *_rest in votes.read_unit_lines(committee.estate, text, with_choice=False)]
    return selectors.owners_of_units(units, on)


@login_required
@require_POST
def act(request, pk):
    committee = access.get_visible_or_404(request.user, access.VIEW, selectors.committees_with_estate(), pk=pk)
    action = request.POST.get("action")
    user, today = request.user, timezone.localdate()
    seats = selectors.seats_of(committee)
    try:
        if action == "file":
            life.submit_filing(actor=user, committee=committee)
        elif action in ("accept", "return"):
            life.review_filing(
                actor=user, committee=committee, accept=action == "accept", reasons=request.POST.get("reasons", "")
            )
        elif action == "change":
            data = cleaned(ChangeForm(request.POST))
            life.record_change(actor=user, committee=committee, on=today, what=data["what"])
        elif action == "propose":
            data = cleaned(MotionForm(request.POST, seats=seats))
            life.propose_motion(
                actor=user,
                committee=committee,
                kind=data["kind"],
                member=data["member"],
                reasons=data["reasons"],
                on=today,
                by_members=data["by_members"],
                by_owners=_owners_of_lines(committee, data["by_units"], today),
            )
        elif action in ("motion_vote", "carry"):
            motion = selectors.motion_of(committee, request.POST.get("motion"))
            if motion is None:
                raise Http404
            if action == "carry":
                life.carry_motion(actor=user, motion=motion, on=today)
            else:
                data = cleaned(MotionVoteForm(request.POST))
                life.put_motion_to_vote(actor=user, motion=motion, **data)
        elif action == "request_meeting":
            data = cleaned(MeetingRequestForm(request.POST, seats=seats))
            life.request_meeting(
                actor=user, committee=committee, requesters=data["requesters"], reason=data["reason"], on=today
            )
            messages.success(request, _("委员提议已登记，已通知主任。"))
            return redirect("committees:committee", committee.pk)
        elif action == "meeting":
            data = cleaned(MeetingForm(request.POST, requests=selectors.open_requests_of(committee)))
            meeting = life.schedule_meeting(
                actor=user,
                committee=committee,
                held_on=data["held_on"],
                agenda=data["agenda"],
                posted_on=today,
                request=data["request"],
            )
            messages.success(request, _("会议已安排，议题请按期公告。"))
            return redirect("committees:meeting", meeting.pk)
        elif action == "review":
            branch = selectors.branch_of(committee.estate)
            data = cleaned(ReviewForm(request.POST))
            if branch is None:
                raise Http404
            steward.record_review(actor=user, branch=branch, **data)
        else:
            raise Http404
        messages.success(request, _("已办理。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect("committees:committee", committee.pk)


@login_required
def meeting(request, pk):
    meeting = access.get_visible_or_404(request.user, access.VIEW, selectors.meetings_with_committee(), pk=pk)
    committee = meeting.committee
    seats = selectors.seats_of(committee)
    present = selectors.present_at(meeting)
    can_act = access.can(request.user, access.CONVENE_VOTES, committee.estate) and committee.status in selectors.ACTIVE
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "attendance":
                data = cleaned(AttendanceForm(request.POST, seats=seats))
                proxies = [p for p in request.POST.getlist("proxy") if p.strip()]
                life.record_attendance(actor=request.user, meeting=meeting, present=data["present"], proxies=proxies)
            elif action == "decision":
                data = cleaned(DecisionForm(request.POST, present=present))
                life.record_decision(actor=request.user, meeting=meeting, **data)
            elif action == "minutes":
                data = cleaned(MinutesForm(request.POST))
                life.record_minutes(actor=request.user, meeting=meeting, minutes=data["minutes"], signed=data["signed"])
            else:
                raise Http404
            messages.success(request, _("已办理。"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        return redirect("committees:meeting", meeting.pk)
    total = seats.count()
    return render(
        request,
        "committees/meeting.html",
        {
            "meeting": meeting,
            "committee": committee,
            "present": present,
            "total": total,
            "decisions": selectors.decision_rows(meeting, total=total),
            "can_act": can_act,
            "forms": {
                "attendance": AttendanceForm(seats=seats, initial={"present": list(present)}),
                "decision": DecisionForm(present=present),
                "minutes": MinutesForm(initial={"minutes": meeting.minutes, "signed": meeting.minutes_signed}),
            }
            if can_act
            else {},
        },
    )


@login_required
def confirmations(request):
    """A committee member's own agreements recorded by somebody else, each with what it agrees to
    and a button to confirm it from this, their own login. Nobody else has this page."""
    if not consents.seated_member(request.user).exists():
        raise PermissionDenied
    if request.method == "POST":
        waiting = {str(w.consent.pk): w for w in consents.pending_for(request.user)}
        chosen = waiting.get(request.POST.get("consent", ""))
        if chosen is None:
            raise Http404
        try:
            consents.confirm(actor=request.user, consent=chosen.consent)
            messages.success(request, _("已确认：%(what)s") % {"what": chosen.what})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        return redirect("committees:confirmations")
    return render(request, "committees/confirmations.html", {"rows": consents.pending_for(request.user)})
