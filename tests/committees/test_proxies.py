"""Proxies (委托, issue 22 item 2): appointing from the owner's account or on a signed form,
who may be an agent, the rule set's limit of principals per agent and vote, revoking before
and after use, the proxy's ballot counted once as the owner's, period proxies and the vote's
window, the turnout and the result listing proxy ballots, committee meetings still refusing
proxies; and the owner's and the staff's proxy pages for every role."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees import services as life
from committees.models import Ballot, Proxy, Vote
from committees.votes import proxies
from committees.votes import selectors as vote_selectors
from committees.votes import services as votes
from community.models import AuditEvent, Role
from community.rules import rules_for
from notifications.models import Delivery, Event
from residents import household
from tests.committees.test_committee_life import _elect
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, login
from tests.residents.household_helpers import account

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def signed_form(name="委托书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


class Scene:
    """Building A栋 of e1: six owners (rooms 101..106, 100 m² each), each with an account whose
    username is their mobile; a vote of the building open now."""

    def __init__(self, world):
        self.world = world
        self.building = BuildingFactory(estate=world.e1, name="A栋")
        self.owners = []
        for i in range(1, 7):
            mobile = f"1390000010{i}"
            owner = OwnerFactory(name=f"委托{i}", mobile=mobile, user=UserFactory(username=mobile))
            OwnershipFactory(
                unit=UnitFactory(building=self.building, room=f"10{i}", registered_area=Decimal("100.00")),
                owner=owner,
            )
            self.owners.append(owner)
        now = timezone.now()
        self.vote = self.new_vote(now - timedelta(days=1), now + timedelta(days=5))
        self.limit = rules_for(world.e1).proxy_max_principals

    def new_vote(self, opens_at, closes_at, question="更换A栋电梯"):
        vote = Vote.objects.create(
            estate=self.world.e1, matter=5, question=question, opens_at=opens_at, closes_at=closes_at
        )
        vote.buildings.set([self.building])
        return vote

    def appoint(self, principal, agent, **kwargs):
        kwargs.setdefault("vote", None if "starts_on" in kwargs else self.vote)
        return proxies.appoint_proxy(
            actor=kwargs.pop("actor", principal.user), principal=principal, agent=agent, **kwargs
        )

    def member(self, owner, mobile="13800000009"):
        """An account (username = its proven mobile) joined to ``owner``'s unit on their invitation."""
        user = account(mobile, mobile)
        household.invite(actor=owner.user, unit=owner.ownerships.get().unit, mobile=mobile, relation="family")
        return user


@pytest.fixture
def scene(world):
    return Scene(world)


def opens(vote):
    return vote.opens_at + timedelta(hours=1)


# --------------------------------------------------------------------------- appointing


def test_an_owner_appoints_from_their_own_account_and_the_agent_is_told(scene):
    principal, agent = scene.owners[0], scene.owners[1]
    proxy = scene.appoint(principal, agent.user)
    assert proxy.confirmed_in_account and not proxy.form and proxy.recorded_by == principal.user
    assert proxy.vote == scene.vote and proxy.agent == agent.user and proxy.revoked_at is None
    assert AuditEvent.objects.filter(action="proxy_appoint", object_id=str(proxy.pk)).exists()
    inbox = Delivery.objects.get(user=agent.user, channel="inbox", message__event=Event.PROXY)
    assert "委**" in inbox.message.title and principal.name not in inbox.message.body


def test_staff_record_a_paper_proxy_with_the_signed_form_under_a_random_name(scene, world):
    for role in (Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER):
        principal = scene.owners[0] if role == Role.COMMUNITY_STAFF else scene.owners[2]
        proxy = scene.appoint(principal, scene.owners[1].user, actor=world.users[role], form=signed_form())
        assert not proxy.confirmed_in_account and proxy.recorded_by == world.users[role]
        assert re.fullmatch(r"votes/proxies/\d{4}/[0-9a-f]{32}\.pdf", proxy.form.name)


@pytest.mark.parametrize(
    "form,message",
    [
        (None, "须上传业主签字的委托书"),
        (signed_form("委托书.pdf", b"<html>not a form</html>"), "只接受 PDF、JPEG、PNG"),
    ],
)
def test_staff_without_a_proper_signed_form_are_refused_and_nothing_is_written(scene, world, form, message):
    with pytest.raises(ValidationError) as exc:
        scene.appoint(scene.owners[0], scene.owners[1].user, actor=world.users[Role.COMMUNITY_STAFF], form=form)
    assert message in exc.value.messages[0]
    assert not Proxy.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.GRID_WORKER, Role.COMPANY_STAFF, Role.DISTRICT_ADMIN])
def test_only_those_who_run_the_estates_votes_record_for_an_owner(scene, world, role):
    with pytest.raises(PermissionDenied):
        scene.appoint(scene.owners[0], scene.owners[1].user, actor=world.users[role], form=signed_form())
    with pytest.raises(PermissionDenied):  # nor another owner
        scene.appoint(scene.owners[0], scene.owners[2].user, actor=scene.owners[1].user)
    assert not Proxy.objects.exists()


def test_the_agent_is_another_owner_of_the_estate_or_a_member_of_the_household(scene, world):
    principal = scene.owners[0]
    with pytest.raises(ValidationError) as exc:
        scene.appoint(principal, principal.user)
    assert "不能委托自己" in exc.value.messages[0]
    stranger = OwnerFactory(name="外人", user=UserFactory(username="13900000999"))
    OwnershipFactory(unit=UnitFactory(building__estate=world.e2), owner=stranger)
    for agent in (stranger.user, UserFactory(username="13900000998"), world.users[Role.COMMUNITY_STAFF]):
        with pytest.raises(ValidationError) as exc:
            scene.appoint(principal, agent)
        assert "受托人须是本小区的其他业主" in exc.value.messages[0]
    # The world's resident owns in e1 outside the vote's building: an owner of the estate will do.
    assert scene.appoint(principal, world.owner_user).agent == world.owner_user
    assert Proxy.objects.count() == 1


def test_a_household_member_may_be_the_agent_until_removed(scene):
    principal = scene.owners[0]
    member = scene.member(principal)
    proxy = scene.appoint(principal, member)
    assert proxy.agent == member
    proxies.revoke_proxy(actor=principal.user, proxy=proxy)
    household.remove(actor=principal.user, household=member.households.get())
    with pytest.raises(ValidationError):
        scene.appoint(principal, member)
    other_member = scene.member(scene.owners[1], mobile="13800000008")
    with pytest.raises(ValidationError):  # a member of someone else's household
        scene.appoint(principal, other_member)


def test_a_vote_must_still_run_and_the_principal_have_a_say_in_it(scene, world):
    now = timezone.now()
    ended = scene.new_vote(now - timedelta(days=10), now - timedelta(hours=1), question="已结束")
    with pytest.raises(ValidationError) as exc:
        scene.appoint(scene.owners[0], scene.owners[1].user, vote=ended)
    assert "已经结束" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:  # the world's resident holds outside the vote's building
        proxies.appoint_proxy(
            actor=world.owner_user, principal=world.resident, agent=scene.owners[0].user, vote=scene.vote
        )
    assert "没有表决权" in exc.value.messages[0]
    assert not Proxy.objects.exists()


def test_a_period_is_whole_and_starts_no_earlier_than_today(scene):
    today = timezone.localdate()
    principal, agent = scene.owners[0], scene.owners[1].user
    cases = [
        (dict(vote=scene.vote, starts_on=today, ends_on=today), "二者选一"),
        (dict(vote=None, starts_on=today, ends_on=None), "二者选一"),
        (dict(vote=None, starts_on=today, ends_on=today - timedelta(days=1)), "截止日不能早于起始日"),
        (dict(vote=None, starts_on=today - timedelta(days=1), ends_on=today), "不能早于今天"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError) as exc:
            proxies.appoint_proxy(actor=principal.user, principal=principal, agent=agent, **kwargs)
        assert message in exc.value.messages[0]
    assert not Proxy.objects.exists()
    assert scene.appoint(principal, agent, starts_on=today, ends_on=today).ends_on == today


# ------------------------------------------------------------------ the limit, and one proxy per owner and vote


def test_an_agent_holds_up_to_the_limit_of_principals_in_one_vote(scene):
    agent = scene.owners[5].user
    for principal in scene.owners[: scene.limit]:
        scene.appoint(principal, agent)
    with pytest.raises(ValidationError) as exc:
        scene.appoint(scene.owners[scene.limit], agent)
    assert f"已接受 {scene.limit} 位业主的委托" in exc.value.messages[0]
    assert Proxy.objects.count() == scene.limit
    # Another vote has its own count; a revoked proxy leaves room.
    now = timezone.now()
    other = scene.new_vote(now - timedelta(hours=2), now + timedelta(days=3), question="另一表决")
    scene.appoint(scene.owners[scene.limit], agent, vote=other)
    proxies.revoke_proxy(
        actor=scene.owners[0].user, proxy=Proxy.objects.get(principal=scene.owners[0], vote=scene.vote)
    )
    assert scene.appoint(scene.owners[scene.limit], agent).vote == scene.vote


def test_a_ballot_cast_through_a_period_proxy_revoked_since_still_counts_towards_the_limit(scene):
    agent = scene.owners[5].user
    now, today = timezone.now(), timezone.localdate()
    vote = scene.new_vote(now, now + timedelta(days=3), question="期间内表决")
    later = now + timedelta(seconds=1)
    periods = []
    for principal in scene.owners[: scene.limit]:
        period = scene.appoint(principal, agent, starts_on=today, ends_on=today + timedelta(days=30))
        votes.cast_ballot(
            voter=scene.owners[5], vote=vote, holder=str(principal.pk), choice="yes", proxy=period, now=later
        )
        periods.append(period)
    proxies.revoke_proxy(actor=scene.owners[0].user, proxy=periods[0])  # its ballot in the vote stays
    for kwargs in ({"vote": vote}, {"starts_on": today, "ends_on": today + timedelta(days=30)}):
        with pytest.raises(ValidationError) as exc:
            scene.appoint(scene.owners[scene.limit], agent, **kwargs)
        assert "已达上限" in exc.value.messages[0]
    assert Ballot.objects.filter(vote=vote, proxy__agent=agent).count() == scene.limit


def test_period_proxies_count_towards_the_limit_of_every_vote_they_cover(scene):
    agent = scene.owners[5].user
    today = timezone.localdate()
    now = timezone.now()
    coming = scene.new_vote(now + timedelta(days=16), now + timedelta(days=20), question="将来")
    for principal in scene.owners[: scene.limit - 1]:
        scene.appoint(principal, agent, starts_on=today, ends_on=today + timedelta(days=30))
    last = scene.appoint(scene.owners[scene.limit - 1], agent, vote=coming)
    # The coming vote has its full count: a period holding its window is one too many...
    with pytest.raises(ValidationError) as exc:
        scene.appoint(scene.owners[scene.limit], agent, starts_on=today, ends_on=today + timedelta(days=30))
    assert "已达上限" in exc.value.messages[0]
    # ...and so is a vote proxy for it.
    with pytest.raises(ValidationError):
        scene.appoint(scene.owners[scene.limit], agent, vote=coming)
    # Periods alone: a day held by as many periods as the limit leaves no room on it.
    proxies.revoke_proxy(actor=scene.owners[scene.limit - 1].user, proxy=last)
    scene.appoint(
        scene.owners[scene.limit - 1], agent, starts_on=today + timedelta(days=25), ends_on=today + timedelta(days=40)
    )
    with pytest.raises(ValidationError):
        scene.appoint(
            scene.owners[scene.limit], agent, starts_on=today + timedelta(days=28), ends_on=today + timedelta(days=35)
        )
    # The day after the first periods end there is room again.
    assert scene.appoint(
        scene.owners[scene.limit], agent, starts_on=today + timedelta(days=31), ends_on=today + timedelta(days=35)
    )


def test_one_active_proxy_per_owner_and_vote(scene):
    principal = scene.owners[0]
    now = timezone.now()
    coming = scene.new_vote(now + timedelta(days=16), now + timedelta(days=20), question="将来")
    first = scene.appoint(principal, scene.owners[1].user, vote=coming)
    today = timezone.localdate()
    for kwargs in ({"vote": coming}, {"starts_on": today, "ends_on": today + timedelta(days=30)}):
        with pytest.raises(ValidationError) as exc:
            scene.appoint(principal, scene.owners[2].user, **kwargs)
        assert "已有有效的委托" in exc.value.messages[0]
    proxies.revoke_proxy(actor=principal.user, proxy=first)
    period = scene.appoint(principal, scene.owners[2].user, starts_on=today, ends_on=today + timedelta(days=30))
    with pytest.raises(ValidationError) as exc:  # an overlapping period
        scene.appoint(
            principal, scene.owners[3].user, starts_on=today + timedelta(days=30), ends_on=today + timedelta(days=40)
        )
    assert "这段时间内已有有效的委托" in exc.value.messages[0]
    with pytest.raises(ValidationError):  # a vote the period covers
        scene.appoint(principal, scene.owners[3].user, vote=coming)
    # The open vote began before the period: a proxy for it is the only one there.
    assert scene.appoint(principal, scene.owners[3].user).vote == scene.vote
    assert Proxy.objects.filter(revoked_at=None).count() == 2 and period.revoked_at is None


# --------------------------------------------------------------------------- revoking


def test_revoking_before_use_and_not_after(scene, world):
    principal, agent = scene.owners[0], scene.owners[1]
    proxy = scene.appoint(principal, agent.user)
    with pytest.raises(PermissionDenied):
        proxies.revoke_proxy(actor=agent.user, proxy=proxy)  # the agent is not the one to revoke
    with pytest.raises(PermissionDenied):
        proxies.revoke_proxy(actor=world.users[Role.STREET_STAFF], proxy=proxy)
    revoked = proxies.revoke_proxy(actor=world.users[Role.COMMUNITY_STAFF], proxy=proxy)
    assert revoked.revoked_by == world.users[Role.COMMUNITY_STAFF] and revoked.revoked_at is not None
    assert Delivery.objects.filter(user=agent.user, message__title__startswith="表决委托已撤销").exists()
    with pytest.raises(ValidationError) as exc:
        proxies.revoke_proxy(actor=principal.user, proxy=proxy)
    assert "已经撤销" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:  # a revoked proxy votes no more
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy)
    assert "已撤销" in exc.value.messages[0]
    used = scene.appoint(principal, agent.user)
    votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=used)
    with pytest.raises(ValidationError) as exc:
        proxies.revoke_proxy(actor=principal.user, proxy=used)
    assert "不能再撤销" in exc.value.messages[0]
    assert Proxy.objects.get(pk=used.pk).revoked_at is None


def test_a_used_period_proxy_keeps_its_ballot_and_is_revoked_for_the_votes_after(scene):
    principal, agent = scene.owners[0], scene.owners[1]
    today = timezone.localdate()
    period = scene.appoint(principal, agent.user, starts_on=today, ends_on=today + timedelta(days=60))
    # The open vote began yesterday, before the period: it is not covered.
    with pytest.raises(ValidationError):
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=period)
    now = timezone.now()
    first = scene.new_vote(now, now + timedelta(days=3), question="第一次")
    second = scene.new_vote(now, now + timedelta(days=4), question="第二次")
    later = now + timedelta(seconds=1)
    ballot = votes.cast_ballot(voter=agent, vote=first, holder=str(principal.pk), choice="no", proxy=period, now=later)
    proxies.revoke_proxy(actor=principal.user, proxy=period)
    assert Ballot.objects.get(pk=ballot.pk).proxy_id == period.pk
    with pytest.raises(ValidationError):
        votes.cast_ballot(voter=agent, vote=second, holder=str(principal.pk), choice="no", proxy=period, now=later)
    assert not Ballot.objects.filter(vote=second).exists()


# --------------------------------------------------------------------------- voting by proxy


def test_the_proxy_ballot_is_the_owners_and_counts_once_proxy_first(scene):
    principal, agent = scene.owners[0], scene.owners[1]
    proxy = scene.appoint(principal, agent.user)
    ballot = votes.cast_ballot(
        voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy, now=opens(scene.vote)
    )
    assert ballot.cast_by == principal and ballot.proxy == proxy and ballot.entered_by is None
    with pytest.raises(ValidationError) as exc:
        votes.cast_ballot(voter=principal, vote=scene.vote, holder=str(principal.pk), choice="no")
    assert "已经投过票" in exc.value.messages[0]
    with pytest.raises(ValidationError):  # nor twice by the agent
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="no", proxy=proxy)
    # The agent's own holding is theirs to vote, apart from the proxy.
    votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(agent.pk), choice="no")
    result = vote_selectors.count(scene.vote)
    assert result.participating.heads == 2 and result.by_choice["yes"].heads == 1
    assert Ballot.objects.get(holder=str(principal.pk)).choice == "yes"


def test_the_owner_voting_first_leaves_the_proxy_nothing(scene):
    principal, agent = scene.owners[0], scene.owners[1]
    proxy = scene.appoint(principal, agent.user)
    votes.cast_ballot(voter=principal, vote=scene.vote, holder=str(principal.pk), choice="no")
    with pytest.raises(ValidationError) as exc:
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy)
    assert "已经投过票" in exc.value.messages[0]
    assert Ballot.objects.get().choice == "no" and Ballot.objects.get().proxy is None


def test_only_the_agent_votes_with_the_proxy_and_only_for_the_principals_holdings(scene):
    principal, agent = scene.owners[0], scene.owners[1]
    proxy = scene.appoint(principal, agent.user)
    with pytest.raises(PermissionDenied):
        votes.cast_ballot(voter=scene.owners[2], vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy)
    with pytest.raises(PermissionDenied):
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(scene.owners[2].pk), choice="yes", proxy=proxy)
    now = timezone.now()
    other = scene.new_vote(now - timedelta(hours=1), now + timedelta(days=2), question="别的表决")
    with pytest.raises(ValidationError):
        votes.cast_ballot(voter=agent, vote=other, holder=str(principal.pk), choice="yes", proxy=proxy)
    assert not Ballot.objects.exists()


def test_only_the_owner_corrects_a_paper_ballot_never_the_agent(scene, world):
    principal, agent = scene.owners[0], scene.owners[1]
    proxy = scene.appoint(principal, agent.user)
    votes.enter_paper_ballot(
        actor=world.users[Role.COMMUNITY_STAFF], vote=scene.vote, holder=str(principal.pk), choice="no"
    )
    with pytest.raises(ValidationError) as exc:  # the owner's own paper ballot stands against the agent
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy)
    assert "已经投过票" in exc.value.messages[0]
    assert Ballot.objects.get().choice == "no" and Ballot.objects.get().proxy is None
    corrected = votes.cast_ballot(voter=principal, vote=scene.vote, holder=str(principal.pk), choice="yes")
    assert corrected.proxy is None and corrected.cast_by == principal and corrected.choice == "yes"
    with pytest.raises(ValidationError):
        votes.cast_ballot(voter=principal, vote=scene.vote, holder=str(principal.pk), choice="no")
    assert Ballot.objects.get().choice == "yes"


def test_the_acting_account_must_be_the_proxys_agent(scene):
    principal, agent = scene.owners[0], scene.owners[1]
    member = scene.member(principal)
    proxy = scene.appoint(principal, member)
    for acting in ({}, {"agent": agent.user}):  # nobody named, or another account
        with pytest.raises(PermissionDenied):
            votes.cast_ballot(
                voter=None, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy, **acting
            )
    with pytest.raises(PermissionDenied):  # another owner's own record is not the agent's either
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy)
    assert not Ballot.objects.exists()
    ballot = votes.cast_ballot(
        voter=None, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy, agent=member
    )
    assert ballot.proxy == proxy and ballot.cast_by == principal


@pytest.mark.parametrize("extra_days,covered", [(0, True), (-1, False)])
def test_a_period_proxy_covers_a_vote_whose_whole_window_it_holds(scene, extra_days, covered):
    principal, agent = scene.owners[0], scene.owners[1]
    now = timezone.now()
    vote = scene.new_vote(now, now + timedelta(days=4), question="期间内")
    ends_on = timezone.localdate(vote.closes_at) + timedelta(days=extra_days)
    proxy = scene.appoint(principal, agent.user, starts_on=timezone.localdate(now), ends_on=ends_on)
    assert vote_selectors.covers(proxy, vote) is covered
    assert ((vote, proxy) in vote_selectors.proxy_votes(agent.user)) is covered
    later = now + timedelta(seconds=1)
    if covered:
        ballot = votes.cast_ballot(
            voter=agent, vote=vote, holder=str(principal.pk), choice="yes", proxy=proxy, now=later
        )
        assert ballot.proxy == proxy and ballot.cast_by == principal
    else:
        with pytest.raises(ValidationError):
            votes.cast_ballot(voter=agent, vote=vote, holder=str(principal.pk), choice="yes", proxy=proxy, now=later)
        assert not Ballot.objects.exists()


def test_the_turnout_lists_proxy_ballots_and_the_result_counts_them(scene, world):
    principal, agent = scene.owners[0], scene.owners[1]
    member = scene.member(scene.owners[2])
    votes.cast_ballot(
        voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=scene.appoint(principal, agent.user)
    )
    votes.cast_ballot(
        voter=None,
        vote=scene.vote,
        holder=str(scene.owners[2].pk),
        choice="no",
        proxy=scene.appoint(scene.owners[2], member),
        agent=member,
    )
    votes.cast_ballot(voter=scene.owners[3], vote=scene.vote, holder=str(scene.owners[3].pk), choice="yes")
    rows, total = vote_selectors.proxy_ballots(scene.vote)
    assert total == 2
    assert {(r["units"], r["principal"], r["agent"]) for r in rows} == {
        ("A栋 101", "委**", "委**"),
        ("A栋 103", "委**", "138****0009"),
    }
    closed = votes.close_vote(actor=None, vote=scene.vote, now=scene.vote.closes_at)
    assert closed.result["by_proxy"] == {"heads": 2, "area": "200.00"}
    assert closed.result["participating"]["heads"] == 3


def test_committee_meetings_still_refuse_proxies(world, election):
    vote, owners = election
    committee = _elect(world, vote, owners[:7])
    members = list(committee.members.order_by("pk"))
    for m in members[:4]:
        m.owner.user = UserFactory()
        m.owner.save()
    today = timezone.localdate()
    # An owners'-vote proxy from one member to another covers the meeting's day...
    proxies.appoint_proxy(
        actor=members[3].owner.user,
        principal=members[3].owner,
        agent=members[0].owner.user,
        starts_on=today,
        ends_on=today + timedelta(days=60),
    )
    meeting = life.schedule_meeting(
        actor=None, committee=committee, held_on=today + timedelta(days=10), agenda="议题", posted_on=today
    )
    # ...but the member cannot be named as present through it...
    with pytest.raises(ValidationError) as exc:
        life.record_attendance(actor=None, meeting=meeting, present=members[:3], proxies=[members[3]])
    assert "不得委托" in exc.value.messages[0]
    # ...nor does it count towards the meeting's quorum: three of seven came, the fourth through
    # the agent would have made more than half.
    life.record_attendance(actor=None, meeting=meeting, present=members[:3])
    with pytest.raises(ValidationError) as exc:
        life.record_decision(actor=None, meeting=meeting, text="更换门禁", in_favour=members[:4])
    assert "出席委员未过半数（3 / 7 人）" in exc.value.messages[0]


def test_an_agent_sees_no_ballot_but_the_one_they_cast(client, scene, world):
    """On the agent's ballot page a holding already voted says so, never how: not the owner's own
    online ballot, not the paper ballot staff entered for them."""
    url = reverse("committees:ballot", args=[scene.vote.pk])
    agent = scene.owners[5]
    own, paper, mine = scene.owners[:3]
    proxy_of = {o.pk: scene.appoint(o, agent.user) for o in (own, paper, mine)}
    votes.cast_ballot(voter=own, vote=scene.vote, holder=str(own.pk), choice="no")
    votes.enter_paper_ballot(
        actor=world.users[Role.COMMUNITY_STAFF], vote=scene.vote, holder=str(paper.pk), choice="abstain"
    )
    votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(mine.pk), choice="yes", proxy=proxy_of[mine.pk])
    login(client, agent.user)
    page = client.get(url).content.decode()
    assert "<strong>反对</strong>" not in page and "<strong>弃权</strong>" not in page
    assert "业主本人已投票，委托不再使用" in page and "这份表决权已有表决票，委托不再使用" in page
    assert "工作人员已代录" not in page and "已由受托人代为投票：<strong>同意</strong>" in page
    # the agent's own holding still shows its form, and nothing for the paper-voted owner
    response = client.post(url, {"holder": str(paper.pk), "choice": "yes", "proxy": proxy_of[paper.pk].pk}, follow=True)
    assert "已经投过票" in response.content.decode()
    assert Ballot.objects.get(holder=str(paper.pk)).choice == "abstain"


def test_a_non_ascii_digit_is_no_proxy_number(client, scene):
    scene.appoint(scene.owners[0], scene.owners[1].user)
    login(client, scene.owners[0].user)
    for value in ("²", "①", "١"):
        response = client.post(reverse("committees:my_proxies"), {"action": "revoke", "proxy": value})
        assert response.status_code == 404, value
    assert Proxy.objects.get().revoked_at is None


# --------------------------------------------------------------------------- the owner's page


def test_the_owner_page_for_every_kind_of_account(client, scene, world):
    principal = scene.owners[0]
    member = scene.member(principal)
    proxy = scene.appoint(principal, member)
    url = reverse("committees:my_proxies")
    login(client, principal.user)
    page = client.get(url).content.decode()
    assert "我给出的委托" in page and "138****0009" in page and "撤销" in page
    login(client, member)
    page = client.get(url).content.decode()
    assert "我接受的委托" in page and "委**" in page and "我给出的委托" not in page
    assert client.post(url, {"action": "revoke", "proxy": proxy.pk}).status_code == 403
    login(client, scene.owners[4].user)  # another owner sees nothing of it and cannot revoke it
    page = client.get(url).content.decode()
    assert "138****0009" not in page and "我接受的委托" not in page
    assert client.post(url, {"action": "revoke", "proxy": proxy.pk}).status_code == 404
    for role in (Role.COMMITTEE_MEMBER, Role.COMMUNITY_STAFF, Role.STREET_STAFF):
        login(client, world.users[role])
        assert client.get(url).status_code == 403
    assert Proxy.objects.get().revoked_at is None


def test_an_owner_appoints_and_revokes_on_the_page(client, scene):
    principal, agent = scene.owners[0], scene.owners[1]
    url = reverse("committees:my_proxies")
    login(client, principal.user)
    response = client.post(url, {"action": "appoint", "vote": scene.vote.pk, "mobile": "139 0000 0102"}, follow=True)
    assert "委托已生效" in response.content.decode()
    proxy = Proxy.objects.get()
    assert proxy.agent == agent.user and proxy.confirmed_in_account
    response = client.post(url, {"action": "revoke", "proxy": proxy.pk}, follow=True)
    assert "委托已撤销" in response.content.decode() and Proxy.objects.get().revoked_at is not None


@pytest.mark.parametrize(
    "data,message",
    [
        ({"vote": "", "mobile": "13900000102"}, "二者选一"),
        ({"vote": "VOTE", "mobile": "13912340000"}, "没有找到手机号为 13912340000 的账号"),
        ({"vote": "VOTE", "mobile": ""}, "受托人手机号"),
        ({"vote": "VOTE", "mobile": "13900000101"}, "不能委托自己"),
        ({"vote": "", "starts_on": "2020-01-01", "ends_on": "2020-02-01", "mobile": "13900000102"}, "不能早于今天"),
    ],
)
def test_bad_input_on_the_owner_page_shows_the_message_and_writes_nothing(client, scene, data, message):
    login(client, scene.owners[0].user)
    data = {k: (scene.vote.pk if v == "VOTE" else v) for k, v in data.items()}
    response = client.post(reverse("committees:my_proxies"), {"action": "appoint", **data}, follow=True)
    assert message in response.content.decode()
    assert not Proxy.objects.exists()


def test_a_household_agent_reaches_the_ballot_and_votes_for_the_owner(client, scene):
    principal = scene.owners[0]
    member = scene.member(principal)
    proxy = scene.appoint(principal, member)
    login(client, member)
    listing = client.get(reverse("committees:my_votes"))
    assert listing.status_code == 200 and scene.vote.question in listing.content.decode()
    url = reverse("committees:ballot", args=[scene.vote.pk])
    page = client.get(url).content.decode()
    assert "受 委** 委托" in page and f'name="proxy" value="{proxy.pk}"' in page
    response = client.post(url, {"holder": str(principal.pk), "choice": "yes", "proxy": proxy.pk}, follow=True)
    assert "您的表决已记录" in response.content.decode()
    ballot = Ballot.objects.get()
    assert ballot.cast_by == principal and ballot.proxy == proxy
    response = client.post(url, {"holder": str(principal.pk), "choice": "no", "proxy": proxy.pk}, follow=True)
    assert "已经投过票" in response.content.decode() and Ballot.objects.get().choice == "yes"
    # The owner sees the proxy's ballot as theirs, and cannot cast another.
    login(client, principal.user)
    assert "已由受托人代为投票" in client.get(url).content.decode()


def test_without_an_active_proxy_a_member_neither_sees_nor_casts(client, scene):
    principal = scene.owners[0]
    member = scene.member(principal)
    proxy = scene.appoint(principal, member)
    proxies.revoke_proxy(actor=principal.user, proxy=proxy)
    login(client, member)
    assert client.get(reverse("committees:my_votes")).status_code == 403
    url = reverse("committees:ballot", args=[scene.vote.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"holder": str(principal.pk), "choice": "yes", "proxy": proxy.pk}).status_code == 403
    # An owner naming a proxy that is not theirs is refused with a message.
    login(client, scene.owners[1].user)
    response = client.post(url, {"holder": str(principal.pk), "choice": "yes", "proxy": proxy.pk}, follow=True)
    assert "不适用于这次表决" in response.content.decode()
    assert not Ballot.objects.exists()


# --------------------------------------------------------------------------- the staff page


def test_the_vote_proxies_page_for_every_role(client, scene, world):
    principal, agent = scene.owners[0], scene.owners[1]
    proxy = scene.appoint(principal, agent.user, actor=world.users[Role.COMMUNITY_STAFF], form=signed_form())
    url = reverse("committees:vote_proxies", args=[scene.vote.pk])
    download = reverse("committees:vote_proxy_form", args=[scene.vote.pk, proxy.pk])
    for role in (Role.COMMITTEE_MEMBER, Role.COMMUNITY_STAFF):
        login(client, world.users[role])
        page = client.get(url).content.decode()
        assert "委**" in page and "纸质委托书" in page
        response = client.get(download)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
    denied = [world.users[r] for r in (Role.STREET_STAFF, Role.GRID_WORKER, Role.COMPANY_STAFF)]
    for user in denied + [principal.user, agent.user]:
        login(client, user)
        assert client.get(url).status_code == 404
        assert client.get(download).status_code == 404
        assert client.post(url, {"action": "revoke", "proxy": proxy.pk}).status_code == 404
    # The owner who gave it and its agent read the signed form from their own page; others do not.
    for user, status in ((principal.user, 200), (agent.user, 200), (scene.owners[2].user, 404)):
        login(client, user)
        assert client.get(reverse("committees:proxy_form", args=[proxy.pk])).status_code == status
    assert Proxy.objects.get().revoked_at is None


def test_the_vote_page_lists_period_proxies_of_its_own_owners_only(client, scene, world):
    today = timezone.localdate()
    now = timezone.now()
    vote = scene.new_vote(now + timedelta(days=16), now + timedelta(days=20), question="将来")
    outsider, their_agent = (OwnerFactory(name=n, user=UserFactory()) for n in ("外区甲", "外区乙"))
    for owner in (outsider, their_agent):
        OwnershipFactory(unit=UnitFactory(building__estate=world.e2), owner=owner)
    scene.appoint(outsider, their_agent.user, starts_on=today, ends_on=today + timedelta(days=30))
    ours = scene.appoint(scene.owners[0], scene.owners[1].user, starts_on=today, ends_on=today + timedelta(days=30))
    assert list(vote_selectors.vote_proxies(vote)) == [ours]
    login(client, world.users[Role.COMMITTEE_MEMBER])
    assert "外**" not in client.get(reverse("committees:vote_proxies", args=[vote.pk])).content.decode()


def test_staff_find_the_owner_by_unit_and_record_a_paper_proxy(client, scene, world):
    url = reverse("committees:vote_proxies", args=[scene.vote.pk])
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = client.get(url, {"unit": "A栋 101"}).content.decode()
    assert f'name="principal" value="{scene.owners[0].pk}"' in page
    assert "第 1 行" in client.get(url, {"unit": "Z栋 999"}).content.decode()
    response = client.post(
        url, {"action": "record", "principal": scene.owners[0].pk, "mobile": "13900000102"}, follow=True
    )
    assert "须上传业主签字的委托书" in response.content.decode() and not Proxy.objects.exists()
    response = client.post(
        url,
        {
            "action": "record",
            "principal": scene.owners[0].pk,
            "mobile": "13900000102",
            "form": signed_form("a.png", b"x"),
        },
        follow=True,
    )
    assert "只接受 PDF、JPEG、PNG" in response.content.decode() and not Proxy.objects.exists()
    response = client.post(
        url,
        {"action": "record", "principal": scene.owners[0].pk, "mobile": "13900000102", "form": signed_form()},
        follow=True,
    )
    assert "纸质委托已登记" in response.content.decode()
    proxy = Proxy.objects.get()
    assert proxy.recorded_by == world.users[Role.COMMITTEE_MEMBER] and proxy.form
    response = client.post(url, {"action": "revoke", "proxy": proxy.pk}, follow=True)
    assert "委托已撤销" in response.content.decode()


def test_the_turnout_page_lists_the_proxy_ballots(client, scene, world):
    principal, agent = scene.owners[0], scene.owners[1]
    votes.cast_ballot(
        voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=scene.appoint(principal, agent.user)
    )
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = client.get(reverse("committees:turnout", args=[scene.vote.pk])).content.decode()
    assert "1 张表决票由受托人代业主投出" in page and "A栋 101" in page
    assert principal.name not in page


def test_the_proxy_lists_run_a_fixed_number_of_queries(client, scene, world, django_assert_max_num_queries):
    agent = scene.owners[5]

    def proxy_vote(principal):
        proxy = scene.appoint(principal, agent.user)
        votes.cast_ballot(voter=agent, vote=scene.vote, holder=str(principal.pk), choice="yes", proxy=proxy)

    proxy_vote(scene.owners[0])
    login(client, world.users[Role.COMMITTEE_MEMBER])
    pages = (
        reverse("committees:vote_proxies", args=[scene.vote.pk]),
        reverse("committees:turnout", args=[scene.vote.pk]),
    )
    counts = []
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        counts.append(len(queries))
    for principal in scene.owners[1 : scene.limit]:
        proxy_vote(principal)
    for page, before in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(before):
            assert client.get(page).status_code == 200
