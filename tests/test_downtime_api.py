"""Staff downtime API (reference §5.5): unitIdList, list, the shared checks and the date errors."""

import json
from datetime import timedelta

import pytest

from apis.downtime.extract import extract_pass
from apis.downtime.models import Downtime, DowntimeStatus
from tests.downtimes import T0, add, hours
from tests.payloads import CLUSTER, COMMUNITY

URL = "/api/staff/downtime/"
ENDPOINTS = ["unitIdList", "list", "availability"]

pytestmark = pytest.mark.django_db


def get(client, endpoint: str, **params):
    return client.get(URL + endpoint, {"communityId": COMMUNITY, "clusterId": CLUSTER, **params})


def body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(content)


def listed(client, **params) -> list[tuple[str, str, str | None]]:
    response = get(client, "list", **params)
    assert response.status_code == 200, response.content
    return [(d["unitId"], d["downDateTime"], d["recoveryDateTime"]) for d in body(response)]


def test_unit_id_list_names_the_units_with_a_status_sorted_and_ignores_extra_params(staff):
    for cluster, unit in [(CLUSTER, "E003"), (CLUSTER, "E001"), ("other", "E002")]:
        DowntimeStatus.objects.create(community_id=COMMUNITY, cluster_id=cluster, unit_id=unit, last_time=T0)
    response = get(staff, "unitIdList", datetimeFrom="not a date")
    assert response.status_code == 200
    assert response.json() == ["E001", "E003"]


def test_list_gives_the_clusters_downtimes_in_time_order_in_the_original_shape(staff):
    add("E002", 3, 4)
    add("E001", 1, 2)
    add("E001", 5)
    add("E001", 0.5, 1, cluster="other")
    Downtime.objects.filter(down_datetime=hours(1)).update(
        recovery_datetime=hours(2) + timedelta(milliseconds=5)
    )
    response = get(staff, "list")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("max-age=0")
    assert body(response) == [
        {
            "communityId": COMMUNITY,
            "clusterId": CLUSTER,
            "unitId": "E001",
            "downDateTime": "2026-01-01T01:00:00Z",
            "recoveryDateTime": "2026-01-01T02:00:00.005Z",
        },
        {
            "communityId": COMMUNITY,
            "clusterId": CLUSTER,
            "unitId": "E002",
            "downDateTime": "2026-01-01T03:00:00Z",
            "recoveryDateTime": "2026-01-01T04:00:00Z",
        },
        {
            "communityId": COMMUNITY,
            "clusterId": CLUSTER,
            "unitId": "E001",
            "downDateTime": "2026-01-01T05:00:00Z",
            "recoveryDateTime": None,
        },
    ]


def test_list_shows_the_silence_of_a_never_reporting_unit_without_available_from_as_down_since_1900(
    staff, settings
):
    settings.DATA_LOSS_TOLERANCE_SEC = 120
    extract_pass(now=hours(1))
    assert listed(staff, unitId="E002", datetimeFrom="2026-01-01T00:00:00Z") == [
        ("E002", "1900-01-01T00:00:00Z", None)
    ]


def test_list_of_one_unit(staff):
    add("E001", 1, 2)
    add("E002", 3, 4)
    assert listed(staff, unitId="E002") == [("E002", "2026-01-01T03:00:00Z", "2026-01-01T04:00:00Z")]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ({"datetimeFrom": "2026-01-01T02:00:00Z", "datetimeTo": "2026-01-01T03:00:00Z"}, ["D", "A"]),
        ({"datetimeFrom": "2026-01-01T04:30:00Z"}, ["D", "C"]),
        ({"datetimeTo": "2026-01-01T01:00:00Z"}, ["D"]),
        # Without an offset a time is APIS local time (Asia/Tokyo): 12:00+09:00 is 03:00Z.
        ({"datetimeFrom": "2026-01-01T12:00:00"}, ["D", "B", "C"]),
    ],
)
def test_list_keeps_the_downtimes_overlapping_the_period(staff, settings, period, expected):
    settings.APIS_TIME_ZONE = "Asia/Tokyo"
    add("A", 1, 2)
    add("B", 3, 4)
    add("C", 5)
    add("D", 0, 10)
    assert [unit for unit, _, _ in listed(staff, **period)] == expected


@pytest.mark.parametrize("endpoint", ["list", "availability"])
@pytest.mark.parametrize(
    ("name", "value"),
    [("datetimeFrom", "yesterday"), ("datetimeTo", "2026-13-01"), ("datetimeFrom", "0001-01-01T00:00:00")],
)
def test_a_bad_date_is_answered_with_a_precise_400(staff, endpoint, name, value):
    dates = {"datetimeFrom": "2026-01-01T00:00:00Z", "datetimeTo": "2026-01-02T00:00:00Z", name: value}
    response = get(staff, endpoint, **dates)
    assert response.status_code == 400
    assert (
        response.content.decode()
        == f"invalid {name} : {value} (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)"
    )


@pytest.mark.parametrize("endpoint", ["list", "availability"])
@pytest.mark.parametrize("to", ["2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"])
def test_a_period_that_does_not_end_after_it_starts_is_rejected(staff, endpoint, to):
    response = get(staff, endpoint, datetimeFrom="2026-01-01T00:00:00Z", datetimeTo=to)
    assert response.status_code == 400
    assert response.content.decode() == "“datetimeTo” should be greater than “datetimeFrom”"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_users_and_residents_are_refused(client_as, endpoint):
    anonymous, resident = get(client_as(None), endpoint), get(client_as("e001"), endpoint)
    assert (anonymous.status_code, anonymous.content) == (403, b"login required")
    assert (resident.status_code, resident.content) == (403, b"staff required")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_cluster_must_be_named_and_registered(staff, endpoint):
    missing = staff.get(URL + endpoint, {"communityId": COMMUNITY})
    unknown = get(staff, endpoint, clusterId="nowhere")
    assert (missing.status_code, missing.content) == (400, b"no param : communityId, clusterId")
    assert (unknown.status_code, unknown.content) == (400, b"bad param values : communityId, clusterId")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_only_get_is_allowed(staff, endpoint):
    assert staff.post(URL + endpoint, {"communityId": COMMUNITY, "clusterId": CLUSTER}).status_code == 405


@pytest.mark.parametrize(
    ("state", "expected"), [("open", ["E002"]), ("closed", ["E001"]), (None, ["E002", "E001"])]
)
def test_the_admin_lists_downtimes_filtered_by_state(staff, state, expected):
    add("E001", 1, 2)
    add("E002", 3)
    response = staff.get("/admin/downtime/downtime/", {"state": state} if state else {})
    assert response.status_code == 200
    assert [row.unit_id for row in response.context["cl"].result_list] == expected
