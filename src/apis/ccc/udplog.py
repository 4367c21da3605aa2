"""Log lines over UDP in the APIS multicast format (apis-ecosystem §2.2), for the Python ccc and emulator.

``[[[program:unit]]] [thread] <ISO-8601 with offset> LEVEL [logger]  message`` (apis-main) or
``[[[program]]] …`` (apis-ccc). A record's ``apis_unit`` attribute (``extra={"apis_unit": "E001"}``) names
the unit; a handler without a program id for the record sends nothing.
"""

import logging
import socket
from datetime import datetime

from apis.core.numbers import host_port

# Python level → java.util.logging level name, as the Vert.x logger maps them.
JUL_LEVELS = {logging.CRITICAL: "SEVERE", logging.ERROR: "SEVERE", logging.WARNING: "WARNING"}


def jul_level(levelno: int) -> str:
    """The JUL level name of a Python level (INFO and FINE below it)."""
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING):
        if levelno >= threshold:
            return JUL_LEVELS[threshold]
    return "INFO" if levelno >= logging.INFO else "FINE"


def iso_offset(moment: datetime) -> str:
    """ISO 8601 with offset, the fraction without trailing zeros and omitted when zero (Java's form)."""
    text = moment.isoformat(timespec="milliseconds")
    head, _, tail = text.partition(".")
    fraction, offset = tail[:3].rstrip("0"), tail[3:]
    return f"{head}.{fraction}{offset}" if fraction else f"{head}{offset}"


def format_line(program: str, unit: str | None, record: logging.LogRecord) -> str:
    """One datagram's text for ``record``."""
    prefix = f"[[[{program}:{unit}]]]" if unit else f"[[[{program}]]]"
    moment = datetime.fromtimestamp(record.created).astimezone()
    message = record.getMessage()
    if record.exc_info:
        message += "\n" + logging.Formatter().formatException(record.exc_info)
    return (
        f"{prefix} [{record.threadName}] {iso_offset(moment)} {jul_level(record.levelno)} "
        f"[{record.name}]  {message}"
    )


class UdpLogHandler(logging.Handler):
    """Send every record as one UDP datagram to ``host:port`` (unicast or an IPv4 multicast group)."""

    def __init__(self, host: str, port: int, program: str, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.address, self.program = (host, port), program
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = format_line(self.program, getattr(record, "apis_unit", None), record)
            self.sock.sendto(text.encode()[:65000], self.address)
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self.sock.close()
        super().close()


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` → ``(host, port)``; ``ValueError`` naming the problem."""
    address = host_port(text)
    if address is None:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return address
