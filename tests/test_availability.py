"""Server-side availability against hand-computed cases (docs/availability.md)."""

import pytest

from apis.community.models import Unit
from apis.downtime.availability import cluster_availability
from tests.downtimes import add, hours

COMMUNITY, CLUSTER = "oss_community", "oss_cluster"
HOUR = 3600.0

pytestmark = pytest.mark.django_db


def available(unit: str, start: float | None, end: float | None) -> None:
    Unit.objects.filter(code=unit).update(
        available_from=None if start is None else hours(start),
        available_to=None if end is None else hours(end),
    )


def compute(start: float = 0, end: float = 10, now: float = 100) -> dict:
    return cluster_availability(COMMUNITY, CLUSTER, hours(start), hours(end), hours(now))


def unit_of(result: dict, unit: str = "E001") -> dict:
    return next(entry for entry in result["units"] if entry["unitId"] == unit)


def test_a_unit_without_downtime_is_fully_available(demo_registry):
    e001 = unit_of(compute())
    assert e001 == {
        "unitId": "E001",
        "name": "E001",
        "periodFrom": "2026-01-01T00:00:00Z",
        "periodTo": "2026-01-01T10:00:00Z",
        "periodSeconds": 10 * HOUR,
        "downtimeSeconds": 0.0,
        "ratio": 1.0,
        "downtimes": [],
    }


def test_downtimes_are_clipped_to_the_period(demo_registry):
    add("E001", -1, 1)
    add("E001", 9, 11)
    add("E001", 12, 13)
    e001 = unit_of(compute())
    assert (e001["downtimeSeconds"], e001["ratio"]) == (2 * HOUR, 0.8)
    assert e001["downtimes"] == [
        {"downDateTime": "2026-01-01T00:00:00Z", "recoveryDateTime": "2026-01-01T01:00:00Z", "open": False},
        {"downDateTime": "2026-01-01T09:00:00Z", "recoveryDateTime": "2026-01-01T10:00:00Z", "open": False},
    ]


def test_overlapping_and_touching_downtimes_are_merged_and_counted_once(demo_registry):
    add("E001", 1, 3)
    add("E001", 2, 4)
    add("E001", 2.5, 3)
    add("E001", 4, 5)
    e001 = unit_of(compute())
    assert (e001["downtimeSeconds"], e001["ratio"]) == (4 * HOUR, 0.6)
    assert e001["downtimes"] == [
        {"downDateTime": "2026-01-01T01:00:00Z", "recoveryDateTime": "2026-01-01T05:00:00Z", "open": False}
    ]


def test_an_open_downtime_counts_only_up_to_now_and_the_period_ends_now(demo_registry):
    add("E001", 4)
    e001 = unit_of(compute(now=5))
    assert (e001["periodTo"], e001["periodSeconds"], e001["downtimeSeconds"]) == (
        "2026-01-01T05:00:00Z",
        5 * HOUR,
        1 * HOUR,
    )
    assert e001["ratio"] == 0.8
    assert e001["downtimes"] == [
        {"downDateTime": "2026-01-01T04:00:00Z", "recoveryDateTime": "2026-01-01T05:00:00Z", "open": True}
    ]


def test_an_open_downtime_is_clipped_to_a_period_that_ended_before_now(demo_registry):
    add("E001", 8)
    e001 = unit_of(compute(now=50))
    assert (e001["downtimeSeconds"], e001["downtimes"][0]["open"]) == (2 * HOUR, True)


def test_the_period_is_clipped_to_the_units_availability_window(demo_registry):
    available("E002", 2, 6)
    add("E002", 1, 3)
    add("E002", 5.5, 8)
    e002 = unit_of(compute(), "E002")
    assert (e002["periodFrom"], e002["periodTo"]) == ("2026-01-01T02:00:00Z", "2026-01-01T06:00:00Z")
    assert (e002["periodSeconds"], e002["downtimeSeconds"], e002["ratio"]) == (4 * HOUR, 1.5 * HOUR, 0.625)


def test_a_unit_outside_its_availability_window_has_an_empty_period_and_no_ratio(demo_registry):
    available("E003", None, -1)
    add("E003", 1, 2)
    assert unit_of(compute(), "E003") == {
        "unitId": "E003",
        "name": "E003",
        "periodFrom": None,
        "periodTo": None,
        "periodSeconds": 0.0,
        "downtimeSeconds": 0.0,
        "ratio": None,
        "downtimes": [],
    }


def test_a_period_in_the_future_is_empty(demo_registry):
    result = compute(start=10, end=20, now=5)
    assert (result["unitCount"], result["periodSeconds"], result["ratio"]) == (0, 0.0, None)
    assert {entry["ratio"] for entry in result["units"]} == {None}


def test_the_cluster_ratio_is_weighted_by_the_units_periods(demo_registry):
    add("E001", 1, 2)
    available("E002", 8, None)
    add("E002", 9, 12)
    result = compute()
    assert [entry["ratio"] for entry in result["units"]] == [0.9, 0.5, 1.0, 1.0]
    assert (result["unitCount"], result["periodSeconds"], result["downtimeSeconds"]) == (
        4,
        32 * HOUR,
        2 * HOUR,
    )
    assert result["ratio"] == 30 / 32


def test_downtimes_of_other_clusters_and_of_unregistered_units_do_not_count(demo_registry):
    add("E001", 1, 2, cluster="other")
    add("X999", 1, 2)
    result = compute()
    assert result["downtimeSeconds"] == 0.0
    assert [entry["unitId"] for entry in result["units"]] == ["E001", "E002", "E003", "E004"]


def test_availability_takes_two_queries_whatever_the_number_of_units(
    demo_registry, django_assert_num_queries
):
    cluster = Unit.objects.first().cluster
    Unit.objects.bulk_create(Unit(cluster=cluster, code=f"N{n:03d}", name=f"N{n:03d}") for n in range(50))
    for n in range(50):
        add(f"N{n:03d}", n % 10, n % 10 + 0.5)
    with django_assert_num_queries(2):
        result = compute()
    assert len(result["units"]) == 54


def test_the_endpoint_answers_the_availability_document(staff):
    add("E001", 1, 2)
    response = staff.get(
        "/api/staff/downtime/availability",
        {
            "communityId": COMMUNITY,
            "clusterId": CLUSTER,
            "datetimeFrom": "2026-01-01T00:00:00Z",
            "datetimeTo": "2026-01-01T10:00:00Z",
        },
    )
    assert response.status_code == 200
    document = response.json()
    assert document.pop("now").endswith("Z")
    assert {key: value for key, value in document.items() if key != "units"} == {
        "communityId": COMMUNITY,
        "clusterId": CLUSTER,
        "datetimeFrom": "2026-01-01T00:00:00Z",
        "datetimeTo": "2026-01-01T10:00:00Z",
        "unitCount": 4,
        "periodSeconds": 40 * HOUR,
        "downtimeSeconds": 1 * HOUR,
        "ratio": 39 / 40,
    }
    assert document["units"][0]["downtimes"] == [
        {"downDateTime": "2026-01-01T01:00:00Z", "recoveryDateTime": "2026-01-01T02:00:00Z", "open": False}
    ]


@pytest.mark.parametrize(
    "given", [{}, {"datetimeFrom": "2026-01-01T00:00:00Z"}, {"datetimeTo": "2026-01-02"}]
)
def test_the_endpoint_requires_both_dates(staff, given):
    response = staff.get(
        "/api/staff/downtime/availability", {"communityId": COMMUNITY, "clusterId": CLUSTER, **given}
    )
    assert (response.status_code, response.content) == (400, b"no param : datetimeFrom, datetimeTo")
