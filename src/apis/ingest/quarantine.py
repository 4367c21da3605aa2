"""The quarantine of report items that could not be stored, and its retention.

Each rejected item is kept once per cluster and kind (by the SHA-256 of its JSON text), so a resent report
adds nothing; rows older than ``APIS_INGEST_REJECTED_RETENTION_DAYS`` are deleted by ``apis jobs``.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apis.core.retention import delete_in_batches
from apis.core.sql import insert_rows
from apis.ingest.models import RejectedItem, TokenScope
from apis.ingest.report import Rejection

COLUMNS = (
    "kind",
    "community_id",
    "cluster_id",
    "index",
    "field",
    "reason",
    "raw",
    "raw_length",
    "digest",
    "received",
)
KEY = ("community_id", "cluster_id", "kind", "digest")


def quarantine(kind: str, scope: TokenScope, rejected: Sequence[Rejection], now: datetime) -> int:
    """Keep the ``rejected`` items of a ``kind`` report of ``scope`` (inside the caller's transaction); an
    item kept before is not kept again. Returns the number of new rows."""
    rows: dict[str, tuple] = {}
    for rejection in rejected:
        # ASCII JSON: NUL and lone surrogates become \u escapes that every database stores.
        text = json.dumps(rejection.item, separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).hexdigest()
        rows.setdefault(
            digest,
            (
                kind,
                scope.community,
                scope.cluster,
                rejection.index,
                rejection.field,
                rejection.reason,
                text[: RejectedItem.RAW_MAX_LENGTH],
                len(text),
                digest,
                now,
            ),
        )
    return insert_rows(RejectedItem, COLUMNS, list(rows.values()), conflict=KEY)


def delete_expired_rejections(now: datetime | None = None) -> int:
    """Delete the quarantined items older than the retention period, in bounded batches; returns how many
    were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INGEST_REJECTED_RETENTION_DAYS)
    return delete_in_batches(RejectedItem.objects.filter(received__lt=cutoff))
