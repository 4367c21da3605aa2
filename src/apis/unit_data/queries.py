"""What the unit-data API reads: the newest records of a cluster, and a resident's newest record of their
unit within their residency periods. Every query is an index lookup (``ReportedUnit``, or ``UnitData`` by
cluster/unit and ``datasetId``), so answers stay fast however long the history is.

Also the committed horizon of the table, up to which the incremental jobs (downtime extraction, rollups)
may move their watermarks."""

from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Max, Q

from apis.community.models import Unit
from apis.community.residency import Tenure, epoch_ms, in_periods
from apis.unit_data.models import ReportedUnit, UnitData


def cluster_latest_set(community_id: str, cluster_id: str) -> dict[str, dict]:
    """The records of the cluster's newest dataset keyed by unit id, plus, for each unit missing from it,
    that unit's own newest record (so a silent unit shows as stale instead of vanishing)."""
    rows = UnitData.objects.filter(community_id=community_id, cluster_id=cluster_id)
    newest = rows.order_by("-dataset_id").values_list("dataset_id", flat=True).first()
    if newest is None:
        return {}
    latest = dict(rows.filter(dataset_id=newest).values_list("unit_id", "data"))
    stale = (
        ReportedUnit.objects.filter(community_id=community_id, cluster_id=cluster_id)
        .exclude(unit_id__in=latest)
        .values_list("unit_id", "last_dataset_id")
    )
    keys = [Q(unit_id=unit_id, dataset_id=dataset_id) for unit_id, dataset_id in stale]
    if keys:
        latest.update(rows.filter(reduce(or_, keys)).values_list("unit_id", "data"))
    return dict(sorted(latest.items()))


def resident_latest(community_id: str, cluster_id: str, unit_id: str, tenure: Tenure) -> dict | None:
    """The unit's newest record whose reporting cycle lies within the resident's periods (for a former
    resident the last one before moving out), ``None`` without any."""
    rows = UnitData.objects.filter(community_id=community_id, cluster_id=cluster_id, unit_id=unit_id)
    for period in reversed(in_periods("dataset_id", tenure.periods, epoch_ms)):
        data = rows.filter(period).order_by("-dataset_id").values_list("data", flat=True).first()
        if data is not None:
            return data
    return None


def committed_horizon() -> int:
    """The highest unit-data id below which every row is committed (or never will be).

    PostgreSQL hands out ids before commit, so rows can become visible out of id order; taking a SHARE lock
    waits for the writers in flight and the maximum is then final. SQLite commits writers one at a time.
    """
    if connection.vendor != "postgresql":
        return UnitData.objects.aggregate(top=Max("id"))["top"] or 0
    with transaction.atomic(), connection.cursor() as cursor:
        table = connection.ops.quote_name(UnitData._meta.db_table)
        cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        cursor.execute(f"SELECT MAX(id) FROM {table}")
        return cursor.fetchone()[0] or 0


def known_unit(community_id: str, cluster_id: str, unit_id: str) -> bool:
    """Whether ``unit_id`` is a registered unit of the cluster or one that reported in it."""
    ids = {"community_id": community_id, "cluster_id": cluster_id, "unit_id": unit_id}
    registered = Unit.objects.filter(cluster__community__code=community_id, cluster__code=cluster_id)
    return registered.filter(code=unit_id).exists() or ReportedUnit.objects.filter(**ids).exists()
