"""Elections with candidates (issue 22, item 1): the pure count at its boundaries, the services
that convene, cast, enter paper ballots and close an election into a committee, and the pages."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cms.models import NoticePage
from committees import services as life
from committees.models import Ballot, Candidate, Committee, Vote
from committees.selectors import filing_deadline
from committees.votes import services as votes
from committees.votes.tally import count_election
from community.models import Role
from community.rules import NATIONAL
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, login

QUORUM = (NATIONAL.vote_quorum_area, NATIONAL.vote_quorum_heads)
THRESHOLD = NATIONAL.approval_thresholds(3)
D = Decimal


def elect(holders, ballots, candidates, seats, *, ranking=NATIONAL.election_ranking, lot=None):
    return count_election(
        {k: D(v) for k, v in holders.items()},
        ballots,
        candidates=candidates,
        seats=seats,
        quorum=QUORUM,
        threshold=THRESHOLD,
        ranking=ranking,
        lot=lot,
    )


def row(result, candidate):
    return next(c for c in result.candidates if c.candidate == candidate)


# --------------------------------------------------------------------------- the pure count


class TestCount:
    def test_exactly_half_of_the_participating_area_fails_and_just_over_passes(self):
        # heads 2/3 pass; the area is exactly 1/2, then just over
        half = elect({"a": "50", "b": "25", "c": "25"}, {"a": [], "b": ["X"], "c": ["X"]}, ["X"], 1)
        assert row(half, "X").area_share == Fraction(1, 2) and not row(half, "X").passed and half.elected == ()
        over = elect({"a": "50", "b": "25.01", "c": "25"}, {"a": [], "b": ["X"], "c": ["X"]}, ["X"], 1)
        assert row(over, "X").passed and over.elected == ("X",)

    def test_exactly_half_of_the_participating_heads_fails_and_one_more_passes(self):
        holders = {"a": "30", "b": "30", "c": "20", "d": "20"}
        half = elect(holders, {"a": ["X"], "b": ["X"], "c": [], "d": []}, ["X"], 1)
        assert row(half, "X").heads_share == Fraction(1, 2) and not row(half, "X").passed
        over = elect({**holders, "e": "20"}, {"a": ["X"], "b": ["X"], "c": [], "d": [], "e": ["X"]}, ["X"], 1)
        assert row(over, "X").heads == 3 and row(over, "X").passed

    def test_a_ballot_supporting_nobody_still_takes_part(self):
        holders = {"a": "10", "b": "10", "c": "10"}
        result = elect(holders, {"a": ["X"], "b": ["X"], "c": []}, ["X"], 1)
        assert result.participating.heads == 3 and result.quorum_met
        assert row(result, "X").heads_share == Fraction(2, 3)

    def test_a_tie_on_area_and_heads_is_broken_by_the_recorded_lot_and_a_recount_agrees(self):
        holders = {"a": "10", "b": "10", "c": "10"}
        tied = {"a": ["X", "Y"], "b": ["Y", "Z"], "c": ["X", "Z"]}  # each 20 m² and 2 heads of 3
        first = elect(holders, tied, ["X", "Y", "Z"], 2, lot=["Z", "Y", "X"])
        assert all(c.passed for c in first.candidates) and first.elected == ("Z", "Y")
        assert first.lot == ("Z", "Y", "X") and row(first, "X").rank == 3 and not row(first, "X").elected
        assert elect(holders, tied, ["X", "Y", "Z"], 2, lot=first.lot) == first
        assert elect(holders, tied, ["X", "Y", "Z"], 2, lot=["X", "Y", "Z"]).elected == ("X", "Y")

    def test_fewer_passing_than_seats_elects_only_those_who_passed(self):
        holders = {k: "10" for k in "abcd"}
        ballots = {"a": ["A", "B"], "b": ["A", "B"], "c": ["A", "C"], "d": ["D"]}
        result = elect(holders, ballots, ["A", "B", "C", "D", "E"], 5)
        assert result.elected == ("A",) and result.filled == 1
        assert [c.passed for c in result.candidates] == [True, False, False, False, False]

    def test_more_passing_than_seats_go_by_area_then_heads(self):
        # A 70 m² / 5 heads, B 60 m² / 6 heads, C 60 m² / 5 heads, all past half of 100 m² and 9 heads
        holders = {"big": "30", **{f"s{i}": "10" for i in range(1, 7)}, "s7": "5", "s8": "5"}
        ballots = {
            "big": ["A", "C"],
            **{f"s{i}": ["A", "B"] for i in range(1, 5)},
            "s5": ["B", "C"],
            "s6": ["B", "C"],
            "s7": ["C"],
            "s8": ["C"],
        }
        result = elect(holders, ballots, ["A", "B", "C"], 2)
        assert [(row(result, c).area, row(result, c).heads) for c in "ABC"] == [(70, 5), (60, 6), (60, 5)]
        assert all(c.passed for c in result.candidates)
        assert result.elected == ("A", "B") and row(result, "C").rank == 3 and not row(result, "C").elected
        heads_first = elect(holders, ballots, ["A", "B", "C"], 2, ranking=("heads", "area", "lot"))
        assert heads_first.elected == ("B", "A")

    def test_a_missed_quorum_elects_nobody(self):
        holders = {"a": "10", "b": "10", "c": "10"}
        result = elect(holders, {"a": ["X"]}, ["X"], 1)
        assert row(result, "X").passed and not result.quorum_met and result.elected == ()

    def test_bad_ballots_and_lots_are_refused(self):
        holders = {"a": "10", "b": "10"}
        with pytest.raises(ValueError):
            elect(holders, {"a": ["X", "Y"]}, ["X", "Y"], 1)  # more than the seats
        with pytest.raises(ValueError):
            elect(holders, {"a": ["Z"]}, ["X"], 1)  # not a candidate
        with pytest.raises(ValueError):
            elect(holders, {"z": []}, ["X"], 1)  # not in scope
        with pytest.raises(ValueError):
            elect(holders, {"a": []}, ["X", "Y"], 1, lot=["X", "X"])


# --------------------------------------------------------------------------- services


@pytest.fixture
def estate(world):
    """Building A栋 of e1 with twelve owners (rooms 101..112), 100 m² each."""
    building = BuildingFactory(estate=world.e1, name="A栋")
    owners = []
    for i in range(1, 13):
        owner = OwnerFactory(name=f"业主{i:02d}", user=UserFactory(username=f"elector{i}"))
        OwnershipFactory(
            unit=UnitFactory(building=building, room=f"1{i:02d}", registered_area=D("100.00")), owner=owner
        )
        owners.append(owner)
    return building, owners


def convene(world, building, owners, *, seats=5, n=None, open_now=False, actor=None):
    now = timezone.now()
    if open_now:
        at, opens, closes = now - timedelta(days=20), now - timedelta(days=1), now + timedelta(days=5)
    else:
        at, opens, closes = now - timedelta(days=30), now - timedelta(days=10), now - timedelta(days=1)
    return votes.convene_vote(
        actor=actor,
        estate=world.e1,
        matter=3,
        question="选举第一届业主委员会",
        opens_at=opens,
        closes_at=closes,
        buildings=[building],
        now=at,
        seats=seats,
        candidates=[(o, f"{o.name}，热心公益") for o in owners[: n or seats + 1]],
    )


def cast(vote, owner, candidates, *, choice="yes"):
    return votes.cast_ballot(
        voter=owner,
        vote=vote,
        holder=str(owner.pk),
        choice=choice,
        candidates=candidates,
        now=vote.opens_at + timedelta(days=1),
    )


pytestmark = pytest.mark.django_db


class TestConvene:
    @pytest.mark.parametrize("seats,ok", [(4, False), (5, True), (6, False), (11, True), (12, False)])
    def test_seats_follow_the_rule_set(self, world, estate, seats, ok):
        building, owners = estate
        if ok:
            vote = convene(world, building, owners, seats=seats, n=seats)
            assert vote.seats == seats and vote.candidates.count() == seats
        else:
            with pytest.raises(ValidationError) as exc:
                convene(world, building, owners, seats=seats, n=min(seats, 12))
            assert "应选名额须为 5 至 11 名且为单数" in " ".join(exc.value.messages)
            assert not Vote.objects.exists() and not Candidate.objects.exists()

    def test_candidates_are_owners_of_the_estate_with_statements_and_enough_of_them(self, world, estate):
        building, owners = estate
        stranger = OwnerFactory(name="外人甲")
        OwnershipFactory(unit=UnitFactory(building__estate=world.e2), owner=stranger)
        now = timezone.now()
        kwargs = dict(
            actor=None,
            estate=world.e1,
            matter=3,
            question="选举",
            opens_at=now + timedelta(days=20),
            closes_at=now + timedelta(days=30),
            seats=5,
        )
        with pytest.raises(ValidationError) as exc:
            votes.convene_vote(
                **kwargs,
                candidates=[(stranger, "想当委员"), (owners[0], ""), (owners[1], "x" * 501), (owners[2], "好")],
            )
        text = " ".join(exc.value.messages)
        assert "外人甲 不是" in text and "业主01 的简介" in text and "超过 500 字" in text
        assert "候选人（4 人）不能少于应选名额（5 名）" in text
        with pytest.raises(ValidationError) as exc:
            votes.convene_vote(**{**kwargs, "matter": 5}, candidates=[(o, "好") for o in owners[:5]])
        assert "第三项" in exc.value.messages[0]
        assert not Vote.objects.exists()

    def test_the_public_notice_lists_the_candidates_masked(self, world, estate):
        building, owners = estate
        vote = convene(world, building, owners)
        body = NoticePage.objects.get(pk=vote.notice_id).body
        assert "1号 业**" in body and "应选名额：5 名" in body and "业主01" not in body


class TestBallots:
    def test_an_owner_supports_at_most_the_seats_and_only_this_elections_candidates(self, world, estate):
        building, owners = estate
        vote = convene(world, building, owners, open_now=True)
        ids = list(vote.candidates.order_by("position").values_list("pk", flat=True))
        with pytest.raises(ValidationError) as exc:
            cast(vote, owners[0], ids)  # six for five seats
        assert "最多选 5 人" in exc.value.messages[0]
        with pytest.raises(ValidationError):
            cast(vote, owners[0], [ids[0], ids[0]])
        with pytest.raises(ValidationError):
            cast(vote, owners[0], [], choice="yes")
        with pytest.raises(ValidationError):
            cast(vote, owners[0], [999999])
        assert not Ballot.objects.exists()
        ballot = cast(vote, owners[0], ids[:5])
        assert ballot.choice == "yes" and ballot.candidates == sorted(ids[:5])
        assert cast(vote, owners[1], None, choice="abstain").candidates == []

    def test_a_yes_no_vote_refuses_candidates(self, world, estate):
        building, owners = estate
        election = convene(world, building, owners, open_now=True)
        now = timezone.now()
        plain = votes.convene_vote(
            actor=None,
            estate=world.e1,
            matter=5,
            question="更换电梯",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=5),
            buildings=[building],
            now=now - timedelta(days=20),
        )
        with pytest.raises(ValidationError):
            cast(plain, owners[0], [election.candidates.first().pk])
        assert not Ballot.objects.exists()

    def test_paper_lines_name_candidates_by_number_and_a_bad_batch_writes_nothing(self, world, estate):
        building, owners = estate
        vote = convene(world, building, owners, open_now=True)
        staff = world.users[Role.COMMUNITY_STAFF]
        bad = "A栋 101 1,2,3\nA栋 102 9\nA栋 103 1,2,3,4,5,6\nA栋 104 同意\nA栋 999 1\nA栋 105 1、1"
        with pytest.raises(ValidationError) as exc:
            votes.enter_paper_lines(actor=staff, vote=vote, text=bad)
        text = " ".join(exc.value.messages)
        for part in ("第 2 行：没有 9 号", "第 3 行：选了 6 人", "第 4 行", "第 5 行：本小区没有", "第 6 行"):
            assert part in text
        assert "第 1 行" not in text and not Ballot.objects.exists()
        for digits in ("²", "①", "1,²"):  # digits, to str.isdigit, that int() refuses: a plain line error
            with pytest.raises(ValidationError) as exc:
                votes.enter_paper_lines(actor=staff, vote=vote, text=f"A栋 101 {digits}")
            assert "应为“楼栋 房号 候选人编号" in exc.value.messages[0]
        assert votes.enter_paper_lines(actor=staff, vote=vote, text="A栋 101 1,2，3\nA栋 102 弃权") == 2
        by_number = dict(vote.candidates.values_list("position", "pk"))
        ballots = {b.holder: b for b in Ballot.objects.all()}
        assert ballots[str(owners[0].pk)].candidates == sorted(by_number[p] for p in (1, 2, 3))
        assert ballots[str(owners[1].pk)].choice == "abstain" and ballots[str(owners[1].pk)].candidates == []
        with pytest.raises(PermissionDenied):
            votes.enter_paper_lines(actor=world.users[Role.GRID_WORKER], vote=vote, text="A栋 103 1")


class TestClose:
    def test_closing_forms_the_committee_of_the_elected_and_starts_the_filing_clock(self, world, estate):
        building, owners = estate
        vote = convene(world, building, owners)  # six candidates for five seats
        ids = list(vote.candidates.order_by("position").values_list("pk", flat=True))
        for owner in owners[:7]:
            cast(vote, owner, ids[:5])
        for owner in owners[7:12]:
            cast(vote, owner, ids[5:])
        actor = world.users[Role.COMMITTEE_MEMBER]
        # Closed three days after voting ended: the election date is still the day voting ended.
        closed = life.close_election(actor=actor, vote=vote, now=vote.closes_at + timedelta(days=3))
        election = closed.result["election"]
        assert closed.result["decided"] and election["filled"] == 5 and not election["short"]
        # the five tie on area and heads: the lot drawn at the close ranks them, and is kept
        assert sorted(election["elected"]) == ids[:5] and sorted(election["lot"]) == sorted(ids)
        assert election["elected"] == [pk for pk in election["lot"] if pk in ids[:5]]
        sixth = election["candidates"][5]
        assert sixth["heads"] == 5 and sixth["heads_share"] == "5/12" and not sixth["passed"]
        assert election["candidates"][0]["area"] == "700.00" and election["candidates"][0]["area_share"] == "7/12"
        committee = Committee.objects.get()
        assert election["committee"] == committee.pk and committee.election_vote == closed
        assert sorted(committee.members.values_list("owner_id", flat=True)) == sorted(o.pk for o in owners[:5])
        voting_ended = timezone.localdate(vote.closes_at)
        assert committee.elected_on == voting_ended != timezone.localdate(closed.closed_at)
        assert filing_deadline(committee)[1] == voting_ended + timedelta(days=30)
        notice = NoticePage.objects.get(pk=closed.result_notice_id).body
        assert "当选（5 名）" in notice and "业主01" not in notice and "业**" in notice

    def test_a_short_election_records_it_and_forms_no_committee(self, world, estate):
        building, owners = estate
        vote = convene(world, building, owners, seats=5, n=6)
        ids = list(vote.candidates.order_by("position").values_list("pk", flat=True))
        for owner in owners[:7]:
            cast(vote, owner, ids[:3])
        for owner in owners[7:]:
            cast(vote, owner, ids[3:])
        closed = life.close_election(actor=None, vote=vote)
        election = closed.result["election"]
        assert election["filled"] == 3 and election["short"] and election["committee"] is None
        assert not closed.result["decided"] and "少于业主委员会最少 5 人" in election["reason"]
        assert not Committee.objects.exists()

    def test_an_even_number_elected_forms_no_committee_and_says_why(self, world, estate):
        building, owners = estate
        vote = convene(world, building, owners, seats=7, n=7)
        ids = list(vote.candidates.order_by("position").values_list("pk", flat=True))
        for owner in owners[:7]:
            cast(vote, owner, ids[:6])
        for owner in owners[7:]:
            cast(vote, owner, ids[6:])
        closed = life.close_election(actor=None, vote=vote)
        assert closed.result["election"]["filled"] == 6 and not closed.result["election"]["short"]
        assert "须为单数" in closed.result["election"]["reason"] and not Committee.objects.exists()

    def test_only_an_election_closes_as_one(self, world, estate):
        building, _owners = estate
        now = timezone.now()
        plain = votes.convene_vote(
            actor=None,
            estate=world.e1,
            matter=3,
            question="同意/反对的换届表决",
            opens_at=now - timedelta(days=10),
            closes_at=now - timedelta(days=1),
            buildings=[building],
            now=now - timedelta(days=30),
        )
        with pytest.raises(ValidationError):
            life.close_election(actor=None, vote=plain)
        assert Vote.objects.get().status == "open"


# --------------------------------------------------------------------------- pages


def _later(days):
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


class TestPages:
    def test_the_ballot_page_shows_candidates_to_owners_in_scope_only(self, client, world, estate):
        building, owners = estate
        vote = convene(world, building, owners, open_now=True)
        url = reverse("committees:ballot", args=[vote.pk])
        login(client, owners[0].user)
        page = client.get(url).content.decode()
        assert "最多选 5 人" in page and "业主06，热心公益" in page and page.count('name="candidate"') == 6
        ids = list(vote.candidates.order_by("position").values_list("pk", flat=True))
        response = client.post(url, {"holder": str(owners[0].pk), "candidate": ids}, follow=True)
        assert "最多选 5 人" in response.content.decode() and not Ballot.objects.exists()
        client.post(url, {"holder": str(owners[0].pk), "candidate": ids[:2]})
        assert Ballot.objects.get().candidates == sorted(ids[:2])
        client.post(url, {"holder": str(owners[0].pk), "choice": "abstain"})  # a second ballot is refused
        assert Ballot.objects.count() == 1
        login(client, world.owner_user)  # an owner of e1, outside the election's building
        assert client.get(url).status_code == 404
        for role in (Role.COMMITTEE_MEMBER, Role.COMMUNITY_STAFF, Role.STREET_STAFF):
            login(client, world.users[role])
            assert client.get(url).status_code == 403

    def test_turnout_shows_each_candidate_to_conveners_and_the_close_forms_the_committee(
        self, client, world, estate, django_assert_max_num_queries
    ):
        building, owners = estate
        vote = convene(world, building, owners)
        ids = list(vote.candidates.order_by("position").values_list("pk", flat=True))
        for owner in owners[:8]:
            cast(vote, owner, ids[:5])
        url = reverse("committees:turnout", args=[vote.pk])
        for user, status in (
            (world.users[Role.STREET_STAFF], 200),  # reads the figures, without the conveners' tools
            (owners[0].user, 404),
            (world.users[Role.COMMUNITY_STAFF], 200),
            (world.users[Role.COMMITTEE_MEMBER], 200),
        ):
            login(client, user)
            assert client.get(url).status_code == status
        with django_assert_max_num_queries(40):
            page = client.get(url).content.decode()
        assert (
            "候选人得票（实时）" in page
            and "800.00 ㎡（1/1）" in page
            and "可能的结果" not in page
            and "业主06" in page
        )
        client.post(url)
        vote.refresh_from_db()
        committee = Committee.objects.get()
        assert vote.result["election"]["committee"] == committee.pk
        page = client.get(url).content.decode()
        assert "候选人得票（计票结果）" in page and "选出业主委员会委员 5 名" in page and "抽签顺序" in page

    def test_convening_an_election_from_the_form_and_every_bad_line_reported(self, client, world, estate):
        building, owners = estate
        url = reverse("committees:convene", args=[world.e1.pk])
        login(client, world.users[Role.COMMITTEE_MEMBER])
        data = {"matter": 3, "question": "选举第二届业主委员会", "opens_at": _later(16), "closes_at": _later(30)}
        bad = "A栋 101 业主01 退休教师\nA栋 102 别人 会计\nB栋 101 某某 工程师\nA栋 103"
        page = client.post(url, {**data, "seats": 5, "candidates": bad}).content.decode()
        assert "第 2 行：A栋 102 的业主中没有“别人”" in page and "第 3 行：本小区没有“B栋 101”" in page
        assert "第 4 行“A栋 103”" in page and not Vote.objects.exists()
        page = client.post(url, {**data, "seats": 6, "candidates": "A栋 101 业主01 退休教师"}).content.decode()
        assert "且为单数" in page and not Vote.objects.exists()
        lines = "\n".join(f"A栋 1{i:02d} 业主{i:02d} 第{i}位候选人的简介" for i in range(1, 7))
        response = client.post(url, {**data, "seats": 5, "candidates": lines})
        vote = Vote.objects.get()
        assert response.status_code == 302 and vote.seats == 5
        assert list(vote.candidates.order_by("position").values_list("owner_id", flat=True)) == [
            o.pk for o in owners[:6]
        ]
        login(client, world.users[Role.STREET_STAFF])
        assert client.get(url).status_code == 404
