"""The ``apis jobs`` runner of the registered jobs (:mod:`apis.jobs.registry`).

Several runners may run side by side: a run is claimed by moving ``JobSchedule.next_run`` forward with a
conditional ``UPDATE``, so each due run happens once; everything a job changes is itself atomic. A job
that raises is logged with its traceback and the runner goes on.
"""

import logging
import threading
from datetime import datetime, timedelta

from django.db import close_old_connections
from django.utils import timezone

from apis.jobs.models import JobSchedule
from apis.jobs.registry import Job, registered_jobs

logger = logging.getLogger(__name__)

IDLE_MAX_SEC = 10.0


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
    return all([run_job(job) for job in registered_jobs()])


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
    all_jobs = registered_jobs()
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
