import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from cms.models import NoticePage
from committees.models import Ballot, Vote
from committees.votes import selectors as vote_selectors
from committees.votes import services as votes
from community.models import Role
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate_votes(world):
    """Four owners of 100 m² each in e1 (plus the world's own unit), and an open vote."""
    building = BuildingFactory(estate=world.e1)
    owners = []
    for i in range(4):
        owner = OwnerFactory(name=f"业主{i}", user=UserFactory(username=f"voter{i}"))
        OwnershipFactory(
            unit=UnitFactory(building=building, room=f"{i}01", registered_area=Decimal("100.00")), owner=owner
        )
        owners.append(owner)
    opens = timezone.now() + timedelta(days=16)
    vote = votes.convene_vote(
        actor=world.users[Role.COMMITTEE_MEMBER],
        estate=world.e1,
        matter=5,
        question="使用维修资金更换3号楼电梯",
        opens_at=opens,
        closes_at=opens + timedelta(days=10),
        buildings=[building],
    )
    return vote, owners, opens


def test_convening_drafts_a_notice_and_keeps_the_notice_period(world, estate_votes):
    vote, _owners, _opens = estate_votes
    assert vote.notice is not None and not vote.notice.live and "电梯" in vote.notice.title
    with pytest.raises(ValidationError) as exc:
        votes.convene_vote(
            actor=world.users[Role.COMMITTEE_MEMBER],
            estate=world.e1,
            matter=5,
            question="太急",
            opens_at=timezone.now() + timedelta(days=14),
            closes_at=timezone.now() + timedelta(days=20),
        )
    assert "提前 15 日" in exc.value.messages[0]
    with pytest.raises(PermissionDenied):
        votes.convene_vote(
            actor=world.users[Role.COMMITTEE_MEMBER],
            estate=world.e2,
            matter=5,
            question="别人的小区",
            opens_at=timezone.now() + timedelta(days=20),
            closes_at=timezone.now() + timedelta(days=30),
        )
    assert Vote.objects.count() == 1


def test_an_owner_votes_once_per_holding_and_only_while_open(estate_votes):
    vote, owners, opens = estate_votes
    holding = vote_selectors.holdings_of(owners[0], vote)
    assert holding == [str(owners[0].pk)]
    with pytest.raises(ValidationError):
        votes.cast_ballot(voter=owners[0], vote=vote, holder=holding[0], choice="yes", now=opens - timedelta(seconds=1))
    votes.cast_ballot(voter=owners[0], vote=vote, holder=holding[0], choice="yes", now=opens)
    with pytest.raises(ValidationError):
        votes.cast_ballot(voter=owners[0], vote=vote, holder=holding[0], choice="no", now=opens + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        votes.cast_ballot(voter=owners[1], vote=vote, holder=holding[0], choice="no", now=opens)
    assert Ballot.objects.get().choice == "yes"


def test_a_paper_ballot_is_logged_and_its_owner_may_correct_it(world, estate_votes):
    vote, owners, opens = estate_votes
    staff = world.users[Role.COMMUNITY_STAFF]
    holder = str(owners[1].pk)
    votes.enter_paper_ballot(actor=staff, vote=vote, holder=holder, choice="no", now=opens)
    assert Ballot.objects.get(holder=holder).entered_by == staff
    with pytest.raises(ValidationError):
        votes.enter_paper_ballot(actor=staff, vote=vote, holder=holder, choice="yes", now=opens)
    votes.cast_ballot(voter=owners[1], vote=vote, holder=holder, choice="yes", now=opens)
    assert Ballot.objects.get(holder=holder).choice == "yes"
    with pytest.raises(PermissionDenied):
        votes.enter_paper_ballot(
            actor=world.users[Role.GRID_WORKER], vote=vote, holder=str(owners[2].pk), choice="no", now=opens
        )


def test_closing_freezes_the_figures_and_drafts_a_result_notice_without_names(world, estate_votes):
    vote, owners, opens = estate_votes
    for owner, choice in zip(owners, ["yes", "yes", "yes", "no"], strict=True):
        votes.cast_ballot(voter=owner, vote=vote, holder=str(owner.pk), choice=choice, now=opens)
    live = vote_selectors.turnout(vote)
    assert live["waiting"] == 0 and live["result"].quorum_met and not live["can_fail"]
    with pytest.raises(ValidationError):
        votes.close_vote(actor=world.users[Role.COMMITTEE_MEMBER], vote=vote, now=vote.closes_at - timedelta(seconds=1))
    closed = votes.close_vote(actor=world.users[Role.COMMITTEE_MEMBER], vote=vote, now=vote.closes_at)
    assert closed.result["decided"] and closed.result["approval_heads"] == "3/4"
    assert closed.result["eligible"] == {"area": "400.00", "heads": 4}
    notice = NoticePage.objects.get(pk=closed.result_notice_id)
    assert "通过" in notice.body and not any(o.name in notice.body for o in owners)
    with pytest.raises(ValidationError):
        votes.close_vote(actor=world.users[Role.COMMITTEE_MEMBER], vote=closed, now=vote.closes_at)


def test_exactly_half_in_favour_fails_and_turnout_shows_what_is_still_reachable(world, estate_votes):
    vote, owners, opens = estate_votes
    votes.cast_ballot(voter=owners[0], vote=vote, holder=str(owners[0].pk), choice="yes", now=opens)
    live = vote_selectors.turnout(vote)
    assert live["can_pass"] and live["can_fail"] and live["waiting"] == 3 and not live["result"].quorum_met
    for owner, choice in zip(owners[1:], ["yes", "no", "no"], strict=True):
        votes.cast_ballot(voter=owner, vote=vote, holder=str(owner.pk), choice=choice, now=opens)
    closed = votes.close_vote(actor=None, vote=vote, now=vote.closes_at)
    assert closed.result["quorum_met"] and closed.result["approval_area"] == "1/2" and not closed.result["decided"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_holder_voting_twice_at_once_counts_once(estate_votes):
    vote, owners, opens = estate_votes
    barrier = threading.Barrier(8)
    outcomes = []

    def cast():
        try:
            barrier.wait()
            votes.cast_ballot(voter=owners[0], vote=vote, holder=str(owners[0].pk), choice="yes", now=opens)
            outcomes.append("counted")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=cast) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("counted") == 1 and Ballot.objects.filter(vote=vote).count() == 1


def test_an_owner_votes_on_the_page_and_sees_it_recorded(client, world, estate_votes):
    from django.urls import reverse

    from tests.factories import login

    vote, owners, opens = estate_votes
    Vote.objects.filter(pk=vote.pk).update(opens_at=timezone.now() - timedelta(hours=1))
    login(client, owners[0].user)
    assert vote.question in client.get(reverse("committees:my_votes")).content.decode()
    url = reverse("committees:ballot", args=[vote.pk])
    client.post(url, {"holder": str(owners[0].pk), "choice": "yes"})
    assert Ballot.objects.get(vote=vote).choice == "yes"
    assert "您已投票" in client.get(url).content.decode()
    login(client, world.owner_user)  # holds a unit in e1, but not in the vote's building
    assert client.get(url).status_code == 404


def test_turnout_is_run_by_conveners_and_read_by_the_estates_staff_only(client, world, estate_votes):
    from django.urls import reverse

    from tests.factories import login

    vote, owners, opens = estate_votes
    url = reverse("committees:turnout", args=[vote.pk])
    login(client, world.users[Role.COMMITTEE_MEMBER])
    assert client.get(url).status_code == 200
    # The estate's staff read the figures (the pages they work on link here); they do not run it.
    for role in (Role.COMPANY_STAFF, Role.GRID_WORKER, Role.STREET_STAFF):
        login(client, world.users[role])
        assert client.get(url).status_code == 200 and client.post(url).status_code == 403
    for user in (world.owner_user, world.users[Role.UNIT_STAFF]):
        login(client, user)
        assert client.get(url).status_code == 404
    login(client, world.users[Role.COMMITTEE_MEMBER])
    other = Vote.objects.create(
        estate=world.e2, matter=5, question="别处", opens_at=opens, closes_at=opens + timedelta(days=1)
    )
    assert client.get(reverse("committees:turnout", args=[other.pk])).status_code == 404


def test_a_batch_of_paper_ballots_is_all_or_nothing(world, estate_votes):
    vote, owners, opens = estate_votes
    staff = world.users[Role.COMMUNITY_STAFF]
    with pytest.raises(ValidationError):
        votes.enter_paper_ballots(actor=staff, vote=vote, ballots={str(owners[0].pk): "yes", "999999": "no"}, now=opens)
    assert not Ballot.objects.exists()
    assert (
        votes.enter_paper_ballots(actor=staff, vote=vote, ballots={str(o.pk): "yes" for o in owners[:3]}, now=opens)
        == 3
    )
    with pytest.raises(ValidationError):
        votes.enter_paper_ballots(actor=staff, vote=vote, ballots={str(owners[0].pk): "no"}, now=opens)
    assert set(Ballot.objects.values_list("entered_by", flat=True)) == {staff.pk}


def test_holdings_are_read_from_the_owners_own_units(world, estate_votes):
    from community.models import Owner, OwnerKind
    from tests.factories import valid_uscc

    vote, owners, opens = estate_votes
    building = vote.buildings.get()
    spouse = OwnerFactory()
    OwnershipFactory(unit=owners[0].ownerships.get().unit, owner=spouse)  # 0's unit becomes co-owned
    developer = Owner.objects.create(
        kind=OwnerKind.ORGANISATION, name="开发商", uscc=valid_uscc(9, "DW"), is_developer=True
    )
    OwnershipFactory(unit=UnitFactory(building=building, room="901", registered_area=Decimal("80.00")), owner=developer)
    buyer = OwnerFactory()
    OwnershipFactory(
        unit=UnitFactory(building=building, room="902", registered_area=Decimal("80.00"), delivered=False), owner=buyer
    )
    assert vote_selectors.holdings_of(spouse, vote) == [",".join(str(pk) for pk in sorted([owners[0].pk, spouse.pk]))]
    assert vote_selectors.holdings_of(developer, vote) == ["developer"]
    assert vote_selectors.holdings_of(buyer, vote) == []  # an undelivered unit counts with the developer
    assert vote_selectors.holdings_of(owners[1], vote) == [str(owners[1].pk)]
    assert len(vote_selectors.holder_keys(vote)) == 5  # co-ownership, owners 1-3, developer


def test_a_unit_sold_after_its_owner_voted_is_named_not_a_500(client, world, estate_votes):
    """The ballot's holder left the scope (the unit changed hands): the turnout page names the
    unit and the close is refused, rather than the pure count raising a ValueError."""
    from django.urls import reverse

    from tests.factories import login

    vote, owners, opens = estate_votes
    votes.cast_ballot(voter=owners[0], vote=vote, holder=str(owners[0].pk), choice="yes", now=opens)
    sold = owners[0].ownerships.get()
    sold.ended_on = timezone.localdate() - timedelta(days=1)
    sold.save(update_fields=["ended_on"])
    OwnershipFactory(unit=sold.unit, owner=OwnerFactory(name="新业主"), started_on=timezone.localdate())
    login(client, world.users[Role.COMMITTEE_MEMBER])
    response = client.get(reverse("committees:turnout", args=[vote.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "已不在表决范围内" in page and f"{sold.unit.building.name} {sold.unit.room}" in page
    with pytest.raises(ValidationError) as exc:
        votes.close_vote(actor=None, vote=vote, now=vote.closes_at)
    assert "已不在表决范围内" in exc.value.messages[0]
    assert Vote.objects.get(pk=vote.pk).status == "open"


def test_a_paper_batch_racing_an_online_ballot_is_refused_whole(world, estate_votes, monkeypatch):
    """The check for ballots already in can pass while an owner's ballot lands before the insert:
    the unique constraint then refuses the batch with the plain message, nothing half-written."""
    from django.db.models.query import QuerySet

    vote, owners, opens = estate_votes
    votes.cast_ballot(voter=owners[0], vote=vote, holder=str(owners[0].pk), choice="yes", now=opens)
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)  # the check ran before the ballot came
    with pytest.raises(ValidationError) as exc:
        votes.enter_paper_ballots(
            actor=None, vote=vote, ballots={str(owners[1].pk): "no", str(owners[0].pk): "no"}, now=opens
        )
    monkeypatch.undo()
    assert "已经投过票" in exc.value.messages[0]
    assert list(Ballot.objects.values_list("holder", "choice")) == [(str(owners[0].pk), "yes")]
