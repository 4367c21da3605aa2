"""Every endpoint of reference §5 (and the policy endpoint) against every role: the expected status and
message. The roles are anonymous, ``e001`` (resident of the unit E001 asked about), ``e002`` (resident of
another unit), ``nonresident`` (a user without units), ``admin`` (staff, and resident of every unit),
``former`` (lived in E001 until yesterday) and ``future`` (moves into E001 tomorrow). Misc endpoints take the
role's credentials in the form instead of a session."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apis.community.models import Residency, Unit

ROLES = ("anonymous", "e001", "e002", "nonresident", "admin", "former", "future")
CLUSTER = {"communityId": "oss_community", "clusterId": "oss_cluster"}
UNIT = {**CLUSTER, "unitId": "E001"}
OK = (200, None)

# The answer of each kind of endpoint, per role (status, message of a refusal).
EXPECTED = {
    "open": dict.fromkeys(ROLES, OK),
    "login": {"anonymous": (403, "login failed"), **dict.fromkeys(ROLES[1:], OK)},
    "session": {"anonymous": (403, "login required"), **dict.fromkeys(ROLES[1:], OK)},
    "staff": {
        "anonymous": (403, "login required"),
        "e001": (403, "staff required"),
        "e002": (403, "staff required"),
        "nonresident": (403, "staff required"),
        "admin": OK,
        "former": (403, "staff required"),
        "future": (403, "staff required"),
    },
    "resident": {
        "anonymous": (403, "login required"),
        "e001": OK,
        "e002": OK,
        "nonresident": (403, "resident required"),
        "admin": OK,
        "former": OK,
        "future": (403, "resident required"),
    },
    "unit": {
        "anonymous": (403, "login required"),
        "e001": OK,
        "e002": (400, "not a resident"),
        "nonresident": (403, "resident required"),
        "admin": OK,
        "former": OK,
        "future": (403, "resident required"),
    },
    "misc": {
        "anonymous": (400, "no param : username/account, password"),
        "e001": OK,
        "e002": (400, "not a resident"),
        "nonresident": (400, "not a resident"),
        "admin": OK,
        "former": (400, "not a current resident"),
        "future": (400, "not a resident"),
    },
}
# What acts on the unit now: a resident who lives there now only.
EXPECTED["act"] = {**EXPECTED["unit"], "former": (400, "not a current resident")}

# (method, path, kind, parameters)
ENDPOINTS = [
    ("POST", "/api/core/login", "login", {}),
    ("POST", "/api/core/logout", "open", {}),
    ("GET", "/api/core/session", "session", {}),
    ("GET", "/api/core/csrftoken", "open", {}),
    ("GET", "/api/staff/client.js", "open", {}),
    ("GET", "/api/staff/community/outline", "staff", {}),
    ("GET", "/api/staff/unitData/unitIdList", "staff", CLUSTER),
    ("GET", "/api/staff/unitData/latestSet", "staff", CLUSTER),
    ("GET", "/api/staff/deal/liveList", "staff", CLUSTER),
    ("GET", "/api/staff/deal/list", "staff", CLUSTER),
    ("GET", "/api/staff/deal/datetimeRange", "staff", CLUSTER),
    ("GET", "/api/staff/deal/sumOfCumulateAmountWhsByHour", "staff", {**CLUSTER, "timezone": "+09:00"}),
    ("GET", "/api/staff/downtime/unitIdList", "staff", CLUSTER),
    ("GET", "/api/staff/downtime/list", "staff", CLUSTER),
    ("GET", "/api/staff/monitoring/failure/openList", "staff", CLUSTER),
    ("GET", "/api/staff/monitoring/failure/list", "staff", CLUSTER),
    ("GET", "/api/staff/monitoring/job/list", "staff", CLUSTER),
    ("POST", "/api/staff/monitoring/job/activate", "staff", {**CLUSTER, "type": "apis_main_alive"}),
    ("POST", "/api/staff/monitoring/job/deactivate", "staff", {**CLUSTER, "type": "apis_main_alive"}),
    ("GET", "/api/resident/client.js", "open", {}),
    ("GET", "/api/resident/community/outline", "resident", {}),
    ("GET", "/api/resident/unitData/latestSet", "unit", UNIT),
    ("GET", "/api/resident/deal/liveList", "unit", UNIT),
    ("GET", "/api/resident/deal/list", "unit", UNIT),
    ("GET", "/api/resident/deal/datetimeRange", "unit", UNIT),
    ("GET", "/api/resident/deal/sumOfCumulateAmountWhsByHour", "unit", {**UNIT, "timezone": "+09:00"}),
    ("GET", "/api/resident/scenario/availableList", "unit", UNIT),
    ("GET", "/api/resident/scenario/current", "unit", UNIT),
    ("POST", "/api/resident/scenario/choose", "act", {**UNIT, "scenarioId": "4"}),
    ("POST", "/api/misc/scenario/currentData", "misc", UNIT),
    ("POST", "/api/misc/scenario/update", "misc", {**UNIT, "name": "MINE", "data": "{}"}),
    ("POST", "/api/misc/policy/currentData", "misc", UNIT),
]


def credentials(role: str) -> dict:
    """What a role puts in the form of a login or a misc call: its own user name and password."""
    return {} if role == "anonymous" else {"username": role, "password": role}


def ask(client_as, role: str, method: str, path: str, kind: str, params: dict):
    client = client_as(None if role == "anonymous" or kind == "misc" else role)
    if kind in ("login", "misc"):
        params = {**params, **credentials(role)}
    return client.get(path, params) if method == "GET" else client.post(path, params)


@pytest.fixture
def residents_past_and_future(demo_registry, django_user_model) -> None:
    """``former`` and ``future``: residents of E001 until yesterday and from tomorrow."""
    e001, now = Unit.objects.get(code="E001"), timezone.now()
    for username, start, end in (
        ("former", now - timedelta(days=30), now - timedelta(days=1)),
        ("future", now + timedelta(days=1), None),
    ):
        user = django_user_model.objects.create_user(username, password=username)
        Residency.objects.create(user=user, unit=e001, start=start, end=end)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "kind", "params"), ENDPOINTS)
def test_endpoint_answers_each_role_as_specified(
    client_as, residents_past_and_future, role, method, path, kind, params
):
    response = ask(client_as, role, method, path, kind, params)
    status, message = EXPECTED[kind][role]
    assert response.status_code == status, response.content[:200]
    if message:
        assert response.content.decode() == message


@pytest.mark.parametrize(("method", "path", "kind", "params"), ENDPOINTS)
def test_wrong_method_is_refused_before_any_other_check(client_as, method, path, kind, params):
    client = client_as(None)
    response = client.post(path, params) if method == "GET" else client.get(path, params)
    assert response.status_code == 405
    assert response["Allow"] == method


def test_a_trailing_slash_is_not_found(staff):
    assert staff.get("/api/staff/community/outline/").status_code == 404
