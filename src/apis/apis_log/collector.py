"""The apis-log equivalent: receive log datagrams over UDP and store them in batches.

One thread receives datagrams into a bounded in-memory buffer; the calling thread parses and stores
them at least twice a second. Each datagram becomes a row the database accepts (``rows``: lengths, NUL,
time window). Should the database still refuse a batch because of its data (``DATA_ERRORS``), the batch is
split in halves until the refused rows stand alone; they are dropped, counted and logged, the others stored.
When the database is unavailable (any other database error) the lines stay pending and are retried with
backoff; lines that arrive while the buffer is full are dropped, counted and reported, never silently lost.
"""

import logging
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DataError, Error, IntegrityError, connections, transaction

from apis.apis_log.models import ApisLog
from apis.apis_log.parse import LEVELS, LogLine, level_value, parse_line
from apis.apis_log.rows import COLUMNS, clamp_time, decode_payload, fit_columns
from apis.core.sql import append_rows

log = logging.getLogger(__name__)

MAX_DATAGRAM = 65535
FLUSH_INTERVAL_SEC = 0.5
BATCH_ROWS = 5000
MAX_BACKOFF_SEC = 30.0
FINAL_FLUSH_TRIES = 3
REPORT_PERIOD_SEC = 10.0
# Errors caused by the rows themselves (refused by the database or by the adaptation of a value); any
# other database error (OperationalError, InterfaceError, ProgrammingError…) is an outage.
DATA_ERRORS = (DataError, IntegrityError, ValueError, OverflowError)


@dataclass
class CollectorConfig:
    """What ``apis logcollector`` is told on its command line."""

    host: str = "0.0.0.0"
    port: int = 8888
    group: str | None = "224.2.2.4"
    interface: str = "0.0.0.0"  # an IPv4 address or an interface name
    community_id: str = ""
    cluster_id: str = ""
    level: str = "INFO"
    buffer_lines: int = 200_000


@dataclass
class CollectorStats:
    """What happened to the datagrams received so far."""

    received: int = 0
    stored: int = 0
    filtered: int = 0  # below the level, unknown level, MongoDB driver lines
    dropped: int = 0  # buffer full, or still buffered when stopped during an outage
    rejected: int = 0  # refused by the database although validated
    truncated: int = 0  # stored with a text cut to its column's length
    redated: int = 0  # stored at the edge of the clock-skew window


class RateLimitedLog:
    """Logs one kind of event at most once per ``period`` seconds; the next message after a quiet spell
    says how many were left out."""

    def __init__(self, level: int, period: float = REPORT_PERIOD_SEC):
        self.level, self.period = level, period
        self._logged_at: float | None = None
        self._skipped = 0

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if self._logged_at is not None and now - self._logged_at < self.period:
            self._skipped += 1
            return
        if self._skipped:
            message += f" (and {self._skipped} more like it since the last report)"
        log.log(self.level, message, *args)
        self._logged_at, self._skipped = now, 0


def open_socket(config: CollectorConfig) -> socket.socket:
    """A UDP socket bound to ``host:port`` that has joined the multicast group (unless unicast)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    sock.bind((config.host, config.port))
    if config.group:
        sock.setsockopt(
            socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, _membership(config.group, config.interface)
        )
    sock.settimeout(0.2)
    return sock


def _membership(group: str, interface: str) -> bytes:
    """``ip_mreq`` for an interface given by address, ``ip_mreqn`` (Linux) for one given by name."""
    try:
        return struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(interface))
    except OSError:
        index = socket.if_nametoindex(interface)
        return struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"), index)


class Collector:
    """Receives, parses, filters and stores log datagrams until ``stop()`` is called."""

    def __init__(self, config: CollectorConfig, sock: socket.socket | None = None):
        self.config = config
        self.min_level = level_value(config.level)
        self.clock_skew = timedelta(seconds=settings.LOG_CLOCK_SKEW_SEC)
        self.sock = sock or open_socket(config)
        self.stats = CollectorStats()
        self._buffer: deque[tuple[bytes, str, datetime]] = deque()
        # Rows of the batch being stored, in parts (a refused part is split); kept across an outage.
        self._pending: deque[list[tuple]] = deque()
        self._pending_rows = 0  # rows in ``_pending``, counted against ``buffer_lines``
        self._stopping = threading.Event()
        self._receiver = threading.Thread(target=self._receive, name="logcollector-receive", daemon=True)
        self._dropped_reported = 0
        self._drop_report_at = 0.0
        self._log_unknown_level = RateLimitedLog(logging.ERROR)
        self._log_redated = RateLimitedLog(logging.WARNING)
        self._log_truncated = RateLimitedLog(logging.WARNING)
        self._log_rejected = RateLimitedLog(logging.ERROR)

    @property
    def address(self) -> tuple[str, int]:
        """The ``(host, port)`` the socket is bound to."""
        return self.sock.getsockname()

    def stop(self) -> None:
        """Ask ``run()`` to store what is buffered and return."""
        self._stopping.set()

    def run(self) -> CollectorStats:
        """Receive and store until stopped; what is buffered then is stored before returning."""
        self._receiver.start()
        backoff = 1.0
        while not self._stopping.is_set():
            if len(self._buffer) < BATCH_ROWS:
                self._stopping.wait(FLUSH_INTERVAL_SEC)
            if self._try_flush():
                backoff = 1.0
            else:
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SEC)
        self._receiver.join()
        for _ in range(FINAL_FLUSH_TRIES):
            if self._try_flush():
                break
            time.sleep(1.0)
        lost = len(self._buffer) + self._pending_rows
        if lost:
            self.stats.dropped += lost
            log.error("stopped while the database was unavailable: %d lines lost", lost)
        self._report_drops(force=True)
        self.sock.close()
        return self.stats

    def _try_flush(self) -> bool:
        """Flush; on an outage keep the lines, drop the broken connection and return False."""
        try:
            self.flush()
        except Error as exc:
            log.error(
                "storing log lines failed (%s); %d lines buffered, retrying",
                exc,
                len(self._buffer) + self._pending_rows,
            )
            connections.close_all()
            return False
        self._report_drops()
        return True

    def _report_drops(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.stats.dropped != self._dropped_reported and (force or now - self._drop_report_at >= 10):
            log.warning("log buffer full: %d lines dropped so far", self.stats.dropped)
            self._dropped_reported, self._drop_report_at = self.stats.dropped, now

    def _receive(self) -> None:
        while not self._stopping.is_set():
            try:
                self._accept(*self.sock.recvfrom(MAX_DATAGRAM))
            except TimeoutError:
                continue
            except OSError:
                return
        # Stopping: keep what the kernel has already received for us.
        self.sock.setblocking(False)
        while True:
            try:
                self._accept(*self.sock.recvfrom(MAX_DATAGRAM))
            except OSError:
                return

    def _accept(self, payload: bytes, sender: tuple[str, int]) -> None:
        self.stats.received += 1
        if len(self._buffer) + self._pending_rows >= self.config.buffer_lines:
            self.stats.dropped += 1
            return
        self._buffer.append((payload, f"{sender[0]}:{sender[1]}", datetime.now(UTC)))

    def flush(self) -> int:
        """Store everything buffered, in batches; returns the rows stored. On an outage the database error
        is raised and the rows not stored yet stay pending for the next call."""
        stored = 0
        while self._pending or self._buffer:
            if not self._pending:
                self._take_batch()
            stored += self._store_pending()
        return stored

    def _take_batch(self) -> None:
        count = min(BATCH_ROWS, len(self._buffer))
        self._pending_rows = count  # counted before they leave the buffer: the bound never opens up
        batch = [self._buffer.popleft() for _ in range(count)]
        rows = [row for row in (self.record(*item) for item in batch) if row is not None]
        self.stats.filtered += count - len(rows)
        if rows:
            self._pending.append(rows)
        self._pending_rows = len(rows)

    def _store_pending(self) -> int:
        """Store the pending parts; a part refused for its data is split in halves, a single refused row
        is dropped. An outage error propagates with the unstored parts still pending."""
        stored = 0
        while self._pending:
            part = self._pending[0]
            try:
                with transaction.atomic():
                    append_rows(ApisLog, COLUMNS, part)
            except DATA_ERRORS as exc:
                self._pending.popleft()
                if len(part) > 1:
                    middle = len(part) // 2
                    self._pending.extendleft((part[middle:], part[:middle]))
                else:
                    self._reject(part[0], exc)
                continue
            self._pending.popleft()
            self._pending_rows -= len(part)
            self.stats.stored += len(part)
            stored += len(part)
        return stored

    def _reject(self, row: tuple, error: Exception) -> None:
        self._pending_rows -= 1
        self.stats.rejected += 1
        address = row[COLUMNS.index("address")]
        self._log_rejected("the database refused a log line from %s (%s); dropped it", address, error)

    def record(self, payload: bytes, address: str, received: datetime) -> tuple | None:
        """The row (in ``COLUMNS`` order) to store for a datagram from ``address`` received at ``received``,
        or ``None`` when it is filtered out (below the level, unknown level, a MongoDB driver line)."""
        text = decode_payload(payload)
        common = (self.config.community_id, self.config.cluster_id, address)
        line = parse_line(text)
        if line is not None:
            row = self._line_row(line, common, received)
        elif LEVELS["SEVERE"] >= self.min_level:
            row = (*common, None, None, None, received, "SEVERE", None, text)
        else:
            row = None
        if row is None:
            return None
        row, truncated = fit_columns(row)
        if truncated:
            self.stats.truncated += 1
            self._log_truncated("a line from %s had fields longer than their columns: cut", address)
        return row

    def _line_row(self, line: LogLine, common: tuple[str, str, str], received: datetime) -> tuple | None:
        address = common[2]
        try:
            if level_value(line.level) < self.min_level:
                return None
        except ValueError:
            self._log_unknown_level("dropped a line with an unknown level %.40r from %s", line.level, address)
            return None
        if line.logger.startswith("org.mongodb."):
            return None
        moment, redated = clamp_time(line.datetime, received, self.clock_skew)
        if redated:
            self.stats.redated += 1
            self._log_redated(
                "a line from %s is dated %s, more than %d s from its receipt: stored at %s",
                address,
                line.datetime.isoformat(),
                self.clock_skew.total_seconds(),
                moment.isoformat(),
            )
        return (*common, line.program, line.unit, line.thread, moment, line.level, line.logger, line.message)
