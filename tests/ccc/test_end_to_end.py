"""Emulator → ccc → Service Center on loopback, every part real (subprocesses, sockets, a database file); the
ccc reads the emulator exactly as it reads a real cluster (apis-web's two ports, the units' deal-log files).

The outage here lasts 8 s (the issue asks for 30 s; the spool does not care how long, and 8 s at a 200 ms
period already spools 40 cycles) to keep the suite short."""

import contextlib
import json
import socket
import time

import pytest

from apis.apis_log.parse import parse_line
from tests.ccc.harness import (
    Ccc,
    Emulator,
    ccc_config,
    spooled_datasets,
    waiting,
)
from tests.helpers import free_port, wait_for

OUTAGE_SECONDS = 8
UNITS = 4


@pytest.fixture
def emulator(tmp_path):
    cluster = Emulator(tmp_path, "--loop-msec", "100", "--speed", "300")
    yield cluster
    cluster.stop()


def complete(datasets: dict[int, int]) -> bool:
    return bool(datasets) and all(count == UNITS for count in datasets.values())


def udp_lines(receiver: socket.socket) -> list:
    lines = []
    with contextlib.suppress(BlockingIOError):
        while True:
            lines.append(parse_line(receiver.recv(65535).decode()))
    return lines


def test_every_dataset_reported_during_a_server_outage_is_stored_exactly_once(tmp_path, server, emulator):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    config = ccc_config(tmp_path, server, emulator)
    config["logUdp"] = f"127.0.0.1:{receiver.getsockname()[1]}"
    ccc = Ccc(tmp_path, config)
    try:
        wait_for(lambda: len(server.datasets()) >= 3, 30, "unit data arrives")
        server.stop()
        began = time.monotonic()
        during: set[int] = set()
        while time.monotonic() - began < OUTAGE_SECONDS:
            during |= spooled_datasets(tmp_path / "spool")
            time.sleep(0.2)
        assert len(during) >= OUTAGE_SECONDS * 2, "the ccc kept collecting while the server was away"
        server.start()
        wait_for(lambda: during <= set(server.datasets()), 60, "every spooled dataset arrives")
        wait_for(lambda: not waiting(tmp_path / "spool"), 30, "the spool drains")
    finally:
        ccc.stop()
    stored = server.datasets()
    assert complete(stored), {k: v for k, v in stored.items() if v != UNITS}
    rows = server.database.query("SELECT COUNT(*) FROM unit_data_unitdata")[0][0]
    assert rows == UNITS * len(stored)
    lines = udp_lines(receiver)
    receiver.close()
    alive = [line for line in lines if line.message == "reporting unit data ..."]
    assert alive and {(line.program, line.unit, line.level) for line in alive} == {("apis-ccc", None, "INFO")}
    assert any(line.level == "SEVERE" and "ServiceCenter" in line.message for line in lines), "outage logged"


def test_a_restarted_ccc_sends_what_its_predecessor_left_in_the_spool(tmp_path, server, emulator):
    config = ccc_config(tmp_path, server, emulator)
    server.stop()
    first = Ccc(tmp_path, config)
    wait_for(lambda: len(spooled_datasets(tmp_path / "spool")) >= 5, 30, "reports are spooled")
    first.stop()
    left = spooled_datasets(tmp_path / "spool")  # made by the first ccc: only the spool can deliver them
    # A report of the old single-spool layout, with an item the server quarantines, and a spool file cut
    # short (not JSON), which the server refuses (400): both must let the reports around them through.
    (tmp_path / "spool" / "000000900000.unitData.json").write_text('[{"no": "oesunit"}]')
    (tmp_path / "spool" / "unitData" / "000000900001.unitData.json").write_text('[{"oesunit": {"id"')
    server.start()
    second = Ccc(tmp_path, config)
    try:
        wait_for(lambda: left <= set(server.datasets()), 60, "the old spool is delivered")
        wait_for(
            lambda: (tmp_path / "spool" / "unitData" / "rejected" / "000000900001.unitData.json").exists(),
            30,
            "the report cut short is set aside",
        )
        wait_for(lambda: not waiting(tmp_path / "spool"), 30, "the spool drains")
    finally:
        second.stop()
    assert complete(server.datasets())
    log = second.log.read_text()
    assert "(unit None datasetId None in 000000900000.unitData.json) quarantined by the Service Center" in log
    assert "000000900001.unitData.json not sent: rejected by the Service Center (HTTP 400)" in log


def test_deals_arrive_with_their_life_cycle_and_completion(tmp_path, server, emulator):
    ccc = Ccc(tmp_path, ccc_config(tmp_path, server, emulator))
    try:
        finished = wait_for(
            lambda: server.database.query(
                "SELECT deal_id FROM deal_deal WHERE deactivate_datetime IS NOT NULL"
            ),
            60,
            "a completed deal is stored",
        )
    finally:
        ccc.stop()
    deal_file = next(path for path in emulator.deal_log.rglob("*") if path.name == finished[0][0])
    deal = json.loads(deal_file.read_text())
    assert deal["cumulateAmountWh"] > deal["dealAmountWh"] and deal["deactivateDateTime"] != "--"
    stored = server.database.query(f"SELECT data FROM deal_deal WHERE deal_id = '{deal['dealId']}'")[0][0]
    stored = stored if isinstance(stored, dict) else json.loads(stored)  # jsonb on PostgreSQL, text on SQLite
    assert stored["communityId"] == "oss_community" and stored["reportTime"] > 0
    assert stored["cumulateAmountWh"] == deal["cumulateAmountWh"]
    uploads = list((tmp_path / "deallog" / "deal").glob("deal_*.json"))
    assert len(uploads) == 1, "deal-log acquisition runs once at start"


def test_scenario_files_follow_the_residents_choice_and_policy_files_appear(tmp_path, server, emulator):
    ccc = Ccc(tmp_path, ccc_config(tmp_path, server, emulator))
    units = tmp_path / "units"
    resident = server.login("e001")
    unit = {"communityId": "oss_community", "clusterId": "oss_cluster", "unitId": "E001"}
    try:
        wait_for(lambda: (units / "E004" / "policy.json").exists(), 30, "policy files appear")
        assert not (units / "E001" / "scenario.json").exists(), "no scenario chosen yet"
        assert resident.post("/api/resident/scenario/choose", data={**unit, "scenarioId": "4"}).text == "ok"
        scenario = units / "E001" / "scenario.json"
        wait_for(lambda: scenario.exists() and "excess" in scenario.read_text(), 30, "NORMAL is written")
        assert resident.post("/api/resident/scenario/choose", data={**unit, "scenarioId": "3"}).text == "ok"
        wait_for(lambda: "excess" not in scenario.read_text(), 30, "NO_DEAL replaces it")
        assert json.loads(scenario.read_text())["00:00:00-24:00:00"]["batteryStatus"] == {"-": "any"}
        assert resident.post("/api/resident/scenario/choose", data=unit).text == "ok"
        wait_for(lambda: not scenario.exists(), 30, "no scenario: the override is removed")
    finally:
        ccc.stop()
    policy = json.loads((units / "E001" / "policy.json").read_text())
    assert policy["memberUnitIds"] == ["E001", "E002", "E003", "E004"]


def test_deals_keep_arriving_while_unit_data_cannot_be_delivered(tmp_path, server, emulator):
    config = ccc_config(tmp_path, server, emulator)
    config["unitDataReporting"]["port"] = free_port()  # nobody listens there: every unit-data report waits
    ccc = Ccc(tmp_path, config)
    try:
        wait_for(
            lambda: server.database.query(
                "SELECT deal_id FROM deal_deal WHERE deactivate_datetime IS NOT NULL"
            ),
            60,
            "a completed deal is stored",
        )
        waiting_units = len(list((tmp_path / "spool" / "unitData").glob("*.unitData.json")))
    finally:
        ccc.stop()
    assert waiting_units >= 1 and server.datasets() == {}, "unit data waits, deals do not wait for it"


def test_an_ingest_token_in_the_uri_works_and_is_never_logged(tmp_path, server, emulator):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    config = ccc_config(tmp_path, server, emulator)
    del config["ingestToken"]
    config["unitDataReporting"]["uri"] = f"/api/ccc/t/{server.token}/unitData"
    config["dealReporting"]["uri"] = f"/api/ccc/t/{server.token}/deal"
    config["logUdp"] = f"127.0.0.1:{receiver.getsockname()[1]}"
    server.stop()  # the failures are logged with the URL
    ccc = Ccc(tmp_path, config)
    try:
        wait_for(lambda: "Communication failed with ServiceCenter" in ccc.log.read_text(), 30, "a failure")
        server.start()
        wait_for(lambda: len(server.datasets()) >= 3, 60, "unit data arrives")
    finally:
        ccc.stop()
    lines = [line.message for line in udp_lines(receiver)]
    receiver.close()
    logged = ccc.log.read_text() + "\n".join(lines)
    assert server.token not in logged
    masked = f"/api/ccc/t/{server.token[:5]}…{server.token[-4:]}/unitData"
    assert masked in ccc.log.read_text() and any(masked in line for line in lines)
