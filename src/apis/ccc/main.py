"""``apis ccc --config config.json``: the Python apis-ccc. Unit data (apis-web ``/get/log``) and deals
(apis-main's deal-log files of every node; apis-web ``/deals`` without them) go through one durable spool per
kind, each with its own sender, to the Service Center; scenarios and policies come back per unit; deal logs
go to S3 or a directory once a day; the watchdog is kicked. It never needs more of the cluster than what a
real apis-web serves and the nodes' deal-log directories."""

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from django.core.exceptions import ImproperlyConfigured

from apis.ccc import deallog
from apis.ccc.acquisition import acquire_all
from apis.ccc.config import Acquisition, Config, ConfigError, Endpoint, load_config
from apis.ccc.dealreporting import STATE_FILE, DealLogScanner, LiveDealsFallback
from apis.ccc.fetch import describe
from apis.ccc.reports import deal_report
from apis.ccc.sender import Sender
from apis.ccc.spool import SpoolFull, open_spools
from apis.ccc.udplog import UdpLogHandler, parse_address
from apis.ccc.unitdata import UnitDataReporter
from apis.core.logsetup import RedactFilter, configure_logging
from apis.core.redact import redact
from apis.core.shutdown import stop_on_signals

LOGGER = "jp.co.sony.csl.dcoes.apis.tools.ccc"
log = logging.getLogger(LOGGER)

CLOSE_WAIT_SEC = 10.0


class Ccc:
    """The services as threads sharing one stop event; ``start()`` then ``close()``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.zone = ZoneInfo(config.time_zone)
        self.stop = threading.Event()
        settings = config.spool
        self.spools = open_spools(settings.directory, settings.max_files, settings.max_bytes)
        self.source = httpx.Client(timeout=config.source.timeout)
        self.server = httpx.Client(timeout=10)
        self.senders = {
            kind: Sender(
                self.spools[kind],
                endpoint,
                config.ingest_token,
                settings.backoff_max,
                settings.max_server_error_tries,
                self.stop,
            )
            for kind, endpoint in (("unitData", config.unit_data), ("deal", config.deals))
            if endpoint is not None
        }
        self.unit_data = UnitDataReporter(
            self.source,
            config.source.url,
            self.spools["unitData"],
            config.community_id,
            config.cluster_id,
            self.zone,
        )
        if config.source.deal_log_dirs:
            self.deal_source = DealLogScanner(config.source.deal_log_dirs, settings.directory / STATE_FILE)
        else:
            self.deal_source = LiveDealsFallback(self.source, config.source.budo_url)
        self.threads: list[threading.Thread] = list(self.senders.values())

    def start(self) -> None:
        c = self.config
        every: list[tuple[Endpoint | Acquisition | None, str, Callable[[], None]]] = [
            (c.unit_data, "UnitDataReporting", self.unit_data.cycle),
            (c.deals, "DealReporting", self.report_deals),
            (c.scenario, "ScenarioAcquisition", lambda: self._acquire(c.scenario)),
            (c.policy, "PolicyAcquisition", lambda: self._acquire(c.policy)),
            (c.watchdog, "Watchdog", self.kick_watchdog),
        ]
        for what, name, work in every:
            if what is not None:
                self.threads.append(
                    threading.Thread(
                        target=self._every, args=(what.period, name, work), name=name, daemon=True
                    )
                )
        if c.deallog is not None:
            self.threads.append(threading.Thread(target=self._daily, name="DeallogAcquisition", daemon=True))
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        """Stop every service: each finishes what it is doing within one shared ``CLOSE_WAIT_SEC``. A thread
        still blocked after it (a name lookup or a connection that the system cannot cancel) is left to end
        with the process; its report stays in the spool and is sent at the next start."""
        self.stop.set()
        for spool in self.spools.values():
            spool.wake()
        deadline = time.monotonic() + CLOSE_WAIT_SEC
        for thread in self.threads:
            if thread.ident is not None:  # started
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        busy = [thread.name for thread in self.threads if thread.is_alive()]
        if busy:
            log.warning("stopping without waiting longer for %s", ", ".join(busy))
        self.source.close()
        self.server.close()

    def status(self) -> dict:
        """What waits in each spool, and what was set aside (reports) or quarantined (items) so far."""
        return {
            "spooled": {kind: len(spool) for kind, spool in self.spools.items()},
            "rejected": {kind: spool.rejected for kind, spool in self.spools.items()},
            "refused": {kind: spool.refused for kind, spool in self.spools.items()},
            "quarantined": {kind: sender.quarantined for kind, sender in self.senders.items()},
        }

    def _every(self, period: float, name: str, work: Callable[[], None]) -> None:
        """Run ``work`` now and then ``period`` after each completion (the Java ccc's re-armed timer)."""
        logger = logging.getLogger(f"{LOGGER}.{name}")
        while not self.stop.is_set():
            try:
                work()
            except Exception:
                logger.exception("%s failed", name)
            self.stop.wait(period)

    # ---- services ----------------------------------------------------------------------------------

    def report_deals(self) -> None:
        """The deals due for a report (see ``dealreporting``), into the deal spool."""
        logger = logging.getLogger(f"{LOGGER}.DealReporting")
        logger.info("reporting deals ...")

        def spool(deals: list[dict]) -> bool:
            body = deal_report(
                deals, self.config.community_id, self.config.cluster_id, int(time.time()), self.zone
            )
            try:
                self.spools["deal"].put(body)
            except SpoolFull:
                return False
            return True

        logger.info("size of filtered result : %d", self.deal_source.cycle(spool))

    def _acquire(self, what: Acquisition) -> None:
        c = self.config
        acquire_all(self.server, what, c.units, c.community_id, c.cluster_id, datetime.now(self.zone).date())

    def kick_watchdog(self) -> None:
        endpoint = self.config.watchdog
        logger = logging.getLogger(f"{LOGGER}.Watchdog")
        try:
            answer = self.server.get(endpoint.url, timeout=endpoint.timeout)
        except httpx.HTTPError as exc:
            logger.error("%s : %s", endpoint.shown, describe(exc))
            return
        if answer.status_code != 200:
            logger.error("http get failed : %d : %s", answer.status_code, endpoint.shown)

    def _daily(self) -> None:
        """Deal-log acquisition at start, then every day at ``executionTime`` (local time)."""
        config, logger = self.config.deallog, logging.getLogger(f"{LOGGER}.DeallogAcquisition")
        while not self.stop.is_set():
            now = datetime.now(self.zone)
            try:
                deallog.run_once(config, self.config.source.deal_log_dirs, now.replace(tzinfo=None))
            except Exception:
                logger.exception("deallog acquisition failed")
            wake = deallog.next_run(datetime.now(self.zone), config.execution)
            self.stop.wait((wake - datetime.now(self.zone)).total_seconds())

    def announce(self) -> None:
        """Log once at start what is reported where, what the config asks that is not honoured, and what
        the spools hold."""
        c = self.config
        for keys, why in c.ignored:
            log.warning("config %s ignored : %s", keys, why)
        if c.unit_data:
            log.info("unit data : %s/get/log → %s", c.source.url, c.unit_data.shown)
        if c.deals:
            origin = (
                ", ".join(map(str, c.source.deal_log_dirs)) or f"{c.source.budo_url}/deals (reduced form)"
            )
            log.info("deals : %s → %s", origin, c.deals.shown)
            if not c.source.deal_log_dirs:
                log.warning(
                    "no source.dealLogDirectories : only live deals are reported, from apis-web's /deals "
                    "(no dealId of apis-main, no amounts, no final state)"
                )
        for kind, spool in self.spools.items():
            if len(spool) and kind not in self.senders:
                log.warning(
                    "%d %s reports wait in %s, but their reporting is off", len(spool), kind, spool.directory
                )
            log.info("%d %s reports waiting in %s", len(spool), kind, spool.directory)


def _logging(config: Config) -> None:
    """Logging as every program of the project has it (stderr, ``APIS_LOG_FILE``, ``APIS_LOG_FORMAT``,
    tokens masked), plus the ccc's own lines over UDP to ``logUdp`` (masked too)."""
    configure_logging("ccc")
    if config.log_udp:
        udp = UdpLogHandler(*parse_address(config.log_udp), program=config.program_id)
        udp.addFilter(RedactFilter())
        logging.getLogger(LOGGER).addHandler(udp)


def main(argv: list[str] | None = None) -> None:
    """``apis ccc --config config.json``: runs until SIGTERM or Ctrl-C; exit status 2 on a bad config."""
    parser = argparse.ArgumentParser(prog="apis ccc", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the ccc's config.json")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"apis ccc: bad config: {redact(str(exc))}", file=sys.stderr)
        raise SystemExit(2) from None
    stopped = threading.Event()
    stop_on_signals(stopped.set)  # before the first thread (the UDP log handler's, the services)
    try:
        _logging(config)
    except ImproperlyConfigured as exc:
        print(f"apis ccc: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    ccc = Ccc(config)
    ccc.announce()
    ccc.start()
    try:
        stopped.wait()
    finally:
        ccc.close()
        print(json.dumps(ccc.status()), file=sys.stderr)
