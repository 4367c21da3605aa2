"""Energy-sharing deals as apis-ccc reports them: one row per ``dealId``, replaced by newer reports; and what
the readers that follow the deals by revision need: the revision counter and the creation times deals left."""

from django.db import models

from apis.core.models import ClusterRecord, identity_field
from apis.deal.queries import DealQuerySet


class Deal(ClusterRecord):
    """The newest report of one deal.

    ``data`` is the deal as reported, with every ``*DateTime`` normalised to ISO 8601 UTC (``--`` → null);
    the other columns are copies of the fields the API filters, groups or sorts on.

    ``revision`` changes on every write by :func:`apis.deal.store.store_deals` (an insert or a replacement):
    it is handed out by :class:`DealRevision`, so a higher revision is always committed after a lower one,
    and the readers that follow deals (the deal rollups) read the deals changed since a watermark by it.
    A row written another way (a raw ``INSERT``, ``bulk_create``) keeps 0 and is seen only by a rebuild.
    """

    deal_id = models.CharField(max_length=128)
    create_datetime = models.DateTimeField(null=True)
    deactivate_datetime = models.DateTimeField(null=True)
    report_time = models.BigIntegerField(help_text="epoch seconds of the newest report")
    discharge_unit_id = identity_field(null=True)
    charge_unit_id = identity_field(null=True)
    cumulate_amount_wh = models.FloatField(null=True)
    data = models.JSONField()
    revision = models.BigIntegerField(
        default=0,
        db_default=0,
        help_text="revision of the newest write (DealRevision), 0: not written by store_deals",
    )

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
            models.Index(fields=["revision"], name="deal_revision"),
        ]

    def __str__(self) -> str:
        return self.deal_id


DEAL_REVISION_ID = 1


class DealRevision(models.Model):
    """The single row (``id`` 1) holding the last revision handed out to a deal write.

    :func:`apis.deal.store.store_deals` raises it in the transaction that writes the deals, so the row stays
    locked until that transaction ends: writes take their revisions one after the other, and every revision
    up to the committed value belongs to a committed write (or to one rolled back, which wrote nothing)."""

    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"deal revisions handed out up to {self.last}"


class DealMove(ClusterRecord):
    """A creation time a deal left: written with the revision of the report that changed (or cleared) a
    stored deal's ``createDateTime``, so that a reader attributing deals to their creation time (the deal
    rollups) corrects the bucket the deal left; the deal rollups delete the moves they have processed."""

    create_datetime = models.DateTimeField(help_text="the creation time the deal had before")
    revision = models.BigIntegerField(help_text="revision of the write that moved the deal")

    class Meta:
        indexes = [models.Index(fields=["revision"], name="dealmove_revision")]

    def __str__(self) -> str:
        return f"deal moved from {self.create_datetime.isoformat()} at revision {self.revision}"
