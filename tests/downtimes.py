"""Downtime rows for the downtime API and availability tests, placed in hours after ``T0``."""

from datetime import UTC, datetime, timedelta

from apis.downtime.models import Downtime
from tests.payloads import CLUSTER, COMMUNITY

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def hours(value: float) -> datetime:
    return T0 + timedelta(hours=value)


def add(unit: str, down: float, recovery: float | None = None, cluster: str = CLUSTER) -> None:
    """Store a downtime of ``unit`` from ``down`` to ``recovery`` hours (``None``: still open)."""
    Downtime.objects.create(
        community_id=COMMUNITY,
        cluster_id=cluster,
        unit_id=unit,
        down_datetime=hours(down),
        recovery_datetime=None if recovery is None else hours(recovery),
    )
