"""Who hears of a mediation session: each party the case records, as far as the records reach
them (an owner, a company's staff, the estate's committee members); each booking told once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from community.models import PropertyCompany, Role
from mediation import services
from mediation.models import PartyKind, Side
from mediation.services import PartySpec
from notifications.models import Event
from tests.factories import OwnerFactory, user_with_role
from tests.fees.notified import messages, owners_told, told, users_told

from .helpers import accepted, at, parties


def book(case, day=1, hour=9):
    return services.book_session(
        actor=None, case=case, starts_at=at(day, hour), ends_at=at(day, hour) + timedelta(hours=1), now=at(0, 8)
    )


def test_a_booked_session_tells_every_party_the_records_reach(world):
    company = world.e1.contracts.first().company
    other_company_staff = user_with_role(Role.COMPANY_STAFF, PropertyCompany.objects.exclude(pk=company.pk).first())
    neighbour = OwnerFactory(name="邻居")
    case = services.open_case(
        actor=None,
        room=world.room,
        estate=world.e1,
        category="fees",
        facts="物业费争议：电梯停运三个月",
        claims="减免停运期间电梯费",
        parties=[
            *parties(world),
            PartySpec(side=Side.RESPONDENT, kind=PartyKind.COMMITTEE),
            PartySpec(side=Side.APPLICANT, kind=PartyKind.OTHER, name="租户王五", mobile="13700000000"),
        ],
    )
    post = world.room.posts.get(user=world.users[Role.MEDIATOR])
    case = services.accept_case(actor=None, case=case, mediator=post)
    session = book(case)

    (message,) = messages(Event.MEDIATION_SESSION)
    assert message.subject == session and message.link == reverse("mediation:my_cases")
    assert case.number in message.title and "09:00" in message.body
    # the owner party: through the registry's mobile and the bound account
    assert owners_told(message) == {world.resident.pk}
    assert {c for o, u, c in told(message) if o == world.resident.pk} == {"sms", "inbox"}
    # the company party through its staff, the committee party through its members' accounts
    assert users_told(message) == {
        world.owner_user.pk,
        world.users[Role.COMPANY_STAFF].pk,
        world.users[Role.COMMITTEE_MEMBER].pk,
    }
    # not the mediator, another company's staff or another owner; the tenant recorded only by a
    # name and a phone has no owner or account behind them, and notify has no way to reach them
    assert {world.users[Role.MEDIATOR].pk, other_company_staff.pk}.isdisjoint(users_told(message))
    assert neighbour.pk not in owners_told(message)
    assert not message.deliveries.filter(address="13700000000").exists()


def test_calling_off_and_booking_again_are_each_told(world):
    case = accepted(world)
    first = book(case)
    services.cancel_session(actor=None, session=first)
    again = book(case, day=2, hour=14)
    booked, cancelled, rebooked = messages(Event.MEDIATION_SESSION)
    assert (booked.subject, cancelled.subject, rebooked.subject) == (first, first, again)
    assert "取消" in cancelled.title and "14:00" in rebooked.title
    assert owners_told(rebooked) == {world.resident.pk}


def test_one_booking_is_told_once(world):
    session = book(accepted(world))
    services._tell_parties(session, cancelled=False)  # told again by a retried task, say
    assert len(messages(Event.MEDIATION_SESSION)) == 1


def test_a_refused_booking_tells_nobody(world):
    case = accepted(world)
    book(case)
    with pytest.raises(ValidationError, match="已有调解安排"):
        book(case)
    assert len(messages(Event.MEDIATION_SESSION)) == 1
