from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from committees.models import Committee, Member, MemberRole, Vote, VoteStatus
from fees import services
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory

ITEMS = [
    ("物业服务费", "per_area", "2.00"),
    ("生活垃圾清运费", "per_unit", "10.00"),
    ("车位管理费", "parking", "60.00"),
]
BOARD = dict(
    service_content="公共区域保洁、秩序维护、绿化养护、共用设施设备日常运行维护",
    service_standard="《住宅物业服务等级标准》二级",
    billing_method="按月计费，每月1日出账",
    billing_starts_on=date(2020, 1, 1),
    price_type="market",
    legal_basis="《物业服务收费管理办法》；物业服务合同第五条",
)


def publish(estate, *, effective_from=date(2020, 1, 1), items=ITEMS, actor=None, now=None, **overrides):
    return services.publish_schedule(
        actor=actor, estate=estate, effective_from=effective_from, items=items, now=now, **{**BOARD, **overrides}
    )


def seat_committee(estate, size=5):
    """A seated committee of ``size`` members (the election itself is tested in committees)."""
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
    committee = Committee.objects.create(
        estate=estate, election_vote=vote, elected_on=date(2024, 1, 1), term_ends_on=date(2029, 1, 1)
    )
    for i in range(size):
        owner = OwnerFactory(name=f"委员{i}")
        OwnershipFactory(
            unit=UnitFactory(building__estate=estate, room=f"9{i:02d}"), owner=owner, started_on=date(2019, 1, 1)
        )
        Member.objects.create(committee=committee, owner=owner, role=MemberRole.CHAIR if i == 0 else MemberRole.MEMBER)
    return committee


def own_logins(committee) -> list:
    """Bind an account to each seated member's owner record, so each can sign for themself; the
    members in pk order, each with ``.owner.user`` set."""
    members = list(committee.members.filter(left_on=None).select_related("owner").order_by("pk"))
    for i, member in enumerate(members):
        member.owner.user = UserFactory(username=f"c{committee.pk}m{i}")
        member.owner.save(update_fields=["user"])
    return members


def confirm_own(subject, members) -> None:
    """Each of ``members`` confirms their own agreement to ``subject`` from their own login."""
    from committees import consents

    for member in members:
        consent = consents.pending(subject).get(member=member)
        consents.confirm(actor=member.owner.user, consent=consent)


@pytest.fixture
def pilot(world):
    """江滨豪园 (酬金制) with a published price list; the world's resident holds unit 101 (89.50 m²)."""
    publish(world.e1)
    return world.e1


def month_ago():
    today = timezone.localdate()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


AREA = Decimal("89.50")
