"""The ``downtime`` job of ``apis jobs``: extraction of downtime periods from the new unit data."""

from datetime import datetime

from django.conf import settings

from apis.downtime.extract import extract_pass
from apis.downtime.models import WATERMARK_ID, Watermark
from apis.jobs.registry import Job, Phase, register
from apis.unit_data.retention import register_reader


@register
def downtime_jobs() -> list[Job]:
    """One extraction pass every ``APIS_DOWNTIME_INTERVAL_SEC``."""
    return [Job("downtime", settings.DOWNTIME_INTERVAL_SEC, extract_downtime, Phase.DERIVE)]


def extract_downtime(now: datetime) -> str:
    """One extraction pass; how many unit-data rows it processed."""
    return f"{extract_pass(now)} unit-data rows processed"


@register_reader
def extracted_up_to() -> int:
    """The last unit-data id the extraction is done with (raw retention keeps the newer rows)."""
    return Watermark.objects.filter(pk=WATERMARK_ID).values_list("last_id", flat=True).first() or 0
