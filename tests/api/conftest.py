"""Shared fixtures of the API tests: the two-district ``world`` with a committee, and registered
clients with their tokens. ``api_client_token`` is the in-scope client's token; ``api`` a DRF
``APIClient`` with its header set; ``client_for(token)`` makes another."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from api import services
from committees.models import Committee, Vote, VoteStatus


@dataclass
class ApiWorld:
    world: object
    district: object  # E1's district: the in-scope client's scope
    client: object  # ApiClient on E1's district
    token: str
    other_client: object  # ApiClient on E5's district (the other district)
    other_token: str
    committee: object  # E1's owners' committee
    personal: tuple  # owners' names and mobiles that must never appear in a response


def seat_committee(estate):
    now = timezone.now()
    vote = Vote.objects.create(
        estate=estate,
        matter=3,
        question="选举业主委员会",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=10),
        status=VoteStatus.CLOSED,
        result={"decided": True},
    )
    return Committee.objects.create(
        estate=estate, election_vote=vote, elected_on=date(2024, 1, 1), term_ends_on=date(2029, 1, 1)
    )


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    """Every API test starts with empty rate counts: they are kept in the cache by client id, and
    ids repeat from one test to the next on SQLite."""
    cache.clear()


@pytest.fixture
def api_world(world):
    district = world.e1.district
    client, token = services.register_client(
        actor=None, scope=district, name="城运中心", organisation="城市运行管理中心", rate_per_minute=1000
    )
    other, other_token = services.register_client(
        actor=None, scope=world.e5.district, name="外区城运", organisation="外区城市运行管理中心", rate_per_minute=1000
    )
    committee = seat_committee(world.e1)
    return ApiWorld(
        world=world,
        district=district,
        client=client,
        token=token,
        other_client=other,
        other_token=other_token,
        committee=committee,
        personal=("张三丰", "13912345678", "李四光", world.resident.id_number or "张三丰"),
    )


@pytest.fixture
def api_client_token(api_world) -> str:
    return api_world.token


@pytest.fixture
def client_for():
    def make(token: str | None) -> APIClient:
        c = APIClient()
        if token:
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return c

    return make


@pytest.fixture
def api(api_world, client_for) -> APIClient:
    return client_for(api_world.token)
