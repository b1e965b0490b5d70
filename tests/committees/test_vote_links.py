"""Every link to a vote that a page shows its reader opens for that reader: staff who may read an
estate read its votes' figures (without the conveners' tools), and an owner's list of votes
holds only the votes whose ballot the owner may open."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from committees.models import Committee, Member, MemberRole
from committees.votes import services as votes
from community.models import Role
from tests.factories import login
from tests.world import PERSON_ROLES

VOTE_LINK = re.compile(r'href="(/votes/\d+/[^"]*)"')


@pytest.fixture
def estate_vote(world, election):
    """Besides the closed election of one building (``election``), an open vote of all of e1."""
    now = timezone.now()
    return votes.convene_vote(
        actor=None,
        estate=world.e1,
        matter=5,
        question="更换电梯",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        now=now - timedelta(days=30),
    )


def _readers(world, candidate):
    return [(role, world.users[role]) for role in PERSON_ROLES] + [
        ("owner", world.owner_user),
        ("candidate", candidate.user),
    ]


def _links(client, url) -> list[str]:
    response = client.get(url)
    if response.status_code != 200:
        return []
    return VOTE_LINK.findall(response.content.decode())


def test_every_vote_link_on_the_committee_and_vote_pages_opens_for_its_reader(
    client, world, candidate, election, estate_vote
):
    vote, owners = election
    committee = Committee.objects.create(
        estate=world.e1, election_vote=vote, elected_on=date(2024, 1, 1), term_ends_on=date(2029, 1, 1)
    )
    Member.objects.create(committee=committee, owner=owners[0], role=MemberRole.CHAIR)
    pages = [
        reverse("committees:committee", args=[committee.pk]),
        reverse("committees:decisions", args=[world.e1.pk]),
        reverse("committees:my_votes"),
        reverse("committees:manage_votes"),
    ]
    followed = {}
    for role, user in _readers(world, candidate):
        client.logout()
        login(client, user)
        for page in pages:
            for link in _links(client, page):
                status = client.get(link).status_code
                assert status == 200, f"{role}: {page} links {link}, which answers {status}"
                followed.setdefault(role, set()).add(link)
    turnout = reverse("committees:turnout", args=[vote.pk])
    for role in (Role.STREET_STAFF, Role.DISTRICT_ADMIN, Role.COMPANY_STAFF, Role.GRID_WORKER):
        assert turnout in followed[role], role  # the decisions page links the closed election
    assert followed["owner"] == followed["candidate"] == {reverse("committees:ballot", args=[estate_vote.pk])}


def test_a_reader_sees_a_votes_figures_without_the_conveners_tools(client, world, election):
    vote, _owners = election
    url = reverse("committees:turnout", args=[vote.pk])
    login(client, world.users[Role.STREET_STAFF])
    body = client.get(url).content.decode()
    assert "参与面积" in body
    for tool in ("paper", "service", "vote_proxies"):
        assert reverse(f"committees:{tool}", args=[vote.pk]) not in body
    assert client.post(url).status_code == 403  # only a convener closes the count
    client.logout()
    login(client, world.users[Role.COMMITTEE_MEMBER])
    body = client.get(url).content.decode()
    assert reverse("committees:paper", args=[vote.pk]) in body
    # Outside their scope, a vote is not found.
    client.logout()
    login(client, world.users[Role.GRID_WORKER])
    other = votes.convene_vote(
        actor=None,
        estate=world.other[Role.GRID_WORKER],
        matter=5,
        question="别处的表决",
        opens_at=timezone.now() + timedelta(days=20),
        closes_at=timezone.now() + timedelta(days=30),
    )
    assert client.get(reverse("committees:turnout", args=[other.pk])).status_code == 404


def test_a_company_reads_a_running_votes_count_only_once_it_is_closed(client, world, estate_vote):
    """The company's own contract or spending may be the question: while the vote runs its staff
    see that it runs, not the count; the offices that supervise and the conveners see the count."""
    url = reverse("committees:turnout", args=[estate_vote.pk])
    login(client, world.users[Role.COMPANY_STAFF])
    body = client.get(url).content.decode()
    assert 'id="sealed"' in body and "参与面积" not in body and "委托投票" not in body and "data-refresh" not in body
    for role in (Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER):
        client.logout()
        login(client, world.users[role])
        body = client.get(url).content.decode()
        assert "参与面积" in body and 'id="sealed"' not in body, role
