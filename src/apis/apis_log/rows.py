"""The row the collector stores for a datagram, made so that the database cannot refuse it.

* the payload is decoded as UTF-8 with replacement characters, NUL (which PostgreSQL text cannot hold)
  becomes U+FFFD, and the text is trimmed, as apis-log trims it;
* every text column is cut to its model field's ``max_length``;
* the line's own time is converted to UTC without overflowing and kept within ``skew`` of the receipt:
  a line dated earlier or later is stored at that edge of the window, so that no sender can date a line
  where a look-back query finds it for ever.
"""

from datetime import datetime, timedelta

from apis.apis_log.models import ApisLog
from apis.core.timeparse import to_utc

# The order of the values in a row, as ``append_rows`` takes them.
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
# The max_length of each column of a row (None: no limit), and (position, max_length) of the limited ones.
_ROW_LIMITS = tuple(ApisLog._meta.get_field(column).max_length for column in COLUMNS)
_LIMITS = tuple((index, limit) for index, limit in enumerate(_ROW_LIMITS) if limit is not None)


def column_limit(column: str) -> int:
    """The ``max_length`` of a text column of ``ApisLog``."""
    return ApisLog._meta.get_field(column).max_length


def decode_payload(payload: bytes) -> str:
    """A datagram's text: UTF-8 (invalid bytes replaced), NUL replaced, surrounding white space trimmed."""
    return payload.decode("utf-8", errors="replace").replace("\x00", "\ufffd").strip()


def fit_columns(row: tuple) -> tuple[tuple, bool]:
    """``row`` with every text cut to its column's length, and whether anything was cut."""
    for index, limit in _LIMITS:
        value = row[index]
        if value is not None and len(value) > limit:
            break
    else:
        return row, False
    return tuple(
        value[:limit] if limit is not None and value is not None else value
        for value, limit in zip(row, _ROW_LIMITS, strict=True)
    ), True


def clamp_time(moment: datetime, received: datetime, skew: timedelta) -> tuple[datetime, bool]:
    """``moment`` (aware) in UTC, moved to the nearest edge of ``received`` ± ``skew`` when outside it;
    and whether it was moved."""
    try:
        utc = to_utc(moment)
    except ValueError:  # outside the supported range, and so far outside the window
        return (received - skew if moment < received else received + skew), True
    if -skew <= utc - received <= skew:
        return utc, False
    return (received - skew if utc < received else received + skew), True
