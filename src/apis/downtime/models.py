"""Downtimes of units, extracted incrementally from unit data (reference §6)."""

from django.db import models
from django.db.models import Q

from apis.core.models import UNIT_KEY, UnitRecord


class Downtime(UnitRecord):
    """A period in which a unit was down: not operating autonomously, or silent for at least the tolerance
    (docs/availability.md); ``recovery_datetime`` is null while open. ``down_datetime`` is ``EARLIEST``
    (1900-01-01) for a unit without ``available_from`` that was silent before its first record."""

    down_datetime = models.DateTimeField()
    recovery_datetime = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=[*UNIT_KEY, "down_datetime"], name="downtime_unit_down"),
            models.Index(
                fields=["community_id", "cluster_id", "down_datetime"], name="downtime_cluster_down"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=list(UNIT_KEY), condition=Q(recovery_datetime__isnull=True), name="downtime_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_path} down {self.down_datetime.isoformat()}"


class DowntimeStatus(UnitRecord):
    """Per unit: where the extraction stands on the unit's record timeline (docs/availability.md).

    ``first_time`` is null for a status imported from the original (its history is then taken as imported)
    and ``lead_from`` is null while no downtime before the first record has been derived (unit not
    registered).
    """

    last_time = models.DateTimeField(help_text="time of the newest record processed")
    first_time = models.DateTimeField(null=True, blank=True, help_text="time of the oldest record processed")
    last_down = models.BooleanField(
        db_default=False, help_text="the newest record processed is not autonomous, so the unit stays down"
    )
    lead_from = models.DateTimeField(
        null=True, blank=True, help_text="window start the downtime before the first record was derived from"
    )

    class Meta:
        verbose_name_plural = "downtime statuses"
        constraints = [models.UniqueConstraint(fields=list(UNIT_KEY), name="downtimestatus_unique_unit")]

    def __str__(self) -> str:
        return self.unit_path


WATERMARK_ID = 1


class Watermark(models.Model):
    """The single row (``id`` 1) holding the id of the last unit-data row the extraction processed."""

    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"unit data processed up to id {self.last_id}"
