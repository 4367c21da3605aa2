"""``apis demo``: the whole system live on one machine (emulator → ccc → server, log collector, jobs, the six
monitoring jobs passing), and Ctrl-C stops every process cleanly. Run in a subprocess exactly as a user runs
it."""

import json
import signal
import socket
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.helpers import APIS, apis_env, free_port, wait_for
from tests.payloads import JOB_TYPES

DEADLINE_SEC = 120
MONITORING_INTERVAL_SEC = 30  # the demo's first pass comes one interval after it is ready (60 s by default)


def _wait_for(condition, what: str) -> None:
    """``wait_for`` with the demo's deadline, polling its database files every half second."""
    wait_for(condition, DEADLINE_SEC, what, interval=0.5)


def _count(database: Path, sql: str, *params: object) -> int:
    """The count, or 0 while the demo has not yet created the database and its tables."""
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database, timeout=30) as connection:
            return connection.execute(sql, params).fetchone()[0]
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return 0
        raise


def test_demo_runs_a_live_cluster_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    demo = subprocess.Popen(
        [APIS, "demo", "--days", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=apis_env(APIS_MONITORING_INTERVAL_SEC=str(MONITORING_INTERVAL_SEC)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As a shell starts a background job (`apis demo &`): SIGINT ignored. Ctrl-C still stops it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    directory = tmp_path / "var" / "demo"
    database = directory / "apis.sqlite3"
    started_ms = int(time.time() * 1000)
    try:
        # While preparing it reports progress; once ready, it says first where to go and who to log in as.
        preparing = [demo.stdout.readline(), demo.stdout.readline()]
        assert [line.split()[0] for line in preparing] == ["generating", "stored"]
        assert demo.stdout.readline() == f"APIS Service Center demo: open http://127.0.0.1:{port}/\n"
        assert demo.stdout.readline().split()[:2] == ["logins:", "admin/admin"]
        ready = datetime.now(UTC)
        # Reports of the emulated cluster reach the database through the ccc, with the current datasetId.
        _wait_for(
            lambda: (
                _count(
                    database,
                    "SELECT COUNT(DISTINCT reported_unit_id) FROM unit_data_unitdata WHERE dataset_id >= ?",
                    started_ms,
                )
                == 4
            ),
            "live unit data of E001…E004",
        )
        # The ccc's and apis-main's log lines reach the log collector.
        programs = "SELECT COUNT(DISTINCT program_id) FROM apis_log_apislog WHERE program_id IN (?, ?)"
        _wait_for(
            lambda: _count(database, programs, "apis-ccc", "apis-main") == 2,
            "log lines of the ccc and the emulator",
        )
        # The web server shows the live data to staff.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            http.get("/api/core/csrftoken")
            login = http.post(
                "/api/core/login",
                data={"username": "admin", "password": "admin"},
                headers={"X-CSRFToken": http.cookies["csrftoken"]},
            )
            assert login.status_code == 200, login.text
            cluster = {"communityId": "oss_community", "clusterId": "oss_cluster"}
            latest = http.get("/api/staff/unitData/latestSet", params=cluster)
            jobs = http.get("/api/staff/monitoring/job/list", params=cluster).json()
            # Each monitoring job makes its first pass (which moves its next run on) and finds nothing wrong.
            due_after_a_pass = ready + timedelta(seconds=MONITORING_INTERVAL_SEC)
            passed = "SELECT COUNT(*) FROM monitoring_jobschedule WHERE name IN ({}) AND next_run > ?".format(
                ", ".join("?" * len(JOB_TYPES))
            )
            _wait_for(
                lambda: _count(database, passed, *JOB_TYPES, f"{due_after_a_pass:%Y-%m-%d %H:%M:%S.%f}") == 6,
                "a first pass of the six monitoring jobs",
            )
            open_failures = http.get("/api/staff/monitoring/failure/openList", params=cluster).json()
        assert latest.status_code == 200
        assert jobs == [{"type": job_type, "isActive": True} for job_type in JOB_TYPES]
        assert open_failures == []
        assert {row["datasetId"] >= started_ms for row in latest.json().values()} == {True}
        config = json.loads((directory / "ccc.json").read_text())
        assert config["unitDataReporting"]["port"] == port
    except AssertionError:
        for log in sorted((directory / "logs").glob("*.log")):  # shown by pytest with the failure
            print(
                f"===== {log.name} (last 40 lines)",
                *log.read_text(errors="replace").splitlines()[-40:],
                sep="\n",
            )
        raise
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            output, _ = demo.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            demo.terminate()  # so that a failing run leaves no process behind
            demo.communicate(timeout=60)
            raise
    assert demo.returncode == 0, output
    assert "stopped" in output.splitlines()[-1]
    # Nothing is left listening on the web server's port.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    collector_log = (directory / "logs" / "log-collector.log").read_text()
    assert "logcollector stopped" in collector_log
