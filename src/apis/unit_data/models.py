"""Unit data as apis-ccc reports it: one document per unit per reporting cycle (``datasetId``)."""

from django.db import models

from apis.core.models import UnitRecord


class UnitData(UnitRecord):
    """One unit's data of one reporting cycle.

    ``data`` is the document as reported, with its ``time`` normalised to ISO 8601 UTC; the other
    columns are copies of the fields the API and the jobs filter, group or sort on.
    """

    dataset_id = models.BigIntegerField(help_text="epoch milliseconds of the reporting cycle")
    time = models.DateTimeField(null=True, help_text="the unit's own data time")
    effective_mode = models.CharField(max_length=32, null=True, help_text="apis.operation_mode.effective")
    data = models.JSONField()

    class Meta:
        verbose_name_plural = "unit data"
        constraints = [
            models.UniqueConstraint(
                fields=["community_id", "cluster_id", "unit_id", "dataset_id"], name="unitdata_unique_dataset"
            )
        ]
        indexes = [
            models.Index(
                fields=["community_id", "cluster_id", "dataset_id"], name="unitdata_cluster_dataset"
            ),
            models.Index(fields=["community_id", "cluster_id", "unit_id", "time"], name="unitdata_unit_time"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_path} #{self.dataset_id}"


class ReportedUnit(UnitRecord):
    """Every unit that ever reported, with its newest dataset: the small table behind ``unitIdList``."""

    last_dataset_id = models.BigIntegerField()
    last_time = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community_id", "cluster_id", "unit_id"], name="reportedunit_unique"
            )
        ]

    def __str__(self) -> str:
        return self.unit_path
