"""Server-side availability (docs/availability.md): hand-computed cases from stored downtimes and from
records through the extraction, and properties over generated record timelines."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apis.community.models import Unit
from apis.core.timeparse import EARLIEST, iso_z, parse_iso
from apis.downtime.availability import cluster_availability, ratio
from apis.downtime.extract import extract_pass
from apis.downtime.models import Downtime, DowntimeStatus, Watermark
from apis.unit_data.models import ReportedUnit, UnitData
from apis.unit_data.store import store_unit_data
from tests.downtimes import add, at, hours, record
from tests.payloads import CLUSTER, COMMUNITY

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
        "hasData": False,
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
        "hasData": False,
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


def test_a_recovered_downtime_merged_with_an_open_one_is_open(demo_registry):
    add("E001", 1, 3)
    add("E001", 2)
    assert unit_of(compute(now=5))["downtimes"] == [
        {"downDateTime": "2026-01-01T01:00:00Z", "recoveryDateTime": "2026-01-01T05:00:00Z", "open": True}
    ]


def test_downtimes_touching_the_units_period_only_at_its_bounds_are_not_listed(demo_registry):
    available("E001", 2, 6)
    add("E001", 1, 2)
    add("E001", 6, 8)
    e001 = unit_of(compute())
    assert (e001["downtimes"], e001["downtimeSeconds"], e001["ratio"]) == ([], 0.0, 1.0)


def test_a_window_ending_where_the_period_starts_is_empty(demo_registry):
    available("E002", None, 0)
    e002 = unit_of(compute(), "E002")
    assert (e002["periodFrom"], e002["periodSeconds"], e002["ratio"], e002["downtimes"]) == (
        None,
        0.0,
        None,
        [],
    )


@pytest.mark.parametrize("seconds", [0.5, 1, 2])
def test_a_period_of_a_second_or_less_still_has_a_ratio_and_counts_its_unit(demo_registry, seconds):
    result = cluster_availability(
        COMMUNITY, CLUSTER, hours(1), hours(1) + timedelta(seconds=seconds), hours(5)
    )
    assert unit_of(result)["ratio"] == 1.0
    assert (result["unitCount"], result["noDataUnitCount"], result["ratio"]) == (4, 4, 1.0)


def test_units_with_an_empty_period_are_not_counted_as_without_data(demo_registry):
    available("E003", None, -1)
    available("E004", 20, None)
    store_unit_data([record("E001", 1800), record("E002", 1800)])
    assert (compute()["unitCount"], compute()["noDataUnitCount"]) == (2, 0)


def test_only_records_inside_the_units_window_give_it_data(demo_registry):
    available("E001", 2, 6)
    store_unit_data([record("E001", 1 * HOUR), record("E001", 7 * HOUR), record("E002", 7 * HOUR)])
    result = compute()
    assert [entry["hasData"] for entry in result["units"]] == [False, True, False, False]


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
        "noDataUnitCount": 4,
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


# From records to availability: the extraction derives the downtimes, the availability counts them.

MINUTE = 60


@pytest.fixture
def tolerance(settings):
    settings.DATA_LOSS_TOLERANCE_SEC = 120


def every_30_s(unit: str, start: float, stop: float, mode: str | None = "autonomous") -> None:
    """Records of ``unit`` every 30 s from ``start`` to ``stop`` seconds after T0 (both included)."""
    store_unit_data([record(unit, s, mode) for s in range(int(start), int(stop) + 1, 30)])


def extracted(end_hours: float = 2, now_hours: float = 2) -> dict:
    """Run an extraction pass at ``now_hours``, then the availability of ``[T0, end_hours)`` as of then."""
    extract_pass(now=hours(now_hours))
    return compute(0, end_hours, now_hours)


def test_a_never_reporting_unit_is_0_percent_and_marked_without_data(demo_registry, tolerance):
    every_30_s("E001", -60, 2 * HOUR)
    result = extracted()
    e001, e002 = unit_of(result), unit_of(result, "E002")
    assert (e001["ratio"], e001["hasData"]) == (1.0, True)
    assert (e002["ratio"], e002["downtimeSeconds"], e002["hasData"]) == (0.0, 2 * HOUR, False)
    assert e002["downtimes"] == [
        {"downDateTime": "2026-01-01T00:00:00Z", "recoveryDateTime": "2026-01-01T02:00:00Z", "open": True}
    ]
    assert (result["unitCount"], result["noDataUnitCount"], result["ratio"]) == (4, 3, 0.25)


def test_a_unit_reporting_only_in_the_last_30_minutes_of_a_2_hour_period_is_25_percent_available(
    demo_registry, tolerance
):
    every_30_s("E001", 90 * MINUTE, 2 * HOUR)
    e001 = unit_of(extracted())
    assert (e001["ratio"], e001["downtimeSeconds"], e001["hasData"]) == (0.25, 1.5 * HOUR, True)


def test_a_unit_that_stops_early_is_down_from_its_last_record(demo_registry, tolerance):
    every_30_s("E001", 0, HOUR)
    e001 = unit_of(extracted())
    assert (e001["ratio"], e001["downtimes"][-1]["downDateTime"], e001["downtimes"][-1]["open"]) == (
        0.5,
        "2026-01-01T01:00:00Z",
        True,
    )


def test_a_gap_just_under_the_tolerance_is_up_and_one_just_over_is_down(demo_registry, tolerance):
    store_unit_data([record("E001", s) for s in (0, 119, 240)])
    every_30_s("E001", 270, 2 * HOUR)
    e001 = unit_of(extracted())
    assert e001["downtimes"] == [
        {"downDateTime": "2026-01-01T00:01:59Z", "recoveryDateTime": "2026-01-01T00:04:00Z", "open": False}
    ]
    assert e001["ratio"] == 1 - 121 / (2 * HOUR)


def test_a_window_starting_inside_the_period_counts_from_its_start(demo_registry, tolerance):
    available("E001", 1, None)
    every_30_s("E001", 90 * MINUTE, 2 * HOUR)
    e001 = unit_of(extracted())
    assert (e001["periodFrom"], e001["periodSeconds"], e001["ratio"]) == ("2026-01-01T01:00:00Z", HOUR, 0.5)


def test_a_window_ending_inside_the_period_counts_a_silence_up_to_its_end(demo_registry, tolerance):
    available("E001", None, 1)
    every_30_s("E001", 0, 50 * MINUTE)
    e001 = unit_of(extracted())
    assert (e001["periodTo"], e001["downtimeSeconds"], e001["ratio"]) == (
        "2026-01-01T01:00:00Z",
        600.0,
        5 / 6,
    )


def test_a_unit_reporting_again_after_a_long_silence_has_that_downtime_closed(demo_registry, tolerance):
    every_30_s("E001", 0, 30 * MINUTE)
    assert unit_of(extracted(now_hours=1))["downtimes"][0]["open"] is True
    every_30_s("E001", 90 * MINUTE, 2 * HOUR)
    e001 = unit_of(extracted())
    assert e001["downtimes"] == [
        {"downDateTime": "2026-01-01T00:30:00Z", "recoveryDateTime": "2026-01-01T01:30:00Z", "open": False}
    ]
    assert e001["ratio"] == 0.5


def test_late_records_filling_a_silence_bring_the_availability_back(demo_registry, tolerance):
    every_30_s("E001", 0, 30 * MINUTE)
    assert unit_of(extracted(end_hours=1, now_hours=1))["ratio"] == 0.5
    every_30_s("E001", 30 * MINUTE + 30, HOUR)  # the reporter's backlog, delivered late
    assert unit_of(extracted(end_hours=1, now_hours=1))["ratio"] == 1.0


def test_a_unit_never_autonomous_is_0_percent_with_data(demo_registry, tolerance):
    every_30_s("E001", -60, 2 * HOUR, mode="stop")
    e001 = unit_of(extracted())
    assert (e001["ratio"], e001["hasData"]) == (0.0, True)


# Properties over generated record timelines: the availability follows the rule of docs/availability.md
# however the records arrive, and agrees with downtime/list for the same unit and period.

TOLERANCE_SEC = 120
MODES = ["autonomous", "autonomous", "autonomous", "autonomous", "heteronomous", None]


@dataclass
class Timeline:
    """Records of E001 (second after T0, mode), their arrival batch and order, E001's window, the period."""

    records: list[tuple[int, str | None]]
    batches: list[int]
    order: list[int]
    window: tuple[int | None, int | None]
    period: tuple[int, int]
    lags: list[int]


@st.composite
def timelines(draw) -> Timeline:
    count = draw(st.integers(0, 12))
    first = draw(st.integers(-400, 900))
    gaps = draw(st.lists(st.integers(1, 400), min_size=count, max_size=count))
    seconds = [first + sum(gaps[1 : n + 1]) for n in range(count)]
    modes = draw(st.lists(st.sampled_from(MODES), min_size=count, max_size=count))
    start = draw(st.none() | st.integers(-600, 2500))
    end = draw(st.none() | st.integers(-600, 4000))
    period_from = draw(st.integers(-900, 3500))
    return Timeline(
        records=list(zip(seconds, modes, strict=True)),
        batches=draw(st.lists(st.integers(0, 3), min_size=count, max_size=count)),
        order=draw(st.permutations(range(count))),
        window=(start, end),
        period=(period_from, period_from + draw(st.integers(1, 5000))),
        lags=draw(st.lists(st.integers(0, 400), min_size=5, max_size=5)),
    )


def play(timeline: Timeline) -> datetime:
    """Store the records batch by batch (each in its own order) with a pass after each; returns the final
    ``now`` of the last pass, never before the newest record (records carry their own time as datasetId)."""
    for model in (UnitData, ReportedUnit, Downtime, DowntimeStatus, Watermark):
        model.objects.all().delete()
    start, end = timeline.window
    Unit.objects.filter(code="E001").update(
        available_from=None if start is None else at(start), available_to=None if end is None else at(end)
    )
    now = -1000
    for batch, lag in zip(range(4), timeline.lags, strict=False):
        arriving = [timeline.records[n] for n in timeline.order if timeline.batches[n] == batch]
        store_unit_data([record("E001", second, mode) for second, mode in arriving])
        now = max([now, *(second for second, _ in arriving)]) + lag
        extract_pass(now=at(now))
    now = max([now, *(second for second, _ in timeline.records)]) + timeline.lags[4]
    extract_pass(now=at(now))
    return at(now)


def rule(timeline: Timeline, now: datetime, period_from: datetime, period_to: datetime) -> list[tuple]:
    """The downtime of E001 inside ``[period_from, period_to)`` by the rule, computed from all its records."""
    tolerance = timedelta(seconds=TOLERANCE_SEC)
    start, _ = timeline.window
    window_start = EARLIEST if start is None else at(start)
    points = sorted((at(second), mode != "autonomous") for second, mode in timeline.records)
    down = []
    if not points:
        if now - window_start >= tolerance:
            down.append((window_start, now))
    else:
        if points[0][0] - window_start >= tolerance:
            down.append((window_start, points[0][0]))
        for (time, is_down), (following, _) in pairwise(points):
            if is_down or following - time >= tolerance:
                down.append((time, following))
        last, is_down = points[-1]
        if is_down or now - last >= tolerance:
            down.append((last, now))
    return merged_within(down, period_from, period_to)


def merged_within(intervals: list[tuple], lo: datetime, hi: datetime) -> list[tuple]:
    """``intervals`` clipped to ``[lo, hi)``, then overlapping or touching ones merged."""
    clipped = sorted((max(a, lo), min(b, hi)) for a, b in intervals if b > lo and a < hi)
    result: list[list] = []
    for a, b in clipped:
        if result and a <= result[-1][1]:
            result[-1][1] = max(result[-1][1], b)
        else:
            result.append([a, b])
    return [(a, b) for a, b in result]


def counted(entry: dict) -> list[tuple]:
    return [(parse_iso(d["downDateTime"]), parse_iso(d["recoveryDateTime"])) for d in entry["downtimes"]]


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(timeline=timelines())
def test_availability_follows_the_rule_however_the_records_arrive(demo_registry, tolerance, timeline):
    now = play(timeline)
    period_from, period_to = (at(second) for second in timeline.period)
    e001 = unit_of(cluster_availability(COMMUNITY, CLUSTER, period_from, period_to, now))
    if e001["periodFrom"] is None:
        assert (e001["ratio"], e001["downtimes"]) == (None, [])
        return
    unit_from, unit_to = parse_iso(e001["periodFrom"]), parse_iso(e001["periodTo"])
    assert counted(e001) == rule(timeline, now, unit_from, unit_to)
    assert e001["hasData"] == any(unit_from <= at(second) < unit_to for second, _ in timeline.records)
    assert e001["ratio"] == ratio(e001["periodSeconds"], e001["downtimeSeconds"])


@PROPERTY
@given(timeline=timelines())
def test_downtime_list_and_availability_agree_for_the_same_unit_and_period(staff, tolerance, timeline):
    now = play(timeline)
    period_from, period_to = (at(second) for second in timeline.period)
    e001 = unit_of(cluster_availability(COMMUNITY, CLUSTER, period_from, period_to, now))
    response = staff.get(
        "/api/staff/downtime/list",
        {
            "communityId": COMMUNITY,
            "clusterId": CLUSTER,
            "unitId": "E001",
            "datetimeFrom": iso_z(period_from),
            "datetimeTo": iso_z(period_to),
        },
    )
    listed = [
        (
            parse_iso(d["downDateTime"]),
            now if d["recoveryDateTime"] is None else parse_iso(d["recoveryDateTime"]),
        )
        for d in json.loads(b"".join(response.streaming_content))
    ]
    if e001["periodFrom"] is None:
        assert e001["downtimes"] == []
        return
    unit_from, unit_to = parse_iso(e001["periodFrom"]), parse_iso(e001["periodTo"])
    assert counted(e001) == merged_within(listed, unit_from, unit_to)
    assert e001["downtimeSeconds"] == sum((b - a).total_seconds() for a, b in counted(e001))
