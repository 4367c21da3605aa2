"""Parsing of the time forms APIS programs and API clients send.

* APIS local time ``yyyy/MM/dd-HH:mm:ss`` (a fraction after ``.`` is ignored, as apis-ccc does), in
  ``settings.APIS_TIME_ZONE``;
* ISO 8601 with an offset or ``Z``; without an offset it is APIS local time too;
* the placeholder ``--`` (and an empty value) meaning "no time".

Every parsed time lies in ``EARLIEST`` … ``LATEST`` (UTC): outside it, or when the conversion to UTC would
overflow (year 1 with a positive offset, year 9999 with a negative one), it is a ``ValueError`` like any
other bad time, never an ``OverflowError``.
"""

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings

_APIS_LOCAL = re.compile(r"^(\d{4})/(\d{2})/(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.\d*)?$")
_OFFSET = re.compile(r"^([+-])(\d{2})(?::?(\d{2}))?$")
PLACEHOLDERS = frozenset({"--", ""})
# The supported range of every time the project accepts: wide enough for any real record, narrow enough that
# a time stays representable after any offset and any window arithmetic around it.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> tzinfo:
    """The zone of APIS local time strings (``APIS_TIME_ZONE``)."""
    return _zone(settings.APIS_TIME_ZONE)


def parse_apis_time(value: object) -> datetime | None:
    """Parse a time as APIS programs send it; ``None`` for ``--``/empty/null; ``ValueError`` otherwise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a time string, got {type(value).__name__}")
    text = value.strip()
    if text in PLACEHOLDERS:
        return None
    match = _APIS_LOCAL.match(text)
    parsed = datetime(*map(int, match.groups())) if match else parse_iso(text)
    return to_utc(parsed)


def to_utc(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """``moment`` in UTC (a naive one is in ``zone``, default ``APIS_TIME_ZONE``); ``ValueError`` when it
    lies outside ``EARLIEST`` … ``LATEST`` or cannot be converted."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or local_zone())
    try:
        converted = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        converted = None
    if converted is None or not EARLIEST <= converted < LATEST:
        raise ValueError(
            f"time {moment.isoformat()} is outside the supported range "
            f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)"
        )
    return converted


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 (dates, basic and extended forms, ``Z``); raise ``ValueError`` with a clear text."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 or yyyy/MM/dd-HH:mm:ss time: {text!r}") from None


def parse_query_datetime(text: str) -> datetime:
    """Parse a ``datetimeFrom``/``datetimeTo`` query value; a value without offset is APIS local time."""
    return to_utc(parse_iso(text.strip()))


def parse_utc_offset(text: str) -> timezone:
    """Parse a ``timezone`` parameter: ``Z``/``UTC`` or ``±HH:MM`` (also ``±HHMM``, ``±HH``).

    A leading space stands for ``+``: it is what an unencoded ``+`` in a query string decodes to.
    """
    raw = text.strip()
    if raw.upper() in {"Z", "UTC"}:
        return UTC
    if text.startswith(" ") and raw[:1].isdigit():
        raw = "+" + raw
    match = _OFFSET.match(raw)
    if not match:
        raise ValueError(f"not a UTC offset (expected Z or ±HH:MM): {text!r}")
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a UTC offset (expected Z or ±HH:MM): {text!r}")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)


def iso_z(value: datetime | None) -> str | None:
    """Format an aware datetime as the original API does: UTC, ``Z``, milliseconds only when non-zero."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"
