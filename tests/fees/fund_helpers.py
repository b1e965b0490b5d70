"""Shared set-up for the maintenance-fund tests: an account, a building 3 with owners, a vote run to its end."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from committees.votes import selectors as vote_selectors
from committees.votes import services as vote_services
from community.models import Building, Role
from fees.fund import services as fund_services
from fees.models import FundAccount
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory

# Building 3: three equal units and a larger one; the last is the developer's, unsold.
AREAS = [Decimal("80.00"), Decimal("80.00"), Decimal("80.00"), Decimal("120.00")]


@dataclass
class Fund:
    account: FundAccount
    building: Building
    units: list
    owners: list


def open_fund(world, *, cost="2000.00", pct="6", on=date(2020, 6, 1)) -> Fund:
    """江滨豪园's account (120.00 元/㎡) with building 3 and a sub-account for every unit."""
    district = world.users[Role.DISTRICT_ADMIN]
    building = Building.objects.create(estate=world.e1, name="3栋")
    units, owners = [], []
    for index, area in enumerate(AREAS):
        unit = UnitFactory(building=building, room=f"{index + 1}01", registered_area=area)
        if index == 3:
            owner = OwnerFactory(
                name="三元置业有限公司", kind="org", is_developer=True, uscc="91350400MA2XYZ0001", mobile=""
            )
        else:
            owner = OwnerFactory(name=f"三栋业主{index}")
        OwnershipFactory(unit=unit, owner=owner, started_on=date(2019, 1, 1))
        units.append(unit)
        owners.append(owner)
    account = fund_services.open_account(
        actor=district,
        estate=world.e1,
        bank="建设银行三元支行",
        account_number="3500-0001",
        construction_cost=cost,
        deposit_pct=pct,
        custodian="三元区住房专项维修资金管理中心",
        opened_on=on,
    )
    fund_services.open_subaccounts(actor=district, account=account, on=on)
    return Fund(account, building, units, owners)


def run_vote(use, voters, *, choice="yes"):
    """Put the use to its owners' vote, let ``voters`` (owners) vote ``choice``, close and settle it."""
    now = timezone.now()
    opens = now + timedelta(days=16)
    closes = opens + timedelta(days=5)
    use = fund_services.put_to_vote(actor=None, use=use, opens_at=opens, closes_at=closes, now=now)
    for owner in voters:
        for holder in vote_selectors.holdings_of(owner, use.vote):
            vote_services.cast_ballot(
                voter=owner, vote=use.vote, holder=holder, choice=choice, now=opens + timedelta(hours=1)
            )
    vote_services.close_vote(actor=None, vote=use.vote, now=closes + timedelta(hours=1))
    return fund_services.settle_vote(actor=None, use=use, now=closes + timedelta(hours=2))
