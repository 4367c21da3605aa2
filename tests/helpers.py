"""Helpers shared by the test modules: real ``apis`` subprocesses, loopback ports, polling, database work on
another thread, a real SMTP server, log lines and the log collector, monitoring records, and ESS site
databases. Test modules import from here (or from a data module such as ``tests/payloads.py``), never from
each other; fixtures live in the ``conftest.py`` files."""

import os
import re
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psycopg
from aiosmtpd.controller import Controller
from django.db import OperationalError, connection

from apis.apis_log.collector import Collector, CollectorConfig
from apis.apis_log.models import ApisLog
from apis.ess.sites import clear_schema_cache, discard, sites
from apis.monitoring.models import JobSetting
from tests.payloads import CLUSTER, COMMUNITY

# ---- processes, ports and polling -----------------------------------------------------------------------

APIS = str(Path(sys.executable).with_name("apis"))


def apis_env(**variables: str) -> dict[str, str]:
    """The environment of an ``apis`` subprocess: the caller's without any ``APIS_*`` or ``DJANGO_*``
    variable (the browser tests' ``DJANGO_ALLOW_ASYNC_UNSAFE`` included), plus ``variables``."""
    inherited = {
        name: value for name, value in os.environ.items() if not name.startswith(("APIS_", "DJANGO_"))
    }
    return inherited | variables


def sqlite_env(directory: Path, **variables: str) -> dict[str, str]:
    """``apis_env`` on the SQLite database ``directory/apis.sqlite3``, keeping files in ``directory/var``;
    ``variables`` may replace either."""
    defaults = {
        "APIS_DATABASE_URL": f"sqlite:///{directory / 'apis.sqlite3'}",
        "APIS_VAR_DIR": str(directory / "var"),
    }
    return apis_env(**(defaults | variables))


def command_env(database_url: str, var_dir: Path, **variables: str) -> dict[str, str]:
    """The environment of an ``apis`` subprocess on ``database_url`` keeping its files in ``var_dir``."""
    return apis_env(
        APIS_DATABASE_URL=database_url, APIS_SECRET_KEY="k", APIS_VAR_DIR=str(var_dir), **variables
    )


def runner_env(database_url: str, mail_port: int, var_dir: Path) -> dict[str, str]:
    """``command_env`` for ``apis jobs``, mailing failures to ops@example.org via 127.0.0.1:``mail_port``."""
    return command_env(
        database_url,
        var_dir,
        APIS_EMAIL_HOST="127.0.0.1",
        APIS_EMAIL_PORT=str(mail_port),
        APIS_NOTIFY_TO="ops@example.org",
    )


def free_port(udp: bool = False) -> int:
    """A TCP (or UDP) port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], Any], seconds: float = 15.0, what: str = "the condition", interval: float = 0.05
):
    """Poll ``condition`` until it returns something truthy and return that; fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = condition()
            if result:
                return result
        except OperationalError as error:
            # The SQLite test database is in memory with a shared cache: while another thread writes,
            # a read of the same table fails at once ("database table is locked"); try again.
            if "locked" not in str(error):
                raise
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(interval)


def in_thread(function: Callable[[], Any]) -> Any:
    """Run ``function`` on a new thread, and so on a fresh database connection, as a second runner would;
    return its result."""
    result: list[Any] = []

    def target() -> None:
        try:
            result.append(function())
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    assert result, "the database work on the other thread failed"
    return result[0]


def side_by_side(function: Callable[[], Any], runners: int = 2) -> list[Any]:
    """Start ``function`` on ``runners`` threads at the same moment (each on its own database connection, as
    concurrent ``apis jobs`` runners would); the results in the order they finished. Fails on any error."""
    barrier = threading.Barrier(runners)
    results: list[Any] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            barrier.wait()
            results.append(function())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


# The rollups' energies as the tests compute them from raw rows: energy → (metric, which values count:
# +1 the positive ones, -1 the negative ones as a positive number, 0 all).
ROLLUP_ENERGIES = {
    "pv_wh": ("pv_w", 0),
    "ac_in_wh": ("ac_in_w", 0),
    "ac_out_wh": ("ac_out_w", 0),
    "battery_charge_wh": ("battery_w", 1),
    "battery_discharge_wh": ("battery_w", -1),
    "dc_grid_in_wh": ("dc_grid_w", 1),
    "dc_grid_out_wh": ("dc_grid_w", -1),
}


class MailServer:
    """An aiosmtpd server on 127.0.0.1 keeping what it receives: (from, recipients, message)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[str, list[str], Message]] = []
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope) -> str:
        """Keep the message (aiosmtpd's hook)."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> "MailServer":
        """Listen; return the server."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def subjects(self) -> list[str]:
        """The subjects of the messages received, in order."""
        return [str(message["Subject"]) for _, _, message in self.received]


# ---- log lines and the log collector --------------------------------------------------------------------

MAIN_LINE = (
    "[[[apis-main:E001]]] [vert.x-eventloop-thread-0] 2020-11-24T12:16:09.437+09:00 INFO "
    "[jp.co.sony.csl.dcoes.apis.main.controller.DataAcquisition]  uri : /get/unit/E001"
)


def recent(line: str, offset: timedelta = timedelta(0)) -> tuple[str, datetime]:
    """``line`` dated now (plus ``offset``) in the +09:00 zone, to the millisecond, and that time."""
    moment = datetime.now(UTC) + offset
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    text = moment.astimezone(timezone(timedelta(hours=9))).isoformat(timespec="milliseconds")
    return re.sub(r"\d{4}-\d\d-\d\dT\S+", text, line, count=1), moment


class Running:
    """A collector running in a background thread, as ``apis logcollector`` runs it."""

    def __init__(self, **options) -> None:
        defaults = {"host": "127.0.0.1", "port": 0, "group": None, "community_id": "c1", "cluster_id": "k1"}
        self.collector = Collector(CollectorConfig(**(defaults | options)))
        # A daemon, so that a test failing before stop() cannot keep pytest from exiting.
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.stats = self.collector.run()
        finally:
            connection.close()

    def send(
        self, *lines: str, sender: socket.socket | None = None, to: tuple[str, int] | None = None
    ) -> None:
        """Send each line as one datagram (from ``sender``, to the collector unless ``to`` is given)."""
        sock = sender or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for line in lines:
            sock.sendto(line.encode(), to or self.collector.address)

    def stop(self):
        """Stop the collector; return its final counts."""
        self.collector.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.stats


_BOMB_SIZE = 65_000  # 64 KB: about the largest UDP payload over IPv4 (65,507 bytes)


def _bomb(piece: str, prefix: str = "") -> str:
    return prefix + piece * ((_BOMB_SIZE - len(prefix)) // len(piece))


# 64 KB lines that make a backtracking parser of the log formats take exponential or quadratic time.
ADVERSARIAL = {
    **{
        f"{prefix or 'no prefix'} then ']]] [] a b [' repeated": _bomb("]]] [] a b [", prefix)
        for prefix in ("", "[", "[[", "[[[", "[[[a", "[[[a:")
    },
    "'[[[' repeated": _bomb("[[["),
    "'[' then spaces": "[" + " " * (_BOMB_SIZE - 1),
    "'[[[a:' then ']] [' repeated": _bomb("]] [", "[[[a:"),
    "'[' then '] ' repeated": _bomb("] ", "["),
    "'[' then '] a b [' repeated": _bomb("] a b [", "["),
    "'[' then a thread end and a tail without logger end, repeated": _bomb(
        "] 2020-01-01T00:00:00Z INFO [", "["
    ),
    "a tail then ']  ' repeated": _bomb("]  ", "[t] x y ["),
}

# ---- monitoring records ---------------------------------------------------------------------------------

UNITS = ("E001", "E002", "E003", "E004")
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
BLOCKED_LOGGER = "io.vertx.core.impl.BlockedThreadChecker"


def log(
    program: str | None,
    unit: str | None,
    message: str,
    level: str = "INFO",
    logger: str = "jp.co.sony.csl.dcoes.apis.Some",
    ago: float = 10,
    cluster: str = CLUSTER,
    now: datetime = NOW,
) -> None:
    """Store one log record ``ago`` seconds before ``now``, as the collector would."""
    ApisLog.objects.create(
        community_id=COMMUNITY,
        cluster_id=cluster,
        program_id=program,
        unit_id=unit,
        thread="vert.x-eventloop-thread-0",
        datetime=now - timedelta(seconds=ago),
        loglevel=level,
        loggername=logger,
        message=message,
        address="127.0.0.1:40000",
    )


def activate(*types: str, cluster: str = CLUSTER) -> None:
    """Switch the monitoring jobs of ``types`` on for ``cluster``."""
    for job_type in types:
        JobSetting.objects.create(community_id=COMMUNITY, cluster_id=cluster, type=job_type)


def blocked(ms: int | str) -> str:
    """Vert.x's message for an event loop blocked ``ms`` milliseconds."""
    return (
        f"Thread Thread[vert.x-eventloop-thread-0,5,main] has been blocked for {ms} ms, time limit is 2000 ms"
    )


# ---- ESS site databases ---------------------------------------------------------------------------------


def _ess_postgres_server() -> str:
    """``APIS_ESS_TEST_PG``, else the server of the suite's PostgreSQL database, as ``postgresql://…/``."""
    override = os.environ.get("APIS_ESS_TEST_PG")
    if override:
        return override
    return urlsplit(os.environ.get("APIS_DATABASE_URL", ""))._replace(path="/").geturl()


# The ESS site databases follow the suite's database: SQLite files in the SQLite run (no PostgreSQL needed),
# new databases on the suite's PostgreSQL server in the PostgreSQL run; the two runs cover both engines.
ESS_ENGINES = ["postgresql"] if os.environ.get("APIS_DATABASE_URL", "").startswith("postgres") else ["sqlite"]
PG_SERVER = _ess_postgres_server()
SEOUL = ZoneInfo("Asia/Seoul")
START = datetime(2022, 9, 1, tzinfo=SEOUL)
BIG_ROWS = 300_000  # one `etc` row a second from START: 3 days and 11 hours


def pg_database(name: str, create: bool) -> None:
    """Drop the PostgreSQL database ``name`` on ``PG_SERVER`` if it exists, then create it if ``create``."""
    with psycopg.connect(PG_SERVER + "postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            admin.execute(f"CREATE DATABASE {name}")


@contextmanager
def site_databases(
    vendor: str, directory: Path, label: str, ids: tuple[int, ...]
) -> Iterator[dict[int, str]]:
    """Empty site databases of ``vendor`` (SQLite files in ``directory`` or new PostgreSQL databases named
    ``apis_ess_<label><id>_<random>``), dropped on exit; yields site id → database URL."""
    urls, names = {}, []
    try:
        for site_id in ids:
            if vendor == "sqlite":
                urls[site_id] = str(directory / f"{label}{site_id}.sqlite3")
            else:
                name = f"apis_ess_{label}{site_id}_{uuid.uuid4().hex[:8]}"
                pg_database(name, create=True)
                names.append(name)
                urls[site_id] = PG_SERVER + name
        yield urls
    finally:
        for name in names:
            pg_database(name, create=False)


@contextmanager
def configured(settings, urls: dict[int, str]) -> Iterator[dict[int, str]]:
    """``APIS_ESS_SITES`` pointing at ``urls`` (schema cache emptied before and after)."""
    settings.ESS_SITES = {str(k): {"name": f"site {k}", "url": url} for k, url in urls.items()}
    clear_schema_cache()
    yield urls
    for site in sites().values():
        discard(site)
    clear_schema_cache()


def append_rows(url: str, table: str, rows: list[dict]) -> None:
    """Insert rows into a site database behind the service's back (as the site's own collector would)."""
    for row in rows:
        names = ", ".join(f'"{key}"' for key in row)
        if url.startswith("postgresql://"):
            with psycopg.connect(url) as site:
                marks = ", ".join(["%s"] * len(row))
                site.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values()))
        else:
            with sqlite3.connect(url) as site:
                marks = ", ".join(["?"] * len(row))
                values = [
                    v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v for v in row.values()
                ]
                site.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)
