"""Staff unit history (``/api/staff/unitData/history``): bucketed averages computed by the database, and
precise 400s for bad input."""

import pytest

from apis.ingest.parse import parse_unit_data
from apis.unit_data.store import store_unit_data
from tests.payloads import CLUSTER, COMMUNITY, unit_doc

URL = "/api/staff/unitData/history"
BASE_MS = 1_577_847_600_000  # 2020-01-01T03:00:00Z = 12:00 Tokyo
PERIOD = {"datetimeFrom": "2020-01-01T03:00:00Z", "datetimeTo": "2020-01-01T04:00:00Z"}
QUERY = {"communityId": COMMUNITY, "clusterId": CLUSTER, "unitId": "E001", **PERIOD}


def report(unit_id: str, minute: int, rsoc: float, pv: float = 800.0, wg: float = 0.0) -> dict:
    """A unit record of the 30-second cycle ``minute`` minutes after 12:00 Tokyo."""
    doc = unit_doc(unit_id, f"2020/01/01-12:{minute:02d}:00", BASE_MS + minute * 60_000, rsoc)
    doc["emu"]["pvc_charge_power"] = pv
    doc["dcdc"]["meter"]["wg"] = wg
    return doc


def store(*docs: dict) -> None:
    store_unit_data(parse_unit_data(list(docs), COMMUNITY, CLUSTER))


def test_history_averages_each_value_per_bucket_in_time_order(staff):
    store(
        report("E001", 0, 40.0, pv=100.0, wg=-10.0),
        report("E001", 10, 60.0, pv=300.0, wg=30.0),
        report("E001", 45, 80.0, pv=0.0, wg=5.0),
        report("E002", 0, 10.0),
    )
    body = staff.get(URL, {**QUERY, "points": "2"}).json()
    assert body["bucketSeconds"] == 1800
    assert body["points"] == [
        {"time": "2020-01-01T03:00:00Z", "count": 2, "rsoc": 50.0, "pvPower": 200.0, "dcGridPower": 10.0},
        {"time": "2020-01-01T03:30:00Z", "count": 1, "rsoc": 80.0, "pvPower": 0.0, "dcGridPower": 5.0},
    ]


def test_history_never_answers_more_buckets_than_points(staff):
    store(*(report("E001", minute, 50.0) for minute in range(60)))
    body = staff.get(URL, {**QUERY, "points": "7"}).json()
    assert len(body["points"]) <= 7
    assert sum(point["count"] for point in body["points"]) == 60
    assert len(staff.get(URL, QUERY).json()["points"]) == 60  # default 500 buckets of 8 s: one row each


def test_history_excludes_rows_outside_the_period_and_of_other_units(staff):
    store(report("E001", 0, 40.0), report("E001", 59, 60.0), report("E002", 30, 99.0))
    query = {**QUERY, "datetimeFrom": "2020-01-01T03:01:00Z", "datetimeTo": "2020-01-01T03:59:00Z"}
    assert staff.get(URL, query).json()["points"] == []


def test_history_reads_emu_rsoc_when_the_battery_block_is_missing_and_skips_non_numbers(staff):
    doc = report("E001", 0, 40.0)
    del doc["battery"]
    doc["emu"]["pvc_charge_power"] = "NA"
    store(doc)
    (point,) = staff.get(URL, QUERY).json()["points"]
    assert point["rsoc"] == 40.0
    assert point["pvPower"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unitId": ""}, "no param : unitId, datetimeFrom, datetimeTo"),
        ({"datetimeTo": ""}, "no param : unitId, datetimeFrom, datetimeTo"),
        ({"datetimeFrom": "yesterday"}, "invalid datetimeFrom : yesterday"),
        ({"datetimeTo": "2020-01-01T02:00:00Z"}, "“datetimeTo” should be greater than “datetimeFrom”"),
        ({"points": "0"}, "invalid points : 0 (expected an integer from 1 to 2000)"),
        ({"points": "2001"}, "invalid points : 2001 (expected an integer from 1 to 2000)"),
        ({"points": "-5"}, "invalid points : -5 (expected an integer from 1 to 2000)"),
        ({"points": "²"}, "invalid points : ² (expected an integer from 1 to 2000)"),
        ({"points": "9" * 5000}, "invalid points : " + "9" * 40 + " (expected an integer from 1 to 2000)"),
        ({"unitId": "X999"}, "unknown unitId : X999"),
        ({"clusterId": "nope"}, "bad param values : communityId, clusterId"),
    ],
)
def test_history_rejects_bad_input_with_a_precise_400(staff, change, message):
    response = staff.get(URL, {**QUERY, **change})
    assert response.status_code == 400
    assert response.content.decode().startswith(message)


def test_history_is_for_staff_only(resident):
    assert resident.get(URL, QUERY).status_code == 403
