"""Property-based test of the API against its own OpenAPI schema (schemathesis): every operation
of /api/schema/ — also those added after this file — with generated inputs, as a registered
client of a small district. No response may be a server error, and every response must conform
to the schema (status code, content type, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


from api.docs_views import generate  # noqa: E402  (the very schema /api/schema/ serves)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calls go through the WSGI app, whose request_finished signal closes the database connection
    (and with it the test's transaction on PostgreSQL); Django's own test client unhooks it the
    same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(generate())
schema.app = application  # calls go through the WSGI app, no server


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms(case, api_world):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_world.token}"}, checks=CHECKS)
