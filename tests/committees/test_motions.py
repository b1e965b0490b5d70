"""Removal of a member and dissolution (RULES.md §2), re-filing after a change, and re-election."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from committees import selectors
from committees import services as life
from committees.models import Committee, Member, Motion, Vote
from committees.votes import selectors as vote_selectors
from committees.votes import services as votes
from community.models import Role
from tests.committees.test_committee_life import _elect, _ready
from tests.factories import EstateFactory, OwnerFactory, OwnershipFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _decide(vote_owners, motion, choice="yes"):
    """Put a motion to the owners, have ``vote_owners`` vote, and close the vote."""
    now = timezone.now()
    motion = life.put_motion_to_vote(
        actor=None,
        motion=motion,
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
        now=now - timedelta(days=30),
    )
    for owner in vote_owners:
        for holder in vote_selectors.holdings_of(owner, motion.vote):
            votes.cast_ballot(voter=owner, vote=motion.vote, holder=holder, choice=choice, now=now - timedelta(days=5))
    votes.close_vote(actor=None, vote=motion.vote, now=now)
    return motion


@pytest.fixture
def small_estate(world):
    """Ten units of 90 m² in a fresh estate: o0 holds two, o1..o8 one each (900 m², 9 heads),
    and a committee of o0..o8 recorded directly."""
    estate = EstateFactory(grid=world.e1.grid)
    owners = [OwnerFactory(name=f"业主{i}") for i in range(9)]
    for i in range(10):
        unit = UnitFactory(building__estate=estate, room=f"{i}01", registered_area=Decimal("90.00"))
        OwnershipFactory(unit=unit, owner=owners[max(0, i - 1)], started_on=date(2016, 1, 1))
    now = timezone.now()
    vote = Vote.objects.create(
        estate=estate,
        matter=3,
        question="选举",
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=8),
        status="closed",
        result={"decided": True},
    )
    committee = Committee.objects.create(
        estate=estate, election_vote=vote, elected_on=date(2026, 1, 1), term_ends_on=date(2030, 12, 31)
    )
    seats = [Member.objects.create(committee=committee, owner=o) for o in owners]
    return committee, owners, seats


@pytest.mark.parametrize("n,met", [(2, False), (3, True)])
def test_members_propose_with_a_third_exactly(small_estate, n, met):
    committee, owners, seats = small_estate
    support = selectors.motion_support(committee, members=seats[:n], on=date(2026, 6, 1))
    assert support["members"] == f"{n}/9" and support["met"] is met


@pytest.mark.parametrize(
    "signers,area,heads,met",
    [
        ([1], "1/10", "1/9", False),
        ([0], "1/5", "1/9", False),  # a fifth of the area, but not of the heads: both are needed
        ([1, 2], "1/5", "2/9", True),  # exactly a fifth of the area
        ([0, 1], "3/10", "2/9", True),
    ],
)
def test_owners_propose_with_a_fifth_of_area_and_heads(small_estate, signers, area, heads, met):
    committee, owners, _seats = small_estate
    support = selectors.motion_support(committee, owners=[owners[i] for i in signers], on=date(2026, 6, 1))
    assert (support["owners_area"], support["owners_heads"], support["met"]) == (area, heads, met)


def test_too_little_support_is_refused_and_nothing_is_written(small_estate):
    committee, owners, seats = small_estate
    with pytest.raises(ValidationError) as exc:
        life.propose_motion(
            actor=None,
            committee=committee,
            kind="remove",
            member=seats[4],
            reasons="长期不履职",
            on=date(2026, 6, 1),
            by_members=seats[:2],
            by_owners=owners[1:2],
        )
    assert "2/9" in exc.value.messages[0] and "1/10" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        life.propose_motion(
            actor=None,
            committee=committee,
            kind="remove",
            member=seats[4],
            reasons=" ",
            on=date(2026, 6, 1),
            by_members=seats[:3],
        )
    assert not Motion.objects.exists()


def test_only_those_who_convene_votes_there_record_a_motion(world, small_estate):
    committee, _owners, seats = small_estate
    with pytest.raises(PermissionDenied):
        life.propose_motion(
            actor=world.users[Role.STREET_STAFF],
            committee=committee,
            kind="dissolve",
            reasons="不履职",
            on=date(2026, 6, 1),
            by_members=seats[:3],
        )
    assert not Motion.objects.exists()


def test_a_removal_the_owners_pass_unseats_the_member_and_a_filed_committee_must_refile(world, election):
    vote, owners = election
    committee = _elect(world, vote, owners[:7])
    _ready(committee, owners)
    life.submit_filing(actor=None, committee=committee)
    life.review_filing(actor=world.users[Role.STREET_STAFF], committee=committee, accept=True)
    life.review_filing(actor=world.users[Role.DISTRICT_ADMIN], committee=committee, accept=True)
    seats = list(committee.members.order_by("pk"))
    motion = life.propose_motion(
        actor=None,
        committee=committee,
        kind="remove",
        member=seats[6],
        reasons="长期不履职",
        on=timezone.localdate(),
        by_members=seats[:3],
    )
    with pytest.raises(ValidationError):  # the owners have not decided yet
        life.carry_motion(actor=None, motion=motion, on=timezone.localdate())
    motion = _decide(owners, motion)
    assert motion.vote.matter == 3 and "罢免" in motion.vote.question
    life.carry_motion(actor=None, motion=motion, on=timezone.localdate())
    motion.refresh_from_db()
    committee.refresh_from_db()
    assert motion.status == "carried"
    assert (
        selectors.seated(committee).count() == 6 and Member.objects.get(pk=seats[6].pk).left_on == timezone.localdate()
    )
    assert committee.status == "changed" and committee.changed_on == timezone.localdate()
    due = {d.what: d for d in selectors.deadlines(committee)}
    assert due["重新备案"].left == 30
    assert any("变更后 30 日内重新备案" in item.label for item in selectors.filing_checklist(committee))
    assert life.submit_filing(actor=None, committee=committee).status == "filing"
    with pytest.raises(ValidationError):
        life.carry_motion(actor=None, motion=motion, on=timezone.localdate())


def test_a_dissolution_the_owners_reject_changes_nothing_and_one_they_pass_ends_the_committee(world, election):
    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    seats = list(committee.members.all())
    rejected = _decide(
        owners,
        life.propose_motion(
            actor=None,
            committee=committee,
            kind="dissolve",
            reasons="失职",
            on=timezone.localdate(),
            by_members=seats[:2],
        ),
        choice="no",
    )
    life.carry_motion(actor=None, motion=rejected, on=timezone.localdate())
    committee.refresh_from_db()
    assert committee.status == "elected"
    carried = _decide(
        owners,
        life.propose_motion(
            actor=None,
            committee=committee,
            kind="dissolve",
            reasons="失职",
            on=timezone.localdate(),
            by_members=seats[:2],
        ),
    )
    life.carry_motion(actor=None, motion=carried, on=timezone.localdate())
    committee.refresh_from_db()
    assert committee.status == "dissolved" and selectors.deadlines(committee) == []
    with pytest.raises(ValidationError):
        life.propose_motion(
            actor=None,
            committee=committee,
            kind="dissolve",
            reasons="再次",
            on=timezone.localdate(),
            by_members=seats[:2],
        )


def test_a_change_to_an_unfiled_committee_is_logged_without_a_new_deadline(world, election):
    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    with pytest.raises(ValidationError):
        life.record_change(actor=None, committee=committee, on=timezone.localdate(), what="  ")
    life.record_change(actor=None, committee=committee, on=timezone.localdate(), what="修订管理规约")
    committee.refresh_from_db()
    assert committee.status == "elected" and committee.changed_on is None
    assert committee.events.last().note == "修订管理规约"


def test_re_election_ends_the_previous_committee(world, election):
    vote, owners = election
    first = _elect(world, vote, owners[:5])
    second = _elect(world, vote, owners[4:9])
    first.refresh_from_db()
    assert first.status == "ended" and second.status == "elected"
    assert first.events.last().note.startswith("换届")
