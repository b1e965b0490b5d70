"""Rules of RULES.md §2 held at the exact day or count where they turn, on both sides: the
15 days' notice of an assembly, the committee's upper size, and the 30 days to file."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from committees import services as life
from committees.models import Committee, CommitteeEvent, Vote
from committees.selectors import filing_checklist
from committees.votes import services as votes
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.mark.parametrize("days,ok", [(14, False), (15, True)])
def test_an_assembly_opens_fifteen_clear_days_after_its_notice_at_the_earliest(world, days, ok):
    today = timezone.localdate()
    opens = _at(today + timedelta(days=days))

    def convene():
        return votes.convene_vote(
            actor=None,
            estate=world.e1,
            matter=9,
            question="增设快递柜",
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            now=_at(today, 9),
        )

    if ok:
        assert convene().opens_at == opens
    else:
        with pytest.raises(ValidationError) as exc:
            convene()
        assert "提前 15 日" in exc.value.messages[0]
        assert not Vote.objects.exists()


@pytest.fixture
def thirteen(world, election):
    """The closed election of the conftest, with four more owners of e1 (thirteen in all)."""
    vote, owners = election
    building = owners[0].ownerships.get().unit.building
    for i in range(4):
        owner = OwnerFactory(name=f"候补{i}")
        OwnershipFactory(
            unit=UnitFactory(building=building, room=f"9{i}1", registered_area=Decimal("90.00")),
            owner=owner,
            started_on=owners[0].ownerships.get().started_on,
        )
        owners.append(owner)
    return vote, owners


@pytest.mark.parametrize("count,ok", [(11, True), (12, False), (13, False)])
def test_at_most_eleven_members(world, thirteen, count, ok):
    vote, owners = thirteen

    def elect():
        return life.elect_committee(
            actor=None, estate=world.e1, vote=vote, elected_on=timezone.localdate(), members=owners[:count]
        )

    if ok:
        assert elect().members.count() == 11
    else:
        with pytest.raises(ValidationError) as exc:
            elect()
        assert f"现为 {count} 人" in exc.value.messages[0]
        assert not Committee.objects.exists()


@pytest.mark.parametrize("day,late", [(30, False), (31, True)])
def test_filing_is_in_time_on_the_thirtieth_day_after_the_election_and_accepted_but_recorded_late_after(
    world, election, day, late
):
    vote, owners = election
    committee = life.elect_committee(
        actor=None, estate=world.e1, vote=vote, elected_on=timezone.localdate(), members=owners[:5]
    )
    life.record_first_meeting(actor=None, committee=committee, held_on=committee.elected_on, chair=owners[0])
    committee.covenant = committee.procedure_rules = True
    committee.save()
    committee.members.update(undertaking_signed=True)
    on = committee.elected_on + timedelta(days=day)
    deadline = committee.elected_on + timedelta(days=30)
    item = [i for i in filing_checklist(committee, on=on) if "选举后 30 日内备案" in i.label][0]
    assert not item.required and item.ok is not late and ("逾期 1 日" in item.label) is late
    assert life.submit_filing(actor=None, committee=committee, on=on).status == "filing"
    note = CommitteeEvent.objects.filter(committee=committee, to_status="filing").get().note
    assert note == (f"逾期备案：最迟 {deadline:%Y-%m-%d}" if late else "")
