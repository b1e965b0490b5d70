"""The demo's exams: the starter bank, 9 sittings over the year with realistic results,
three trainings, and an open sitting where the `candidate` login can take the exam.

Everything goes through committees.exams.services with explicit times, so the history is
what the services would have produced live. Idempotent: sittings are found by title.
committees/demo.py runs it first, before the votes and the committees.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from community import services as registry
from community.demo import PILOT_ESTATES, SEED, password_hash
from community.models import Estate, Owner

from ..models import ExamSession, Option, Training
from . import services
from .question_bank import QUESTIONS

BLUEPRINT = {"votes": 4, "committee": 4, "fund": 4, "fees": 3, "mediation": 2, "privacy": 3}
SITTINGS = 9
PER_SITTING = 6
OPEN_TITLE = "2026年第10期业主委员会备案前培训考试（线上，开放中）"


def _candidates(rng: random.Random, estates, count):
    pool = []
    for estate in estates:
        pool += list(
            Owner.objects.filter(
                kind="person", ownerships__unit__building__estate=estate, ownerships__ended_on__isnull=True
            ).order_by("pk")[:3]
        )
    return rng.sample(pool, count)


def correct_options() -> dict[int, list[int]]:
    """{question id: its correct options' ids}, read once for all the demo's candidates."""
    found = {}
    for question_id, pk in Option.objects.filter(correct=True).order_by("pk").values_list("question_id", "pk"):
        found.setdefault(question_id, []).append(pk)
    return found


def _sit(attempt, rng: random.Random, skill: float, at: datetime, key: dict[int, list[int]]) -> None:
    for n, item in enumerate(attempt.paper):
        correct = key.get(item["q"], [])
        wrong = [o for o in item["options"] if o not in correct][:1]
        services.save_answer(
            attempt=attempt,
            question_id=item["q"],
            chosen=correct if rng.random() < skill else wrong,
            now=at + timedelta(seconds=40 * (n + 1)),
        )
    services.submit_attempt(attempt=attempt, now=at + timedelta(minutes=25))


@transaction.atomic
def _sitting(index: int, estates, rng: random.Random, tz, key):
    title = f"2026年第{index}期业主委员会备案前培训考试"
    if ExamSession.objects.filter(title=title).exists():
        return
    opens = datetime.combine(datetime(2026, 1, 15).date() + timedelta(days=32 * (index - 1)), time(9, 0), tz)
    estate = estates[(index - 1) % len(estates)]
    people = _candidates(rng, estates, PER_SITTING)
    session = services.schedule_session(
        actor=None,
        community=estate.grid.community,
        title=title,
        opens_at=opens,
        closes_at=opens + timedelta(days=20),
        blueprint=BLUEPRINT,
        place=f"{estate.grid.community.name}党群服务中心",
        candidates=people,
    )
    for person in people:
        skill = rng.choice([0.95, 0.9, 0.85, 0.8, 0.7, 0.6])
        attempt = services.start_attempt(candidate=person, session=session, now=opens + timedelta(minutes=5))
        _sit(attempt, rng, skill, opens + timedelta(minutes=5), key)
        attempt.refresh_from_db()
        if not attempt.passed and rng.random() < 0.7:
            retake_at = opens + timedelta(days=session.retake_wait_days, hours=1)
            retake = services.start_attempt(candidate=person, session=session, now=retake_at)
            _sit(retake, rng, min(0.97, skill + 0.15), retake_at, key)


def build(*, today, progress=None, log=print):
    progress = progress or (lambda iterable, **kw: iterable)
    services.load_question_bank(QUESTIONS)
    rng = random.Random(SEED + 5)
    estates = list(Estate.objects.filter(name__in=PILOT_ESTATES).select_related("grid__community").order_by("code"))
    tz = timezone.get_current_timezone()
    key = correct_options()
    for index in progress(range(1, SITTINGS + 1), desc="考试场次", unit="场"):
        _sitting(index, estates, rng, tz, key)
    _trainings(estates, rng)
    return [_open_sitting(estates[0], tz)]


def report(log=print):
    """The closing line, written once the committees' own sittings exist too."""
    log(f"考试：题库 {len(QUESTIONS)} 道，{ExamSession.objects.count()} 个场次，培训 {Training.objects.count()} 场")


TRAININGS = [
    ("2026-03-20", "业主大会与业主委员会：组建、备案与议事规则", "区住建局 物业科"),
    ("2026-06-18", "专项维修资金的使用程序与分摊计算", "市维修资金管理中心"),
    ("2026-09-24", "物业服务收费明码标价与收支分离试点", "区发改局 价格科"),
]


@transaction.atomic
def _trainings(estates, rng):
    for day, topic, trainer in TRAININGS:
        if Training.objects.filter(topic=topic).exists():
            continue
        community = estates[0].grid.community
        services.record_training(
            actor=None,
            community=community,
            topic=topic,
            held_on=date.fromisoformat(day),
            trainer=trainer,
            place=f"{community.name}党群服务中心",
            attendees=_candidates(rng, estates, 12),
        )


@transaction.atomic
def _open_sitting(estate, tz):
    User = get_user_model()
    user, created = User.objects.get_or_create(username="candidate", defaults={"first_name": "业委会委员候选人"})
    if created:
        user.password = password_hash()
        user.save()
        owner = (
            Owner.objects.filter(
                kind="person",
                user__isnull=True,
                ownerships__unit__building__estate=estate,
                ownerships__ended_on__isnull=True,
            )
            .order_by("-pk")
            .first()
        )
        owner.user = user
        registry.save_registry_object(actor=None, obj=owner)
    owner = Owner.objects.get(user=user)
    session = ExamSession.objects.filter(title=OPEN_TITLE).first()
    if session is None:
        now = timezone.now()
        session = services.schedule_session(
            actor=None,
            community=estate.grid.community,
            title=OPEN_TITLE,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=90),
            blueprint=BLUEPRINT,
            candidates=[owner],
        )
    return ("candidate", "业委会委员候选人（考生）", f"{estate.name}，{session.title}")
