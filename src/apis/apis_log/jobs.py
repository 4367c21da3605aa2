"""The log records' part of the ``log_retention`` job of ``apis jobs``."""

from datetime import datetime

from apis.apis_log.retention import delete_expired_logs
from apis.jobs.cleanup import register_cleanup


@register_cleanup(position=1)
def delete_expired_log_records(now: datetime) -> str:
    """The log records older than ``APIS_LOG_RETENTION_DAYS``."""
    return f"{delete_expired_logs(now)} log records deleted"
