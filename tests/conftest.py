import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass of make test)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is worth nothing in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the database rolls back between tests and reuses
    ids, so a public page (community.pagecache) or a job's progress kept from another test
    would answer for rows that are gone."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _sms_hours_do_not_follow_the_wall_clock(request, monkeypatch):
    """notify() and send_due() hold text messages between 22:00 and 08:00 local time. A test that
    does not set the clock itself (the notification tests' ``at`` fixture does) would pass by day
    and fail by night; for those tests every hour is an hour for text messages."""
    if "at" in request.fixturenames:
        return
    from notifications import services

    monkeypatch.setattr(services, "quiet", lambda moment: False)


from tests.world import World, world  # noqa: E402,F401  (the shared two-district fixture)
