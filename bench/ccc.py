"""apis-ccc throughput for a 100-unit emulated cluster: the emulator (in this process, real HTTP), the ccc
(in this process: its spool on disk, its sender thread) and ``apis serve`` (a subprocess, 2 workers) on the
same machine and database.

* Sustained: the ccc collects and reports as fast as it can (``periodMsec`` 1); rates over a window after a
  warm-up: cycles collected and spooled, unit records stored by the server, and the backlog left.
* Drain: the server is stopped while the ccc spools a fixed number of cycles; then the server is started
  again and the time until the spool is empty gives the drain rate (records/s)."""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from django_env import setup_django, standalone
from server import Server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

COMMUNITY, CLUSTER, UNITS = "bench-ccc", "c100", 100
WARMUP, WINDOW, OUTAGE_CYCLES = 3.0, 20.0, 300
QUICK_WINDOW, QUICK_OUTAGE_CYCLES = 5.0, 50


def _token() -> str:
    from apis.community.models import Cluster, Community
    from apis.ingest.models import IngestToken

    community, _ = Community.objects.get_or_create(code=COMMUNITY, defaults={"name": COMMUNITY})
    cluster, _ = Cluster.objects.get_or_create(community=community, code=CLUSTER, defaults={"name": CLUSTER})
    return IngestToken.issue(cluster, "bench/ccc.py")[1]


def _stored() -> int:
    from apis.unit_data.models import UnitData

    return UnitData.objects.filter(community_id=COMMUNITY).count()


def _clear() -> None:
    from apis.unit_data.models import ReportedUnit, UnitData

    for model in (UnitData, ReportedUnit):
        model.objects.filter(community_id=COMMUNITY).delete()


def _emulator():
    from apis.emulator.cluster import Cluster, ClusterConfig
    from apis.emulator.main import run
    from apis.emulator.server import make_server

    cluster = Cluster(ClusterConfig(units=UNITS, community_id=COMMUNITY, cluster_id=CLUSTER, loop_msec=1000))
    http = make_server(cluster)
    stop = threading.Event()
    threading.Thread(target=http.serve_forever, daemon=True).start()
    threading.Thread(target=run, args=(cluster, stop), daemon=True).start()
    return f"http://127.0.0.1:{http.server_address[1]}", lambda: (stop.set(), http.shutdown())


def _ccc(url: str, port: int, token: str, spool: Path, period_msec: int):
    from apis.ccc.config import parse_config
    from apis.ccc.main import Ccc

    endpoint = {"host": "127.0.0.1", "port": port, "uri": "/api/ccc/unitData", "periodMsec": period_msec}
    config = parse_config(
        {
            "programId": "apis-ccc",
            "communityId": COMMUNITY,
            "clusterId": CLUSTER,
            "ingestToken": token,
            "source": {"url": url},
            "spool": {"directory": str(spool), "backoffMaxMsec": 200},
            "unitDataReporting": endpoint,
            "dealReporting": {"enabled": False},
            "scenarioAcquisition": {"enabled": False},
            "policyAcquisition": {"enabled": False},
            "deallogAcquisition": {"enabled": False},
        }
    )
    ccc = Ccc(config)
    ccc.start()
    return ccc


def _wait(condition, seconds: float) -> float:
    began = time.perf_counter()
    while not condition():
        if time.perf_counter() - began > seconds:
            raise RuntimeError("benchmark condition not reached in time")
        time.sleep(0.05)
    return time.perf_counter() - began


def _sustained(url: str, server: Server, token: str, work: Path, window: float) -> dict:
    port = int(server.url.rsplit(":", 1)[1])
    ccc = _ccc(url, port, token, work / "sustained", 1)
    try:
        time.sleep(WARMUP)
        collected, stored, began = ccc.reported_units, _stored(), time.perf_counter()
        time.sleep(window)
        seconds = time.perf_counter() - began
        collected, stored = ccc.reported_units - collected, _stored() - stored
        backlog = len(ccc.spool)
    finally:
        ccc.close()
    return {
        "collected": collected / seconds,
        "stored": stored / seconds,
        "backlog": backlog,
        "seconds": seconds,
    }


def _drain(url: str, env: dict, token: str, work: Path, cycles: int) -> dict:
    spool = work / "drain"
    server = Server(env, 2, work / "server.log")
    port = int(server.url.rsplit(":", 1)[1])
    ccc = _ccc(url, port, token, spool, 1)  # the server is not running yet: everything is spooled
    try:
        _wait(lambda: ccc.reported_units >= cycles * UNITS, 600)
    finally:
        ccc.close()
    records, before = len(list(spool.glob("*.json"))) * UNITS, _stored()
    with server:
        ccc = _ccc(url, port, token, spool, 3_600_000)  # one more cycle at start, then only the spool
        try:
            seconds = _wait(lambda: len(ccc.spool) == 0, 600)
        finally:
            ccc.close()
    if (stored := _stored() - before) < records:
        raise RuntimeError(f"only {stored} of {records} spooled records stored")
    return {"records": records, "seconds": seconds, "rate": records / seconds}


def run_benchmark(database_url: str, quick: bool = False) -> str:
    """Measure and return a markdown section."""
    setup_django(database_url)
    import logging

    from django.db import connection

    logging.getLogger("jp.co.sony.csl.dcoes.apis").setLevel(logging.WARNING)  # the emulator's INFO lines

    _clear()
    token = _token()
    env = {**os.environ, "APIS_DATABASE_URL": database_url, "APIS_SECRET_KEY": os.environ["APIS_SECRET_KEY"]}
    window, cycles = (QUICK_WINDOW, QUICK_OUTAGE_CYCLES) if quick else (WINDOW, OUTAGE_CYCLES)
    url, stop_emulator = _emulator()
    try:
        with tempfile.TemporaryDirectory() as directory:
            work = Path(directory)
            with Server(env, 2, work / "server.log") as server:
                sustained = _sustained(url, server, token, work, window)
            drain = _drain(url, env, token, work, cycles)
    finally:
        stop_emulator()
        _clear()
    return "\n".join(
        [
            "| database | measure | records/s | notes |",
            "|---|---|---:|---|",
            f"| {connection.vendor} | sustained: collected and spooled by the ccc | "
            f"{sustained['collected']:,.0f} | {UNITS} units, periodMsec 1, "
            f"{sustained['seconds']:.0f} s window |",
            f"| {connection.vendor} | sustained: stored by the server | {sustained['stored']:,.0f} | "
            f"backlog left in the spool: {sustained['backlog']} reports |",
            f"| {connection.vendor} | spool drain after an outage | {drain['rate']:,.0f} | "
            f"{drain['records']:,} records in {drain['seconds']:.1f} s |",
            "",
            "The emulator, the ccc and `apis serve --workers 2` share the machine; the sender merges up to "
            "50 spooled reports per POST.",
        ]
    )


if __name__ == "__main__":
    standalone(run_benchmark, __doc__)
