"""apis-ccc throughput for a 100-unit emulated cluster: ``apis emulator`` (a subprocess serving apis-web's
``/get/log``), the ccc (in this process: its unit-data spool on disk, its sender thread) and ``apis serve`` (a
subprocess, 2 workers) on the same machine and database. The emulator's world clock moves on every 10 ms (its
loop), so that every cycle brings new unit data (the ccc does not report a unit whose ``time`` did not move).

* Sustained: the ccc collects and reports as fast as it can (``periodMsec`` 1); rates over a window after a
  warm-up: cycles collected and spooled, unit records stored by the server, and the backlog left.
* Drain: the server is stopped while the ccc spools a fixed number of cycles; then the server is started
  again and the time until the spool is empty gives the drain rate (records/s)."""

import os
import subprocess
import sys
import tempfile
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


def _emulator(work: Path):
    """``apis emulator`` with one world second per 10 ms loop and no deals (the benchmark is about unit
    data); its ``/get/log`` URL and a function that stops it."""
    any_port = "127.0.0.1:0"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("apis")),
            "emulator",
            *("--units", str(UNITS), "--community", COMMUNITY, "--cluster", CLUSTER),
            *("--loop-msec", "10", "--speed", "100", "--mode", "stop"),
            *("--bind", any_port, "--budo-bind", any_port, "--control-bind", any_port),
        ],
        stdout=subprocess.PIPE,
        stderr=(work / "emulator.log").open("ab"),
        text=True,
    )
    url = process.stdout.readline().split()[-1]

    def stop() -> None:
        process.terminate()
        process.wait(30)

    return url, stop


def _ccc(url: str, port: int, token: str, spool: Path, period_msec: int):
    from apis.ccc.config import parse_config
    from apis.ccc.main import Ccc

    endpoint = {
        "type": "http_post",
        "host": "127.0.0.1",
        "port": port,
        "uri": "/api/ccc/unitData",
        "periodMsec": period_msec,
    }
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
        reporter, spool = ccc.unit_data, ccc.spools["unitData"]
        collected, stored, began = reporter.reported_units, _stored(), time.perf_counter()
        time.sleep(window)
        seconds = time.perf_counter() - began
        collected, stored = reporter.reported_units - collected, _stored() - stored
        backlog = len(spool)
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
        _wait(lambda: ccc.unit_data.reported_units >= cycles * UNITS, 600)
    finally:
        ccc.close()
    records, before = len(list((spool / "unitData").glob("*.json"))) * UNITS, _stored()
    with server:
        ccc = _ccc(url, port, token, spool, 3_600_000)  # one more cycle at start, then only the spool
        try:
            seconds = _wait(lambda: len(ccc.spools["unitData"]) == 0, 600)
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

    logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc").setLevel(logging.CRITICAL)  # outage lines

    _clear()
    token = _token()
    env = {**os.environ, "APIS_DATABASE_URL": database_url, "APIS_SECRET_KEY": os.environ["APIS_SECRET_KEY"]}
    window, cycles = (QUICK_WINDOW, QUICK_OUTAGE_CYCLES) if quick else (WINDOW, OUTAGE_CYCLES)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        url, stop_emulator = _emulator(work)
        try:
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
