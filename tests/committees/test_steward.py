"""Red steward: the branch's review before a major matter goes to the owners, and cross-appointment."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from committees import selectors, steward
from committees.models import BranchMember, BranchReview, PartyBranch, Vote
from committees.votes import services as votes
from community.models import Role
from tests.committees.test_committee_life import _elect

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch(world):
    return PartyBranch.objects.create(estate=world.e1, name="江滨豪园党支部", founded_on=date(2020, 7, 1))


def _convene(world, matter, **kwargs):
    now = timezone.now()
    return votes.convene_vote(
        actor=world.users[Role.COMMITTEE_MEMBER],
        estate=world.e1,
        matter=matter,
        question="续聘物业服务企业",
        opens_at=now + timedelta(days=16),
        closes_at=now + timedelta(days=30),
        **kwargs,
    )


def test_a_major_matter_waits_for_the_branch_review_and_nothing_is_written(world, branch):
    with pytest.raises(ValidationError) as exc:
        _convene(world, 4)
    assert "党支部审议" in exc.value.messages[0]
    assert not Vote.objects.exists()


def test_with_the_review_the_vote_is_convened_and_the_review_is_used_once(world, branch):
    review = steward.record_review(
        actor=world.users[Role.COMMITTEE_MEMBER],
        branch=branch,
        matter=4,
        question="续聘物业服务企业",
        reviewed_on=timezone.localdate(),
        opinion="同意提交业主大会表决",
    )
    vote = _convene(world, 4, branch_review=review)
    review.refresh_from_db()
    assert review.vote == vote and list(selectors.pending_reviews(world.e1)) == []
    with pytest.raises(ValidationError):
        _convene(world, 4, branch_review=review)
    other = steward.record_review(
        actor=None, branch=branch, matter=5, question="维修电梯", reviewed_on=timezone.localdate(), opinion="同意"
    )
    with pytest.raises(ValidationError):  # a review of another matter does not count
        _convene(world, 4, branch_review=other)


def test_ordinary_matters_and_estates_without_a_branch_need_no_review(world, branch):
    assert _convene(world, 3).pk  # electing the committee is not on the default list
    branch.delete()
    assert _convene(world, 4).pk


def test_a_review_needs_an_opinion_and_a_convener_of_that_estate(world, branch):
    with pytest.raises(ValidationError):
        steward.record_review(
            actor=None, branch=branch, matter=4, question="续聘", reviewed_on=timezone.localdate(), opinion=" "
        )
    outside = PartyBranch.objects.create(
        estate=world.other[Role.COMMITTEE_MEMBER], name="邻近党支部", founded_on=date(2020, 7, 1)
    )
    with pytest.raises(PermissionDenied):
        steward.record_review(
            actor=world.users[Role.COMMITTEE_MEMBER],
            branch=outside,
            matter=4,
            question="续聘",
            reviewed_on=timezone.localdate(),
            opinion="同意",
        )
    assert not BranchReview.objects.exists()


def test_cross_appointment_flags_the_secretary_who_chairs_the_committee(world, election, branch):
    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    from committees import services as life

    life.record_first_meeting(actor=None, committee=committee, held_on=committee.elected_on, chair=owners[0])
    BranchMember.objects.create(branch=branch, name=owners[0].name, owner=owners[0], role="secretary")
    BranchMember.objects.create(branch=branch, name=owners[1].name, owner=owners[1])
    BranchMember.objects.create(branch=branch, name="非业主党员")
    found = {c.name: c for c in selectors.cross_appointments(committee)}
    assert set(found) == {owners[0].name, owners[1].name}
    assert found[owners[0].name].secretary_is_chair and not found[owners[1].name].secretary_is_chair
