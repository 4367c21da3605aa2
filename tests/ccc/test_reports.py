"""The report bodies: unit data with one datasetId per cycle, deals by the saveworthy rule, times as ISO
8601 with offset, and what the Service Center's parsers make of them."""

import json
from zoneinfo import ZoneInfo

from apis.ccc.reports import deal_report, saveworthy, unit_data_report
from apis.ingest.parse import parse_deals, parse_unit_data
from tests.payloads import deal_doc, unit_doc

TOKYO = ZoneInfo("Asia/Tokyo")


def test_unit_data_gets_the_cycles_dataset_id_and_iso_times_and_non_objects_are_dropped():
    collected = {"E001": unit_doc("E001"), "E002": unit_doc("E002"), "E003": "garbage"}
    body, count = unit_data_report(collected, 1_700_000_000_123, TOKYO)
    units = json.loads(body)
    assert count == 2 and [unit["datasetId"] for unit in units] == [1_700_000_000_123] * 2
    assert units[0]["time"] == "2020-01-01T12:00:00+09:00"
    records = parse_unit_data(units, "oss_community", "oss_cluster")
    assert [record.unit_id for record in records] == ["E001", "E002"]


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
    body, count = deal_report([deal, {"dealId": "new"}], "oss_community", "oss_cluster", 1_700_000_000, TOKYO)
    deals = json.loads(body)
    assert count == 1 and deals[0]["reportTime"] == 1_700_000_000
    assert deals[0]["createDateTime"] == "2020-01-01T12:00:00+09:00"
    assert deals[0]["reset"][0]["dateTime"] == "2020-01-01T12:00:00+09:00"
    assert deals[0]["stopDateTime"] == "--"
    [record] = parse_deals(deals, "oss_community", "oss_cluster")
    assert record.data["stopDateTime"] is None
