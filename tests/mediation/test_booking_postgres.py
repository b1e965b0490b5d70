"""What only PostgreSQL shows: the exclusion constraint keeps a room from being double-booked,
even when every booking passes the service's own check at the same moment."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from community.models import Role
from mediation import services
from mediation.models import Session, SessionStatus

from .helpers import accepted, at

BOOKINGS = 20


@pytest.mark.postgres
def test_the_database_itself_refuses_an_overlap(world):
    case = accepted(world)
    first = services.book_session(actor=None, case=case, starts_at=at(1, 9), ends_at=at(1, 10))
    with pytest.raises(IntegrityError, match="mediation_room_never_double_booked"), transaction.atomic():
        Session.objects.create(
            case=case, room=case.room, mediator=first.mediator, starts_at=at(1, 9, 30), ends_at=at(1, 11)
        )
    # A cancelled session does not hold the room; back to back is not an overlap.
    Session.objects.create(
        case=case,
        room=case.room,
        mediator=first.mediator,
        starts_at=at(1, 9),
        ends_at=at(1, 10),
        status=SessionStatus.CANCELLED,
    )
    Session.objects.create(case=case, room=case.room, mediator=first.mediator, starts_at=at(1, 10), ends_at=at(1, 11))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("service_check", [True, False], ids=["with-the-service-check", "constraint-alone"])
def test_twenty_concurrent_bookings_of_one_slot_exactly_one_succeeds(world, monkeypatch, service_check):
    if not service_check:
        # Every booking passes the service's look-up, so only the constraint can stop 19 of them.
        monkeypatch.setattr(services, "_overlapping", lambda *a, **kw: Session.objects.none())
    cases = [accepted(world) for _ in range(BOOKINGS)]
    mediator = world.users[Role.MEDIATOR]
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    barrier = threading.Barrier(BOOKINGS)
    booked, refused, failures = [], [], []

    def book(case):
        try:
            barrier.wait()
            booked.append(
                services.book_session(actor=mediator, case=case, starts_at=start, ends_at=start + timedelta(hours=1))
            )
        except services.ValidationError as exc:
            refused.append(str(exc))
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(case,)) for case in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(booked) == 1 and len(refused) == BOOKINGS - 1
    assert all("已有调解安排" in message for message in refused)
    assert Session.objects.filter(room=world.room).exclude(status=SessionStatus.CANCELLED).count() == 1
