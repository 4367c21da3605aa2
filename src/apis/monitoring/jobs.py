"""The monitoring jobs of ``apis jobs``: the six checks (first in a round) and the mail delivery (last)."""

from functools import partial

from django.conf import settings

from apis.jobs.registry import Job, Phase, register
from apis.monitoring.lifecycle import run_check
from apis.monitoring.notify import deliver_due

MAIL_INTERVAL_SEC = 10


@register
def monitoring_jobs() -> list[Job]:
    """The six monitoring checks, each at its configured interval, and the mail outbox every 10 s."""
    checks = [
        Job(job_type, settings.MONITORING_INTERVALS[job_type], partial(run_check, job_type), Phase.CHECK)
        for job_type in settings.MONITORING_JOB_TYPES
    ]
    return [*checks, Job("mail", MAIL_INTERVAL_SEC, deliver_due, Phase.DELIVER)]
