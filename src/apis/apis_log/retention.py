"""Log retention: records older than ``APIS_LOG_RETENTION_DAYS`` are deleted in bounded batches, so that
a long backlog never holds a large lock or a long transaction (run hourly by ``apis jobs``)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apis.apis_log.models import ApisLog
from apis.core.retention import BATCH_ROWS, delete_in_batches


def delete_expired_logs(now: datetime | None = None, batch: int = BATCH_ROWS) -> int:
    """Delete the log records older than the retention period; returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.LOG_RETENTION_DAYS)
    return delete_in_batches(ApisLog.objects.filter(datetime__lt=cutoff), batch)
