"""Retention of the rollups: per resolution, the buckets starting before ``now`` minus
``APIS_RETENTION_5MIN_DAYS``, ``APIS_RETENTION_HOURLY_DAYS`` or ``APIS_RETENTION_DAILY_DAYS`` days (0: kept
for ever) are deleted by the ``log_retention`` job of ``apis jobs``, in bounded batches.

The bound is strict, as for the raw data (:mod:`apis.unit_data.retention`): a bucket starting exactly at
the bound is kept.
"""

from datetime import datetime, timedelta

from django.conf import settings

from apis.core.retention import BATCH_ROWS, delete_in_batches
from apis.jobs.cleanup import register_cleanup
from apis.rollup.models import Resolution, UnitRollup

# resolution: (the name of its setting in django.conf.settings, its name in the job's line)
RETAINED = {
    Resolution.FIVE_MINUTES: ("RETENTION_5MIN_DAYS", "5-minute"),
    Resolution.HOUR: ("RETENTION_HOURLY_DAYS", "hourly"),
    Resolution.DAY: ("RETENTION_DAILY_DAYS", "daily"),
}


def delete_expired_rollups(now: datetime, batch: int | None = None) -> dict[int, int]:
    """Delete the rollups older than their resolution's retention, at most ``batch`` (default
    ``BATCH_ROWS``) per statement; returns how many were deleted per resolution."""
    deleted = {}
    for resolution, (setting, _) in RETAINED.items():
        days = getattr(settings, setting)
        if days <= 0:
            deleted[resolution] = 0
            continue
        expired = UnitRollup.objects.filter(resolution=resolution, bucket__lt=now - timedelta(days=days))
        deleted[resolution] = delete_in_batches(expired, batch or BATCH_ROWS)
    return deleted


@register_cleanup(position=5)
def delete_expired_rollup_rows(now: datetime) -> str:
    """The rollups older than their resolution's retention."""
    deleted = delete_expired_rollups(now)
    return ", ".join(f"{deleted[resolution]} {name}" for resolution, (_, name) in RETAINED.items()) + (
        " rollups deleted"
    )
