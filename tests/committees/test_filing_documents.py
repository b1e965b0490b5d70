"""What a filing needs (RULES.md §2: the covenant, the rules of procedure, each member's written
undertaking and, where the district asks for it, each member's training record): each missing
item alone blocks the filing, names itself, and leaves the committee as it was."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from committees import services as life
from committees.exams import services as exams
from community.models import RuleSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(world, election):
    vote, owners = election
    committee = life.elect_committee(
        actor=None, estate=world.e1, vote=vote, elected_on=timezone.localdate(), members=owners[:5]
    )
    life.record_first_meeting(actor=None, committee=committee, held_on=committee.elected_on, chair=owners[0])
    committee.covenant = committee.procedure_rules = True
    committee.save()
    committee.members.update(undertaking_signed=True)
    return committee, owners[:5]


def _refused(committee, label):
    with pytest.raises(ValidationError) as exc:
        life.submit_filing(actor=None, committee=committee)
    assert label in exc.value.messages[0]
    committee.refresh_from_db()
    assert committee.status == "elected"


def test_everything_present_files(ready):
    committee, _owners = ready
    assert life.submit_filing(actor=None, committee=committee).status == "filing"


@pytest.mark.parametrize("field,label", [("covenant", "管理规约"), ("procedure_rules", "业主大会议事规则")])
def test_a_missing_covenant_or_rules_of_procedure_blocks_filing(ready, field, label):
    committee, _owners = ready
    setattr(committee, field, False)
    committee.save()
    _refused(committee, label)


def test_one_members_missing_undertaking_blocks_filing_and_names_them(ready):
    committee, owners = ready
    committee.members.filter(owner=owners[3]).update(undertaking_signed=False)
    _refused(committee, f"{owners[3].name}：书面承诺")


def test_where_the_district_asks_for_training_records_each_member_needs_one(world, ready):
    committee, owners = ready
    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="须培训记录", filing_requires_training_record=True)
    district.save()
    exams.record_training(
        actor=None,
        community=world.e1.grid.community,
        topic="委员备案前培训",
        held_on=timezone.localdate() - timedelta(days=1),
        trainer="社区",
        place="党群服务中心",
        attendees=owners[:4],
    )
    _refused(committee, f"{owners[4].name}：培训记录")
    exams.record_training(
        actor=None,
        community=world.e1.grid.community,
        topic="补训",
        held_on=timezone.localdate(),
        trainer="社区",
        place="党群服务中心",
        attendees=[owners[4]],
    )
    assert life.submit_filing(actor=None, committee=committee).status == "filing"
