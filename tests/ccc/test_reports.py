"""The report bodies: unit data with one datasetId per cycle, deals with the ccc's ids and report time, times
as ISO 8601 with offset, what the Service Center's parsers make of them, and the items left out because the
Service Center would refuse them."""

import json
from zoneinfo import ZoneInfo

import pytest

from apis.ccc.reports import deal_problem, deal_report, saveworthy, unit_data_report, unit_problem
from apis.ingest.parse import parse_deals, parse_unit_data
from tests.payloads import deal_doc, unit_doc

TOKYO = ZoneInfo("Asia/Tokyo")


def test_unit_data_gets_the_cycles_dataset_id_and_iso_times():
    body = unit_data_report([unit_doc("E001"), unit_doc("E002")], 1_700_000_000_123, TOKYO)
    units = json.loads(body)
    assert [unit["datasetId"] for unit in units] == [1_700_000_000_123] * 2
    assert units[0]["time"] == "2020-01-01T12:00:00+09:00"
    records = parse_unit_data(units, "oss_community", "oss_cluster")
    assert [record.unit_id for record in records] == ["E001", "E002"]


def with_oesunit(**fields) -> dict:
    unit = unit_doc("E001")
    unit["oesunit"] = {**unit["oesunit"], **fields}
    return unit


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("garbage", "not a JSON object"),
        ({**unit_doc("E001"), "oesunit": None}, "missing field oesunit"),
        (with_oesunit(id=""), "missing field oesunit.id"),
        (with_oesunit(id="E" * 129), "field oesunit.id longer than 128 characters"),
        (with_oesunit(clusterId="other"), "unit of oss_community/other, not of this ccc's cluster"),
        ({**unit_doc("E001"), "time": "2020-01-01 12:00"}, "field time: not an APIS time"),
        ({**unit_doc("E001"), "time": "0999/01/01-00:00:00"}, "field time: year out of range"),
        (
            {**unit_doc("E001"), "time": "2020/02/30-00:00:00"},
            "field time: not a date: '2020/02/30-00:00:00'",
        ),
        ({**unit_doc("E001"), "time": "--"}, "missing field time"),
        ({**unit_doc("E001"), "emu": {"note": "a\x00b"}}, "NUL character in emu.note"),
    ],
)
def test_a_unit_the_service_center_would_refuse_is_named_with_the_reason(item, problem):
    assert unit_problem(item, "oss_community", "oss_cluster").startswith(problem)


def test_only_activated_or_reset_deals_are_saveworthy():
    created = {"dealId": "a"}
    aborted = {"dealId": "b", "activateDateTime": "--"}
    reset = {"dealId": "c", "activateDateTime": "--", "reset": []}
    activated = {"dealId": "d", "activateDateTime": "2020/01/01-00:00:00"}
    assert [saveworthy(deal) for deal in (created, aborted, reset, activated)] == [False, False, True, True]


def test_deals_carry_the_ccc_ids_and_report_time_and_parse_on_the_server(db):
    deal = deal_doc()
    for key in ("communityId", "clusterId", "reportTime"):
        del deal[key]
    deals = json.loads(deal_report([deal], "oss_community", "oss_cluster", 1_700_000_000, TOKYO))
    assert deals[0]["reportTime"] == 1_700_000_000 and deals[0]["communityId"] == "oss_community"
    assert deals[0]["createDateTime"] == "2020-01-01T12:00:00+09:00"
    assert deals[0]["reset"][0]["dateTime"] == "2020-01-01T12:00:00+09:00"
    assert deals[0]["stopDateTime"] == "--"
    [record] = parse_deals(deals, "oss_community", "oss_cluster")
    assert record.data["stopDateTime"] is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"dealId": None}, "missing field dealId"),
        ({"dealId": "d" * 129}, "field dealId longer than 128 characters"),
        ({"chargeUnitId": "E" * 129}, "field chargeUnitId longer than 128 characters"),
        ({"startDateTime": "soon"}, "not an APIS time: 'soon'"),
        ({"startDateTime": 20200101}, "not an APIS time: '20200101'"),
        (
            {"reset": [{"dateTime": "2020/13/01-00:00:00", "reason": "x"}]},
            "not a date: '2020/13/01-00:00:00'",
        ),
        ({"abortReason": "\x00"}, "NUL character in abortReason"),
    ],
)
def test_a_deal_the_service_center_would_refuse_is_named_with_the_reason(change, problem):
    assert deal_problem({**deal_doc(), **change}).startswith(problem)
    assert deal_problem(deal_doc()) is None
