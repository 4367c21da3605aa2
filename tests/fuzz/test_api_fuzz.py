"""Property-based fuzzing of every operation of the OpenAPI schema.

Schemathesis generates requests from the schema the app serves at ``/api/schema/`` and sends them to the WSGI
application in-process, inside the test database that ``world`` seeded; the caller adds its role's credentials
and a valid CSRF pair. Two runs:

* every operation as every role, with random input (valid input in the bounded run of ``make test``, valid and
  invalid in ``make fuzz``): what each role can and cannot do;
* every operation at its boundaries (the schema's examples, then schemathesis' coverage cases: each parameter
  missing, empty, too long, of the wrong type, at and past its limits, other methods and media types) as the
  role whose calls reach the view, so that the boundaries are hit in the view and not at the login check.

For every answer: never a 5xx (an exception raised in the app fails with its traceback), a status, content
type, headers and body the schema declares, and an error body of the right shape.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apis.core.errorpages import ESS_PATHS
from apis.wsgi import application
from tests.fuzz.generation import fuzz_config
from tests.fuzz.world import Caller

# The role whose requests get past the access checks of the operations under a path prefix.
OWN_ROLES = {
    "/api/staff/": "staff",
    "/api/resident/": "resident",
    "/api/ccc/": "ingest",
    "/api/ess/": "ess",
    "/api/core/session": "nonresident",
}


def own_role(path: str) -> str:
    return next((role for prefix, role in OWN_ROLES.items() if path.startswith(prefix)), "anonymous")


def error_shape(ctx, response, case) -> None:
    """An error answer is a non-empty ``text/plain`` message, or for the ESS API and the JWT endpoints the
    specification's JSON ``{"code", "exception type", "message"}`` with ``code`` the status."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    if case.operation.path.startswith(ESS_PATHS):
        assert content_type.startswith("application/json"), content_type
        body = json.loads(response.content)
        assert set(body) == {"code", "exception type", "message"}, body
        assert body["code"] == str(response.status_code) and body["message"], body
    else:
        assert content_type.startswith("text/plain"), content_type
        assert response.content.strip(), "empty error message"


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    error_shape,
]
# The callers are shared by a test's inputs on purpose: they make fresh credentials for every request.
SHARED_FIXTURES = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)

every_role = schemathesis.openapi.from_wsgi("/api/schema/", application, config=fuzz_config("every-role"))
boundaries = schemathesis.openapi.from_wsgi("/api/schema/", application, config=fuzz_config("boundaries"))


@contextmanager
def connection_kept_open() -> Iterator[None]:
    """The app answers inside the test transaction, so it must not close the connection at the end of a
    request, as Django does with one that is not in autocommit (Django's test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def call_and_check(case, caller: Caller) -> None:
    headers, cookies = caller.credentials()
    # A savepoint per request, as autocommit would isolate them: a database error cannot poison the next.
    with connection_kept_open(), transaction.atomic():
        response = case.call(headers=headers, cookies=cookies)
    case.validate_response(response, checks=CHECKS)


@every_role.parametrize()
@SHARED_FIXTURES
def test_every_operation_answers_as_its_schema_says_for_every_role(case, role_caller):
    call_and_check(case, role_caller)


@boundaries.parametrize()
@SHARED_FIXTURES
def test_every_operation_answers_its_boundary_cases_as_its_schema_says(case, callers):
    call_and_check(case, callers[own_role(case.operation.path)])
