"""The ``rollup`` job of ``apis jobs``: the rollups of the new unit data."""

from datetime import datetime

from django.conf import settings

from apis.jobs.registry import Job, Phase, register
from apis.rollup.compute import rollup_pass


@register
def rollup_jobs() -> list[Job]:
    """One rollup pass every ``APIS_ROLLUP_INTERVAL_SEC``."""
    return [Job("rollup", settings.ROLLUP_INTERVAL_SEC, roll_up, Phase.DERIVE)]


def roll_up(now: datetime) -> str:
    """One rollup pass; how many unit-data rows it processed."""
    return f"{rollup_pass(now)} unit-data rows rolled up"
