"""Where a bucket starts and ends. 5-minute and hourly buckets are aligned on UTC; a daily bucket runs from
local midnight of ``APIS_TIME_ZONE`` to the next one (see :class:`apis.rollup.models.UnitRollup`)."""

from datetime import UTC, date, datetime, time, timedelta

from apis.core.timeparse import local_zone
from apis.rollup.models import Resolution

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_DAY = timedelta(days=1)


def utc_floor(instant: datetime, seconds: int) -> datetime:
    """The start of the UTC-aligned ``seconds``-wide bucket holding ``instant`` (exact integer arithmetic)."""
    delta = instant - EPOCH
    whole = delta.days * 86400 + delta.seconds
    return EPOCH + timedelta(seconds=whole - whole % seconds)


def is_aligned(instant: datetime, seconds: int) -> bool:
    """Whether ``instant`` is the start of a UTC-aligned ``seconds``-wide bucket."""
    return utc_floor(instant, seconds) == instant


def midnight(day: date) -> datetime:
    """Local midnight of ``day`` in ``APIS_TIME_ZONE`` as a UTC instant (a midnight skipped by a DST change
    is the instant of the change, a repeated one its first occurrence)."""
    return datetime.combine(day, time(), tzinfo=local_zone()).astimezone(UTC)


def day_start(instant: datetime) -> datetime:
    """The start of the local day holding ``instant``."""
    day = instant.astimezone(local_zone()).date()
    while midnight(day) > instant:
        day -= ONE_DAY
    while midnight(day + ONE_DAY) <= instant:
        day += ONE_DAY
    return midnight(day)


def day_end(start: datetime) -> datetime:
    """The end (the next local midnight) of the local day starting at ``start``."""
    return midnight(day_start(start).astimezone(local_zone()).date() + ONE_DAY)


def bucket_start(resolution: int, instant: datetime) -> datetime:
    """The start of the ``resolution`` bucket holding ``instant``."""
    if resolution == Resolution.DAY:
        return day_start(instant)
    return utc_floor(instant, resolution)


def bucket_end(resolution: int, start: datetime) -> datetime:
    """The end of the ``resolution`` bucket starting at ``start``."""
    if resolution == Resolution.DAY:
        return day_end(start)
    return start + timedelta(seconds=resolution)
