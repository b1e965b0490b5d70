"""Reads for the pre-filing exam: a candidate's sittings, attempts and pages, the staff's
sittings and results, trainings attended, and certificates with their fingerprint and
validity (the filing gate). Scoped through community.access where staff read; none writes."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date
from fractions import Fraction

from django.db.models import Count, Q, Value
from django.db.models.functions import Lower, Replace
from django.utils import timezone

from community import access
from community.backup import Fingerprint
from community.legaltime import last_day_after_months
from community.models import Owner
from community.pdf import fingerprint, ungrouped
from community.rules import rules_for

from ..models import Answer, Attempt, Certificate, ExamSession, Option, Question, Training

# --------------------------------------------------------------------------- the candidate's pages


def enrolled_sessions(candidate: Owner):
    """The sittings ``candidate`` is enrolled in, latest first."""
    return ExamSession.objects.filter(candidates=candidate).order_by("-opens_at")


def enrolled_session(candidate: Owner, pk) -> ExamSession | None:
    return ExamSession.objects.filter(pk=pk, candidates=candidate).first()


def attempts_of(candidate: Owner):
    """The candidate's attempts with their sitting and certificate, latest first."""
    return candidate.exam_attempts.select_related("session", "certificate").order_by("-started_at")


def question_page(attempt: Attempt, index: int) -> dict:
    """What the page for the ``index``-th question (from 1) of the paper shows: the question,
    its options in the paper's order, what is chosen so far, and which questions are answered.
    Four queries."""
    item = attempt.paper[index - 1]
    question = Question.objects.get(pk=item["q"])
    options = {o.pk: o for o in Option.objects.filter(question=question)}
    answer = attempt.answers.filter(question=question).first()
    answered = set(attempt.answers.values_list("question_id", flat=True))
    return {
        "question": question,
        "options": [options[i] for i in item["options"]],
        "chosen": set(answer.chosen if answer else []),
        "answered": answered,
    }


def answered_count(attempt: Attempt) -> int:
    return attempt.answers.count()


def wrong_answers(attempt: Attempt) -> list[dict]:
    """The questions of a submitted paper answered wrongly, numbered as on the paper, each with
    its options and what was picked. Three queries."""
    ids = [item["q"] for item in attempt.paper]
    questions = Question.objects.in_bulk(ids)
    options = {}
    for option in Option.objects.filter(question_id__in=ids):
        options.setdefault(option.question_id, []).append(option)
    chosen = dict(attempt.answers.values_list("question_id", "chosen"))
    wrong = []
    for n, qid in enumerate(ids, 1):
        correct = {o.pk for o in options[qid] if o.correct}
        picked = set(chosen.get(qid, []))
        if picked != correct:
            wrong.append({"n": n, "question": questions[qid], "options": options[qid], "picked": picked})
    return wrong


# --------------------------------------------------------------------------- the staff's pages


def staff_sessions(user):
    qs = ExamSession.objects.select_related("community").annotate(
        sat=Count("attempts__candidate", distinct=True),
        passed=Count("attempts__candidate", filter=Q(attempts__passed=True), distinct=True),
        enrolled=Count("candidates", distinct=True),
    )
    return access.visible(user, access.RUN_EXAMS, qs).order_by("-opens_at")


def staff_session(user, pk):
    return staff_sessions(user).filter(pk=pk).first()


def session_results(session: ExamSession, *, most_missed: int = 10) -> dict:
    """Attempts, the pass rate by candidate, and the questions most often answered wrongly."""
    attempts = list(
        Attempt.objects.filter(session=session).select_related("candidate").order_by("candidate__name", "number")
    )
    finished = [a for a in attempts if not a.is_open]
    question_ids = {item["q"] for a in finished for item in a.paper}
    correct: dict[int, set] = {}
    for option_id, question_id in Option.objects.filter(question_id__in=question_ids, correct=True).values_list(
        "id", "question_id"
    ):
        correct.setdefault(question_id, set()).add(option_id)
    chosen = {
        (a, q): set(c)
        for a, q, c in Answer.objects.filter(attempt__in=finished).values_list("attempt_id", "question_id", "chosen")
    }
    asked, missed = Counter(), Counter()
    for attempt in finished:
        for item in attempt.paper:
            asked[item["q"]] += 1
            if chosen.get((attempt.pk, item["q"]), set()) != correct.get(item["q"], set()):
                missed[item["q"]] += 1
    questions = Question.objects.in_bulk([q for q, _n in missed.most_common(most_missed)])
    sat = {a.candidate_id for a in finished}
    passed = {a.candidate_id for a in finished if a.passed}
    return {
        "attempts": attempts,
        "sat": len(sat),
        "passed": len(passed),
        "pass_rate": (Fraction(len(passed), len(sat)) * 100) if sat else None,
        "most_missed": [(questions[q], n, asked[q]) for q, n in missed.most_common(most_missed)],
    }


# --------------------------------------------------------------------------- trainings


def training_record(person: Owner, *, until: date | None = None):
    """The trainings ``person`` attended (up to ``until``): the record filed for each member."""
    trainings = Training.objects.filter(attendees=person).select_related("community").order_by("held_on")
    return trainings.filter(held_on__lte=until) if until else trainings


# --------------------------------------------------------------------------- certificates


def certificate_payload(certificate: Certificate) -> dict:
    """What the certificate shows, as the fingerprint covers it."""
    attempt = certificate.attempt
    return {
        "number": certificate.number,
        "issued_on": certificate.issued_on.isoformat(),
        "holder": attempt.candidate.name,
        "holder_id": attempt.candidate.pk,
        "session": attempt.session.title,
        "session_id": attempt.session.pk,
        "percent": str(attempt.percent),
        "attempt": attempt.pk,
    }


def certificate_fingerprint(certificate: Certificate) -> str:
    return fingerprint(certificate_payload(certificate))


def certificate_fingerprints():
    """Every certificate's fingerprint recomputed from its rows, as the verify page does (the
    backup keeps them; its drill recomputes them from the restored rows)."""
    for certificate in Certificate.objects.select_related("attempt__candidate", "attempt__session").order_by("pk"):
        yield Fingerprint(
            f"committees.certificate:{certificate.pk}", certificate.number, certificate_fingerprint(certificate)
        )


def certificate_by_number(number: str) -> Certificate | None:
    """A certificate by its number as printed or as a person types it (ks2026 00001, KS202600001)."""
    return (
        Certificate.objects.select_related(
            "attempt__candidate", "attempt__session__community__street__district__rule_set"
        )
        .annotate(typed=Replace(Lower("number"), Value("-"), Value("")))
        .filter(typed=ungrouped(number))
        .first()
    )


def verify_certificate(number: str, claimed: str) -> tuple[Certificate | None, bool]:
    """(the certificate with that number, whether ``claimed`` is its fingerprint recomputed from the live rows)."""
    certificate = certificate_by_number(number)
    if certificate is None:
        return None, False
    claimed = ungrouped(claimed)
    return certificate, secrets.compare_digest(claimed, certificate_fingerprint(certificate))


def valid_until(certificate: Certificate) -> date:
    years = rules_for(certificate.attempt.session.community.street.district).exam_certificate_valid_years
    return last_day_after_months(certificate.issued_on, 12 * years)


def has_valid_certificate(person: Owner, on: date | None = None) -> bool:
    """The filing gate: does ``person`` hold a pre-filing exam certificate valid on ``on``?"""
    on = on or timezone.localdate()
    certificates = Certificate.objects.filter(attempt__candidate=person, issued_on__lte=on).select_related(
        "attempt__session__community__street__district__rule_set"
    )
    return any(on <= valid_until(c) for c in certificates)
