from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from community.models import Role
from grid.models import HandlingUnit, UnitKind
from mediation import services
from tests.factories import (
    CommunityFactory,
    CompanyFactory,
    EstateFactory,
    GridFactory,
    OwnerFactory,
    OwnershipFactory,
    StreetFactory,
    UnitFactory,
    UserFactory,
    contract,
    user_with_role,
)

# The roles people hold, each with a login in the world below. An API client is another system's
# account with no password; tests/api covers what its role reaches.
PERSON_ROLES = [role for role in Role if role != Role.API_CLIENT]


@dataclass
class World:
    """Two districts. E1 is everyone's own estate; ``other[role]`` is an estate just outside that role's scope."""

    e1: object
    e2: object
    e3: object
    e4: object
    e5: object
    users: dict
    other: dict
    resident: object
    owner_user: object
    room: object  # the mediation room of E1's community, where ``users[MEDIATOR]`` serves


@pytest.fixture
def world(db):
    street1 = StreetFactory()
    c1 = CommunityFactory(street=street1)
    g1 = GridFactory(community=c1)
    e1 = EstateFactory(grid=g1, name="江滨豪园")
    e2 = EstateFactory(grid=GridFactory(community=c1), name="同社区另一网格")
    e3 = EstateFactory(grid=GridFactory(community=CommunityFactory(street=street1)), name="同街道另一社区")
    e4 = EstateFactory(
        grid=GridFactory(community=CommunityFactory(street=StreetFactory(district=street1.district))),
        name="同区另一街道",
    )
    e5 = EstateFactory(name="另一区")
    today = timezone.localdate()
    company_a, company_b = CompanyFactory(), CompanyFactory()
    # 江滨豪园 is a pilot of 收支分离: a 酬金制 contract, so its income and expenditure ledgers are kept apart.
    contract(e1, company_a, starts_on=date(2020, 1, 1), ends_on=today + timedelta(days=365), mode="remuneration")
    contract(e3, company_b, starts_on=date(2020, 1, 1), ends_on=today + timedelta(days=365))
    resident = OwnerFactory(name="张三丰", mobile="13912345678")
    unit = UnitFactory(building__estate=e1, room="101")
    OwnershipFactory(unit=unit, owner=resident)
    OwnershipFactory(unit=UnitFactory(building__estate=e2), owner=OwnerFactory(name="李四光"))
    owner_user = UserFactory(username="owner")
    resident.user = owner_user
    resident.save()
    users = {
        Role.DISTRICT_ADMIN: user_with_role(Role.DISTRICT_ADMIN, street1.district, "district"),
        Role.STREET_STAFF: user_with_role(Role.STREET_STAFF, street1, "street"),
        Role.COMMUNITY_STAFF: user_with_role(Role.COMMUNITY_STAFF, c1, "community"),
        Role.GRID_WORKER: user_with_role(Role.GRID_WORKER, g1, "grid"),
        Role.COMMITTEE_MEMBER: user_with_role(Role.COMMITTEE_MEMBER, e1, "committee"),
        Role.COMPANY_STAFF: user_with_role(Role.COMPANY_STAFF, company_a, "company"),
    }
    room = services.open_room(
        actor=None,
        community=c1,
        name="江滨社区物业纠纷调解室",
        address="江滨路 1 号社区服务中心 102 室",
        hours="工作日 9:00-17:00",
        phone="0571-88880001",
        opened_on=date(2021, 3, 1),
    )
    mediator = UserFactory(username="mediator")
    services.appoint_mediator(
        actor=None, room=room, user=mediator, name="王调解", position="chair", appointed_on=today - timedelta(days=400)
    )
    users[Role.MEDIATOR] = mediator
    # A public utility of E1's district with its own login; it reaches only the cases handed to it.
    water = HandlingUnit.objects.create(district=street1.district, name="自来水公司", kind=UnitKind.UTILITY)
    users[Role.UNIT_STAFF] = user_with_role(Role.UNIT_STAFF, water, "unit")
    other = {
        Role.DISTRICT_ADMIN: e5,
        Role.STREET_STAFF: e4,
        Role.COMMUNITY_STAFF: e3,
        Role.GRID_WORKER: e2,
        Role.COMMITTEE_MEMBER: e2,
        Role.COMPANY_STAFF: e2,
        Role.MEDIATOR: e3,
        Role.UNIT_STAFF: e5,
    }
    return World(e1, e2, e3, e4, e5, users, other, resident, owner_user, room)
