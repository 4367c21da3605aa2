"""The aggregate endpoints over the rollups (``/api/staff/unitData/aggregate``,
``/api/resident/unitData/aggregate``): every bucket equals a computation from the raw rows, ``auto`` picks
the resolution by the period's length, fields are answered as asked, CSV carries the JSON points, a resident
sees only the buckets starting in their periods, and every bad parameter gets its precise 400."""

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apis.ingest.parse import parse_unit_data
from apis.rollup.compute import rollup_pass
from apis.unit_data.store import store_unit_data
from tests.helpers import ROLLUP_ENERGIES
from tests.payloads import CLUSTER, COMMUNITY, unit_doc
from tests.residency import live_in

STAFF_URL = "/api/staff/unitData/aggregate"
RESIDENT_URL = "/api/resident/unitData/aggregate"
CAP = 120  # APIS_DATA_LOSS_TOLERANCE_SEC of these tests
START = datetime(2026, 1, 10, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo: the records span a local midnight
TOKYO = ZoneInfo("Asia/Tokyo")
END = START + timedelta(days=3)
UNIT = {"communityId": COMMUNITY, "clusterId": CLUSTER, "unitId": "E001"}
QUERY = {**UNIT, "datetimeFrom": "2026-01-09T00:00:00Z", "datetimeTo": "2026-01-14T00:00:00Z"}

METRICS = ("rsoc", "battery_w", "pv_w", "dc_grid_w", "dc_grid_v", "ac_in_w", "ac_out_w")
ALL_FIELDS = [
    "records",
    *(f"{metric}_{aggregate}" for metric in METRICS for aggregate in ("avg", "min", "max", "last")),
    *ROLLUP_ENERGIES,
]
RESOLUTION_SECONDS = {"5min": 300, "1h": 3600, "1d": 86400}


@pytest.fixture(autouse=True)
def tolerance(settings):
    settings.DATA_LOSS_TOLERANCE_SEC = CAP


# ---- data and the oracle -----------------------------------------------------------------------------------


def record_times() -> list[datetime]:
    """60 records 97 s apart with a gap of 10 minutes after the 30th (longer than the cap), then one record
    two days later, alone in its buckets."""
    times = [START + timedelta(seconds=97 * k + (600 if k >= 30 else 0)) for k in range(60)]
    return [*times, START + timedelta(days=2, minutes=7)]


def values_at(k: int) -> dict[str, float | None]:
    values = {
        "rsoc": 20.0 + (k * 7) % 60,
        "battery_w": float((k * 37) % 400 - 200),
        "pv_w": float((k * 53) % 900),
        "dc_grid_w": float((k * 29) % 300 - 150),
        "dc_grid_v": 340.0 + (k * 3) % 20,
        "ac_in_w": float((k * 11) % 200),
        "ac_out_w": float(100 + (k * 17) % 500),
    }
    if k == 60:
        values["ac_out_w"] = None  # the lonely record has no AC output: a null average in its buckets
    if k == 5:
        values["pv_w"] = None  # a string, skipped
    return values


def document(unit: str, moment: datetime, values: dict[str, float | None]) -> dict:
    doc = unit_doc(
        unit, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), int(moment.timestamp() * 1000), values["rsoc"]
    )
    doc["dcdc"]["meter"].update(wb=values["battery_w"], wg=values["dc_grid_w"], vg=values["dc_grid_v"])
    doc["dcdc"]["powermeter"]["p2"] = values["ac_in_w"]
    doc["emu"]["pvc_charge_power"] = "NA" if values["pv_w"] is None else values["pv_w"]
    if values["ac_out_w"] is None:
        del doc["emu"]["ups_output_power"]
    else:
        doc["emu"]["ups_output_power"] = values["ac_out_w"]
    return doc


RECORDS = [(moment, values_at(k)) for k, moment in enumerate(record_times())]


@pytest.fixture
def rolled_up(demo_registry) -> None:
    other = {name: (value * 3 + 1 if value is not None else None) for name, value in RECORDS[0][1].items()}
    docs = [document("E001", moment, values) for moment, values in RECORDS]
    docs += [document("E002", moment, other) for moment, _ in RECORDS[:40]]  # never in E001's answers
    store_unit_data(parse_unit_data(docs, COMMUNITY, CLUSTER))
    rollup_pass()


def bucket_of(resolution: str, moment: datetime) -> datetime:
    if resolution == "1d":
        local = moment.astimezone(TOKYO)
        return datetime(local.year, local.month, local.day, tzinfo=TOKYO).astimezone(UTC)
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % RESOLUTION_SECONDS[resolution], UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_points(resolution: str) -> list[dict]:
    """E001's buckets computed from its raw records in Python."""
    groups: dict[datetime, list[tuple[float, dict]]] = defaultdict(list)
    previous = None
    for moment, values in RECORDS:
        dt = 0.0 if previous is None else min((moment - previous).total_seconds(), CAP)
        groups[bucket_of(resolution, moment)].append((dt, values))
        previous = moment
    points = []
    for bucket in sorted(groups):
        rows = groups[bucket]
        point: dict = {"time": iso(bucket), "records": len(rows)}
        for metric in METRICS:
            numbers = [values[metric] for _, values in rows if values[metric] is not None]
            point[f"{metric}_avg"] = sum(numbers) / len(numbers) if numbers else None
            point[f"{metric}_min"] = min(numbers) if numbers else None
            point[f"{metric}_max"] = max(numbers) if numbers else None
            point[f"{metric}_last"] = numbers[-1] if numbers else None
        for energy, (metric, sign) in ROLLUP_ENERGIES.items():
            total = 0.0
            for dt, values in rows:
                power = values[metric]
                if power is not None and (sign == 0 or power * sign > 0):
                    total += abs(power) * dt / 3600 if sign else power * dt / 3600
            point[energy] = total
        points.append(point)
    return points


def approx_points(points: list[dict]) -> list[dict]:
    return [
        {
            key: value if value is None or isinstance(value, str) else pytest.approx(value)
            for key, value in point.items()
        }
        for point in points
    ]


def csv_points(response) -> tuple[list[str], list[dict]]:
    text = b"".join(response.streaming_content).decode()
    header, *lines = list(csv.reader(io.StringIO(text)))
    points = [
        {
            name: cell if name == "time" else (None if cell == "" else float(cell))
            for name, cell in zip(header, line, strict=True)
        }
        for line in lines
    ]
    return header, points


# ---- values -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("resolution", ["5min", "1h", "1d"])
def test_every_bucket_equals_the_statistics_of_the_raw_rows(staff, rolled_up, resolution):
    response = staff.get(STAFF_URL, {**QUERY, "resolution": resolution})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["resolution"] == resolution
    assert body["bucketSeconds"] == RESOLUTION_SECONDS[resolution]
    assert body["fields"] == ALL_FIELDS
    assert body["points"] == approx_points(expected_points(resolution))
    assert {
        key: body[key] for key in ("communityId", "clusterId", "unitId", "datetimeFrom", "datetimeTo")
    } == {
        **UNIT,
        "datetimeFrom": "2026-01-09T00:00:00Z",
        "datetimeTo": "2026-01-14T00:00:00Z",
    }


def test_daily_buckets_start_at_local_midnight(staff, rolled_up):
    times = [point["time"] for point in staff.get(STAFF_URL, {**QUERY, "resolution": "1d"}).json()["points"]]
    assert times == ["2026-01-09T15:00:00Z", "2026-01-10T15:00:00Z", "2026-01-11T15:00:00Z"]


def test_a_bucket_whose_records_lack_a_metric_has_null_statistics_but_zero_energy(staff, rolled_up):
    body = staff.get(STAFF_URL, {**QUERY, "resolution": "1h"}).json()
    last = body["points"][-1]
    assert last["records"] == 1
    assert last["ac_out_w_avg"] is None and last["ac_out_w_last"] is None
    assert last["ac_out_wh"] == 0.0


def test_energy_of_a_record_after_a_gap_is_capped(staff, rolled_up):
    moment, values = RECORDS[30]
    query = {
        **UNIT,
        "datetimeFrom": iso(bucket_of("5min", moment)),
        "datetimeTo": iso(moment + timedelta(seconds=1)),
    }
    (point,) = staff.get(STAFF_URL, {**query, "resolution": "5min", "fields": "pv_wh,records"}).json()[
        "points"
    ]
    assert point == {
        "time": iso(bucket_of("5min", moment)),
        "pv_wh": pytest.approx(values["pv_w"] * CAP / 3600),
        "records": 1,
    }


def test_only_buckets_starting_in_the_period_are_answered_in_time_order(staff, rolled_up):
    query = {**UNIT, "datetimeFrom": "2026-01-10T14:10:00Z", "datetimeTo": "2026-01-10T14:30:00Z"}
    times = [
        point["time"] for point in staff.get(STAFF_URL, {**query, "resolution": "5min"}).json()["points"]
    ]
    assert times == [
        "2026-01-10T14:10:00Z",
        "2026-01-10T14:15:00Z",
        "2026-01-10T14:20:00Z",
        "2026-01-10T14:25:00Z",
    ]
    hourly = staff.get(STAFF_URL, {**query, "resolution": "1h"}).json()["points"]
    assert hourly == []  # the hour starts at 14:00, before the period


def test_an_empty_range_gives_no_points(staff, rolled_up):
    query = {**UNIT, "datetimeFrom": "2027-01-01T00:00:00Z", "datetimeTo": "2027-01-02T00:00:00Z"}
    assert staff.get(STAFF_URL, query).json()["points"] == []
    header, points = csv_points(staff.get(STAFF_URL, {**query, "format": "csv"}))
    assert header == ["time", *ALL_FIELDS]
    assert points == []


# ---- resolution and fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "resolution"),
    [
        (timedelta(hours=1), "5min"),
        (timedelta(seconds=2000 * 300), "5min"),
        (timedelta(seconds=2000 * 300 + 1), "1h"),
        (timedelta(days=80), "1h"),
        (timedelta(seconds=2000 * 3600), "1h"),
        (timedelta(seconds=2000 * 3600 + 1), "1d"),
        (timedelta(days=3650), "1d"),
    ],
)
def test_auto_picks_the_finest_resolution_with_at_most_2000_buckets(staff, demo_registry, span, resolution):
    query = {**UNIT, "datetimeFrom": iso(START), "datetimeTo": iso(START + span)}
    for extra in ({}, {"resolution": "auto"}):
        body = staff.get(STAFF_URL, {**query, **extra}).json()
        assert (body["resolution"], body["bucketSeconds"]) == (resolution, RESOLUTION_SECONDS[resolution])


def test_fields_are_answered_in_the_order_asked(staff, rolled_up):
    body = staff.get(
        STAFF_URL, {**QUERY, "resolution": "1d", "fields": "pv_wh,records,rsoc_avg,rsoc_last"}
    ).json()
    assert body["fields"] == ["pv_wh", "records", "rsoc_avg", "rsoc_last"]
    expected = expected_points("1d")
    assert [list(point) for point in body["points"]] == [
        ["time", "pv_wh", "records", "rsoc_avg", "rsoc_last"]
    ] * len(expected)
    assert body["points"] == approx_points(
        [
            {key: point[key] for key in ("time", "pv_wh", "records", "rsoc_avg", "rsoc_last")}
            for point in expected
        ]
    )


def test_csv_carries_the_json_points(staff, rolled_up):
    for fields in ("", "records,battery_w_min,ac_out_w_avg,battery_discharge_wh"):
        query = {**QUERY, "resolution": "5min", "fields": fields}
        points = staff.get(STAFF_URL, query).json()["points"]
        response = staff.get(STAFF_URL, {**query, "format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="aggregate_{COMMUNITY}_{CLUSTER}_E001_5min.csv"'
        )
        header, lines = csv_points(response)
        assert header == ["time", *(fields.split(",") if fields else ALL_FIELDS)]
        assert lines == points
        assert len(lines) > 20


# ---- access -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "url", "status", "message"),
    [
        (None, STAFF_URL, 403, "login required"),
        ("e001", STAFF_URL, 403, "staff required"),
        ("admin", STAFF_URL, 200, None),
        (None, RESIDENT_URL, 403, "login required"),
        ("nonresident", RESIDENT_URL, 403, "resident required"),
        ("e002", RESIDENT_URL, 400, "not a resident"),
        ("e001", RESIDENT_URL, 200, None),
        ("admin", RESIDENT_URL, 200, None),
    ],
)
def test_staff_and_residents_of_the_unit_only(client_as, rolled_up, role, url, status, message):
    response = client_as(role).get(url, {**QUERY, "resolution": "1h"})
    assert response.status_code == status
    if message:
        assert response.content.decode() == message
    else:
        assert response.json()["points"] == approx_points(expected_points("1h"))


def test_a_resident_sees_only_the_buckets_starting_in_their_periods(client_as, rolled_up):
    periods = [
        (START + timedelta(minutes=20), START + timedelta(minutes=50)),
        (START + timedelta(days=2), None),
    ]
    live_in("e001", *periods)
    client = client_as("e001")
    for resolution in ("5min", "1h", "1d"):
        expected = [
            point
            for point in expected_points(resolution)
            if any(
                start <= datetime.fromisoformat(point["time"])
                and (end is None or datetime.fromisoformat(point["time"]) < end)
                for start, end in periods
            )
        ]
        body = client.get(RESIDENT_URL, {**QUERY, "resolution": resolution}).json()
        assert body["points"] == approx_points(expected)
        _, lines = csv_points(client.get(RESIDENT_URL, {**QUERY, "resolution": resolution, "format": "csv"}))
        assert lines == body["points"]
    five = [
        point["time"] for point in client.get(RESIDENT_URL, {**QUERY, "resolution": "5min"}).json()["points"]
    ]
    assert five[0] == "2026-01-10T14:20:00Z" and "2026-01-10T14:50:00Z" not in five
    assert five[-1] == "2026-01-12T14:05:00Z"


def test_a_former_resident_sees_nothing_after_moving_out(client_as, rolled_up):
    live_in("e001", (datetime(2025, 1, 1, tzinfo=UTC), START))
    assert client_as("e001").get(RESIDENT_URL, QUERY).json()["points"] == []


# ---- refusals ---------------------------------------------------------------------------------------------

RESOLUTION_MESSAGE = "invalid resolution : {} (expected auto, 5min, 1h or 1d)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unitId": ""}, "no param : unitId, datetimeFrom, datetimeTo"),
        ({"datetimeFrom": ""}, "no param : unitId, datetimeFrom, datetimeTo"),
        ({"datetimeTo": ""}, "no param : unitId, datetimeFrom, datetimeTo"),
        (
            {"datetimeFrom": "yesterday"},
            "invalid datetimeFrom : yesterday (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)",
        ),
        (
            {"datetimeTo": "2026-01-13T25:00:00Z"},
            "invalid datetimeTo : 2026-01-13T25:00:00Z (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)",
        ),
        ({"datetimeTo": "2026-01-09T00:00:00Z"}, "“datetimeTo” should be greater than “datetimeFrom”"),
        ({"resolution": "2min"}, RESOLUTION_MESSAGE.format("2min")),
        ({"resolution": "raw"}, RESOLUTION_MESSAGE.format("raw")),
        ({"resolution": "300"}, RESOLUTION_MESSAGE.format("300")),
        ({"resolution": "x" * 41}, "resolution too long : " + "x" * 40 + "… (at most 40 characters)"),
        ({"fields": "foo"}, "unknown field : foo"),
        ({"fields": "records,rsoc_sum"}, "unknown field : rsoc_sum"),
        ({"fields": "records,"}, "unknown field : "),
        ({"fields": "records,pv_wh,records"}, "duplicate field : records"),
        ({"fields": ",".join(["records"] * 61)}, "too many fields : 61 (at most 60)"),
        ({"fields": "records," + "y" * 41}, "field too long : " + "y" * 40 + "… (at most 40 characters)"),
        ({"format": "xml"}, "invalid format : xml (expected json or csv)"),
        ({"format": "z" * 50}, "format too long : " + "z" * 40 + "… (at most 40 characters)"),
        ({"unitId": "X999"}, "unknown unitId : X999"),
        ({"clusterId": "nope"}, "bad param values : communityId, clusterId"),
        ({"communityId": ""}, "no param : communityId, clusterId"),
    ],
)
def test_a_bad_parameter_gets_its_400_message(staff, demo_registry, change, message):
    response = staff.get(STAFF_URL, {**QUERY, **change})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == message


def test_length_limits_are_checked_before_the_other_parameters(staff, demo_registry):
    query = {**UNIT, "datetimeFrom": "bad", "fields": "f" * 41, "resolution": "nope"}
    assert (
        staff.get(STAFF_URL, query).content.decode()
        == "field too long : " + "f" * 40 + "… (at most 40 characters)"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"datetimeTo": ""}, "no param : datetimeFrom, datetimeTo"),
        ({"unitId": ""}, "no param : communityId, clusterId, unitId"),
        ({"unitId": "X999"}, "bad param values : communityId, clusterId, unitId"),
        ({"resolution": "2min"}, RESOLUTION_MESSAGE.format("2min")),
        ({"fields": "foo"}, "unknown field : foo"),
        ({"format": "xml"}, "invalid format : xml (expected json or csv)"),
    ],
)
def test_a_resident_gets_the_same_400_messages(resident, change, message):
    response = resident.get(RESIDENT_URL, {**QUERY, **change})
    assert response.status_code == 400
    assert response.content.decode() == message


def test_the_schema_describes_both_endpoints(staff):
    response = staff.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    for url in (STAFF_URL, RESIDENT_URL):
        operation = paths[url]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"datetimeFrom", "datetimeTo", "resolution", "fields", "format", "unitId"} <= names
        assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
        assert "unknown field : <value>" in operation["responses"]["400"]["description"]
