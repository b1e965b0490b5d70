"""Mediation pages.

* Public, no login: the verify page of an agreement PDF (names masked).
* Parties: their own cases, sessions and agreements (``/me/mediation/``).
* Mediators and staff: the workspace (rooms, term warnings, open cases, the week's
  sessions), a room (its mediators and timetable), a case file worked step by step, and
  statistics. ``community.access`` decides who sees what; ``mediation.services`` checks
  again on every action.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from community import access, audit, charts
from community.pdf import ungrouped, verify_link
from community.privacy import mask_name
from community.web import act, cleaned, error_text

from . import pdf, selectors, services
from .forms import (
    AcceptForm,
    AgreementEntryForm,
    AppointForm,
    BookForm,
    CaseForm,
    CloseForm,
    ConfirmationForm,
    DayForm,
    DecisionForm,
    FollowUpForm,
    ReasonForm,
    RefusalForm,
    RoomForm,
    SessionRecordForm,
    SignForm,
)
from .models import (
    AgreementForm as Written,
)
from .models import (
    Case,
    CaseStatus,
    PartyKind,
    Room,
    SessionStatus,
)

S = CaseStatus


def _submit(request, form, run):
    """For a page that creates something: the new object, or None with the refusal shown and
    the form kept as typed (a long intake form is not lost to one bad field)."""
    try:
        return run(cleaned(form))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return None


# --------------------------------------------------------------------------- workspace and rooms


@login_required
def workspace(request):
    if not selectors.may_work_in_mediation(request.user):
        raise PermissionDenied
    rooms = selectors.rooms_for(request.user)
    cases = selectors.open_cases(request.user, limit=100)
    communities = selectors.publishable_communities(request.user, rooms)
    can_open_rooms = selectors.may_open_rooms(request.user)
    return render(
        request,
        "mediation/workspace.html",
        {
            "rooms": rooms,
            "cases": cases,
            "sessions": selectors.upcoming_sessions(request.user, limit=20),
            "publishable": communities,
            "can_open_rooms": can_open_rooms,
        },
    )


@login_required
def room_new(request):
    if not selectors.may_open_rooms(request.user):
        raise PermissionDenied
    form = RoomForm(request.POST or None, communities=selectors.room_communities(request.user))
    if request.method == "POST":
        room = _submit(
            request,
            form,
            lambda data: services.open_room(
                actor=request.user,
                community=data["community"],
                name=data["name"],
                address=data["address"],
                hours=data["hours"],
                phone=data["phone"],
            ),
        )
        if room is not None:
            messages.success(
                request, _("调解室“%(name)s”已设立。请任命调解委员会委员（3 至 9 人）。") % {"name": room.name}
            )
            return redirect("mediation:room", room.pk)
    return render(request, "mediation/room_new.html", {"form": form})


def _room(user, pk) -> Room:
    return access.get_visible_or_404(user, access.VIEW, selectors.rooms_with_place(), pk=pk)


@login_required
def room(request, pk):
    room = _room(request.user, pk)
    manage = access.can(request.user, access.OPEN_CASES, room.community)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "appoint":

            def handler():
                data = cleaned(AppointForm(request.POST))
                post = services.appoint_mediator(
                    actor=request.user,
                    room=room,
                    user=data["username"],
                    name=data["name"],
                    mobile=data["mobile"],
                    position=data["position"],
                    appointed_on=data["appointed_on"],
                )
                return _("已任命 %(name)s，任期至 %(day)s。") % {"name": post.name, "day": post.term_ends_on}
        elif action == "leave":

            def handler():
                post = selectors.room_post(room, request.POST.get("post"))
                if post is None:
                    raise Http404
                data = cleaned(DayForm(request.POST))
                services.end_post(actor=request.user, post=post, left_on=data["day"])
                return _("%(name)s 已离任。") % {"name": post.name}
        else:
            raise Http404
        return act(request, handler, request.path)
    view = selectors.rooms_for(request.user, only=room)[0]
    return render(
        request,
        "mediation/room.html",
        {
            "view": view,
            "room": room,
            "manage": manage,
            "schedule": selectors.room_schedule(room),
            "appoint": AppointForm(initial={"appointed_on": timezone.localdate()}) if manage else None,
            "can_open": access.can(request.user, access.OPEN_CASES, room),
        },
    )


@login_required
def publish_directory(request, community_id):
    if request.method != "POST":
        raise Http404
    community = selectors.community(community_id)
    if community is None:
        raise Http404

    def handler():
        notice = services.publish_directory(actor=request.user, community=community)
        return _("调解室名录已在%(community)s网站发布：%(url)s") % {"community": community.name, "url": notice.url}

    return act(request, handler, reverse("mediation:workspace"))


# --------------------------------------------------------------------------- cases


@login_required
def case_new(request, room_id):
    room = _room(request.user, room_id)
    if not access.can(request.user, access.OPEN_CASES, room):
        raise PermissionDenied
    form = CaseForm(
        request.POST or None, estates=selectors.street_estates(room), mediators=selectors.mediator_choices(room)
    )
    if request.method == "POST":
        case = _submit(
            request,
            form,
            lambda data: services.open_case(
                actor=request.user,
                room=room,
                estate=data["estate"],
                unit=data["unit"],
                category=data["category"],
                facts=data["facts"],
                claims=data["claims"],
                parties=data["parties"],
                session_wish=data["session_wish"],
                requested_mediator=data["requested_mediator"],
                refused_mediators=list(data["refused_mediators"]),
            ),
        )
        if case is not None:
            messages.success(request, _("已登记，案号 %(number)s。") % {"number": case.number})
            return redirect("mediation:case", case.pk)
    return render(request, "mediation/case_new.html", {"room": room, "form": form})


def _case_or_404(user, pk) -> tuple[Case, bool]:
    case, as_staff = selectors.case_for(user, pk)
    if case is None:
        raise Http404
    return case, as_staff


def _handlers(request, case: Case, file: dict):
    """The POST actions of a case page, each one service call."""
    user, post = request.user, request.POST
    agreement = file["agreement"]
    parties = case.parties.all()
    mediators = selectors.mediator_choices(case.room)

    def session():
        found = selectors.case_session(case, post.get("session"))
        if found is None:
            raise Http404
        return found

    def need_agreement():
        if agreement is None:
            raise Http404
        return agreement

    def book():
        data = cleaned(BookForm(post))
        s = services.book_session(
            actor=user, case=case, starts_at=data["starts_at"], ends_at=data["ends_at"], public=data["public"]
        )
        return _("已预约 %(room)s，%(at)s。") % {
            "room": s.room.name,
            "at": f"{timezone.localtime(s.starts_at):%Y-%m-%d %H:%M}",
        }

    return {
        "accept": lambda: (
            services.accept_case(
                actor=user, case=case, mediator=cleaned(AcceptForm(post, mediators=mediators))["mediator"]
            )
            and _("已受理。")
        ),
        "refuse": lambda: (
            services.record_refusal(actor=user, case=case, **cleaned(RefusalForm(post, parties=parties)))
            and _("已记录：当事人明确拒绝调解，依法不予调解。")
        ),
        "book": book,
        "cancel": lambda: services.cancel_session(actor=user, session=session()) and _("已取消该调解会。"),
        "record": lambda: (
            services.record_session(
                actor=user,
                session=session(),
                **{k: v for k, v in cleaned(SessionRecordForm(post)).items() if k != "session"},
            )
            and _("调解笔录已归入案卷。")
        ),
        "agree": lambda: (
            services.record_agreement(actor=user, case=case, **cleaned(AgreementEntryForm(post)))
            and _("调解协议已记录。")
        ),
        "sign": lambda: (
            services.sign_agreement(actor=user, agreement=need_agreement(), **cleaned(SignForm(post, parties=parties)))
            and _("已记录签署。")
        ),
        "mediator_sign": lambda: (
            services.mediator_signs(actor=user, agreement=need_agreement(), signed_on=cleaned(DayForm(post))["day"])
            and _("已记录调解员签名。")
        ),
        "seal": lambda: (
            services.apply_seal(actor=user, agreement=need_agreement(), sealed_on=cleaned(DayForm(post))["day"])
            and _("已记录加盖调解委员会印章。")
        ),
        "apply": lambda: (
            services.apply_for_confirmation(actor=user, agreement=need_agreement(), **cleaned(ConfirmationForm(post)))
            and _("已记录司法确认申请。")
        ),
        "decide": lambda: (
            services.record_court_decision(actor=user, agreement=need_agreement(), **cleaned(DecisionForm(post)))
            and _("已记录法院裁定。")
        ),
        "end": lambda: (
            services.end_case(actor=user, case=case, **cleaned(ReasonForm(post)))
            and _("调解已终止，已告知当事人其他救济途径。")
        ),
        "follow": lambda: (
            services.record_follow_up(actor=user, case=case, **cleaned(FollowUpForm(post))) and _("回访已记录。")
        ),
        "close": lambda: services.close_case(actor=user, case=case, **cleaned(CloseForm(post))) and _("已结案。"),
    }


@login_required
def case(request, pk):
    case, as_staff = _case_or_404(request.user, pk)
    file = selectors.case_file(case)
    if request.method == "POST":
        if not as_staff:
            raise PermissionDenied
        handler = _handlers(request, case, file).get(request.POST.get("action"))
        if handler is None:
            raise Http404
        return act(request, handler, request.path)
    agreement = file["agreement"]
    today = timezone.localdate()
    deadline = selectors.confirmation_deadline(agreement) if agreement else None
    context = {
        "case": case,
        "as_staff": as_staff,
        **file,
        "today": today,
        "deadline": deadline,
        "days_left": (deadline - today).days if deadline else None,
        "decision_due": selectors.decision_due(agreement) if agreement else None,
        "missing": selectors.missing_for_effect(agreement) if agreement else [],
    }
    if as_staff:
        context["forms"] = _forms(request.user, case, file, today)
        # the case file names its parties in full (a party reading their own case is not recorded)
        audit.record("view_personal", request=request, obj=case, detail={"page": "mediation_case"})
    return render(request, "mediation/case.html", context)


def _forms(user, case: Case, file: dict, today: date) -> dict:
    """The action forms this user may use on this case now."""
    mediate = access.can(user, access.MEDIATE, case.room)
    parties = case.parties.all()
    agreement = file["agreement"]
    forms = {}
    status = case.status
    day = {"day": today}
    if mediate and status == S.INTAKE:
        forms["accept"] = AcceptForm(
            mediators=selectors.mediator_choices(case.room, today, excluding=file["refused"]),
            initial={"mediator": case.requested_mediator_id},
        )
    if status in (S.INTAKE, S.ACCEPTED, S.MEDIATING):
        # Several of these forms share field names (reason, day); each gets its own element ids.
        forms["refuse"] = RefusalForm(parties=parties, auto_id="id_refuse_%s")
    if mediate and status in (S.ACCEPTED, S.MEDIATING):
        forms["book"] = BookForm(initial={"day": today})
        forms["agree"] = (
            AgreementEntryForm(initial={"reached_on": today, "facts": case.facts}) if status == S.MEDIATING else None
        )
        forms["end"] = ReasonForm(auto_id="id_end_%s")
    if mediate and status == S.MEDIATING:
        forms["record"] = [
            (s, SessionRecordForm(initial={"session": s.pk}, auto_id=f"id_record_{s.pk}_%s"))
            for s in file["sessions"]
            if s.status == SessionStatus.BOOKED and s.starts_at <= timezone.now()
        ]
    if mediate and agreement and agreement.form == Written.WRITTEN and agreement.effective_on is None:
        unsigned = selectors.unsigned_parties(case, agreement)
        forms["sign"] = SignForm(parties=unsigned, initial={"signed_on": today}) if unsigned is not None else None
        own = agreement.mediator.user_id == user.pk
        forms["mediator_sign"] = (
            DayForm(initial=day, auto_id="id_mediator_sign_%s")
            if agreement.mediator_signed_on is None and own
            else None
        )
        forms["seal"] = DayForm(initial=day, auto_id="id_seal_%s") if agreement.sealed_on is None else None
        if status == S.AGREED:
            forms["end"] = ReasonForm(auto_id="id_end_%s")
    if agreement and agreement.form == Written.WRITTEN and agreement.effective_on and agreement.applied_on is None:
        forms["apply"] = ConfirmationForm(initial={"applied_on": today})
    if agreement and agreement.applied_on and agreement.decided_on is None:
        forms["decide"] = DecisionForm(initial={"decided_on": today})
    if mediate and (status in (S.ENDED, S.FOLLOW_UP) or (status == S.AGREED and agreement and agreement.effective_on)):
        forms["follow"] = FollowUpForm(initial={"visited_on": today})
    if (mediate and status in (S.ENDED, S.FOLLOW_UP)) or status == S.REFUSED:
        forms["close"] = CloseForm(initial={"closed_on": today})
    return {k: v for k, v in forms.items() if v}


@login_required
def agreement_pdf(request, pk):
    case, _as_staff = _case_or_404(request.user, pk)
    agreement = selectors.case_agreement(case)
    if agreement is None:
        raise Http404
    agreement.case = case
    doc = selectors.agreement_document(agreement)
    link = verify_link(
        request.build_absolute_uri("/"),
        reverse("mediation:verify", args=[selectors.verify_code(agreement)]),
        doc.fingerprint,
    )
    body = pdf.agreement_pdf(
        doc,
        verify=link,
        deadline=selectors.confirmation_deadline(agreement),
        committee=f"{case.room.community.name}人民调解委员会",
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{agreement.pk}.pdf"'
    audit.record("export", request=request, obj=agreement, detail={"document": "agreement_pdf"})
    return response


def verify(request, number):
    """Public: whoever holds a copy checks it against the room's record. Names are masked."""
    agreement = selectors.agreement_by_number(number)
    claimed = ungrouped(request.GET.get("fp", ""))
    doc = selectors.agreement_document(agreement) if agreement else None
    ok = bool(doc and claimed and claimed == doc.fingerprint)
    # People's names are masked; a company's or a committee's name is not personal data.
    parties = (
        [
            f"{p.get_side_display()} {mask_name(p.name) if p.kind in (PartyKind.OWNER, PartyKind.OTHER) else p.name}"
            for p in doc.parties
        ]
        if ok
        else []
    )
    return render(
        request,
        "mediation/verify.html",
        {
            "number": number,
            "claimed": claimed,
            "ok": ok,
            "agreement": agreement if ok else None,
            "parties": parties,
        },
        status=200 if ok or not claimed else 404,  # without a fingerprint: the form, not a failure
    )


# --------------------------------------------------------------------------- parties


@login_required
def my_cases(request):
    cases = selectors.my_cases(request.user, limit=50)
    return render(request, "mediation/my_cases.html", {"cases": cases, "sessions": selectors.party_sessions(cases)})


# --------------------------------------------------------------------------- statistics


@login_required
def statistics(request):
    if not selectors.sees_rooms(request.user):
        raise PermissionDenied
    level = request.GET.get("level", "community")
    if level not in selectors.LEVELS:
        level = "community"
    try:
        year = int(request.GET.get("year") or 0) or None
    except ValueError:
        year = None
    groups, total = selectors.statistics(request.user, level, year)
    labels = selectors.category_labels()
    percent = lambda v: "—" if v is None else f"{v:.0%}"  # noqa: E731
    svg = {
        "categories": charts.bars(
            [(labels[k], n, str(n)) for k, n in total.categories.most_common()], title=_("按纠纷类别")
        ),
        "rate": charts.bars(
            [(g.name, g.agreement_rate or 0, percent(g.agreement_rate)) for g in groups],
            title=_("调解成功率"),
            maximum=1,
        ),
        "days": charts.bars(
            [
                (g.name, g.mean_days or 0, "—" if g.mean_days is None else _("%(d).0f 天") % {"d": g.mean_days})
                for g in groups
            ],
            title=_("平均结案用时"),
            colour="#8a5a00",
        ),
        "confirm": charts.bars(
            [(g.name, g.applied, f"{g.confirmed}/{g.applied}") for g in groups],
            title=_("申请司法确认（确认/申请）"),
            colour="#3b5ba5",
        ),
    }
    return render(
        request,
        "mediation/statistics.html",
        {
            "groups": groups,
            "total": total,
            "level": level,
            "year": year,
            "labels": labels,
            "svg": {k: mark_safe(v) for k, v in svg.items()},  # built by charts.bars, every text escaped
            "levels": [("room", _("按调解室")), ("community", _("按社区")), ("street", _("按街道"))],
            "rate": percent(total.agreement_rate),
        },
    )
