"""Deleting many rows without a long transaction: in bounded batches by primary key, so that a large backlog
(months of log lines, a flood of guessed user names) never holds a big lock while ingest and logins go on."""

from django.db.models import QuerySet

BATCH_ROWS = 10_000


def delete_in_batches(rows: QuerySet, batch: int = BATCH_ROWS) -> int:
    """Delete every row of ``rows``, at most ``batch`` per statement; returns how many were deleted."""
    deleted = 0
    while True:
        ids = list(rows.order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += rows.model.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < batch:
            return deleted
