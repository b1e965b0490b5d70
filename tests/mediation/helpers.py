"""Shared steps for the mediation tests: a room with a full committee, and a case walked
to a given point through the services (never by setting a status)."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from community.models import ServiceContract
from mediation import services
from mediation.models import PartyKind, Side
from mediation.services import PartySpec
from tests.factories import UserFactory


def staff_room(world):
    """World's room with a committee of three serving mediators (world's "mediator" chairs it)."""
    room = world.room
    for i, position in enumerate(("vice_chair", "member")):
        services.appoint_mediator(
            actor=None,
            room=room,
            user=UserFactory(),
            name=f"委员{i}",
            position=position,
            appointed_on=timezone.localdate() - timedelta(days=30),
        )
    return room


def parties(world):
    company = ServiceContract.objects.filter(estate=world.e1).first().company
    return [
        PartySpec(side=Side.APPLICANT, kind=PartyKind.OWNER, owner=world.resident, address="江滨豪园 101"),
        PartySpec(side=Side.RESPONDENT, kind=PartyKind.COMPANY, company=company),
    ]


def open_case(world, **kw):
    kw.setdefault("category", "fees")
    return services.open_case(
        actor=kw.pop("actor", None),
        room=world.room,
        estate=world.e1,
        facts="物业费争议：电梯停运三个月",
        claims="减免停运期间电梯费",
        parties=parties(world),
        **kw,
    )


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def accepted(world, actor=None):
    from community.models import Role

    case = open_case(world)
    post = world.room.posts.get(user=world.users[Role.MEDIATOR])
    return services.accept_case(actor=actor, case=case, mediator=post)


def agreed(world, *, form="written", reached_on: date | None = None):
    """A case with an agreement recorded (written: not yet signed)."""
    case = accepted(world)
    from mediation.models import Session

    start = at(-1, 0) + timedelta(minutes=30 * Session.objects.count())  # a free half hour of yesterday
    session = services.book_session(
        actor=None, case=case, starts_at=start, ends_at=start + timedelta(minutes=30), now=at(-2, 9)
    )
    services.record_session(actor=None, session=session, record="双方陈述，达成一致", attendees="双方")
    day = reached_on or timezone.localdate()
    return services.record_agreement(
        actor=None,
        case=case,
        form=form,
        facts="电梯停运",
        issues="停运期间电梯费",
        responsibility="物业公司未及时维修",
        terms="减免三个月电梯费 90 元",
        performance="抵扣下期物业费",
        perform_by=day + timedelta(days=30),
        reached_on=day,
    )


def effective(world, on: date | None = None):
    """A written agreement signed by everyone, on ``on`` (today)."""
    agreement = agreed(world, reached_on=on)
    day = on or timezone.localdate()
    for party in agreement.case.parties.all():
        services.sign_agreement(actor=None, agreement=agreement, party=party, method="sign", signed_on=day)
    services.mediator_signs(actor=None, agreement=agreement, signed_on=day)
    services.apply_seal(actor=None, agreement=agreement, sealed_on=day)
    agreement.refresh_from_db()
    return agreement
