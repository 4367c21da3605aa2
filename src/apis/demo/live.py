"""The living demo cluster: ``apis demo`` runs the whole system as separate processes on one machine.

emulator (E001…E004, real-time clock) → ``apis ccc`` → ``apis serve`` ← browser; the emulator and the ccc send
their log lines over UDP to ``apis logcollector``; ``apis jobs`` runs monitoring and downtime extraction.
The processes are supervised together: when one stops, or on Ctrl-C / SIGTERM, all are stopped (SIGTERM, then
a kill after ``STOP_GRACE_SEC``), in the reverse order of their start.
"""

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

STOP_GRACE_SEC = 10
REPORT_PERIOD_MSEC = 5000  # the VISUAL page polls every 5 s; the Java ccc's usual period is 30 s
APIS = [str(Path(sys.executable).with_name("apis"))]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port of 127.0.0.1 that is free now (TCP by default)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class LiveDemo:
    """Where the demo's processes listen and keep their files. The emulator serves apis-web's two ports
    (``emulator_port``: ``/get/log``; ``budo_port``: ``/deals`` …) and its own fault-injection port."""

    directory: Path
    bind: str
    community: str
    cluster: str
    token: str
    log_port: int
    emulator_port: int
    budo_port: int = field(default_factory=free_port)
    control_port: int = field(default_factory=free_port)

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def budo_url(self) -> str:
        return f"http://127.0.0.1:{self.budo_port}"

    @property
    def deal_log(self) -> Path:
        """The emulated nodes' deal-log directories are ``deal_log/<unitId>``."""
        return self.directory / "dealLog"

    def unit_file(self, name: str) -> str:
        """The per-unit file the ccc writes and the emulator re-reads (``{unitId}`` in the path)."""
        return str(self.directory / "units" / "{unitId}" / name)


def ccc_config(demo: LiveDemo, units: list[str]) -> dict:
    """The ccc's config.json for the demo cluster (keys of the ccc specification plus this ccc's own:
    ``source`` with apis-web's two URLs and every node's deal-log directory, the spool, the token)."""
    host, _, port = demo.bind.rpartition(":")
    server = {"host": host, "port": int(port), "ssl": False, "requestTimeoutMsec": 5000}
    return {
        "programId": "apis-ccc",
        "communityId": demo.community,
        "clusterId": demo.cluster,
        "timeZone": settings.APIS_TIME_ZONE,
        "ingestToken": demo.token,
        "logUdp": f"127.0.0.1:{demo.log_port}",
        "source": {
            "url": demo.emulator_url,
            "budoUrl": demo.budo_url,
            "dealLogDirectories": [str(demo.deal_log / unit) for unit in units],
            "units": [{"unitId": unit, "account": unit.lower(), "password": unit.lower()} for unit in units],
        },
        "spool": {
            "directory": str(demo.directory / "ccc-spool"),
            "maxFiles": 100_000,
            "backoffMaxMsec": 30_000,
            "maxServerErrorTries": 5,
        },
        "unitDataReporting": {
            "enabled": True,
            "type": "http_post",
            "periodMsec": REPORT_PERIOD_MSEC,
            "uri": f"{settings.URL_PREFIX}/api/ccc/unitData",
            **server,
        },
        "dealReporting": {
            "enabled": True,
            "type": "http_post",
            "periodMsec": REPORT_PERIOD_MSEC,
            "uri": f"{settings.URL_PREFIX}/api/ccc/deal",
            **server,
        },
        "scenarioAcquisition": {
            "enabled": True,
            "periodMsec": 10_000,
            "useS3": False,
            "uri": f"{settings.URL_PREFIX}/api/misc/scenario/currentData",
            "file": demo.unit_file("scenario.json"),
            **server,
        },
        "policyAcquisition": {
            "enabled": True,
            "periodMsec": 60_000,
            "uri": f"{settings.URL_PREFIX}/api/misc/policy/currentData",
            "file": demo.unit_file("policy.json"),
            **server,
        },
        "deallogAcquisition": {
            "enabled": True,
            "target": "directory",
            "executionTime": "010000",
            "acquisitionTime": "010000",
            "directory": str(demo.directory / "deallog-archive"),
        },
        "watchdog": {"enabled": False},
    }


def commands(demo: LiveDemo, units: list[str], config_path: Path) -> list[tuple[str, list[str]]]:
    """(name, command line) of every process, in start order."""
    now = datetime.now(ZoneInfo(settings.APIS_TIME_ZONE)).replace(tzinfo=None, microsecond=0).isoformat()
    cluster = ["--community", demo.community, "--cluster", demo.cluster]
    return [
        ("web server", [*APIS, "serve", "--bind", demo.bind, "--workers", "2"]),
        (
            "log collector",
            [*APIS, "logcollector", "--unicast", "--bind", f"127.0.0.1:{demo.log_port}", *cluster],
        ),
        ("jobs", [*APIS, "jobs"]),
        (
            "emulator",
            [
                *APIS,
                "emulator",
                *cluster,
                "--units",
                str(len(units)),
                "--speed",
                "1",
                "--loop-msec",
                "1000",
                "--start",
                now,
                "--bind",
                f"127.0.0.1:{demo.emulator_port}",
                "--budo-bind",
                f"127.0.0.1:{demo.budo_port}",
                "--control-bind",
                f"127.0.0.1:{demo.control_port}",
                "--log-udp",
                f"127.0.0.1:{demo.log_port}",
                "--deal-log-dir",
                str(demo.deal_log),
                "--scenario-file",
                demo.unit_file("scenario.json"),
                "--policy-file",
                demo.unit_file("policy.json"),
            ],
        ),
        ("ccc", [*APIS, "ccc", "--config", str(config_path)]),
    ]


def _say(message: str) -> None:
    """Tell the user; a terminal or pipe that has gone away must not keep the demo's processes running."""
    with contextlib.suppress(OSError, ValueError):
        print(message, flush=True)


def _stop(processes: list[tuple[str, subprocess.Popen]]) -> None:
    """One after the other, the last started first, so that nobody talks to a process already gone."""
    for name, process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_SEC)
        except subprocess.TimeoutExpired:
            _say(f"{name} did not stop within {STOP_GRACE_SEC} s: killed")
            process.kill()
            process.wait()


def run_live(demo: LiveDemo, units: list[str]) -> int:
    """Start every process and supervise them until one stops or the user interrupts; returns an exit code."""
    config_path = demo.directory / "ccc.json"
    config_path.write_text(json.dumps(ccc_config(demo, units), indent=2))
    log_directory = demo.directory / "logs"
    log_directory.mkdir(exist_ok=True)
    processes: list[tuple[str, subprocess.Popen]] = []
    interrupted = False

    def on_signal(*_: object) -> None:
        nonlocal interrupted
        interrupted = True

    # Ctrl-C (SIGINT) and SIGTERM alike; set explicitly, since a shell starts background jobs with SIGINT
    # ignored and Python then keeps it ignored.
    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        for name, command in commands(demo, units, config_path):
            log = (log_directory / f"{name.replace(' ', '-')}.log").open("ab")
            # Own process group: Ctrl-C reaches only this supervisor, which stops them in order.
            processes.append((name, subprocess.Popen(command, stdout=log, stderr=log, process_group=0)))
            log.close()
        print(f"running: {', '.join(name for name, _ in processes)}; logs in {log_directory}", flush=True)
        print("Ctrl-C stops everything", flush=True)
        while not interrupted:
            ended = [(name, p.returncode) for name, p in processes if p.poll() is not None]
            if ended:
                name, code = ended[0]
                _say(f"{name} stopped with exit code {code} (see {log_directory}); stopping")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        _say("stopping …")
        _stop(processes)
        for number, handler in previous.items():
            signal.signal(number, handler)
        _say("stopped")
