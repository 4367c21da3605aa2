"""The emulated cluster through its real HTTP interfaces and UDP log lines: apis-web's two ports with exactly
apis-web's paths and answers, unit data in apis-main's shape, deals by the scenario rules through their life
cycle and in each unit's deal-log files as apis-main writes them, operation modes, and fault injection on the
emulator's own control port."""

import json
import logging
import socket
from pathlib import Path

import httpx
import pytest

from apis.apis_log.parse import parse_line
from apis.ccc.udplog import UdpLogHandler
from apis.emulator import scenario as rules
from apis.emulator.cluster import Cluster, ClusterConfig, effective_mode
from apis.emulator.physics import BATTERY_CAPACITY_WH, DCDC_MODES
from apis.emulator.server import budo_emulator_routes, control_routes, emulator_emulator_routes, serve


@pytest.fixture
def cluster(tmp_path):
    return Cluster(
        ClusterConfig(
            speed=60,
            deal_log_dir=tmp_path / "dealLog",
            deal_logging_msec=2000,
            scenario_file=str(tmp_path / "{unitId}" / "scenario.json"),
        )
    )


def _client(routes):
    server = serve(routes)
    client = httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}", timeout=10)
    return server, client


@pytest.fixture
def web(cluster):
    """apis-web's two ports (``web.log``: Emulator Emulator, ``web.budo``: Budo Emulator) and the control."""
    servers = []

    class Ports:
        pass

    ports = Ports()
    for name, routes in (
        ("log", emulator_emulator_routes),
        ("budo", budo_emulator_routes),
        ("control", control_routes),
    ):
        server, client = _client(routes(cluster))
        servers.append((server, client))
        setattr(ports, name, client)
    yield ports
    for server, client in servers:
        client.close()
        server.shutdown()
        server.server_close()


def run(cluster: Cluster, seconds: float) -> None:
    for _ in range(int(seconds)):
        cluster.tick(1.0)


def test_get_log_has_every_unit_in_apis_mains_shape(web):
    answer = web.log.get("/get/log")
    assert answer.headers["Content-Type"] == "application/json" and answer.text.endswith("}\n")
    data = answer.json()
    assert list(data) == ["E001", "E002", "E003", "E004"]
    unit = data["E002"]
    assert set(unit) == {"emu", "dcdc", "battery", "time", "oesunit", "apis"}
    assert unit["oesunit"]["communityId"] == "oss_community" and unit["time"] == "2020/01/01-00:00:00"
    assert unit["apis"]["remaining_capacity_wh"] == int(BATTERY_CAPACITY_WH * 0.92)
    assert unit["dcdc"]["status"]["status"] in DCDC_MODES and "is_grid_master" in data["E001"]["apis"]
    assert web.budo.get("/unitIds").json() == ["E001", "E002", "E003", "E004"]


@pytest.mark.parametrize(
    ("port", "path"),
    [
        ("log", "/get/deals"),
        ("log", "/get/completedDeals?since=0"),
        ("log", "/deals"),
        ("log", "/fault?kind=stopGridMaster"),
        ("budo", "/get/log"),
        ("budo", "/fault?kind=stopGridMaster"),
    ],
)
def test_apis_web_ports_answer_only_apis_webs_paths(web, port, path):
    answer = getattr(web, port).get(path)
    assert (answer.status_code, answer.json()) == (404, {"error": f"not found : {path}"})


def test_deals_run_their_life_cycle_in_both_units_deal_logs(cluster, web, tmp_path):
    run(cluster, 3)
    [deal] = web.budo.get("/deals").json()
    assert set(deal) == {
        "chargingUnit",
        "dischargingUnit",
        "isMasterDeal",
        "request",
        "requester",
        "responder",
        "startTime",
    }
    assert (deal["requester"], deal["request"]) == ("E002", "DISCHARGE")
    assert (deal["chargingUnit"], deal["dischargingUnit"]) == ("E003", "E002"), "the short unit accepts"
    [live] = cluster.deals.values()
    day = tmp_path / "dealLog" / "{}" / "2020" / "01" / "01"
    run(cluster, 4)  # every unit's deal-logging timer has fired at least once
    files = {unit: Path(str(day).format(unit)) / live["dealId"] for unit in ("E002", "E003")}
    assert all(path.exists() for path in files.values())
    assert not (Path(str(day).format("E001")) / live["dealId"]).exists(), "only the deal's units write it"
    written = json.loads(files["E002"].read_text())
    assert written["dealId"] == live["dealId"] and "deactivateDateTime" not in written
    assert b": " not in files["E002"].read_bytes(), "compact JSON, as Vert.x encodes it"
    run(cluster, 60)
    assert live["dealId"] not in cluster.deals
    done = json.loads(files["E003"].read_text())
    assert done == json.loads(files["E002"].read_text()), "the final state in both units' files"
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


def test_a_deal_aborted_before_activation_leaves_no_deal_log(cluster, tmp_path):
    run(cluster, 1)
    [live] = cluster.deals.values()
    assert "activateDateTime" not in live
    cluster.fault("stopUnit", cluster.unit(live["chargeUnitId"]), True)
    run(cluster, 5)
    assert live["dealId"] not in cluster.deals
    assert not [path for path in (tmp_path / "dealLog").rglob(live["dealId"])]


def test_a_scenario_file_overrides_the_rules_and_no_deal_follows(cluster, tmp_path):
    for unit in ("E002", "E003"):
        path = tmp_path / unit / "scenario.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"00:00:00-24:00:00": {"batteryStatus": {"-": "any"}, "request": {}}}))
    run(cluster, 10)
    assert cluster.deals == {} and not (tmp_path / "dealLog").exists()


def test_modes_follow_apis_mains_effective_rule_and_stop_prevents_deals(cluster, web):
    assert effective_mode("autonomous", "heteronomous") == "heteronomous"
    assert effective_mode("stop", "heteronomous") == "stop"
    assert web.budo.get("/stop").json() == {"active": False}
    answer = web.budo.get("/setOperationMode", params={"unitId": "E001", "value": "heteronomous"}).json()
    assert answer == {"succeeded": True}
    assert web.budo.get("/setOperationMode", params={"value": "sideways"}).json()["succeeded"] is False
    unknown = web.budo.get("/setOperationMode", params={"unitId": "E999", "value": "stop"}).json()
    assert unknown == {
        "succeeded": False,
        "error": "(NO_HANDLERS,-1) No handlers for address apis.E999.operationMode",
    }
    run(cluster, 5)
    assert cluster.deals == {}
    unit = web.log.get("/get/log").json()["E001"]
    assert unit["apis"]["operation_mode"] == {"global": "stop", "local": "heteronomous", "effective": "stop"}
    assert unit["oesunit"]["budo"] == "0"
    assert web.budo.get("/active").json() == {"active": True}


def test_without_a_grid_master_get_log_answers_apis_webs_last_good_copy(cluster, web):
    before = web.log.get("/get/log").json()
    assert web.control.get("/fault", params={"kind": "stopGridMaster"}).json() == {"succeeded": True}
    run(cluster, 3)
    assert web.log.get("/get/log").json() == before, "the copy apis-web cached, times and all"
    assert web.budo.get("/getStatus").json() == {
        "active": False,
        "error": "(NO_HANDLERS,-1) No handlers for address apis.GridMaster.error.test",
    }
    assert web.budo.get("/unitIds").json() == []
    web.control.get("/fault", params={"kind": "stopGridMaster", "on": "0"})
    assert web.log.get("/get/log").json()["E001"]["time"] > before["E001"]["time"]


def test_faults_and_shutdown_stop_units(cluster, web):
    assert web.control.get("/fault", params={"kind": "stopUnit", "unitId": "E003"}).json() == {
        "succeeded": True
    }
    assert "E003" not in web.log.get("/get/log").json()
    assert web.budo.get("/shutdown", params={"unitId": "E004"}).json() == {"succeeded": True}
    assert list(web.log.get("/get/log").json()) == ["E001", "E002"]
    bad = web.control.get("/fault", params={"kind": "stopUnit", "unitId": "E999"})
    assert (bad.status_code, bad.json()) == (400, {"error": "unknown unitId : E999"})
    assert web.budo.get("/shutdown").json() == {"succeeded": True}
    assert web.budo.get("/deals").json() == [] and web.budo.get("/unitIds").json() == []
    assert web.control.get("/nowhere").status_code == 404


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
