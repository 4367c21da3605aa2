"""Failure life cycle (reference §7.4, improved) with atomic conditional statements only.

Opening inserts a row guarded by the partial unique index "one open failure per identity": if another
runner opened it first the insert fails and nothing is notified. Closing is ``UPDATE … WHERE closed IS
NULL``: a runner that finds nothing to update sends nothing. Each successful transition queues exactly one
notification in the same transaction.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from apis.monitoring.checks import JOB_TYPES, Evaluation, Key, evaluate
from apis.monitoring.models import CLOSED, DETECTED, Failure, Notification

logger = logging.getLogger(__name__)

JOB_DEACTIVATED = "job deactivated"
UNIT_NOT_AVAILABLE = "unit not available"


def open_failure(job_name: str, key: Key, description: str, now: datetime) -> bool:
    """Open a failure for ``key`` unless one is open already; True when this call opened it."""
    community_id, cluster_id, program_id, unit_id = key
    try:
        with transaction.atomic():
            failure = Failure.objects.create(
                type=job_name,
                community_id=community_id,
                cluster_id=cluster_id,
                program_id=program_id,
                unit_id=unit_id,
                detected=now,
                description=description,
            )
            Notification.objects.create(failure=failure, event=DETECTED, created=now, next_attempt=now)
    except IntegrityError:
        return False
    logger.info("failure detected: [%s] %s", job_name, failure.ident)
    return True


def close_failure(failure_id: int, now: datetime, reason: str | None = None) -> bool:
    """Close an open failure; True when this call closed it (False: already closed by someone else)."""
    with transaction.atomic():
        closed = Failure.objects.filter(pk=failure_id, closed__isnull=True).update(
            closed=now, close_reason=reason
        )
        if closed:
            Notification.objects.create(failure_id=failure_id, event=CLOSED, created=now, next_attempt=now)
    if closed:
        logger.info("failure %d closed%s", failure_id, f" ({reason})" if reason else "")
    return bool(closed)


def close_deactivated(job_name: str, community_id: str, cluster_id: str, now: datetime | None = None) -> int:
    """Close the open failures of a job type in a cluster because the job was deactivated."""
    now = now or timezone.now()
    ids = Failure.objects.filter(
        type=job_name, community_id=community_id, cluster_id=cluster_id, closed__isnull=True
    ).values_list("pk", flat=True)
    return sum(close_failure(pk, now, JOB_DEACTIVATED) for pk in list(ids))


def apply(job_name: str, evaluation: Evaluation, now: datetime) -> tuple[int, int]:
    """Open the NG failures not open yet, close the open ones now OK or no longer watched.

    Returns (opened, closed) counts of transitions made by this call."""
    open_rows = Failure.objects.filter(type=job_name, closed__isnull=True).values_list(
        "pk", "community_id", "cluster_id", "program_id", "unit_id"
    )
    open_ids: dict[Key, int] = {tuple(row[1:]): row[0] for row in open_rows}
    opened = sum(
        open_failure(job_name, key, description, now)
        for key, description in evaluation.ng.items()
        if key not in open_ids
    )
    closed = 0
    for key, failure_id in open_ids.items():
        if key in evaluation.ng:
            continue
        if key in evaluation.watched:
            reason = None
        elif key[:2] in evaluation.active:
            reason = UNIT_NOT_AVAILABLE
        else:
            reason = JOB_DEACTIVATED
        closed += close_failure(failure_id, now, reason)
    return opened, closed


def run_check(job_name: str, now: datetime | None = None) -> str:
    """One monitoring pass of ``job_name`` over all clusters; a one-line summary for the runner's log."""
    now = now or timezone.now()
    evaluation = evaluate(JOB_TYPES[job_name], now)
    opened, closed = apply(job_name, evaluation, now)
    return f"{len(evaluation.watched)} watched, {len(evaluation.ng)} NG, {opened} opened, {closed} closed"
