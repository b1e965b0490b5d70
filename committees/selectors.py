"""Reads for committees, exams and votes, scoped through community.access, with a fixed number of queries."""

from collections import Counter
from fractions import Fraction

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access
from community.models import Estate

from .models import (
    Answer,
    Attempt,
    Committee,
    CommitteeStatus,
    ContractDecision,
    ExamSession,
    Matter,
    Option,
    Question,
    Vote,
    VoteStatus,
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


def _scope_rows(estate, *, buildings=None, units=None, on=None, held_by=None) -> list[tuple]:
    """Each unit of the scope once, as (unit id, effective area in cents, its owners now,
    whether the developer holds it): one query, a unit joined to its ownerships in force.

    ``buildings`` is None for the whole estate, or a list or queryset of buildings;
    ``units`` (None, or a queryset of units) narrows it further.
    ``held_by`` keeps only the units that owner holds now (a holder's key depends on
    its own units alone, so one owner's holdings need no more than that).
    A unit is developer-held when its current owner is the developer, or, under the
    rule set's developer_one_head rule, when it is sold but not yet delivered.
    The effective area (AREA_SOURCES, first present) is read as whole cents: SQLite
    hands back COALESCE of decimals as a float, and rounding that to cents is exact.
    """
    from django.db import connection
    from django.db.models import BigIntegerField, F, FilteredRelation, Value
    from django.db.models.functions import Cast, Coalesce, Round
    from django.utils import timezone

    from community.models import AREA_SOURCES, Ownership, Unit, in_force_q
    from community.rules import rules_for

    on = on or timezone.localdate()
    undelivered_to_developer = rules_for(estate).developer_one_head
    chosen = units
    units = Unit.objects.filter(building__estate=estate)
    if buildings is not None:
        units = units.filter(building__in=buildings)
    if chosen is not None:
        units = units.filter(pk__in=chosen)
    if held_by is not None:
        units = units.filter(pk__in=Ownership.objects.in_force(on).filter(owner=held_by).values("unit"))
    query = (
        units.annotate(
            held=FilteredRelation("ownerships", condition=in_force_q(on, "ownerships__")),
            cents=Cast(Round(Coalesce(*AREA_SOURCES) * Value(100)), BigIntegerField()),
        )
        .order_by("pk")
        .values_list("pk", "cents", "delivered", "held__owner_id", F("held__owner__is_developer"))
    )
    # Read straight from the cursor: ids, whole cents and flags (0/1 or booleans) need none of
    # the ORM's per-value converters, which would cost more than the query itself here.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _group_units(rows, undelivered_to_developer)


def _group_units(rows, undelivered_to_developer):
    """Fold the joined rows (ordered by unit) into one tuple per unit."""
    current, area, owners, developer = None, 0, set(), False
    units = []
    for pk, cents, delivered, owner_id, is_developer in rows:
        if pk != current:
            if current is not None:
                units.append((current, area, frozenset(owners), developer))
            current, area, owners = pk, cents, set()
            developer = not delivered and undelivered_to_developer
        if owner_id is not None:
            owners.add(owner_id)
            developer = developer or bool(is_developer)
    if current is not None:
        units.append((current, area, frozenset(owners), developer))
    return units


def scope_units(estate, *, buildings=None, units=None, on=None, held_by=None):
    """The tally's input for an estate (or some of its buildings), one UnitInput per unit."""
    from decimal import Decimal

    from .tally import UnitInput

    return [
        UnitInput(key=pk, area=Decimal(cents).scaleb(-2), owners=owners, developer_held=developer)
        for pk, cents, owners, developer in _scope_rows(
            estate, buildings=buildings, units=units, on=on, held_by=held_by
        )
    ]


def scope_holders(estate, *, buildings=None, units=None, on=None, held_by=None) -> dict:
    """{holder key as stored on ballots: its area in scope}, as tally.holders_in_scope would
    give for scope_units, read in one query without building a UnitInput per unit."""
    from decimal import Decimal

    from community.rules import rules_for

    from .tally import holder_from, holder_key

    separate = rules_for(estate).co_ownership_separate_head
    cents: dict[str, int] = {}
    for pk, area, owners, developer in _scope_rows(estate, buildings=buildings, units=units, on=on, held_by=held_by):
        if area is None or area <= 0:
            raise ValueError(f"unit {pk!r} needs a positive area")
        key = holder_key(holder_from(pk, owners, developer, co_ownership_separate_head=separate))
        cents[key] = cents.get(key, 0) + area
    return {key: Decimal(total).scaleb(-2) for key, total in cents.items()}


# --------------------------------------------------------------------------- contracts and the votes behind them


def passed_manager_votes(estate) -> list:
    """The estate's closed votes on matter 4 (hiring or dismissing the company) that passed:
    those a contract may be linked to. One query."""
    votes = Vote.objects.filter(estate=estate, matter=Matter.MANAGER, status=VoteStatus.CLOSED).order_by("-closes_at")
    return [v for v in votes if (v.result or {}).get("decided")]


def contract_notes(user, contracts) -> dict:
    """For the estate page (community.management_selectors): each contract's deciding votes,
    linked to the vote's result page for those who may read it. One query, and one more for
    the permission when there is a decision to show."""
    estate_of = {c.pk: c.estate_id for c in contracts}
    if not estate_of:
        return {}
    decisions = list(
        ContractDecision.objects.filter(contract__in=list(estate_of)).select_related("vote").order_by("kind")
    )
    readable = {
        pk: access.can(user, access.CONVENE_VOTES, Estate(pk=pk))
        for pk in {estate_of[d.contract_id] for d in decisions}
    }
    notes: dict = {}
    for d in decisions:
        text = _("%(kind)s：%(question)s（%(day)s 表决通过）") % {
            "kind": d.get_kind_display(),
            "question": d.vote.question,
            "day": f"{timezone.localdate(d.vote.closes_at):%Y-%m-%d}",
        }
        url = reverse("committees:turnout", args=[d.vote_id]) if readable[estate_of[d.contract_id]] else None
        notes.setdefault(d.contract_id, []).append((text, url))
    return notes
