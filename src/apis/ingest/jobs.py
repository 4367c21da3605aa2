"""The quarantine's part of the ``log_retention`` job of ``apis jobs``."""

from datetime import datetime

from apis.ingest.quarantine import delete_expired_rejections
from apis.jobs.cleanup import register_cleanup


@register_cleanup(position=2)
def delete_expired_quarantined_items(now: datetime) -> str:
    """The quarantined ingest items older than ``APIS_INGEST_REJECTED_RETENTION_DAYS``."""
    return f"{delete_expired_rejections(now)} quarantined ingest items deleted"
