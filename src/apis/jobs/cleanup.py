"""The ``log_retention`` job: every hour, each registered clean-up step deletes what has expired, and the job
logs what they all deleted on one line. The apps register their own steps; the core's is here, since the
core imports no app."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apis.core.throttle import delete_ended_windows
from apis.jobs.registry import Job, Phase, register

RETENTION_INTERVAL_SEC = 3600

CleanupRun = Callable[[datetime], str]


@dataclass(frozen=True)
class CleanupStep:
    """Deletes what has expired at ``now`` and says what (``"3 log records deleted"``); ``position`` orders
    the parts of the job's log line."""

    position: int
    run: CleanupRun


_steps: list[CleanupStep] = []


def register_cleanup(position: int) -> Callable[[CleanupRun], CleanupRun]:
    """Register the decorated function as the clean-up step at ``position`` of the ``log_retention`` job."""

    def add(run: CleanupRun) -> CleanupRun:
        _steps.append(CleanupStep(position, run))
        return run

    return add


def run_cleanup(now: datetime) -> str:
    """Run every clean-up step, by position; what they deleted, joined into one line."""
    return ", ".join(step.run(now) for step in sorted(_steps, key=lambda step: step.position))


@register
def cleanup_jobs() -> list[Job]:
    """The one ``log_retention`` job."""
    return [Job("log_retention", RETENTION_INTERVAL_SEC, run_cleanup, Phase.CLEAN)]


@register_cleanup(position=3)
def delete_ended_throttle_windows(now: datetime) -> str:
    """The login throttle's counters whose window has ended."""
    return f"{delete_ended_windows(now)} ended throttle windows deleted"
