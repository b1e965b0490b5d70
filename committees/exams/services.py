"""The pre-filing exam's writes, one function per step: the question bank, sittings, attempts
and answers, marking and certificates, trainings. The clock is the server's; the exam's
reads (pages, results, certificates) are committees/exams/selectors.py.

How the timer is enforced:
* ``start_attempt`` fixes the deadline: the start plus the session's duration,
  cut short by the session's closing time.
* ``save_answer`` accepts an answer up to and including the deadline second and
  refuses it after; the refusal also submits the attempt with what was saved.
* Every read of an attempt (``attempt_for``) first submits it if its deadline
  has passed, and ``close_expired_attempts`` (a management command) does the
  same in bulk, so an abandoned attempt is marked at its deadline even if the
  candidate never comes back.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, audit
from community.legaltime import last_day_after_days
from community.locks import hold, lock_one
from community.models import Owner
from community.rules import rules_for
from community.sequences import next_number

from ..models import Answer, Attempt, Certificate, ExamSession, Option, Question, Topic, Training
from . import marking, papers

NOT_ENROLLED = _("您未报名本场考试。")
NOT_OPEN_YET = _("本场考试尚未开始（%(at)s 开考）。")
CLOSED = _("本场考试已截止。")
ALREADY_OPEN = _("您有一份未交的答卷，请先完成它。")
NO_RETAKES_LEFT = _("本场考试的补考次数已用完（共可考 %(n)s 次）。")
WAIT_FOR_RETAKE = _("补考须等待至 %(day)s。")
ALREADY_PASSED = _("您已通过本场考试，无需再考。")
TIME_UP = _("考试时间已到，答卷已自动提交，此答案未被记录。")
SUBMITTED = _("答卷已提交，不能再修改。")
NOT_ON_PAPER = _("这道题不在您的试卷上。")
BAD_CHOICE = _("所选选项不属于这道题。")
ONE_CHOICE_ONLY = _("这道题只能选一个选项。")
NOT_ALLOWED = _("您没有权限进行此操作。")
BAD_BLUEPRINT = _("组卷方案无效：%(error)s")
BLUEPRINT_SHAPE = _(
    "应为“主题: 题数”，主题取 votes、committee、fund、fees、mediation、privacy，题数为非负整数且至少一题"
)

CERTIFICATE_SERIES = "exam-certificate"


# --------------------------------------------------------------------------- question bank


@transaction.atomic
def load_question_bank(entries, *, actor=None, filename: str = "") -> int:
    """Add the questions of ``entries`` (see question_bank.py) not yet in the bank; returns how many.
    ``filename`` names the imported file, for the audit trail."""
    existing = set(Question.objects.values_list("text", flat=True))
    added = 0
    for topic, kind, text, source, options, explanation in entries:
        if text in existing:
            continue
        question = Question(topic=topic, kind=kind, text=text, source=source, explanation=explanation)
        question.full_clean()
        question.save()
        Option.objects.bulk_create(
            [Option(question=question, text=o.lstrip("*"), correct=o.startswith("*")) for o in options.split("|")]
        )
        added += 1
    audit.record(
        "import",
        user=actor,
        obj=("committees.question", "", _("试题库")),
        detail={"file": filename, "added": added, "skipped": len(entries) - added},
    )
    return added


# --------------------------------------------------------------------------- sessions


def check_session(
    *,
    community,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    blueprint: dict,
    place: str = "",
    partial_credit: bool = False,
    actor=None,
) -> ExamSession:
    """The unsaved sitting, with timing and marks from the rule set, or ValidationError
    (bad fields, or a blueprint the question bank cannot fill)."""
    rules = rules_for(community.street.district)
    if (
        not isinstance(blueprint, dict)
        or not set(blueprint) <= set(Topic.values)
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in blueprint.values())
        or not any(blueprint.values())
    ):
        raise ValidationError(BAD_BLUEPRINT, params={"error": BLUEPRINT_SHAPE})
    session = ExamSession(
        community=community,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        place=place,
        blueprint={k: v for k, v in blueprint.items() if v > 0},
        partial_credit=partial_credit,
        duration_minutes=rules.exam_duration_minutes,
        pass_percent=rules.exam_pass_score,
        retake_limit=rules.exam_retake_limit,
        retake_wait_days=rules.exam_retake_wait_days,
        created_by=actor,
    )
    session.full_clean()
    try:
        papers.draw(0, _bank(), session.blueprint)
    except papers.BlueprintError as exc:
        raise ValidationError(BAD_BLUEPRINT, params={"error": exc}) from exc
    return session


@transaction.atomic
def schedule_session(
    *,
    actor,
    community,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    blueprint: dict,
    place: str = "",
    partial_credit: bool = False,
    candidates=(),
) -> ExamSession:
    """Street or community staff schedule a sitting; timing and marks come from the rule set."""
    if actor is not None and not access.can(actor, access.RUN_EXAMS, community):
        raise PermissionDenied(NOT_ALLOWED)
    session = check_session(
        community=community,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        blueprint=blueprint,
        place=place,
        partial_credit=partial_credit,
        actor=actor,
    )
    session.save()
    session.candidates.set(candidates)
    return session


def _bank() -> dict:
    bank: dict[str, list] = {}
    options: dict[int, list[int]] = {}
    for option_id, question_id in Option.objects.filter(question__active=True).values_list("id", "question_id"):
        options.setdefault(question_id, []).append(option_id)
    for question_id, topic, kind in Question.objects.filter(active=True).values_list("id", "topic", "kind"):
        bank.setdefault(topic, []).append((question_id, kind, sorted(options.get(question_id, []))))
    return bank


# --------------------------------------------------------------------------- attempts


@transaction.atomic
def start_attempt(*, candidate: Owner, session: ExamSession, now: datetime | None = None) -> Attempt:
    now = now or timezone.now()
    hold(candidate)  # one attempt started at a time per candidate
    if not session.candidates.filter(pk=candidate.pk).exists():
        raise PermissionDenied(NOT_ENROLLED)
    if now < session.opens_at:
        raise ValidationError(
            NOT_OPEN_YET, params={"at": timezone.localtime(session.opens_at).strftime("%Y-%m-%d %H:%M")}
        )
    if now >= session.closes_at:
        raise ValidationError(CLOSED)
    close_expired_attempts(now=now, candidate=candidate)
    if Attempt.objects.filter(candidate=candidate, submitted_at__isnull=True).exists():
        raise ValidationError(ALREADY_OPEN)
    earlier = list(Attempt.objects.filter(candidate=candidate, session=session).order_by("number"))
    if any(a.passed for a in earlier):
        raise ValidationError(ALREADY_PASSED)
    if len(earlier) > session.retake_limit:
        raise ValidationError(NO_RETAKES_LEFT, params={"n": session.retake_limit + 1})
    if earlier:
        last_day = timezone.localdate(earlier[-1].submitted_at)
        allowed_from = last_day_after_days(last_day, session.retake_wait_days)
        if timezone.localdate(now) < allowed_from:
            raise ValidationError(WAIT_FOR_RETAKE, params={"day": allowed_from.isoformat()})
    seed = secrets.randbits(48)
    attempt = Attempt.objects.create(
        session=session,
        candidate=candidate,
        number=len(earlier) + 1,
        seed=seed,
        paper=papers.draw(seed, _bank(), session.blueprint),
        started_at=now,
        deadline=min(now + timedelta(minutes=session.duration_minutes), session.closes_at),
    )
    return attempt


def attempt_for(*, user, pk) -> Attempt:
    """The user's own attempt, submitted first if its time ran out. Another's is PermissionDenied."""
    attempt = Attempt.objects.select_related("session", "candidate").filter(pk=pk, candidate__user=user).first()
    if attempt is None:
        raise PermissionDenied(NOT_ALLOWED)
    if attempt.is_open and timezone.now() > attempt.deadline:
        submit_attempt(attempt=attempt, auto=True)
        attempt.refresh_from_db()
    return attempt


def save_answer(*, attempt: Attempt, question_id: int, chosen: list[int], now: datetime | None = None) -> Answer:
    """Record (or change) one answer. At the deadline second it is accepted; after it, refused,
    and the attempt is submitted as it stood at the deadline (that submission is kept: it is
    not part of the refused answer's transaction). An attempt's deadline never changes."""
    now = now or timezone.now()
    if now > attempt.deadline:
        submit_attempt(attempt=attempt, auto=True, now=attempt.deadline)
        raise ValidationError(TIME_UP)
    return _record_answer(attempt=attempt, question_id=question_id, chosen=chosen, now=now)


@transaction.atomic
def _record_answer(*, attempt: Attempt, question_id: int, chosen: list[int], now: datetime) -> Answer:
    attempt = lock_one(Attempt, pk=attempt.pk)
    if not attempt.is_open:
        raise ValidationError(SUBMITTED)
    item = next((item for item in attempt.paper if item["q"] == question_id), None)
    if item is None:
        raise ValidationError(NOT_ON_PAPER)
    chosen = sorted({int(c) for c in chosen})
    if not set(chosen) <= set(item["options"]):
        raise ValidationError(BAD_CHOICE)
    kind = Question.objects.values_list("kind", flat=True).get(pk=question_id)
    if kind != "multiple" and len(chosen) > 1:
        raise ValidationError(ONE_CHOICE_ONLY)
    answer, _created = Answer.objects.update_or_create(
        attempt=attempt, question_id=question_id, defaults={"chosen": chosen, "answered_at": now}
    )
    return answer


@transaction.atomic
def submit_attempt(*, attempt: Attempt, auto: bool = False, now: datetime | None = None) -> Attempt:
    """Mark the paper and, on a pass, issue the certificate. Submitting twice changes nothing."""
    attempt = lock_one(Attempt.objects.select_related("session", "candidate"), pk=attempt.pk)
    if not attempt.is_open:
        return attempt
    now = min(now or timezone.now(), attempt.deadline)
    question_ids = [item["q"] for item in attempt.paper]
    kinds = dict(Question.objects.filter(pk__in=question_ids).values_list("id", "kind"))
    correct: dict[int, set] = {}
    for option_id, question_id in Option.objects.filter(question_id__in=question_ids, correct=True).values_list(
        "id", "question_id"
    ):
        correct.setdefault(question_id, set()).add(option_id)
    chosen = dict(attempt.answers.values_list("question_id", "chosen"))
    result = marking.mark(
        ((kinds[q], correct.get(q, set()), chosen.get(q, [])) for q in question_ids),
        pass_percent=attempt.session.pass_percent,
        partial_credit=attempt.session.partial_credit,
    )
    attempt.submitted_at = now
    attempt.auto_submitted = auto
    attempt.points = Decimal(result.points.numerator) / Decimal(result.points.denominator)
    attempt.points = attempt.points.quantize(Decimal("0.01"))
    attempt.percent = (Decimal(result.percent.numerator) / Decimal(result.percent.denominator)).quantize(
        Decimal("0.01")
    )
    attempt.passed = result.passed
    attempt.save(update_fields=["submitted_at", "auto_submitted", "points", "percent", "passed"])
    if result.passed:
        issued = timezone.localdate(now)
        number = next_number(CERTIFICATE_SERIES, issued.year)
        Certificate.objects.create(attempt=attempt, number=f"KS{issued.year}-{number:05d}", issued_on=issued)
    return attempt


def close_expired_attempts(*, now: datetime | None = None, candidate: Owner | None = None) -> int:
    """Submit every open attempt whose deadline has passed, as at its deadline."""
    now = now or timezone.now()
    expired = Attempt.objects.filter(submitted_at__isnull=True, deadline__lt=now)
    if candidate is not None:
        expired = expired.filter(candidate=candidate)
    count = 0
    for attempt in expired:
        submit_attempt(attempt=attempt, auto=True, now=attempt.deadline)
        count += 1
    return count


# --------------------------------------------------------------------------- trainings


@transaction.atomic
def record_training(
    *,
    actor,
    community,
    topic: str,
    held_on: date,
    trainer: str,
    place: str,
    hours: Decimal = Decimal("2"),
    attendees=(),
) -> Training:
    if actor is not None and not access.can(actor, access.RUN_EXAMS, community):
        raise PermissionDenied(NOT_ALLOWED)
    training = Training(
        community=community, topic=topic, held_on=held_on, trainer=trainer, place=place, hours=hours, created_by=actor
    )
    training.full_clean()
    training.save()
    training.attendees.set(attendees)
    return training
