"""What the unit-data API reads: the newest records of a cluster, and a resident's newest record of their
unit within their residency periods. Every query is an index lookup (``ReportedUnit``, then ``UnitData`` by
unit and ``datasetId``), so answers stay fast however long the history is.

Also the committed horizon of the table, up to which the incremental jobs (downtime extraction, rollups)
may move their watermarks."""

from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet

from apis.community.models import Unit
from apis.community.residency import Tenure, epoch_ms, in_periods
from apis.unit_data import documents
from apis.unit_data.models import ReportedUnit, UnitData


def cluster_latest_set(community_id: str, cluster_id: str) -> dict[str, dict]:
    """The records of the cluster's newest dataset keyed by unit id, plus, for each unit missing from it,
    that unit's own newest record (so a silent unit shows as stale instead of vanishing)."""
    units = ReportedUnit.objects.filter(community_id=community_id, cluster_id=cluster_id)
    newest = {
        pk: (unit_id, last) for pk, unit_id, last in units.values_list("id", "unit_id", "last_dataset_id")
    }
    if not newest:
        return {}
    keys = [Q(reported_unit=pk, dataset_id=last) for pk, (_, last) in newest.items()]
    rows = UnitData.objects.filter(reduce(or_, keys)).values_list("reported_unit", "document")
    return dict(sorted((newest[pk][0], documents.decode(blob)) for pk, blob in rows))


def resident_latest(community_id: str, cluster_id: str, unit_id: str, tenure: Tenure) -> dict | None:
    """The unit's newest record whose reporting cycle lies within the resident's periods (for a former
    resident the last one before moving out), ``None`` without any."""
    rows = unit_rows(community_id, cluster_id, unit_id)
    for period in reversed(in_periods("dataset_id", tenure.periods, epoch_ms)):
        blob = rows.filter(period).order_by("-dataset_id").values_list("document", flat=True).first()
        if blob is not None:
            return documents.decode(blob)
    return None


def unit_rows(community_id: str, cluster_id: str, unit_id: str) -> QuerySet:
    """The unit-data rows of one unit (none for a unit that never reported): a look-up of its key, then
    index ranges by ``(reported_unit, time)`` or ``(reported_unit, dataset_id)``."""
    ids = {"community_id": community_id, "cluster_id": cluster_id, "unit_id": unit_id}
    key = ReportedUnit.objects.filter(**ids).values_list("id", flat=True).first()
    return UnitData.objects.filter(reported_unit=key) if key is not None else UnitData.objects.none()


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
