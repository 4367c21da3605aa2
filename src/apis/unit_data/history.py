"""Staff unit history: one unit's rsoc, PV power and DC-grid power over a period, downsampled in the database.

``GET /api/staff/unitData/history?communityId=&clusterId=&unitId=&datetimeFrom=&datetimeTo=&points=``
splits ``[datetimeFrom, datetimeTo)`` into at most ``points`` equal buckets (whole seconds) and answers the
average of each value per bucket that has data. The rows are read through the ``(unit, time)`` index and
grouped by SQL (SQLite and PostgreSQL), so a month of 30-second data answers with a few hundred points
without loading the records into Python. A value that is missing or not a number in a record is skipped.
"""

import math
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Avg, Count, FloatField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse

from apis.community.access import staff_cluster
from apis.community.models import Unit
from apis.core.decorators import PERIOD_PARAMS, api, int_param, param, query_period
from apis.core.http import bad_request, json_response
from apis.core.openapi import UNIT_ID, Param, describe, json_answer, period, ref
from apis.core.timeparse import iso_z
from apis.unit_data.models import ReportedUnit, UnitData

DEFAULT_POINTS, MAX_POINTS = 500, 2000
# Output name → JSON paths in the record, the first number found wins (rsoc as the original VISUAL reads it).
SERIES = {
    "rsoc": (("battery", "rsoc"), ("emu", "rsoc")),
    "pvPower": (("emu", "pvc_charge_power"),),
    "dcGridPower": (("dcdc", "meter", "wg"),),
}


def _column(name: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(UnitData._meta.db_table)}.{quote(UnitData._meta.get_field(name).column)}"


def _number(path: tuple[str, ...]) -> str:
    """SQL for the number at ``path`` in ``data``, NULL when absent or not a number (never a cast error)."""
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


def _series(paths: tuple[tuple[str, ...], ...]) -> Avg:
    sql = _number(paths[0]) if len(paths) == 1 else "COALESCE(" + ", ".join(map(_number, paths)) + ")"
    return Avg(RawSQL(sql, (), output_field=FloatField()))


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


def _known_unit(community_id: str, cluster_id: str, unit_id: str) -> bool:
    ids = {"community_id": community_id, "cluster_id": cluster_id, "unit_id": unit_id}
    registered = Unit.objects.filter(cluster__community__code=community_id, cluster__code=cluster_id)
    return registered.filter(code=unit_id).exists() or ReportedUnit.objects.filter(**ids).exists()


@api("GET")
@staff_cluster
@describe(
    Param(
        "unitId",
        UNIT_ID,
        True,
        "a registered unit of the cluster, or one that reported",
        errors=("no param : unitId, datetimeFrom, datetimeTo", "unknown unitId : <value>"),
    ),
    *period(required=True),
    Param(
        "points",
        {"type": "integer", "minimum": 1, "maximum": MAX_POINTS},
        description=f"at most this many buckets ({DEFAULT_POINTS})",
        errors=(f"invalid points : <value> (expected an integer from 1 to {MAX_POINTS})",),
    ),
    answer=json_answer(ref("UnitHistory")),
)
def unit_history(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Bucketed averages of one unit's rsoc, PV power and DC-grid power over a required period."""
    unit_id = param(request, "unitId")
    required = ("unitId", *PERIOD_PARAMS)
    if not all(param(request, name) for name in required):
        return bad_request("no param : " + ", ".join(required))
    start, end = query_period(request)
    points = int_param(request, "points", DEFAULT_POINTS, MAX_POINTS)
    if not _known_unit(community_id, cluster_id, unit_id):
        return bad_request(f"unknown unitId : {unit_id}")
    return json_response(downsample(community_id, cluster_id, unit_id, start, end, points))
