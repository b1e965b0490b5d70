from tests.committees.conftest import election  # noqa: F401  (the committees' election fixture, for the dashboard)
