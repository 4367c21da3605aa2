"""Retention of raw unit data: the rows older than ``APIS_RETENTION_RAW_DAYS`` (0: kept for ever) are
deleted by the ``log_retention`` job of ``apis jobs``, in bounded batches, each one short statement, so that
ingest never waits long behind them.

The bound is ``now - APIS_RETENTION_RAW_DAYS`` days and it is strict: a row whose ``time`` is exactly at the
bound is kept, one a microsecond older is deleted. A row without a ``time`` is judged by its ``dataset_id``
(epoch milliseconds of its reporting cycle) against the same bound. The rollups are kept by their own
settings (:mod:`apis.rollup.retention`), and ``rebuild_rollups`` never rebuilds days before the bound.

The jobs that read the new rows in id order (the downtime extraction, the rollups) register how far they
have got (:func:`register_reader`): a row one of them has not processed yet is never deleted, so an import of
old history is rolled up and extracted before its rows go.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings

from apis.core.retention import BATCH_ROWS, delete_in_batches
from apis.jobs.cleanup import register_cleanup
from apis.unit_data.models import UnitData

# For each reader of the new rows: the id up to which it has processed them.
_readers: list[Callable[[], int]] = []


def register_reader(processed_up_to: Callable[[], int]) -> Callable[[], int]:
    """Register (usable as a decorator) a job that reads the unit-data rows in id order after they are
    stored: ``processed_up_to()`` is the last id it is done with; newer rows are kept for it."""
    _readers.append(processed_up_to)
    return processed_up_to


def raw_retention_bound(now: datetime) -> datetime | None:
    """The instant before which raw unit data is deleted at ``now``; ``None`` when it is kept for ever."""
    days = settings.RETENTION_RAW_DAYS
    return now - timedelta(days=days) if days > 0 else None


def delete_expired_unit_data(now: datetime, batch: int | None = None) -> int:
    """Delete the raw unit-data rows older than the bound, at most ``batch`` (default ``BATCH_ROWS``) per
    statement; returns how many were deleted."""
    bound = raw_retention_bound(now)
    if bound is None:
        return 0
    size = batch or BATCH_ROWS
    bound_ms = int(bound.timestamp() * 1000)  # whole ms: a dataset id at the bound's millisecond is kept
    rows = UnitData.objects.all()
    if _readers:
        rows = rows.filter(id__lte=min(processed_up_to() for processed_up_to in _readers))
    dated = delete_in_batches(rows.filter(time__lt=bound), size)
    undated = delete_in_batches(rows.filter(time__isnull=True, dataset_id__lt=bound_ms), size)
    return dated + undated


@register_cleanup(position=4)
def delete_expired_raw_unit_data(now: datetime) -> str:
    """The raw unit data older than ``APIS_RETENTION_RAW_DAYS``."""
    return f"{delete_expired_unit_data(now)} raw unit-data rows deleted"
