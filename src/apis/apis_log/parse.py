"""Parsing of the log lines APIS programs multicast (apis-ecosystem §2.2), in apis-log's order:

1. ``[[[program:unit]]] [thread] datetime LEVEL [logger]  message`` (apis-main),
2. ``[[[program]]] [thread] …`` (apis-ccc, apis-log, apis-web),
3. ``[[unit]] [thread] …`` (legacy v2),
4. ``[thread] …`` (plain Vert.x).

The message may span several lines (stack traces). Anything else is "unparsed".

The grammar is the one apis-log's regular expressions define (first format that matches wins; inside a
format the shortest unit, then the shortest thread, then the shortest logger that lets the rest match), but
it is scanned with ``str.find`` in time linear in the header: a backtracking regular expression took
minutes on a forged datagram. Two facts make the scan linear:

* whether a ``[thread] datetime LEVEL [logger]  `` tail matches at a thread end ``t`` (a ``"] "``) does not
  depend on where the thread began, and a later start only leaves fewer thread ends to choose from, so
  only the first unit end followed by ``" ["`` has to be tried;
* the datetime and the level are whole words (``\\S+`` between single spaces), so each word is read at most
  twice however many thread ends are tried.

The header (everything before the message) must end within ``HEADER_LIMIT`` characters; a line whose
header would be longer is matched as if it were cut there (in practice: stored unparsed).
"""

import re
from dataclasses import dataclass
from datetime import datetime

HEADER_LIMIT = 4096
# After a thread's "] ": the datetime and the level words, then the logger's "[". No ambiguity: \S and
# " " are disjoint, so a failed match costs the length of the two words.
_WORDS = re.compile(r"(\S+) (\S+) \[")
_PROGRAM = re.compile(r"[^:\]]*")
_LOGGER_END = "]  "

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


@dataclass(frozen=True, slots=True)
class _Tail:
    thread: str
    datetime: str
    level: str
    logger: str
    message_start: int


def parse_line(text: str) -> LogLine | None:
    """Parse one datagram's text; ``None`` when no format matches or its time is not ISO 8601 with offset."""
    head = text[:HEADER_LIMIT]
    found = _header(head)
    if found is None:
        return None
    program, unit, tail = found
    try:
        moment = datetime.fromisoformat(tail.datetime)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return LogLine(
        program=program,
        unit=unit,
        thread=tail.thread,
        datetime=moment,
        level=tail.level,
        logger=tail.logger,
        message=text[tail.message_start :],
    )


def _header(head: str) -> tuple[str | None, str | None, _Tail] | None:
    """Program, unit and tail of the first of the four formats that matches ``head``."""
    if head.startswith("[[["):
        found = _tool_or_main(head)
        if found is not None:
            return found
    if head.startswith("[["):
        unit_end = head.find("]] [", 2)
        tail = _tail(head, unit_end + 3) if unit_end >= 0 else None
        if tail is not None:
            return None, head[2:unit_end], tail
    tail = _tail(head, 0) if head.startswith("[") else None
    return (None, None, tail) if tail is not None else None


def _tool_or_main(head: str) -> tuple[str | None, str | None, _Tail] | None:
    """``[[[program:unit]]] `` or ``[[[program]]] ``: the program is the text up to the first ``:`` or ``]``
    (it can hold neither); after a ``:`` the unit is everything up to the first ``]]] [``."""
    program_end = _PROGRAM.match(head, 3).end()
    program = head[3:program_end]
    if head.startswith(":", program_end):
        unit_end = head.find("]]] [", program_end + 1)
        tail = _tail(head, unit_end + 4) if unit_end >= 0 else None
        return (program, head[program_end + 1 : unit_end], tail) if tail is not None else None
    if head.startswith("]]] [", program_end):
        tail = _tail(head, program_end + 4)
        return (program, None, tail) if tail is not None else None
    return None


def _tail(head: str, start: int) -> _Tail | None:
    """``[thread] datetime LEVEL [logger]  `` at ``start`` (which holds ``[``): the first thread end that
    is followed by two words, a ``[`` and, somewhere later, the logger's ``]  ``."""
    last_logger_end = head.rfind(_LOGGER_END)
    thread_end = head.find("] ", start + 1)
    while 0 <= thread_end < last_logger_end:
        words = _WORDS.match(head, thread_end + 2)
        if words is not None and words.end() <= last_logger_end:
            logger_end = head.find(_LOGGER_END, words.end())
            return _Tail(
                thread=head[start + 1 : thread_end],
                datetime=words.group(1),
                level=words.group(2),
                logger=head[words.end() : logger_end],
                message_start=logger_end + len(_LOGGER_END),
            )
        thread_end = head.find("] ", thread_end + 1)
    return None


def level_value(name: str) -> int:
    """The numeric value of a JUL level name; ``ValueError`` for an unknown name."""
    try:
        return LEVELS[name.upper()]
    except KeyError:
        raise ValueError(f"unknown log level {name!r} (expected one of {', '.join(LEVELS)})") from None
