"""The ``rollup`` job of ``apis jobs``: the rollups of the new unit data."""

from datetime import datetime

from django.conf import settings

from apis.jobs.registry import Job, Phase, register
from apis.rollup import retention  # noqa: F401  (registers the rollups' clean-up step)
from apis.rollup.compute import rollup_pass
from apis.rollup.models import ROLLUP_WATERMARK_ID, RollupWatermark
from apis.unit_data.retention import register_reader


@register
def rollup_jobs() -> list[Job]:
    """One rollup pass every ``APIS_ROLLUP_INTERVAL_SEC``."""
    return [Job("rollup", settings.ROLLUP_INTERVAL_SEC, roll_up, Phase.DERIVE)]


def roll_up(now: datetime) -> str:
    """One rollup pass; how many unit-data rows it processed."""
    return f"{rollup_pass(now)} unit-data rows rolled up"


@register_reader
def rolled_up_to() -> int:
    """The last unit-data id the rollups are done with (raw retention keeps the newer rows)."""
    watermark = RollupWatermark.objects.filter(pk=ROLLUP_WATERMARK_ID)
    return watermark.values_list("last_id", flat=True).first() or 0
