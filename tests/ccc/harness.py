"""Real parts on loopback for the ccc tests: the Service Center (``apis serve`` on a file SQLite database,
or a PostgreSQL database of its own when the tests run on PostgreSQL), the emulator and the ccc as
subprocesses."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.helpers import APIS, free_port, wait_for


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Database:
    """A fresh database for the server: SQLite in ``directory``, or ``<name>_ccc_e2e`` on PostgreSQL."""

    def __init__(self, directory: Path) -> None:
        base = os.environ.get("APIS_DATABASE_URL", "")
        if base.startswith("postgres"):
            import psycopg

            parts = urlsplit(base)
            name = parts.path.lstrip("/") + "_ccc_e2e"
            admin = parts._replace(path="/postgres").geturl()
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{name}"')
            self.url = parts._replace(path=f"/{name}").geturl()
        else:
            self.url = f"sqlite:///{directory / 'apis.sqlite3'}"

    def query(self, sql: str) -> list[tuple]:
        if self.url.startswith("sqlite"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as connection:
                return connection.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql).fetchall()


class ServiceCenter:
    """``apis serve`` that can be stopped and started again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.database = Database(directory)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "APIS_DATABASE_URL": self.database.url,
            "APIS_SECRET_KEY": "test",
            "APIS_VAR_DIR": str(directory),
            "APIS_DEBUG": "0",
        }
        self.process: subprocess.Popen | None = None
        self._manage("migrate", "--verbosity", "0")
        self._manage("loaddata", "apis-demo", "--verbosity", "0")
        self.token = self._manage("ingest_token", "create", "oss_community", "oss_cluster").split()[-1]

    def _manage(self, *args: str) -> str:
        done = subprocess.run(
            [APIS, "manage", *args], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def start(self) -> None:
        log = (self.directory / "server.log").open("ab")
        self.process = subprocess.Popen(
            [APIS, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"],
            env=self.env,
            stdout=log,
            stderr=log,
        )

        def answers() -> bool:
            try:
                return httpx.get(self.url + "/api/core/csrftoken", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, 60, "apis serve answers")

    def stop(self) -> None:
        stop_process(self.process)

    def datasets(self) -> dict[int, int]:
        """datasetId → number of unit rows stored."""
        rows = self.database.query("SELECT dataset_id, COUNT(*) FROM unit_data_unitdata GROUP BY dataset_id")
        return dict(rows)

    def login(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        token = client.get("/api/core/csrftoken").json()["csrfmiddlewaretoken"]
        answer = client.post(
            "/api/core/login", data={"username": username, "password": username, "csrfmiddlewaretoken": token}
        )
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
        return client


class Emulator:
    """``apis emulator`` on free ports: ``url`` (apis-web's ``/get/log`` port), ``budo_url`` (its ``/deals``
    port), ``control_url`` (fault injection) once they listen; ``nodes`` are the units' deal-log
    directories."""

    UNITS = 4

    def __init__(self, directory: Path, *args: str) -> None:
        self.deal_log = directory / "dealLog"
        binds = ("--bind", "127.0.0.1:0", "--budo-bind", "127.0.0.1:0", "--control-bind", "127.0.0.1:0")
        self.process = subprocess.Popen(
            [APIS, "emulator", *binds, "--deal-log-dir", str(self.deal_log), *args],
            stdout=subprocess.PIPE,
            stderr=(directory / "emulator.log").open("ab"),
            text=True,
        )
        urls = {}
        for _ in range(3):
            line = self.process.stdout.readline()
            assert " on http://" in line, line
            name, _, url = line.split()
            urls[name] = url
        self.url, self.budo_url = urls["apis-web-emulator"], urls["apis-web-budo"]
        self.control_url = urls["control"]
        self.nodes = [self.deal_log / f"E{n:03d}" for n in range(1, self.UNITS + 1)]

    def get(self, path: str, **params: str) -> object:
        return httpx.get(self.url + path, params=params, timeout=10).json()

    def fault(self, **params: str) -> object:
        return httpx.get(self.control_url + "/fault", params=params, timeout=10).json()

    def stop(self) -> None:
        stop_process(self.process)


def ccc_config(directory: Path, server: ServiceCenter, emulator: Emulator, period_msec: int = 200) -> dict:
    """A config.json for the ccc against ``server`` and ``emulator`` (its apis-web ports and the units'
    deal-log directories, as on a real cluster)."""
    endpoint = {"host": "127.0.0.1", "port": server.port, "ssl": False, "requestTimeoutMsec": 5000}
    return {
        "programId": "apis-ccc",
        "communityId": "oss_community",
        "clusterId": "oss_cluster",
        "ingestToken": server.token,
        "source": {
            "url": emulator.url,
            "budoUrl": emulator.budo_url,
            "dealLogDirectories": [str(node) for node in emulator.nodes],
            "units": [
                {"unitId": f"E00{n}", "account": f"e00{n}", "password": f"e00{n}"} for n in range(1, 5)
            ],
        },
        "spool": {"directory": str(directory / "spool"), "maxFiles": 100_000, "backoffMaxMsec": 1000},
        "unitDataReporting": {
            **endpoint,
            "type": "http_post",
            "periodMsec": period_msec,
            "uri": "/api/ccc/unitData",
        },
        "dealReporting": {**endpoint, "type": "http_post", "periodMsec": period_msec, "uri": "/api/ccc/deal"},
        "scenarioAcquisition": {
            **endpoint,
            "useS3": False,
            "periodMsec": 300,
            "uri": "/api/misc/scenario/currentData",
            "file": str(directory / "units" / "{unitId}" / "scenario.json"),
        },
        "policyAcquisition": {
            **endpoint,
            "periodMsec": 300,
            "uri": "/api/misc/policy/currentData",
            "file": str(directory / "units" / "{unitId}" / "policy.json"),
        },
        "deallogAcquisition": {
            "executionTime": "010000",
            "acquisitionTime": "010000",
            "target": "directory",
            "directory": str(directory / "deallog"),
        },
    }


class Ccc:
    """``apis ccc --config`` as a subprocess (logs in ``ccc.log``)."""

    def __init__(self, directory: Path, config: dict) -> None:
        path = directory / "config.json"
        path.write_text(json.dumps(config))
        self.log = directory / "ccc.log"
        self.process = subprocess.Popen(
            [APIS, "ccc", "--config", str(path)], stdout=subprocess.DEVNULL, stderr=self.log.open("ab")
        )

    def stop(self) -> None:
        stop_process(self.process)


def waiting(spool: Path) -> list[Path]:
    """The reports waiting in the spools under ``spool`` (not those set aside in ``rejected/``)."""
    return [path for kind in ("unitData", "deal") for path in (spool / kind).glob(f"*.{kind}.json")]


def spooled_datasets(spool: Path) -> set[int]:
    """The datasetIds of the unit-data reports waiting in ``spool``."""
    found = set()
    for path in (spool / "unitData").glob("*.unitData.json"):
        with contextlib.suppress(OSError, ValueError):  # deleted or being replaced while we read
            found.update(item["datasetId"] for item in json.loads(path.read_text()))
    return found
