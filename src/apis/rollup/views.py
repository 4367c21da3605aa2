"""Unit data aggregated over the rollups (:class:`apis.rollup.models.UnitRollup`): one unit's buckets of
5 minutes, 1 hour or 1 local day over a period, as JSON or streamed CSV.

``GET /api/staff/unitData/aggregate`` and ``GET /api/resident/unitData/aggregate`` take
``communityId``/``clusterId``/``unitId``, a required ``datetimeFrom``/``datetimeTo``, ``resolution``
(``auto``, ``5min``, ``1h``, ``1d``), ``fields`` (a comma list of :data:`FIELDS`, all of them by default)
and ``format`` (``json``, ``csv``). The buckets answered are those whose start lies in
``[datetimeFrom, datetimeTo)``, in time order, read by one query on the rollups' unique index
(resolution, community, cluster, unit, bucket); a resident gets only the buckets whose start lies in one
of their residency periods.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import reduce
from operator import or_

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from apis.community.access import resident_unit, staff_cluster
from apis.community.residency import Tenure, in_periods
from apis.core.decorators import PERIOD_PARAMS, api, param, query_period
from apis.core.errors import InvalidRequest
from apis.core.http import json_response
from apis.core.openapi import (
    DATETIME,
    NUMBER,
    STRING,
    Answer,
    Param,
    array_of,
    describe,
    nullable,
    period,
)
from apis.core.timeparse import iso_z
from apis.rollup.metrics import ENERGIES, METRICS, stat_column
from apis.rollup.models import Resolution, UnitRollup
from apis.unit_data.history import KNOWN_UNIT_PARAM, UNIT_PERIOD_PARAMS
from apis.unit_data.queries import known_unit

RESOLUTIONS: dict[str, int] = {
    "5min": Resolution.FIVE_MINUTES.value,
    "1h": Resolution.HOUR.value,
    "1d": Resolution.DAY.value,
}
AUTO = "auto"
# ``auto`` picks the finest resolution whose buckets over the period number at most this many
# (5 minutes up to 6.94 days, 1 hour up to 83.3 days, 1 day beyond).
MAX_AUTO_POINTS = 2000

AGGREGATES = ("avg", "min", "max", "last")
FIELDS: tuple[str, ...] = (
    "records",
    *(f"{metric}_{aggregate}" for metric in METRICS for aggregate in AGGREGATES),
    *ENERGIES,
)
MAX_FIELDS, MAX_FIELD_LENGTH, MAX_SHOWN = 60, 40, 40
FORMATS = ("json", "csv")
CSV_ROWS_PER_CHUNK = 500

_RESOLUTION_ERROR = "invalid resolution : {} (expected auto, 5min, 1h or 1d)"
_FORMAT_ERROR = "invalid format : {} (expected json or csv)"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")


def _shown(raw: str) -> str:
    return raw[:MAX_SHOWN]


def _fields(raw: str) -> tuple[str, ...]:
    """The requested fields in their order (all of :data:`FIELDS` when ``raw`` is empty)."""
    if not raw:
        return FIELDS
    names = raw.split(",")
    if len(names) > MAX_FIELDS:
        raise InvalidRequest(f"too many fields : {len(names)} (at most {MAX_FIELDS})")
    for name in names:
        if len(name) > MAX_FIELD_LENGTH:
            raise InvalidRequest(f"field too long : {_shown(name)}… (at most {MAX_FIELD_LENGTH} characters)")
    return tuple(names)


def _check_fields(names: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for name in names:
        if name not in FIELDS:
            raise InvalidRequest(f"unknown field : {name}")
        if name in seen:
            raise InvalidRequest(f"duplicate field : {name}")
        seen.add(name)


def auto_resolution(start: datetime, end: datetime) -> str:
    """The finest resolution giving at most :data:`MAX_AUTO_POINTS` buckets over ``[start, end)``."""
    seconds = (end - start).total_seconds()
    for name, width in RESOLUTIONS.items():
        if seconds <= MAX_AUTO_POINTS * width:
            return name
    return "1d"


def _columns(fields: Sequence[str]) -> tuple[str, ...]:
    """The rollup columns the fields are computed from."""
    columns: list[str] = []
    for name in fields:
        metric, _, aggregate = name.rpartition("_")
        if metric in METRICS and aggregate == "avg":
            needed = [stat_column(metric, "sum"), stat_column(metric, "count")]
        else:
            needed = [name]
        columns += [column for column in needed if column not in columns]
    return tuple(columns)


def _values(fields: Sequence[str], row: dict) -> list:
    values = []
    for name in fields:
        metric, _, aggregate = name.rpartition("_")
        if metric in METRICS and aggregate == "avg":
            count = row[stat_column(metric, "count")]
            values.append(row[stat_column(metric, "sum")] / count if count else None)
        else:
            values.append(row[name])
    return values


class AggregateQuery:
    """A checked aggregate request."""

    def __init__(self, request: HttpRequest, ids: tuple[str, str, str], required: tuple[str, ...]):
        fields = _fields(param(request, "fields"))
        resolution = param(request, "resolution")
        file_format = param(request, "format")
        for name, raw in (("resolution", resolution), ("format", file_format)):
            if len(raw) > MAX_FIELD_LENGTH:
                raise InvalidRequest(
                    f"{name} too long : {_shown(raw)}… (at most {MAX_FIELD_LENGTH} characters)"
                )
        if not all(param(request, name) for name in required):
            raise InvalidRequest("no param : " + ", ".join(required))
        start, end = query_period(request)
        assert start is not None and end is not None
        resolution = resolution or AUTO
        if resolution != AUTO and resolution not in RESOLUTIONS:
            raise InvalidRequest(_RESOLUTION_ERROR.format(resolution))
        _check_fields(fields)
        file_format = file_format or "json"
        if file_format not in FORMATS:
            raise InvalidRequest(_FORMAT_ERROR.format(file_format))
        self.ids, self.start, self.end, self.fields, self.format = ids, start, end, fields, file_format
        self.resolution = auto_resolution(start, end) if resolution == AUTO else resolution
        self.seconds = RESOLUTIONS[self.resolution]

    def rows(self, periods: Iterable[tuple[datetime, datetime | None]] | None = None) -> Iterator[list]:
        """``[bucket, *values]`` per bucket in time order (only buckets starting in ``periods`` if given)."""
        community_id, cluster_id, unit_id = self.ids
        rollups = UnitRollup.objects.filter(
            resolution=self.seconds,
            community_id=community_id,
            cluster_id=cluster_id,
            unit_id=unit_id,
            bucket__gte=self.start,
            bucket__lt=self.end,
        )
        if periods is not None:
            rollups = rollups.filter(reduce(or_, in_periods("bucket", periods)))
        query = rollups.order_by("bucket").values("bucket", *_columns(self.fields))
        for row in query.iterator(chunk_size=2000):
            yield [row["bucket"], *_values(self.fields, row)]

    def answer(self, periods: Iterable[tuple[datetime, datetime | None]] | None = None) -> HttpResponse:
        if self.format == "csv":
            return self._csv(self.rows(periods))
        community_id, cluster_id, unit_id = self.ids
        points = [
            {"time": iso_z(bucket), **dict(zip(self.fields, values, strict=True))}
            for bucket, *values in self.rows(periods)
        ]
        return json_response(
            {
                "communityId": community_id,
                "clusterId": cluster_id,
                "unitId": unit_id,
                "datetimeFrom": iso_z(self.start),
                "datetimeTo": iso_z(self.end),
                "resolution": self.resolution,
                "bucketSeconds": self.seconds,
                "fields": list(self.fields),
                "points": points,
            }
        )

    def _csv(self, rows: Iterator[list]) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            _csv_chunks(self.fields, rows), content_type="text/csv; charset=utf-8"
        )
        name = _UNSAFE_FILENAME.sub("_", "_".join((*self.ids, self.resolution)))
        response["Content-Disposition"] = f'attachment; filename="aggregate_{name}.csv"'
        response["X-Accel-Buffering"] = "no"  # proxies pass the stream on instead of buffering it
        return response


def _csv_chunks(fields: Sequence[str], rows: Iterator[list]) -> Iterator[bytes]:
    """``time,<fields>`` then a line per bucket (empty cells for nulls), a chunk per few hundred lines."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["time", *fields])
    for count, (bucket, *values) in enumerate(rows, 1):
        writer.writerow([iso_z(bucket), *("" if value is None else repr(value) for value in values)])
        if count % CSV_ROWS_PER_CHUNK == 0:
            yield text.getvalue().encode()
            text.seek(0)
            text.truncate()
    yield text.getvalue().encode()


# ---- OpenAPI -------------------------------------------------------------------------------------------

_FIELD_SCHEMAS = {"records": {"type": "integer", "minimum": 0}} | {
    name: (NUMBER if name in ENERGIES else nullable(NUMBER)) for name in FIELDS[1:]
}
AGGREGATE_SCHEMA = {
    "type": "object",
    "required": [
        "communityId",
        "clusterId",
        "unitId",
        "datetimeFrom",
        "datetimeTo",
        "resolution",
        "bucketSeconds",
        "fields",
        "points",
    ],
    "properties": {
        "communityId": STRING,
        "clusterId": STRING,
        "unitId": STRING,
        "datetimeFrom": DATETIME,
        "datetimeTo": DATETIME,
        "resolution": {"type": "string", "enum": list(RESOLUTIONS)},
        "bucketSeconds": {"type": "integer", "enum": list(RESOLUTIONS.values())},
        "fields": array_of({"type": "string", "enum": list(FIELDS)}),
        "points": array_of(
            {
                "type": "object",
                "required": ["time"],
                "properties": {"time": DATETIME, **_FIELD_SCHEMAS},
                "description": "one bucket: its start and the requested fields",
            }
        ),
    },
    "description": "one unit's rollups over the period; `<metric>_avg` is null when no record had a number",
}
ANSWER = Answer(
    "JSON, or with `format=csv` a CSV attachment: `time,<fields>` then a line per bucket (empty cells for "
    "nulls)",
    {"application/json": AGGREGATE_SCHEMA, "text/csv": None},
)
_COMMON_PARAMS = (
    *period(required=True),
    Param(
        "resolution",
        {"type": "string", "enum": [AUTO, *RESOLUTIONS]},
        description="the bucket width; `auto` (default): the finest giving at most "
        f"{MAX_AUTO_POINTS} buckets over the period",
        errors=(
            _RESOLUTION_ERROR.format("<value>"),
            f"resolution too long : <value>… (at most {MAX_FIELD_LENGTH} characters)",
        ),
    ),
    Param(
        "fields",
        {"type": "string", "example": "records,rsoc_avg,pv_wh"},
        description="comma-separated columns out of "
        + ", ".join(f"`{name}`" for name in FIELDS)
        + f" (default: all, in this order); at most {MAX_FIELDS} names of at most "
        f"{MAX_FIELD_LENGTH} characters",
        errors=(
            "unknown field : <value>",
            "duplicate field : <value>",
            f"too many fields : <count> (at most {MAX_FIELDS})",
            f"field too long : <value>… (at most {MAX_FIELD_LENGTH} characters)",
        ),
    ),
    Param(
        "format",
        {"type": "string", "enum": list(FORMATS)},
        description="`json` (default) or `csv`",
        errors=(
            _FORMAT_ERROR.format("<value>"),
            f"format too long : <value>… (at most {MAX_FIELD_LENGTH} characters)",
        ),
    ),
)


@api("GET")
@staff_cluster
@describe(
    KNOWN_UNIT_PARAM,
    *_COMMON_PARAMS,
    answer=ANSWER,
)
def staff_aggregate(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """One unit's rollups (5 min, 1 h or 1 local day) over a required period, as JSON or CSV."""
    unit_id = param(request, "unitId")
    checked = AggregateQuery(request, (community_id, cluster_id, unit_id), UNIT_PERIOD_PARAMS)
    if not known_unit(community_id, cluster_id, unit_id):
        raise InvalidRequest(f"unknown unitId : {unit_id}")
    return checked.answer()


@api("GET")
@resident_unit
@describe(
    *_COMMON_PARAMS,
    errors={400: "no param : " + ", ".join(PERIOD_PARAMS)},
    answer=ANSWER,
)
def resident_aggregate(
    request: HttpRequest, community_id: str, cluster_id: str, unit_id: str, tenure: Tenure
) -> HttpResponse:
    """The resident's unit's rollups over a required period, as JSON or CSV: only the buckets starting
    within the resident's periods."""
    checked = AggregateQuery(request, (community_id, cluster_id, unit_id), PERIOD_PARAMS)
    return checked.answer(tenure.periods)
