"""Unit data as apis-ccc reports it: one document per unit per reporting cycle (``datasetId``), stored
compactly (see docs/architecture.md §4): the unit as a key into ``ReportedUnit``, the document compressed
(:mod:`apis.unit_data.documents`) and the metrics the queries read as typed columns
(:mod:`apis.unit_data.metrics`)."""

from django.db import models

from apis.core.models import UnitRecord
from apis.unit_data import documents
from apis.unit_data.metrics import METRICS


class ReportedUnit(UnitRecord):
    """Every unit that ever reported, with its newest dataset: the small table behind ``unitIdList``, and the
    key by which the unit's rows name it."""

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


class UnitData(models.Model):
    """One unit's data of one reporting cycle.

    ``document`` is the document as reported, with its ``time`` normalised to ISO 8601 UTC, compressed
    (``data`` gives it back); the other columns are copies of the fields the API and the jobs filter, group,
    sort or aggregate on: one per metric of ``METRICS``, null where the document holds no number.
    """

    reported_unit = models.ForeignKey(
        ReportedUnit, on_delete=models.CASCADE, db_index=False, related_name="records", help_text="the unit"
    )
    dataset_id = models.BigIntegerField(help_text="epoch milliseconds of the reporting cycle")
    time = models.DateTimeField(null=True, help_text="the unit's own data time")
    effective_mode = models.CharField(max_length=32, null=True, help_text="apis.operation_mode.effective")
    document = models.BinaryField(help_text="the document, compressed (apis.unit_data.documents)")

    class Meta:
        verbose_name_plural = "unit data"
        constraints = [
            models.UniqueConstraint(fields=["reported_unit", "dataset_id"], name="unitdata_unique_dataset")
        ]
        indexes = [models.Index(fields=["reported_unit", "time"], name="unitdata_unit_time")]

    def __str__(self) -> str:
        return f"{self.reported_unit} #{self.dataset_id}"

    @property
    def data(self) -> dict:
        """The document as stored at ingest."""
        return documents.decode(self.document)


for _metric in METRICS:
    UnitData.add_to_class(_metric, models.FloatField(null=True, blank=True))
