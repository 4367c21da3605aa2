"""The emulated cluster through its real HTTP interface and UDP log lines: unit data in apis-main's shape,
deals by the scenario rules through their life cycle, operation modes and fault injection."""

import json
import logging
import socket
import threading

import httpx
import pytest

from apis.apis_log.parse import parse_line
from apis.ccc.udplog import UdpLogHandler
from apis.emulator import scenario as rules
from apis.emulator.cluster import Cluster, ClusterConfig, effective_mode
from apis.emulator.physics import DCDC_MODES
from apis.emulator.server import make_server


@pytest.fixture
def cluster(tmp_path):
    return Cluster(
        ClusterConfig(
            speed=60,
            deal_log_dir=tmp_path / "dealLog",
            scenario_file=str(tmp_path / "{unitId}" / "scenario.json"),
        )
    )


@pytest.fixture
def http(cluster):
    server = make_server(cluster)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}", timeout=10) as client:
        yield client
    server.shutdown()
    server.server_close()


def run(cluster: Cluster, seconds: float) -> None:
    for _ in range(int(seconds)):
        cluster.tick(1.0)


def test_get_log_has_every_unit_in_apis_mains_shape(http):
    data = http.get("/get/log").json()
    assert list(data) == ["E001", "E002", "E003", "E004"]
    unit = data["E002"]
    assert set(unit) == {"emu", "dcdc", "battery", "time", "oesunit", "apis"}
    assert unit["oesunit"]["communityId"] == "oss_community" and unit["time"] == "2020/01/01-00:00:00"
    assert unit["apis"]["remaining_capacity_wh"] == int(4800 * 0.92)
    assert unit["dcdc"]["status"]["status"] in DCDC_MODES and "is_grid_master" in data["E001"]["apis"]
    assert http.get("/unitIds").json() == ["E001", "E002", "E003", "E004"]


def test_deals_run_their_life_cycle_and_leave_one_file_each(cluster, http, tmp_path):
    run(cluster, 3)
    [deal] = http.get("/get/deals").json()
    assert (deal["requestUnitId"], deal["type"], deal["dealAmountWh"]) == ("E002", "discharge", 50)
    assert (deal["chargeUnitId"], deal["dischargeUnitId"]) == ("E003", "E002"), "the short unit accepts"
    assert http.get("/deals").json()[0]["request"] == "DISCHARGE"
    run(cluster, 60)
    completed = http.get("/get/completedDeals", params={"since": 0}).json()
    done = completed["deals"][0]
    assert done["dealId"] == deal["dealId"] and completed["next"] >= 1
    order = (
        "createDateTime",
        "activateDateTime",
        "rampUpDateTime",
        "warmUpDateTime",
        "startDateTime",
        "stopDateTime",
        "deactivateDateTime",
    )
    assert [done[key] for key in order] == sorted(done[key] for key in order)
    assert done["cumulateAmountWh"] > 50 and "isMaster" not in done
    [file] = (tmp_path / "dealLog" / "2020" / "01" / "01").glob(deal["dealId"])
    assert json.loads(file.read_text()) == done


def test_a_scenario_file_overrides_the_rules_and_no_deal_follows(cluster, tmp_path):
    for unit in ("E002", "E003"):
        path = tmp_path / unit / "scenario.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"00:00:00-24:00:00": {"batteryStatus": {"-": "any"}, "request": {}}}))
    run(cluster, 10)
    assert cluster.full_deals() == [] and cluster.completed_count == 0


def test_modes_follow_apis_mains_effective_rule_and_stop_prevents_deals(cluster, http):
    assert effective_mode("autonomous", "heteronomous") == "heteronomous"
    assert effective_mode("stop", "heteronomous") == "stop"
    assert http.get("/stop").json() == {"active": False}
    answer = http.get("/setOperationMode", params={"unitId": "E001", "value": "heteronomous"}).json()
    assert answer == {"succeeded": True}
    assert http.get("/setOperationMode", params={"value": "sideways"}).json()["succeeded"] is False
    run(cluster, 5)
    assert cluster.full_deals() == []
    unit = http.get("/get/log").json()["E001"]
    assert unit["apis"]["operation_mode"] == {"global": "stop", "local": "heteronomous", "effective": "stop"}
    assert unit["oesunit"]["budo"] == "0"
    assert http.get("/active").json() == {"active": True}


def test_faults_stop_a_unit_and_the_grid_master(cluster, http):
    assert http.get("/fault", params={"kind": "stopUnit", "unitId": "E003"}).json() == {"succeeded": True}
    assert "E003" not in http.get("/get/log").json()
    http.get("/fault", params={"kind": "stopGridMaster"})
    assert http.get("/get/log").json() == {} and http.get("/getStatus").json() == {"active": False}
    http.get("/fault", params={"kind": "stopGridMaster", "on": "0"})
    assert len(http.get("/get/log").json()) == 3
    bad = http.get("/fault", params={"kind": "stopUnit", "unitId": "E999"})
    assert (bad.status_code, bad.json()) == (400, {"error": "unknown unitId : E999"})
    assert http.get("/nowhere").status_code == 404


def test_log_lines_name_each_unit_the_grid_master_and_faults_and_silence_works(cluster):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(0.5)
        handler = UdpLogHandler("127.0.0.1", receiver.getsockname()[1], "apis-main")
        logger = logging.getLogger("jp.co.sony.csl.dcoes.apis")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            cluster.fault("silence", cluster.unit("E004"), True)
            cluster.tick(1.0)
            cluster.fault("stopUnit", cluster.unit("E003"), True)
            lines = []
            while True:
                try:
                    lines.append(parse_line(receiver.recv(65535).decode()))
                except TimeoutError:
                    break
        finally:
            logger.removeHandler(handler)
            handler.close()
    uri = {line.unit for line in lines if line.message.startswith("uri : ")}
    assert uri == {"E001", "E002", "E003"}, "E004 is silent"
    assert any(line.message == "gridMasterUnitId : E001" and line.unit == "E001" for line in lines)
    assert any(line.level == "SEVERE" and line.unit == "E003" for line in lines)
    assert all(line.program == "apis-main" for line in lines)


def test_point_and_amount_picks_the_cheapest_accept_within_the_request_price():
    request = rules.Offer("E001", "charge", 200, 10, None)
    accepts = [
        rules.Offer("E002", "discharge", 300, 12, None),
        rules.Offer("E003", "discharge", 100, 8, None),
        rules.Offer("E004", "discharge", 150, 8, None),
    ]
    assert rules.select(request, accepts, "pointAndAmount").unit_id == "E004"
    assert rules.select(request, accepts, "amount").unit_id == "E002"


def test_a_pair_unit_limits_who_may_accept():
    scenario = rules.DEFAULT_SCENARIO
    request = rules.Offer("E003", "charge", 1000, 10, "E002")
    assert rules.accept_of(scenario, "E001", request, "12:00:00", 4500) is None
    assert rules.accept_of(scenario, "E002", request, "12:00:00", 4500).amount_wh == 900
