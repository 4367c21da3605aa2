"""Parsing of the log lines APIS programs multicast (apis-ecosystem §2.2), in apis-log's order:

1. ``[[[program:unit]]] [thread] datetime LEVEL [logger]  message`` (apis-main),
2. ``[[[program]]] [thread] …`` (apis-ccc, apis-log, apis-web),
3. ``[[unit]] [thread] …`` (legacy v2),
4. ``[thread] …`` (plain Vert.x).

The message may span several lines (stack traces). Anything else is "unparsed".
"""

import re
from dataclasses import dataclass
from datetime import datetime

_TAIL = r"\[(?P<thread>.*?)\] (?P<datetime>\S+) (?P<level>\S+) \[(?P<logger>.*?)\]  (?P<message>.*)\Z"
_FORMATS = [
    re.compile(r"\[\[\[(?P<program>[^:\]]*?)(?::(?P<unit>.*?))?\]\]\] " + _TAIL, re.DOTALL),
    re.compile(r"\[\[(?P<unit>.*?)\]\] " + _TAIL, re.DOTALL),
    re.compile(_TAIL, re.DOTALL),
]

# java.util.logging level values; apis-log keeps a record when its level is at least the configured one.
LEVELS = {
    "OFF": 2**31 - 1,
    "SEVERE": 1000,
    "WARNING": 900,
    "INFO": 800,
    "CONFIG": 700,
    "FINE": 500,
    "FINER": 400,
    "FINEST": 300,
    "ALL": -(2**31),
}


@dataclass(frozen=True, slots=True)
class LogLine:
    """The parts of one parsed line (``program``/``unit`` are ``None`` when the format has none)."""

    program: str | None
    unit: str | None
    thread: str
    datetime: datetime
    level: str
    logger: str
    message: str


def parse_line(text: str) -> LogLine | None:
    """Parse one datagram's text; ``None`` when no format matches or its time is not ISO 8601 with offset."""
    for pattern in _FORMATS:
        match = pattern.match(text)
        if match is None:
            continue
        parts = match.groupdict()
        try:
            moment = datetime.fromisoformat(parts["datetime"])
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        return LogLine(
            program=parts.get("program"),
            unit=parts.get("unit"),
            thread=parts["thread"],
            datetime=moment,
            level=parts["level"],
            logger=parts["logger"],
            message=parts["message"],
        )
    return None


def level_value(name: str) -> int:
    """The numeric value of a JUL level name; ``ValueError`` for an unknown name."""
    try:
        return LEVELS[name.upper()]
    except KeyError:
        raise ValueError(f"unknown log level {name!r} (expected one of {', '.join(LEVELS)})") from None
