"""The ccc as it runs beside a real APIS cluster: ``apis ccc`` and ``apis serve`` are the real processes; the
cluster is the double of ``apis_web_double`` (apis-web's two ports with only apis-web's paths, and deal-log
files written the way apis-main writes them into one directory per node), because apis-main and apis-web
cannot run here."""

import json

import pytest

from tests.ccc.apis_web_double import ApisWebDouble, activated, cumulating, finished, unit, write_deal_log
from tests.ccc.harness import Ccc, ServiceCenter
from tests.helpers import wait_for

APIS_WEB_PATHS = {"/get/log", "/deals", "/unitIds", "/getStatus"}


@pytest.fixture
def cluster():
    double = ApisWebDouble()
    double.units = {name: unit(name, "2020/01/01-10:00:00") for name in ("E001", "E002")}
    yield double
    double.close()


def config(tmp_path, server: ServiceCenter, cluster: ApisWebDouble, nodes: list | None) -> dict:
    endpoint = {"type": "http_post", "host": "127.0.0.1", "port": server.port, "periodMsec": 200}
    source = {"url": cluster.url, "budoUrl": cluster.budo_url}
    if nodes is not None:
        source["dealLogDirectories"] = [str(node) for node in nodes]
    return {
        "programId": "apis-ccc",
        "communityId": "oss_community",
        "clusterId": "oss_cluster",
        "security": {"enabled": True, "pemKeyFile": "./key.pem", "pemCertFile": "./cert.pem"},
        "ingestToken": server.token,
        "source": source,
        "spool": {"directory": str(tmp_path / "spool"), "backoffMaxMsec": 500},
        "unitDataReporting": {**endpoint, "uri": "/api/ccc/unitData"},
        "dealReporting": {**endpoint, "uri": "/api/ccc/deal"},
    }


def stored_deal(server: ServiceCenter, deal_id: str) -> dict | None:
    rows = server.database.query(f"SELECT data, report_time FROM deal_deal WHERE deal_id = '{deal_id}'")
    if not rows:
        return None
    data, report_time = rows[0]
    data = data if isinstance(data, dict) else json.loads(data)  # jsonb on PostgreSQL, text on SQLite
    return {**data, "report_time": report_time}


def rounds(ccc: Ccc) -> int:
    return ccc.log.read_text().count("reporting deals ...")


def test_unit_data_and_deals_of_the_nodes_deal_logs_reach_the_service_center(tmp_path, server, cluster):
    nodes = [tmp_path / "E001" / "dealLog", tmp_path / "E002" / "dealLog"]
    for node in nodes:
        write_deal_log(node, activated("deal-1"))
    ccc = Ccc(tmp_path, config(tmp_path, server, cluster, nodes))
    try:
        wait_for(lambda: stored_deal(server, "deal-1"), 30, "the live deal arrives")
        wait_for(lambda: len(server.datasets()) == 1, 30, "the unit data arrives")
        # Rewritten while live, on one node first: the newer state is reported.
        write_deal_log(nodes[1], cumulating("deal-1", "2020/01/01-10:04:00", 20.0))
        wait_for(
            lambda: stored_deal(server, "deal-1").get("cumulateAmountWh") == 20.0, 30, "the new state arrives"
        )
        for node in nodes:
            write_deal_log(node, finished("deal-1", "2020/01/01-10:09:00", 51.0))
        wait_for(
            lambda: stored_deal(server, "deal-1").get("deactivateDateTime"), 30, "the final state arrives"
        )
        # E001's periodic rewrite lands after the disposal with the state it read before: not reported.
        write_deal_log(nodes[0], cumulating("deal-1", "2020/01/01-10:08:55", 50.0))
        final = stored_deal(server, "deal-1")
        # apis-web keeps answering the same unit data (its cached copy): not reported as new cycles.
        cluster.units = {name: unit(name, "2020/01/01-10:00:05") for name in ("E001", "E002")}
        wait_for(lambda: len(server.datasets()) == 2, 30, "the next unit data arrives")
        mark = rounds(ccc)
        wait_for(lambda: rounds(ccc) >= mark + 5, 30, "five more rounds of the ccc")
    finally:
        ccc.stop()
    assert stored_deal(server, "deal-1") == final, "neither the stale copy nor the unchanged one was reported"
    assert final["cumulateAmountWh"] == 51.0 and final["deactivateDateTime"] == "2020-01-01T01:09:00Z"
    assert len(server.datasets()) == 2 and set(server.datasets().values()) == {2}
    assert set(cluster.paths) == {"/get/log"}, "nothing but apis-web's unit data: deals come from the files"
    log = ccc.log.read_text()
    assert "config security ignored : this ccc is not a member of the Hazelcast/Vert.x cluster" in log
    assert "unchanged since its last report" in log


def test_without_deal_logs_the_live_deals_come_from_apis_webs_deals(tmp_path, server, cluster):
    cluster.deals = [activated("deal-2")]
    ccc = Ccc(tmp_path, config(tmp_path, server, cluster, None))
    try:
        stored = wait_for(
            lambda: server.database.query("SELECT data FROM deal_deal"), 30, "the live deal arrives"
        )
    finally:
        ccc.stop()
    data = stored[0][0] if isinstance(stored[0][0], dict) else json.loads(stored[0][0])
    assert (data["chargeUnitId"], data["dischargeUnitId"], data["type"]) == ("E001", "E002", "charge")
    assert data["createDateTime"] == "2020-01-01T01:00:00Z"
    assert set(cluster.paths) <= APIS_WEB_PATHS and "/deals" in cluster.paths
