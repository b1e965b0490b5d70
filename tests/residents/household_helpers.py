"""Set-up shared by the household and ownership-change tests."""

from datetime import timedelta

from django.utils import timezone

from residents.models import VerifiedMobile
from tests.factories import UserFactory


def account(username, mobile=None):
    """A plain account; with ``mobile``, one that proved it by SMS."""
    user = UserFactory(username=username)
    if mobile:
        VerifiedMobile.objects.create(user=user, mobile=mobile)
    return user


def yesterday():
    return timezone.localdate() - timedelta(days=1)


def home_of(world):
    """The world's resident's unit (江滨豪园 101)."""
    return world.resident.ownerships.get().unit


def sms_reader(path):
    """What the console SMS backend writes to ``path`` from now on (the file is shared by the run)."""
    try:
        with open(path, encoding="utf-8") as handle:
            start = len(handle.read())
    except FileNotFoundError:
        start = 0

    def read():
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()[start:]
        except FileNotFoundError:
            return ""

    return read
