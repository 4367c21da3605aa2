"""The ``downtime`` job of ``apis jobs``: extraction of downtime periods from the new unit data."""

from datetime import datetime

from django.conf import settings

from apis.downtime.extract import extract_pass
from apis.jobs.registry import Job, Phase, register


@register
def downtime_jobs() -> list[Job]:
    """One extraction pass every ``APIS_DOWNTIME_INTERVAL_SEC``."""
    return [Job("downtime", settings.DOWNTIME_INTERVAL_SEC, extract_downtime, Phase.DERIVE)]


def extract_downtime(now: datetime) -> str:
    """One extraction pass; how many unit-data rows it processed."""
    return f"{extract_pass(now)} unit-data rows processed"
