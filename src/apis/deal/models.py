"""Energy-sharing deals as apis-ccc reports them: one row per ``dealId``, replaced by newer reports."""

from django.db import models

from apis.core.models import ClusterRecord, identity_field
from apis.deal.queries import DealQuerySet


class Deal(ClusterRecord):
    """The newest report of one deal.

    ``data`` is the deal as reported, with every ``*DateTime`` normalised to ISO 8601 UTC (``--`` → null);
    the other columns are copies of the fields the API filters, groups or sorts on.
    """

    deal_id = models.CharField(max_length=128)
    create_datetime = models.DateTimeField(null=True)
    deactivate_datetime = models.DateTimeField(null=True)
    report_time = models.BigIntegerField(help_text="epoch seconds of the newest report")
    discharge_unit_id = identity_field(null=True)
    charge_unit_id = identity_field(null=True)
    cumulate_amount_wh = models.FloatField(null=True)
    data = models.JSONField()

    objects = DealQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community_id", "cluster_id", "deal_id"], name="deal_unique_id")
        ]
        indexes = [
            models.Index(
                fields=["community_id", "cluster_id", "create_datetime"], name="deal_cluster_created"
            ),
            models.Index(fields=["community_id", "cluster_id", "report_time"], name="deal_cluster_reported"),
            models.Index(
                fields=["community_id", "cluster_id", "discharge_unit_id", "create_datetime"],
                name="deal_discharge_created",
            ),
            models.Index(
                fields=["community_id", "cluster_id", "charge_unit_id", "create_datetime"],
                name="deal_charge_created",
            ),
        ]

    def __str__(self) -> str:
        return self.deal_id
