"""Downtime rows and unit-data timelines for the downtime and availability tests, placed after ``T0``."""

from datetime import UTC, datetime, timedelta

from apis.community.models import Unit
from apis.core.timeparse import EARLIEST
from apis.downtime.models import Downtime
from apis.unit_data.store import UnitRecord, store_unit_data
from tests.payloads import CLUSTER, COMMUNITY

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SINCE_EVER = (EARLIEST - T0).total_seconds()
"""Where :func:`downtimes` puts a downtime starting at ``EARLIEST`` (a unit without ``available_from``)."""


def hours(value: float) -> datetime:
    return T0 + timedelta(hours=value)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def add(unit: str, down: float, recovery: float | None = None, cluster: str = CLUSTER) -> None:
    """Store a downtime of ``unit`` from ``down`` to ``recovery`` hours (``None``: still open)."""
    Downtime.objects.create(
        community_id=COMMUNITY,
        cluster_id=cluster,
        unit_id=unit,
        down_datetime=hours(down),
        recovery_datetime=None if recovery is None else hours(recovery),
    )


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def record(unit: str, seconds: float, mode: str | None = "autonomous", dataset: datetime | None = None):
    """A unit-data record at world time ``T0 + seconds`` reported in cycle ``dataset`` (default: then)."""
    time = at(seconds)
    data = {"apis": {"operation_mode": {"effective": mode}}} if mode else {"apis": {}}
    return UnitRecord(COMMUNITY, CLUSTER, unit, epoch_ms(dataset or time), time, data)


def report(unit: str, *samples: float | tuple[float, str | None]) -> None:
    """Store samples of ``unit``: a number is an autonomous sample at that second, a pair (second, mode)."""
    store_unit_data([record(unit, *(s if isinstance(s, tuple) else (s,))) for s in samples])


def window(unit: str, start: float | None, end: float | None = None) -> None:
    """Set the availability window of ``unit`` to ``[T0 + start, T0 + end)`` seconds (``None``: no bound)."""
    Unit.objects.filter(code=unit).update(
        available_from=None if start is None else at(start), available_to=None if end is None else at(end)
    )


def downtimes(unit: str = "E001") -> list[tuple[float, float | None]]:
    """The stored downtimes of ``unit`` as (down, recovery) seconds after ``T0``, ``None`` while open."""
    rows = Downtime.objects.filter(unit_id=unit).order_by("down_datetime")
    return [
        (
            (d.down_datetime - T0).total_seconds(),
            d.recovery_datetime and (d.recovery_datetime - T0).total_seconds(),
        )
        for d in rows
    ]
