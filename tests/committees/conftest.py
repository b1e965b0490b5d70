from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from committees.exams import services
from committees.exams.question_bank import QUESTIONS
from committees.votes import services as votes
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, UserFactory

BLUEPRINT = {"votes": 3, "committee": 3, "fund": 2, "fees": 2}


@pytest.fixture
def bank(db):
    services.load_question_bank(QUESTIONS)


@pytest.fixture
def candidate(world):
    owner = OwnerFactory(name="陈委员", user=UserFactory(username="candidate"))
    OwnershipFactory(unit=UnitFactory(building__estate=world.e1), owner=owner)
    return owner


@pytest.fixture
def exam(world, bank, candidate):
    now = timezone.now()
    return services.schedule_session(
        actor=None,
        community=world.e1.grid.community,
        title="2026年第9期备案前考试",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=30),
        blueprint=BLUEPRINT,
        candidates=[candidate],
    )


def answer_all(attempt, *, right: int, now=None):
    """Answer the first ``right`` questions correctly and the rest wrongly."""
    from committees.models import Option

    for n, item in enumerate(attempt.paper):
        correct = list(Option.objects.filter(question_id=item["q"], correct=True).values_list("pk", flat=True))
        wrong = [o for o in item["options"] if o not in correct][:1]
        services.save_answer(attempt=attempt, question_id=item["q"], chosen=correct if n < right else wrong, now=now)


@pytest.fixture
def election(world):
    """Nine owners of e1 and a closed, decided vote electing the committee (matter 3)."""
    building = BuildingFactory(estate=world.e1)
    owners = []
    for i in range(9):
        owner = OwnerFactory(name=f"候选{i}")
        OwnershipFactory(
            unit=UnitFactory(building=building, room=f"{i}01", registered_area=Decimal("90.00")),
            owner=owner,
            started_on=date(2016, 1, 1),
        )
        owners.append(owner)
    now = timezone.now()
    vote = votes.convene_vote(
        actor=None,
        estate=world.e1,
        matter=3,
        question="选举第一届业主委员会",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
        buildings=[building],
        now=now - timedelta(days=30),
    )
    for owner in owners:
        votes.cast_ballot(voter=owner, vote=vote, holder=str(owner.pk), choice="yes", now=now - timedelta(days=5))
    votes.close_vote(actor=None, vote=vote, now=now)
    vote.refresh_from_db()
    return vote, owners
