"""The exam pages: candidates take the exam on a phone, one question a page, each answer
saved as it is given; anyone checks a certificate; staff see their sittings and results."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from community import access, audit
from community.pdf import verify_link
from community.privacy import mask_name
from community.web import error_text, owner_or_403

from . import pdf, selectors, services


@login_required
def my_exams(request):
    candidate = owner_or_403(request)
    services.close_expired_attempts(candidate=candidate)
    return render(
        request,
        "committees/my_exams.html",
        {
            "sessions": selectors.enrolled_sessions(candidate),
            "attempts": selectors.attempts_of(candidate),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def start(request, session_id):
    candidate = owner_or_403(request)
    session = selectors.enrolled_session(candidate, session_id)
    if session is None:
        raise Http404
    try:
        attempt = services.start_attempt(candidate=candidate, session=session)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("committees:my_exams")
    return redirect("committees:question", attempt.pk, 1)


@login_required
def question(request, attempt_id, index):
    attempt = services.attempt_for(user=request.user, pk=attempt_id)
    if not attempt.is_open:
        return redirect("committees:result", attempt.pk)
    if not 1 <= index <= len(attempt.paper):
        raise Http404
    if request.method == "POST":
        chosen = [int(c) for c in request.POST.getlist("choice") if c.isdigit()]
        try:
            services.save_answer(attempt=attempt, question_id=attempt.paper[index - 1]["q"], chosen=chosen)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect("committees:question", attempt.pk, index)
        target = request.POST.get("go")
        if target == "submit":
            return redirect("committees:confirm", attempt.pk)
        step = -1 if target == "prev" else 1
        return redirect("committees:question", attempt.pk, min(max(index + step, 1), len(attempt.paper)))
    page = selectors.question_page(attempt, index)
    return render(
        request,
        "committees/question.html",
        {
            "attempt": attempt,
            "index": index,
            "total": len(attempt.paper),
            "question": page["question"],
            "options": page["options"],
            "chosen": page["chosen"],
            "seconds_left": max(0, int((attempt.deadline - timezone.now()).total_seconds())),
            "answered_count": len(page["answered"]),
            "progress": [(n, entry["q"] in page["answered"]) for n, entry in enumerate(attempt.paper, 1)],
        },
    )


@login_required
def confirm(request, attempt_id):
    attempt = services.attempt_for(user=request.user, pk=attempt_id)
    if not attempt.is_open:
        return redirect("committees:result", attempt.pk)
    if request.method == "POST":
        services.submit_attempt(attempt=attempt)
        return redirect("committees:result", attempt.pk)
    return render(
        request,
        "committees/confirm.html",
        {
            "attempt": attempt,
            "answered": selectors.answered_count(attempt),
            "total": len(attempt.paper),
            "seconds_left": max(0, int((attempt.deadline - timezone.now()).total_seconds())),
        },
    )


@login_required
def result(request, attempt_id):
    attempt = services.attempt_for(user=request.user, pk=attempt_id)
    if attempt.is_open:
        return redirect("committees:question", attempt.pk, 1)
    wrong = selectors.wrong_answers(attempt)
    certificate = getattr(attempt, "certificate", None)
    return render(request, "committees/result.html", {"attempt": attempt, "wrong": wrong, "certificate": certificate})


@login_required
def certificate_pdf(request, number):
    certificate = selectors.certificate_by_number(number)
    if certificate is None or certificate.attempt.candidate.user_id != request.user.pk:
        raise Http404
    fp = selectors.certificate_fingerprint(certificate)
    link = verify_link(
        request.build_absolute_uri("/"), reverse("committees:verify_form", args=[certificate.number]), fp
    )
    content = pdf.certificate_pdf(
        payload=selectors.certificate_payload(certificate),
        verify=link,
        valid_until=selectors.valid_until(certificate),
        community=certificate.attempt.session.community.name,
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.number}.pdf"'
    return response


def verify(request, number, fp=""):
    """Public: anyone holding the paper checks it against the live record. Names are masked."""
    claimed = fp or request.GET.get("fp", "")
    certificate, ok = selectors.verify_certificate(number, claimed)
    context = {"number": number, "claimed": claimed, "ok": ok, "certificate": certificate}
    if certificate is not None:
        context.update(
            holder=mask_name(certificate.attempt.candidate.name),
            valid_until=selectors.valid_until(certificate),
            valid_now=selectors.valid_until(certificate) >= timezone.localdate(),
        )
    # Opened without a fingerprint, it is a form to fill in, not a failed check.
    return render(request, "committees/verify.html", context, status=200 if ok or not claimed else 404)


@login_required
def staff_sessions(request):
    if not access.holds_anywhere(request.user, access.RUN_EXAMS):
        raise PermissionDenied
    return render(request, "committees/staff_sessions.html", {"sessions": selectors.staff_sessions(request.user)})


@login_required
def staff_results(request, session_id):
    if not access.holds_anywhere(request.user, access.RUN_EXAMS):
        raise PermissionDenied
    session = selectors.staff_session(request.user, session_id)
    if session is None:
        raise Http404
    full = access.can(request.user, access.PERSONAL, session.community)
    results = selectors.session_results(session)
    rows = [(a, a.candidate.name if full else mask_name(a.candidate.name)) for a in results["attempts"]]
    if full and rows:
        audit.record("view_personal", request=request, obj=session, detail={"page": "exam_results"})
    return render(request, "committees/staff_results.html", {"session": session, "results": results, "rows": rows})
