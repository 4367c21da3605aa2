"""Downtimes of units, extracted incrementally from unit data (reference §6)."""

from django.db import models
from django.db.models import Q

UNIT_KEY = ("community_id", "cluster_id", "unit_id")


class Downtime(models.Model):
    """A period in which a unit was not operating autonomously; ``recovery_datetime`` is null while open."""

    community_id = models.CharField(max_length=128)
    cluster_id = models.CharField(max_length=128)
    unit_id = models.CharField(max_length=128)
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
        return f"{self.community_id}/{self.cluster_id}/{self.unit_id} down {self.down_datetime.isoformat()}"


class DowntimeStatus(models.Model):
    """Per unit: the ``time`` of the last unit-data sample the extraction processed."""

    community_id = models.CharField(max_length=128)
    cluster_id = models.CharField(max_length=128)
    unit_id = models.CharField(max_length=128)
    last_time = models.DateTimeField()

    class Meta:
        verbose_name_plural = "downtime statuses"
        constraints = [models.UniqueConstraint(fields=list(UNIT_KEY), name="downtimestatus_unique_unit")]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.cluster_id}/{self.unit_id}"


class Watermark(models.Model):
    """The single row (``id`` 1) holding the id of the last unit-data row the extraction processed."""

    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"unit data processed up to id {self.last_id}"
