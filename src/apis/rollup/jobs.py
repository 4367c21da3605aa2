"""The ``rollup`` and ``deal_rollup`` jobs of ``apis jobs``: the rollups of the new unit data and of the
deals changed since the previous pass."""

from datetime import datetime

from django.conf import settings

from apis.jobs.registry import Job, Phase, register
from apis.rollup import retention  # noqa: F401  (registers the rollups' clean-up step)
from apis.rollup.compute import rollup_pass
from apis.rollup.deals import deal_rollup_pass
from apis.rollup.models import ROLLUP_WATERMARK_ID, RollupWatermark
from apis.unit_data.retention import register_reader


@register
def rollup_jobs() -> list[Job]:
    """One rollup pass of each kind every ``APIS_ROLLUP_INTERVAL_SEC``, the unit data's first."""
    return [
        Job("rollup", settings.ROLLUP_INTERVAL_SEC, roll_up, Phase.DERIVE),
        Job("deal_rollup", settings.ROLLUP_INTERVAL_SEC, roll_up_deals, Phase.DERIVE),
    ]


def roll_up(now: datetime) -> str:
    """One rollup pass; how many unit-data rows it processed."""
    return f"{rollup_pass(now)} unit-data rows rolled up"


def roll_up_deals(now: datetime) -> str:
    """One deal-rollup pass; how many deals it processed."""
    return f"{deal_rollup_pass(now)} deals rolled up"


@register_reader
def rolled_up_to() -> int:
    """The last unit-data id the rollups are done with (raw retention keeps the newer rows)."""
    watermark = RollupWatermark.objects.filter(pk=ROLLUP_WATERMARK_ID)
    return watermark.values_list("last_id", flat=True).first() or 0
