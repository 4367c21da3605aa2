"""The ``apis jobs`` runner: monitoring passes, downtime extraction, mail delivery and log retention.

Several runners may run side by side: a run is claimed by moving ``JobSchedule.next_run`` forward with a
conditional ``UPDATE``, so each due run happens once; everything a job changes is itself atomic. A job
that raises is logged with its traceback and the runner goes on.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from apis.apis_log.retention import delete_expired_logs
from apis.core.throttle import delete_ended_windows
from apis.ingest.quarantine import delete_expired_rejections
from apis.monitoring.lifecycle import run_check
from apis.monitoring.models import JobSchedule
from apis.monitoring.notify import deliver_due

logger = logging.getLogger(__name__)

MAIL_INTERVAL_SEC = 10
RETENTION_INTERVAL_SEC = 3600
IDLE_MAX_SEC = 10.0


@dataclass(frozen=True)
class Job:
    """A named periodic job: its interval in seconds and what it does at a moment ``now``."""

    name: str
    interval_sec: int
    run: Callable[[datetime], object]


def _monitoring(job_type: str) -> Callable[[datetime], object]:
    return lambda now: run_check(job_type, now)


def _downtime(now: datetime) -> object:
    from apis.downtime.extract import extract_pass

    return f"{extract_pass(now)} unit-data rows processed"


def _retention(now: datetime) -> object:
    logs, rejected, windows = (
        delete_expired_logs(now),
        delete_expired_rejections(now),
        delete_ended_windows(now),
    )
    return (
        f"{logs} log records deleted, {rejected} quarantined ingest items deleted, "
        f"{windows} ended throttle windows deleted"
    )


def jobs() -> list[Job]:
    """Every job in ``--once`` order: the six monitoring types, downtime, retention, then mail."""
    monitoring = [
        Job(job_type, settings.MONITORING_INTERVALS[job_type], _monitoring(job_type))
        for job_type in settings.MONITORING_JOB_TYPES
    ]
    return [
        *monitoring,
        Job("downtime", settings.DOWNTIME_INTERVAL_SEC, _downtime),
        Job("log_retention", RETENTION_INTERVAL_SEC, _retention),
        Job("mail", MAIL_INTERVAL_SEC, lambda now: deliver_due(now)),
    ]


def run_job(job: Job, now: datetime | None = None) -> bool:
    """Run one job now and log the outcome; False (logged with traceback) if it raised."""
    try:
        result = job.run(now or timezone.now())
    except Exception:
        logger.exception("job %s failed", job.name)
        return False
    logger.info("job %s: %s", job.name, result)
    return True


def run_once() -> bool:
    """Run every job once, now, whatever the schedule; True when none of them failed."""
    return all([run_job(job) for job in jobs()])


def ensure_schedule(all_jobs: list[Job], now: datetime) -> None:
    """Create the missing schedule rows, due now (several runners may do this at once)."""
    JobSchedule.objects.bulk_create(
        [JobSchedule(name=job.name, next_run=now) for job in all_jobs], ignore_conflicts=True
    )


def claim(job: Job, now: datetime) -> bool:
    """Take the due run of ``job``: True for exactly one runner per due run."""
    next_run = now + timedelta(seconds=job.interval_sec)
    return bool(JobSchedule.objects.filter(name=job.name, next_run__lte=now).update(next_run=next_run))


def run_due(all_jobs: list[Job], now: datetime | None = None) -> list[str]:
    """Claim and run every due job; the names of the jobs run."""
    now = now or timezone.now()
    ran = [job for job in all_jobs if claim(job, now)]
    for job in ran:
        run_job(job)
    return [job.name for job in ran]


def seconds_until_due(now: datetime) -> float:
    """Time to sleep before the next run is due (between 0.5 s and ``IDLE_MAX_SEC``)."""
    soonest = JobSchedule.objects.order_by("next_run").values_list("next_run", flat=True).first()
    if soonest is None:
        return IDLE_MAX_SEC
    return min(max((soonest - now).total_seconds(), 0.5), IDLE_MAX_SEC)


def run_forever(stop: threading.Event) -> None:
    """Run due jobs until ``stop`` is set; a failing database round is logged and retried."""
    all_jobs = jobs()
    logger.info("job runner started: %s", ", ".join(f"{job.name}/{job.interval_sec}s" for job in all_jobs))
    while not stop.is_set():
        delay = IDLE_MAX_SEC
        try:
            ensure_schedule(all_jobs, timezone.now())
            run_due(all_jobs)
            delay = seconds_until_due(timezone.now())
        except Exception:
            logger.exception("job runner round failed")
        finally:
            close_old_connections()
        stop.wait(delay)
    logger.info("job runner stopped")
