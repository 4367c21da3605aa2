"""The apis-log equivalent: receive log datagrams over UDP and store them in batches.

One thread receives datagrams into a bounded in-memory buffer; the calling thread parses and stores
them at least once a second. When the database is unavailable the lines stay in the buffer and the
batch is retried with backoff; lines that arrive while the buffer is full are dropped, counted and
reported, never silently lost.
"""

import logging
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import DatabaseError, connections, transaction

from apis.apis_log.models import ApisLog
from apis.apis_log.parse import LEVELS, level_value, parse_line
from apis.core.sql import append_rows

log = logging.getLogger(__name__)

MAX_DATAGRAM = 65535
FLUSH_INTERVAL_SEC = 0.5
BATCH_ROWS = 5000
MAX_BACKOFF_SEC = 30.0
COLUMNS = (
    "community_id",
    "cluster_id",
    "address",
    "program_id",
    "unit_id",
    "thread",
    "datetime",
    "loglevel",
    "loggername",
    "message",
)
FINAL_FLUSH_TRIES = 3


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
    received: int = 0
    stored: int = 0
    filtered: int = 0
    dropped: int = 0


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
        self.sock = sock or open_socket(config)
        self.stats = CollectorStats()
        self._buffer: deque[tuple[bytes, str, datetime]] = deque()
        self._stopping = threading.Event()
        self._receiver = threading.Thread(target=self._receive, name="logcollector-receive", daemon=True)
        self._dropped_reported = 0
        self._drop_report_at = 0.0

    @property
    def address(self) -> tuple[str, int]:
        return self.sock.getsockname()

    def stop(self) -> None:
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
        if self._buffer:
            self.stats.dropped += len(self._buffer)
            log.error("stopped while the database was unavailable: %d lines lost", len(self._buffer))
        self._report_drops(force=True)
        self.sock.close()
        return self.stats

    def _try_flush(self) -> bool:
        """Flush; on a database error keep the lines, drop the broken connection and return False."""
        try:
            self.flush()
        except DatabaseError as exc:
            log.error("storing log lines failed (%s); %d lines buffered, retrying", exc, len(self._buffer))
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
        if len(self._buffer) >= self.config.buffer_lines:
            self.stats.dropped += 1
            return
        self._buffer.append((payload, f"{sender[0]}:{sender[1]}", datetime.now(UTC)))

    def flush(self) -> int:
        """Store everything buffered (in batches); a batch that fails goes back to the buffer's front."""
        stored = 0
        while self._buffer:
            batch = [self._buffer.popleft() for _ in range(min(BATCH_ROWS, len(self._buffer)))]
            rows = [row for row in map(self._record, batch) if row is not None]
            try:
                with transaction.atomic():
                    append_rows(ApisLog, COLUMNS, rows)
            except DatabaseError:
                self._buffer.extendleft(reversed(batch))
                raise
            stored += len(rows)
            self.stats.stored += len(rows)
            self.stats.filtered += len(batch) - len(rows)
        return stored

    def _record(self, item: tuple[bytes, str, datetime]) -> tuple | None:
        """The row (in ``COLUMNS`` order) of one datagram, or ``None`` when it is filtered out."""
        payload, address, received = item
        # NUL cannot be stored in PostgreSQL text; a forged datagram must not block the whole batch.
        text = payload.decode("utf-8", errors="replace").replace("\x00", "\ufffd").strip()
        common = (self.config.community_id, self.config.cluster_id, address)
        line = parse_line(text)
        if line is None:
            if LEVELS["SEVERE"] < self.min_level:
                return None
            return (*common, None, None, None, received, "SEVERE", None, text)
        try:
            if level_value(line.level) < self.min_level:
                return None
        except ValueError:
            log.error("dropped a line with an unknown level %r from %s", line.level, address)
            return None
        if line.logger.startswith("org.mongodb."):
            return None
        return (
            *common,
            line.program,
            line.unit,
            line.thread,
            line.datetime,
            line.level,
            line.logger,
            line.message,
        )
