"""Reads for exam staff, scoped through community.access, with a fixed number of queries."""

from collections import Counter
from fractions import Fraction

from django.db.models import Count, Q

from community import access

from .models import Answer, Attempt, ExamSession, Option, Question


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
    for option_id, question_id in Option.objects.filter(question_id__in=question_ids, correct=True).values_list("id", "question_id"):
        correct.setdefault(question_id, set()).add(option_id)
    chosen = {(a, q): set(c) for a, q, c in Answer.objects.filter(attempt__in=finished).values_list("attempt_id", "question_id", "chosen")}
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


def scope_units(estate, *, buildings=None, on=None, held_by=None):
    """The tally's input for an estate (or some of its buildings), in two queries.

    ``buildings`` is None for the whole estate, or a list or queryset of buildings.
    ``held_by`` keeps only the units that owner holds now (a holder's key depends
    on its own units alone, so one owner's holdings need no more than that).
    A unit is developer-held when its current owner is the developer, or, under
    the rule set's developer_one_head rule, when it is sold but not yet delivered.
    Areas are read column by column (never through SQL COALESCE, which SQLite
    returns as a float) and the effective one chosen by AREA_SOURCES.
    """
    from django.utils import timezone

    from community.models import AREA_SOURCES, Ownership, Unit
    from community.rules import rules_for

    from .tally import UnitInput

    rules = rules_for(estate)
    on = on or timezone.localdate()
    units = Unit.objects.filter(building__estate=estate)
    if buildings is not None:
        units = units.filter(building__in=buildings)
    if held_by is not None:
        units = units.filter(pk__in=Ownership.objects.in_force(on).filter(owner=held_by).values("unit"))
    rows = list(units.values_list("pk", "delivered", *AREA_SOURCES))
    owners: dict[int, set] = {}
    developer: set[int] = set()
    current = Ownership.objects.in_force(on).filter(unit__in=units)
    for unit_id, owner_id, is_developer in current.values_list("unit_id", "owner_id", "owner__is_developer"):
        owners.setdefault(unit_id, set()).add(owner_id)
        if is_developer:
            developer.add(unit_id)
    undelivered_to_developer = rules.developer_one_head
    return [
        UnitInput(
            key=pk,
            area=next(a for a in areas if a is not None),
            owners=frozenset(owners.get(pk, ())),
            developer_held=pk in developer or (not delivered and undelivered_to_developer),
        )
        for pk, delivered, *areas in rows
    ]
