"""Rollups of unit data: per unit and bucket (5 minutes, 1 hour, 1 day) the count, sum, minimum, maximum and
latest value of each metric of :mod:`apis.rollup.metrics`, and the energies integrated from the powers; and
rollups of deals: per unit, counterparty and bucket (1 hour, 1 day) the deals and the energy exchanged."""

from django.db import models

from apis.core.models import UNIT_KEY, UnitRecord, identity_field
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


class DealRollup(UnitRecord):
    """The deals between one unit and one counterparty unit in one bucket, seen from the unit.

    One table serves both views of the issue: a row is a (unit, counterparty) pair, so "per counterparty
    pair" is a row and "per unit" is the sum of the unit's rows (a unit deals with a handful of the units of
    its cluster, so that sum reads a few rows per bucket). A deal makes two rows' worth of numbers: in the
    row of its discharge unit (counterparty: the charge unit) ``discharge_deals`` 1 and ``discharged_wh``
    its Wh, and in the row of its charge unit (counterparty: the discharge unit) ``charge_deals`` 1 and
    ``charged_wh`` its Wh; ``deals`` counts each deal once per row it is in, so a deal of a unit with itself
    (one row, both sides) counts once there. A unit id a deal lacks (not reported, or not a string) is
    ``""``, so that every deal counts: the sum of ``discharged_wh`` over a cluster's rows, like the sum of
    ``charged_wh``, is the Wh of all its deals.

    The attribution rule is the one of ``sumOfCumulateAmountWhsByHour`` (:meth:`DealQuerySet.hour_sums
    <apis.deal.queries.DealQuerySet.hour_sums>`): the whole ``cumulateAmountWh`` of a deal (a missing one
    counts 0 Wh, the deal still counts) goes to the bucket holding its ``createDateTime``; a deal without a
    creation time counts nowhere. So for a whole-hour UTC offset, the endpoint's Wh for an hour of the day
    is the sum of ``discharged_wh`` over the cluster's hourly rows whose start falls on that hour at that
    offset, and for a resident's unit (within their periods) the sum of its ``discharged_wh`` and
    ``charged_wh``, less the ``charged_wh`` of its row with itself as the counterparty.

    Buckets are aligned as :class:`UnitRollup`'s: an hour on UTC, a day from local midnight of
    ``APIS_TIME_ZONE`` to the next (:mod:`apis.rollup.buckets`); changing the zone calls for
    ``rebuild_rollups``. Every row is computed from the deal rows (:mod:`apis.rollup.deals`), never added to.
    """

    counterparty_unit_id = identity_field(help_text='the other unit of the deals ("" when unknown)')
    resolution = models.PositiveIntegerField(choices=[(Resolution.HOUR, "1 hour"), (Resolution.DAY, "1 day")])
    bucket = models.DateTimeField(
        help_text="start of the bucket (UTC); 1 h aligned on UTC, 1 day at local midnight of APIS_TIME_ZONE"
    )
    deals = models.PositiveIntegerField(default=0, help_text="deals of the unit with the counterparty")
    discharge_deals = models.PositiveIntegerField(default=0, help_text="deals where the unit discharges")
    charge_deals = models.PositiveIntegerField(default=0, help_text="deals where the unit charges")
    discharged_wh = models.FloatField(default=0.0, help_text="Wh the unit discharged to the counterparty")
    charged_wh = models.FloatField(default=0.0, help_text="Wh the unit charged from the counterparty")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resolution", *UNIT_KEY, "bucket", "counterparty_unit_id"],
                name="dealrollup_unique_bucket",
            )
        ]
        indexes = [
            models.Index(
                fields=["resolution", "community_id", "cluster_id", "bucket"], name="dealrollup_cluster"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.unit_path} with {self.counterparty_unit_id or '?'} {self.get_resolution_display()} "
            f"from {self.bucket.isoformat()}"
        )


DEAL_ROLLUP_WATERMARK_ID = 1


class DealRollupWatermark(models.Model):
    """The single row (``id`` 1) holding the last deal revision the deal rollups processed."""

    last_revision = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"deals rolled up to revision {self.last_revision}"
