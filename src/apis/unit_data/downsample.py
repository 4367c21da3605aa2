"""Downsampling of one unit's records in the database: the average of rsoc, PV power and DC-grid power per
equal time bucket, grouped by SQL on SQLite and PostgreSQL, so a month of 30-second data answers with a few
hundred points without loading the records into Python. A value that is missing or not a number in a record
is skipped (never a cast error)."""

import math
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Avg, Count, FloatField
from django.db.models.expressions import RawSQL

from apis.core.timeparse import iso_z
from apis.unit_data.models import UnitData

# Output name → JSON paths in the record, the first number found wins (rsoc as the original VISUAL reads it).
SERIES = {
    "rsoc": (("battery", "rsoc"), ("emu", "rsoc")),
    "pvPower": (("emu", "pvc_charge_power"),),
    "dcGridPower": (("dcdc", "meter", "wg"),),
}


def _column(name: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(UnitData._meta.db_table)}.{quote(UnitData._meta.get_field(name).column)}"


def json_number(path: tuple[str, ...]) -> str:
    """SQL for the number at ``path`` in ``data`` (the column qualified by the unit-data table), NULL when
    absent or not a number (never a cast error); shared with the rollups (``apis.rollup.metrics``)."""
    data = _column("data")
    if connection.vendor == "postgresql":
        pointer = "'{" + ",".join(path) + "}'"
        return (
            f"CASE WHEN jsonb_typeof({data} #> {pointer}) = 'number' "
            f"THEN ({data} #>> {pointer})::double precision END"
        )
    pointer = "'$." + ".".join(path) + "'"
    return (
        f"CASE WHEN json_type({data}, {pointer}) IN ('integer', 'real') "
        f"THEN json_extract({data}, {pointer}) END"
    )


def first_json_number(paths: tuple[tuple[str, ...], ...]) -> str:
    """SQL for the first number found at ``paths`` (in order) in ``data``, NULL when none holds a number."""
    if len(paths) == 1:
        return json_number(paths[0])
    return "COALESCE(" + ", ".join(map(json_number, paths)) + ")"


def _series(paths: tuple[tuple[str, ...], ...]) -> Avg:
    return Avg(RawSQL(first_json_number(paths), (), output_field=FloatField()))


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
        UnitData.objects.filter(
            community_id=community_id, cluster_id=cluster_id, unit_id=unit_id, time__gte=start, time__lt=end
        )
        .annotate(bucket=_bucket(origin, width))
        .values("bucket")
        .annotate(count=Count("pk"), **{name: _series(paths) for name, paths in SERIES.items()})
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
