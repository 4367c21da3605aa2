"""Unit-data reporting from apis-web's ``/get/log`` (the double of ``apis_web_double``, as a real apis-web
cannot run here): one report per cycle, a unit the Service Center would refuse left out with the reason,
apis-web's cached copy not reported again, and apis-web's failures logged at SEVERE."""

import json
import logging
from zoneinfo import ZoneInfo

import httpx
import pytest

from apis.ccc.spool import Spool
from apis.ccc.unitdata import UnitDataReporter
from tests.ccc.apis_web_double import ApisWebDouble, unit
from tests.helpers import free_port


@pytest.fixture
def apis_web():
    double = ApisWebDouble()
    yield double
    double.close()


@pytest.fixture
def reporter(tmp_path, apis_web):
    with httpx.Client(timeout=5) as client:
        spool = Spool(tmp_path, "unitData", 100, 10**7)
        yield UnitDataReporter(
            client, apis_web.url, spool, "oss_community", "oss_cluster", ZoneInfo("Asia/Tokyo")
        )


def reports(spool: Spool) -> list[list[dict]]:
    return [json.loads(path.read_bytes()) for path in spool.pending(0)]


def test_each_cycle_is_one_report_with_one_dataset_id_and_the_cached_copy_is_not_reported_again(
    reporter, apis_web, caplog
):
    apis_web.units = {name: unit(name, "2020/01/01-10:00:00") for name in ("E001", "E002")}
    reporter.cycle()
    with caplog.at_level(logging.WARNING):
        reporter.cycle()  # apis-web answers its last good copy: the grid master is gone
    apis_web.units = {name: unit(name, "2020/01/01-10:00:05") for name in ("E001", "E002")}
    reporter.cycle()
    first, second = reports(reporter.spool)
    assert [item["time"] for item in first] == ["2020-01-01T10:00:00+09:00"] * 2
    assert len({item["datasetId"] for item in first}) == 1 and first[0]["datasetId"] < second[0]["datasetId"]
    assert "unit data of E001, E002 unchanged since its last report" in caplog.text
    assert reporter.reported_units == 4


def test_a_unit_the_service_center_would_refuse_is_left_out_and_the_others_reported(
    reporter, apis_web, caplog
):
    nul = unit("E003", "2020/01/01-10:00:00")
    nul["oesunit"]["display"] = "E\u00003"
    apis_web.units = {
        "E001": unit("E001", "2020/01/01-10:00:00"),
        "E002": unit("E002", "2020/01/01-10:00:00", cluster="another_cluster"),
        "E003": nul,
        "E004": "not a unit",
        "E005": unit("E005", "2020/01/01-25:00:00"),
    }
    with caplog.at_level(logging.WARNING):
        reporter.cycle()
    [report] = reports(reporter.spool)
    assert [item["oesunit"]["id"] for item in report] == ["E001"]
    assert "invalid unitData item : E002 : unit of oss_community/another_cluster" in caplog.text
    assert "invalid unitData item : E003 : NUL character in oesunit.display" in caplog.text
    assert "invalid unitData item : E004 : not a JSON object" in caplog.text
    assert "invalid unitData item : E005 : field time: not a date" in caplog.text


def test_empty_unit_data_and_apis_web_failures_spool_nothing(tmp_path, reporter, apis_web, caplog):
    with caplog.at_level(logging.WARNING):
        reporter.cycle()  # {}: apis-web never had an answer from a grid master
        reporter.url = apis_web.url + "/get/deals"
        reporter.cycle()
        reporter.url = f"http://127.0.0.1:{free_port()}/get/log"
        reporter.cycle()
    assert len(reporter.spool) == 0
    assert "unit data is empty" in caplog.text
    assert 'http get failed : 404 : {"error":"not found : /get/deals"}' in caplog.text
    assert "Communication failed with apis-web" in caplog.text and "Connection refused" in caplog.text
