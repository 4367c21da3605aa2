"""Downsampling of one unit's records in the database: the average of rsoc, PV power and DC-grid power per
equal time bucket, grouped by SQL on SQLite and PostgreSQL, so a month of 30-second data answers with a few
hundred points without loading the records into Python. A record without a number for a series (its
metric column is null) is skipped in that series."""

import math
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Avg, Count
from django.db.models.expressions import RawSQL

from apis.core.timeparse import iso_z
from apis.unit_data.models import UnitData
from apis.unit_data.queries import unit_rows

# Output name → the metric column averaged (``apis.unit_data.metrics``).
SERIES = {"rsoc": "rsoc", "pvPower": "pv_w", "dcGridPower": "dc_grid_w"}


def _column(name: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(UnitData._meta.db_table)}.{quote(UnitData._meta.get_field(name).column)}"


def _bucket(start: datetime, width: int) -> RawSQL:
    """The bucket number of a row: whole ``width``-second steps from ``start``."""
    time = _column("time")
    if connection.vendor == "postgresql":
        sql = f"FLOOR((EXTRACT(EPOCH FROM {time}) - %s) / %s)::bigint"
    else:
        sql = f"(CAST(strftime('%%s', {time}) AS INTEGER) - %s) / %s"
    return RawSQL(sql, (int(start.timestamp()), width))


def downsample(
    community_id: str, cluster_id: str, unit_id: str, start: datetime, end: datetime, points: int
) -> dict:
    """The history document of the unit over ``[start, end)`` in at most ``points`` buckets."""
    origin = start.replace(microsecond=0)
    width = max(1, math.ceil((end - origin).total_seconds() / points))
    rows = (
        unit_rows(community_id, cluster_id, unit_id)
        .filter(time__gte=start, time__lt=end)
        .annotate(bucket=_bucket(origin, width))
        .values("bucket")
        .annotate(count=Count("pk"), **{name: Avg(metric) for name, metric in SERIES.items()})
        .order_by("bucket")
    )
    return {
        "communityId": community_id,
        "clusterId": cluster_id,
        "unitId": unit_id,
        "datetimeFrom": iso_z(start),
        "datetimeTo": iso_z(end),
        "bucketSeconds": width,
        "points": [
            {"time": iso_z(origin + timedelta(seconds=row.pop("bucket") * width)), **row} for row in rows
        ],
    }
