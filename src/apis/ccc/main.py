"""``apis ccc --config config.json``: the Python apis-ccc. Unit data and deals from the cluster (apis-web /
the emulator) go through the durable spool to the Service Center; scenarios and policies come back per unit;
deal logs go to S3 or a directory once a day; the watchdog is kicked."""

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from apis.ccc import deallog, reports
from apis.ccc.acquisition import acquire_all, write_atomically
from apis.ccc.config import Config, ConfigError, load_config
from apis.ccc.sender import Sender
from apis.ccc.spool import Spool, SpoolFull
from apis.ccc.udplog import UdpLogHandler, parse_address

LOGGER = "jp.co.sony.csl.dcoes.apis.tools.ccc"
CURSOR_FILE = "completed-deals.cursor"


class Ccc:
    """The services as threads sharing one stop event; ``start()`` then ``close()``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.zone = ZoneInfo(config.time_zone)
        self.stop = threading.Event()
        self.spool = Spool(config.spool_dir, config.spool_max_files)
        self.source = httpx.Client(base_url=config.source_url, timeout=10)
        self.server = httpx.Client(timeout=10)
        urls = {}
        if config.unit_data:
            urls["unitData"] = config.unit_data.url
        if config.deals:
            urls["deal"] = config.deals.url
        timeout = max([e.timeout for e in (config.unit_data, config.deals) if e] or [5.0])
        self.sender = Sender(self.spool, urls, config.ingest_token, timeout, config.backoff_max, self.stop)
        self.threads: list[threading.Thread] = [self.sender]
        self.reported_units = 0

    def start(self) -> None:
        c = self.config
        every = [
            (c.unit_data, "UnitDataReporting", self.report_unit_data),
            (c.deals, "DealReporting", self.report_deals),
            (
                c.scenario and c.scenario.endpoint,
                "ScenarioAcquisition",
                lambda: acquire_all(self.server, c.scenario, c.units, c.community_id, c.cluster_id),
            ),
            (
                c.policy and c.policy.endpoint,
                "PolicyAcquisition",
                lambda: acquire_all(self.server, c.policy, c.units, c.community_id, c.cluster_id),
            ),
            (c.watchdog, "Watchdog", self.kick_watchdog),
        ]
        for endpoint, name, work in every:
            if endpoint is not None:
                self.threads.append(
                    threading.Thread(
                        target=self._every, args=(endpoint.period, name, work), name=name, daemon=True
                    )
                )
        if c.deallog is not None:
            self.threads.append(threading.Thread(target=self._daily, name="DeallogAcquisition", daemon=True))
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        self.stop.set()
        self.spool.wake()
        for thread in self.threads:
            if thread.ident is not None:  # started
                thread.join(timeout=15)
        self.source.close()
        self.server.close()

    def _every(self, period: float, name: str, work: Callable[[], None]) -> None:
        """Run ``work`` now and then ``period`` after each completion (the Java ccc's re-armed timer)."""
        logger = logging.getLogger(f"{LOGGER}.{name}")
        while not self.stop.is_set():
            try:
                work()
            except Exception:
                logger.exception("%s failed", name)
            self.stop.wait(period)

    def _spool(self, kind: str, body: bytes) -> bool:
        """Store a report; ``False`` when the spool is full (the spool logs that at SEVERE)."""
        try:
            self.spool.put(kind, body)
        except SpoolFull:
            return False
        return True

    # ---- services ----------------------------------------------------------------------------------

    def report_unit_data(self) -> None:
        logger = logging.getLogger(f"{LOGGER}.UnitDataReporting")
        logger.info("reporting unit data ...")
        try:
            collected = self.source.get("/get/log").json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.error("Communication failed with apis-web ; %s", exc or type(exc).__name__)
            return
        if not isinstance(collected, dict) or not collected:
            logger.warning("unit data is empty")
            return
        body, count = reports.unit_data_report(collected, int(time.time() * 1000), self.zone)
        logger.info("size of filtered unit data : %d", count)
        if self._spool("unitData", body):
            self.reported_units += count

    def report_deals(self) -> None:
        """The live saveworthy deals, plus the deals completed since the last round (their final state)."""
        logger = logging.getLogger(f"{LOGGER}.DealReporting")
        logger.info("reporting deals ...")
        cursor_path = self.config.spool_dir / CURSOR_FILE
        cursor = int(cursor_path.read_text()) if cursor_path.exists() else 0
        try:
            live = self.source.get("/get/deals").json()
            completed = self.source.get("/get/completedDeals", params={"since": cursor}).json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.error("Communication failed with apis-web ; %s", exc or type(exc).__name__)
            return
        if completed["next"] < cursor:  # the cluster restarted: its counter began again
            completed = self.source.get("/get/completedDeals", params={"since": 0}).json()
        body, count = reports.deal_report(
            completed["deals"] + live,
            self.config.community_id,
            self.config.cluster_id,
            int(time.time()),
            self.zone,
        )
        logger.info("size of filtered result : %d", count)
        if count:
            self._spool("deal", body)
        write_atomically(cursor_path, str(completed["next"]).encode())

    def kick_watchdog(self) -> None:
        endpoint = self.config.watchdog
        try:
            answer = self.server.get(endpoint.url, timeout=endpoint.timeout)
        except httpx.HTTPError as exc:
            logging.getLogger(f"{LOGGER}.Watchdog").error("%s", exc or type(exc).__name__)
            return
        if answer.status_code != 200:
            logging.getLogger(f"{LOGGER}.Watchdog").error("http get failed : %d", answer.status_code)

    def _daily(self) -> None:
        """Deal-log acquisition at start, then every day at ``executionTime`` (local time)."""
        config, logger = self.config.deallog, logging.getLogger(f"{LOGGER}.DeallogAcquisition")
        while not self.stop.is_set():
            now = datetime.now(self.zone)
            try:
                deallog.run_once(config, self.config.deal_log_source, now.replace(tzinfo=None))
            except Exception:
                logger.exception("deallog acquisition failed")
            wake = deallog.next_run(datetime.now(self.zone), config.execution)
            self.stop.wait((wake - datetime.now(self.zone)).total_seconds())


def _logging(config: Config) -> None:
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s]  %(message)s"))
    logger.addHandler(console)
    if config.log_udp:
        logger.addHandler(UdpLogHandler(*parse_address(config.log_udp), program=config.program_id))


def main(argv: list[str] | None = None) -> None:
    """``apis ccc --config config.json``: runs until SIGTERM/Ctrl-C; exit status 2 on a bad config."""
    parser = argparse.ArgumentParser(prog="apis ccc", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the ccc's config.json")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"apis ccc: bad config: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    _logging(config)
    ccc = Ccc(config)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    ccc.start()
    logging.getLogger(LOGGER).info("started; %d reports waiting in the spool", len(ccc.spool))
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        ccc.close()
        print(json.dumps({"spooled": len(ccc.spool)}), file=sys.stderr)
