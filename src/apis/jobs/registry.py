"""The jobs ``apis jobs`` runs: each app registers a source of its jobs in its own ``jobs`` module.

A source is called each time the runner starts (and by ``--once``), so the intervals are read from the
settings then, not when the app is loaded.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class Phase(IntEnum):
    """Where a job runs in an ``apis jobs --once`` round: the checks first, so that the mail about the
    failures they open goes out in the same round, last."""

    CHECK = 1
    DERIVE = 2
    CLEAN = 3
    DELIVER = 4


@dataclass(frozen=True)
class Job:
    """A named periodic job: its interval in seconds, what it does at a moment ``now`` (its result is logged)
    and its phase in a ``--once`` round."""

    name: str
    interval_sec: int
    run: Callable[[datetime], object]
    phase: Phase = Phase.CHECK


JobSource = Callable[[], Iterable[Job]]

_sources: list[JobSource] = []


def register(source: JobSource) -> JobSource:
    """Add a source of jobs (usable as a decorator); its jobs run in their phase, in the source's order."""
    _sources.append(source)
    return source


def registered_jobs() -> list[Job]:
    """Every registered job, in ``--once`` order: by phase, then in the order of registration."""
    return sorted((job for source in _sources for job in source()), key=lambda job: job.phase)
