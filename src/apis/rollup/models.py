"""Rollups of unit data: per unit and bucket (5 minutes, 1 hour, 1 day) the count, sum, minimum, maximum and
latest value of each metric of :mod:`apis.rollup.metrics`, and the energies integrated from the powers."""

from django.db import models

from apis.core.models import UNIT_KEY, UnitRecord
from apis.rollup.metrics import ENERGIES, METRICS, stat_column


class Resolution(models.IntegerChoices):
    """The width of a bucket in seconds (a day is nominal: a local day may have 23 or 25 hours)."""

    FIVE_MINUTES = 300, "5 minutes"
    HOUR = 3600, "1 hour"
    DAY = 86400, "1 day"


class UnitRollup(UnitRecord):
    """One unit's unit data in one bucket.

    ``bucket`` is the bucket's start as a UTC instant. The zone rule: 5-minute and hourly buckets are aligned
    on UTC (so they know no DST); a daily bucket starts at local midnight of ``APIS_TIME_ZONE`` and ends at
    the next one, so it lasts 23 or 25 hours on a DST change, and it holds the 5-minute buckets that start
    within it (exact in every zone whose offset is a whole number of 5 minutes, that is every zone since the
    local mean times of the early 20th century). Changing ``APIS_TIME_ZONE`` calls for ``rebuild_rollups``.

    ``records`` counts the raw rows in the bucket; per metric ``<m>_count`` counts the rows holding a number
    and ``<m>_sum``/``<m>_min``/``<m>_max``/``<m>_last`` (null while the count is 0) are their sum, minimum,
    maximum and the number of the latest of them (by time, then id). The energies (Wh, never null) add up
    power × dt over the rows: dt is the time since the unit's previous record, wherever that lies, capped at
    ``APIS_DATA_LOSS_TOLERANCE_SEC``, and 0 for the unit's first record ever.
    """

    resolution = models.PositiveIntegerField(choices=Resolution.choices)
    bucket = models.DateTimeField(
        help_text="start of the bucket (UTC); 5 min and 1 h aligned on UTC, 1 day at local midnight of "
        "APIS_TIME_ZONE"
    )
    records = models.PositiveIntegerField(default=0, help_text="raw unit-data rows in the bucket")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resolution", *UNIT_KEY, "bucket"], name="unitrollup_unique_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_path} {self.get_resolution_display()} from {self.bucket.isoformat()}"


def _value_fields() -> dict[str, models.Field]:
    fields: dict[str, models.Field] = {}
    for metric in METRICS:
        fields[stat_column(metric, "count")] = models.PositiveIntegerField(default=0)
        for stat in ("sum", "min", "max", "last"):
            fields[stat_column(metric, stat)] = models.FloatField(null=True, blank=True)
    for energy in ENERGIES:
        fields[energy] = models.FloatField(default=0.0, help_text="Wh")
    return fields


for _name, _field in _value_fields().items():
    UnitRollup.add_to_class(_name, _field)


ROLLUP_WATERMARK_ID = 1


class RollupWatermark(models.Model):
    """The single row (``id`` 1) holding the id of the last unit-data row the rollup job processed."""

    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"unit data rolled up to id {self.last_id}"
