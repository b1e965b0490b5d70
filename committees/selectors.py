"""Reads for committees, exams and votes, scoped through community.access, with a fixed number of queries."""

from collections import Counter
from fractions import Fraction

from django.db.models import Count, Q

from community import access

from .models import (
    Answer,
    Attempt,
    Committee,
    CommitteeStatus,
    ExamSession,
    Option,
    Question,
)

# A committee in one of these statuses is the estate's sitting committee.
ACTIVE = (
    CommitteeStatus.ELECTED,
    CommitteeStatus.FILING,
    CommitteeStatus.RETURNED,
    CommitteeStatus.FILED,
    CommitteeStatus.CHANGED,
)


def seated(committee: Committee):
    """The members now in office (a removed member keeps their row, with the day they left)."""
    return committee.members.filter(left_on=None)


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
