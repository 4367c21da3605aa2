"""Staff monitoring API (reference §5.6): failure lists, job list and activation, roles and errors."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from apis.monitoring.models import Failure, JobSetting, Notification
from tests.payloads import CLUSTER, COMMUNITY, JOB_TYPES

URL = "/api/staff/monitoring/"
T0 = datetime(2026, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def hours(value: float) -> datetime:
    return T0 + timedelta(hours=value)


def failure(
    detected: float, closed: float | None = None, unit: str = "E001", cluster: str = CLUSTER
) -> Failure:
    return Failure.objects.create(
        type="apis_main_alive",
        community_id=COMMUNITY,
        cluster_id=cluster,
        program_id="apis-main",
        unit_id=unit,
        detected=hours(detected),
        closed=None if closed is None else hours(closed),
        description="<b>The program may not be running.</b>",
    )


def get(client, endpoint: str, **params):
    return client.get(URL + endpoint, {"communityId": COMMUNITY, "clusterId": CLUSTER, **params})


def post(client, endpoint: str, **params):
    return client.post(URL + endpoint, {"communityId": COMMUNITY, "clusterId": CLUSTER, **params})


def body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(content)


def test_open_list_gives_the_open_failures_of_the_cluster_in_the_original_shape(staff):
    opened = failure(1)
    failure(0, 0.5, unit="E002")
    failure(1, cluster="other")
    response = get(staff, "failure/openList")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body(response) == [
        {
            "id": opened.pk,
            "type": "apis_main_alive",
            "community_id": COMMUNITY,
            "cluster_id": CLUSTER,
            "program_id": "apis-main",
            "unit_id": "E001",
            "detected": "2026-01-01T01:00:00Z",
            "closed": None,
            "description": "<b>The program may not be running.</b>",
            "close_reason": None,
        }
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["E001", "E002", "E003"]),
        ({"datetimeFrom": "2026-01-01T02:00:00Z"}, ["E002", "E003"]),
        ({"datetimeTo": "2026-01-01T03:00:00Z"}, ["E001", "E002"]),
        ({"datetimeFrom": "2026-01-01T11:30:00", "datetimeTo": "2026-01-01T12:00:00"}, ["E002"]),
    ],
)
def test_list_keeps_the_failures_overlapping_the_period(staff, params, expected):
    failure(0, 1, unit="E001")
    failure(2, unit="E002")
    failure(3, 4, unit="E003")
    response = get(staff, "failure/list", **params)
    assert response.status_code == 200
    assert [row["unit_id"] for row in body(response)] == expected


@pytest.mark.parametrize(("name", "value"), [("datetimeFrom", "yesterday"), ("datetimeTo", "2026-13-01")])
def test_a_bad_date_is_answered_with_a_precise_400(staff, name, value):
    response = get(staff, "failure/list", **{name: value})
    assert response.status_code == 400
    assert (
        response.content.decode()
        == f"invalid {name} : {value} (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)"
    )


def test_a_period_that_does_not_end_after_it_starts_is_rejected(staff):
    response = get(
        staff, "failure/list", datetimeFrom="2026-01-02T00:00:00Z", datetimeTo="2026-01-02T00:00:00Z"
    )
    assert response.status_code == 400
    assert response.content.decode() == "“datetimeTo” should be greater than “datetimeFrom”"


def test_job_list_gives_the_six_types_in_order_inactive_without_a_setting(staff):
    JobSetting.objects.create(community_id=COMMUNITY, cluster_id=CLUSTER, type="grid_master_alive")
    JobSetting.objects.create(
        community_id=COMMUNITY, cluster_id=CLUSTER, type="apis_log_severe", is_active=False
    )
    JobSetting.objects.create(community_id=COMMUNITY, cluster_id="other", type="apis_main_alive")
    assert body(get(staff, "job/list")) == [
        {"type": name, "isActive": name == "grid_master_alive"} for name in JOB_TYPES
    ]


def active_types(client) -> list[str]:
    return [row["type"] for row in body(get(client, "job/list")) if row["isActive"]]


def test_activate_and_deactivate_switch_a_job_of_the_cluster(staff):
    assert post(staff, "job/activate", type="apis_ccc_alive").content == b"ok"
    assert post(staff, "job/activate", type="apis_ccc_alive").content == b"ok"
    assert active_types(staff) == ["apis_ccc_alive"]
    assert post(staff, "job/deactivate", type="apis_ccc_alive").content == b"ok"
    assert post(staff, "job/deactivate", type="apis_main_severe").content == b"ok"
    assert active_types(staff) == []
    assert JobSetting.objects.count() == 1


def test_deactivation_closes_the_jobs_open_failures_with_a_reason(staff):
    JobSetting.objects.create(community_id=COMMUNITY, cluster_id=CLUSTER, type="apis_main_alive")
    opened = failure(1)
    other_cluster = failure(1, cluster="other")
    post(staff, "job/deactivate", type="apis_main_alive")
    opened.refresh_from_db()
    other_cluster.refresh_from_db()
    assert (opened.closed is not None, opened.close_reason) == (True, "job deactivated")
    assert other_cluster.closed is None
    assert list(Notification.objects.values_list("failure_id", "event")) == [(opened.pk, "closed")]


@pytest.mark.parametrize(
    ("params", "message"),
    [({}, "no param : type"), ({"type": "apis_web_alive"}, "unknown type : apis_web_alive")],
)
@pytest.mark.parametrize("endpoint", ["job/activate", "job/deactivate"])
def test_the_job_type_is_required_and_checked(staff, endpoint, params, message):
    response = post(staff, endpoint, **params)
    assert (response.status_code, response.content.decode()) == (400, message)


@pytest.mark.parametrize("endpoint", ["job/activate", "job/deactivate"])
def test_switching_a_job_needs_post_unless_legacy_compat(staff, settings, endpoint):
    assert get(staff, endpoint, type="apis_main_alive").status_code == 405
    settings.LEGACY_COMPAT = True
    assert get(staff, endpoint, type="apis_main_alive").content == b"ok"


@pytest.mark.parametrize("endpoint", ["failure/openList", "failure/list", "job/list"])
def test_anonymous_users_and_residents_are_refused(client_as, endpoint):
    assert (get(client_as(None), endpoint).status_code, get(client_as(None), endpoint).content) == (
        403,
        b"login required",
    )
    assert get(client_as("e001"), endpoint).content == b"staff required"


@pytest.mark.parametrize("endpoint", ["failure/openList", "job/list", "job/activate"])
def test_the_cluster_must_be_named_and_registered(staff, endpoint):
    call = post if endpoint == "job/activate" else get
    response = call(staff, endpoint, clusterId="", type="apis_main_alive")
    assert (response.status_code, response.content) == (400, b"no param : communityId, clusterId")
    response = call(staff, endpoint, clusterId="nowhere", type="apis_main_alive")
    assert (response.status_code, response.content) == (400, b"bad param values : communityId, clusterId")


@pytest.mark.parametrize("page", ["failure", "communitysetting", "jobsetting"])
def test_the_admin_lists_the_monitoring_models(staff, page):
    failure(1)
    response = staff.get(f"/admin/monitoring/{page}/")
    assert response.status_code == 200
    if page == "failure":
        assert response.content.count(b"apis_main_alive") >= 1
        assert staff.get("/admin/monitoring/failure/?closed__isnull=True").status_code == 200
