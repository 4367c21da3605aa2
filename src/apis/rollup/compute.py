"""Incremental rollups of unit data (:class:`apis.rollup.models.UnitRollup`).

A pass reads the unit-data rows stored since the previous pass (``id`` above the watermark, up to the
committed horizon of :func:`apis.unit_data.queries.committed_horizon`), in id order and in chunks, like the
downtime extraction. Every chunk is one transaction that first advances the watermark with a conditional
``UPDATE``: a second runner working on the same rows waits for it, then matches nothing and stops, and a
runner killed mid-chunk rolls the whole chunk back, watermark included, so the next pass does it again.

Nothing is added to a stored rollup: the 5-minute buckets a chunk touches are recomputed from the raw rows,
so doing a chunk twice, re-sent records (which are not stored again) and late records all give the rollups
a direct computation would. A chunk recomputes

* the 5-minute buckets of its rows, late ones included;
* for each run of consecutive such buckets of a unit, the bucket of the unit's next record after the run:
  a new record changes the dt (and so the energy) of the record after it. Only a next record within the
  data-loss cap of the run's end can see its dt change from one stored record to another, but a next record
  that was the unit's first (dt 0) gets a dt however far away, so the next record's bucket is always
  recomputed: one bucket per run, and none for data arriving in order;
* the hours holding those buckets, from their 5-minute rows, and the local days holding them: from their
  hourly rows when the day starts and ends on whole UTC hours, as in every zone with a whole-hour offset,
  DST included; from their 5-minute rows otherwise (a day in Asia/Kolkata, +05:30, starts in the middle of
  a UTC hour). Reading 24 hourly rows instead of 288 five-minute ones keeps the days cheap where possible.

The 5-minute buckets are computed in SQL (a ``LAG`` window over each unit's records for dt, ``FIRST_VALUE``
for the latest value, ``GROUP BY`` for the rest) for a batch of buckets at a time; the coarser buckets are
combined from at most a few dozen finer rows each, in Python.
"""

import logging
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apis.core.models import UNIT_KEY
from apis.core.sql import insert_rows
from apis.rollup.buckets import bucket_end, day_start, is_aligned, utc_floor
from apis.rollup.metrics import ENERGIES, METRICS, STAT_COLUMNS, energy_sql, metric_sql, stat_column
from apis.rollup.models import ROLLUP_WATERMARK_ID, Resolution, RollupWatermark, UnitRollup
from apis.unit_data.models import UnitData
from apis.unit_data.queries import committed_horizon
from apis.unit_data.retention import raw_retention_bound
from apis.unit_data.store import reported_unit_ids

logger = logging.getLogger(__name__)

# Unit-data rows per chunk (one transaction) and per pass; a pass ends on a chunk boundary.
CHUNK_ROWS = 5_000
MAX_ROWS_PER_PASS = 500_000
# 5-minute buckets recomputed by one SQL statement, and coarser buckets combined per read of finer rows.
BUCKETS_PER_QUERY = 500
TARGETS_PER_QUERY = 200

FIVE_MINUTES, HOUR, DAY = Resolution.FIVE_MINUTES.value, Resolution.HOUR.value, Resolution.DAY.value

Key = tuple[str, str, str]
Bucket = tuple[Key, datetime]
"""A unit's bucket: the unit's ids and the bucket's start."""

VALUE_COLUMNS = ("records", *STAT_COLUMNS, *ENERGIES)
ROW_KEY = ("resolution", *UNIT_KEY, "bucket")
COLUMNS = (*ROW_KEY, *VALUE_COLUMNS)


def rollup_pass(
    now: datetime | None = None, *, chunk_rows: int = CHUNK_ROWS, max_rows: int = MAX_ROWS_PER_PASS
) -> int:
    """Run one incremental pass; returns the number of unit-data rows processed.

    ``now`` is accepted as every job's argument; rollups do not depend on the wall clock. At most
    ``max_rows`` rows (rounded up to whole chunks) are processed; the rest of a backlog is left for the next
    passes.
    """
    insert_rows(RollupWatermark, ("id", "last_id"), [(ROLLUP_WATERMARK_ID, 0)], conflict=("id",))
    horizon = committed_horizon()
    after = RollupWatermark.objects.values_list("last_id", flat=True).get(pk=ROLLUP_WATERMARK_ID)
    processed = buckets = 0
    while processed < max_rows:
        outcome = _process_chunk(after, horizon, chunk_rows)
        if outcome is None:
            logger.info("rollups: another runner is ahead, pass ends")
            break
        count, after, recomputed = outcome
        processed += count
        buckets += recomputed
        if count < chunk_rows:
            break
    logger.info("rollups: %d rows processed, %d 5-minute buckets recomputed", processed, buckets)
    return processed


def _chunk(after: int, horizon: int, limit: int) -> list[tuple]:
    """Up to ``limit`` unit-data rows after id ``after`` in id order: (id, community, cluster, unit, time)."""
    rows = UnitData.objects.filter(id__gt=after, id__lte=horizon).order_by("id")
    return list(rows.values_list("id", *(f"reported_unit__{name}" for name in UNIT_KEY), "time")[:limit])


def _process_chunk(after: int, horizon: int, limit: int) -> tuple[int, int, int] | None:
    """Process the chunk after id ``after``: (rows, last id, 5-minute buckets), ``None`` when overtaken."""
    rows = _chunk(after, horizon, limit)
    if not rows:
        return 0, after, 0
    last_id = rows[-1][0]
    atoms = {((c, k, u), utc_floor(time, FIVE_MINUTES)) for _, c, k, u, time in rows if time is not None}
    with transaction.atomic():
        if not RollupWatermark.objects.filter(pk=ROLLUP_WATERMARK_ID, last_id=after).update(last_id=last_id):
            return None
        recomputed = refresh(atoms)
    return len(rows), last_id, recomputed


def refresh(atoms: set[Bucket], hours: Iterable[Bucket] = (), days: Iterable[Bucket] = ()) -> int:
    """Recompute the 5-minute buckets ``atoms`` and the bucket of each run's next record from the raw rows,
    then the hours and local days holding them, and ``hours`` and ``days`` too (a coarser bucket left
    without finer rows is deleted). Call it inside a transaction. Returns the 5-minute buckets recomputed."""
    atoms = _recomputable(atoms | _next_atoms(atoms))
    recompute_atoms(atoms)
    combine(HOUR, {(key, utc_floor(start, HOUR)) for key, start in atoms} | set(hours))
    combine(DAY, {(key, day_start(start)) for key, start in atoms} | set(days))
    return len(atoms)


def _recomputable(atoms: set[Bucket]) -> set[Bucket]:
    """``atoms`` without the 5-minute buckets that start before the raw retention bound and already have a
    rollup: their raw rows may be gone, and a late record there must not replace what was counted with
    itself (the late record is then left out of the rollups)."""
    bound = raw_retention_bound(timezone.now())
    old: dict[Key, list[datetime]] = defaultdict(list)
    for key, start in atoms:
        if bound is not None and start < bound:
            old[key].append(start)
    kept: set[Bucket] = set()
    for (community_id, cluster_id, unit_id), starts in old.items():
        rollups = UnitRollup.objects.filter(
            resolution=FIVE_MINUTES,
            community_id=community_id,
            cluster_id=cluster_id,
            unit_id=unit_id,
            bucket__in=starts,
        )
        key = (community_id, cluster_id, unit_id)
        kept |= {(key, bucket) for bucket in rollups.values_list("bucket", flat=True)}
    return atoms - kept


# ---- SQL helpers ------------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


_UNIT_COLUMN = _quote(UnitData._meta.get_field("reported_unit").column)
_ID_PLACEHOLDER = "CAST(%s AS bigint)"  # typed even when every unit of a batch is unknown (NULL)


def _time_placeholder() -> str:
    return "CAST(%s AS timestamp with time zone)" if connection.vendor == "postgresql" else "%s"


def _time_param(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def _time_value(value: object) -> datetime | None:
    """A time read by raw SQL as an aware UTC datetime (SQLite returns its stored text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _seconds(later: str, earlier: str) -> str:
    """SQL for the seconds from ``earlier`` to ``later`` (SQLite: from Julian days, to the millisecond)."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS double precision)"
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


def _batches(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---- the next record after each run of buckets ----------------------------------------------------------


def _run_ends(atoms: set[Bucket]) -> list[Bucket]:
    """The end of every run of consecutive 5-minute buckets of a unit in ``atoms``."""
    width = timedelta(seconds=FIVE_MINUTES)
    present = set(atoms)
    return sorted((key, start + width) for key, start in atoms if (key, start + width) not in present)


def _next_atoms(atoms: set[Bucket]) -> set[Bucket]:
    """The 5-minute bucket of each unit's first record at or after the end of each run of ``atoms``."""
    found: set[Bucket] = set()
    table = _quote(UnitData._meta.db_table)
    ends = _run_ends(atoms)
    pks = reported_unit_ids([key for key, _ in ends])
    for batch in _batches(ends, BUCKETS_PER_QUERY):
        values = ", ".join([f"(%s, {_ID_PLACEHOLDER}, {_time_placeholder()})"] * len(batch))
        sql = (
            f"WITH runs (n, unit_pk, run_end) AS (VALUES {values}) "
            f"SELECT n, (SELECT MIN(d.{_quote('time')}) FROM {table} d "
            f"WHERE d.{_UNIT_COLUMN} = runs.unit_pk AND d.{_quote('time')} >= runs.run_end) FROM runs"
        )
        params = [p for n, (key, end) in enumerate(batch) for p in (n, pks.get(key), _time_param(end))]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for n, first in cursor.fetchall():
                if (moment := _time_value(first)) is not None:
                    found.add((batch[n][0], utc_floor(moment, FIVE_MINUTES)))
    return found


# ---- 5-minute buckets from the raw rows -----------------------------------------------------------------


def _records_sql() -> str:
    """The FROM clause of every wanted bucket's records from its ``lead_from`` on: the bucket's columns
    (``n``, the unit, ``lead_from``, ``b_start``) and the record's ``row_id``, ``row_time``, ``m_<metric>``.

    On PostgreSQL a LATERAL subquery reads each bucket's records by the (unit, time) index: a plain join is
    hashed on the unit alone and matches every record of a unit with every wanted bucket of it (``OFFSET 0``
    keeps the planner from turning the subquery back into that join)."""
    table, time = _quote(UnitData._meta.db_table), _quote("time")
    columns = f"{table}.id AS row_id, {table}.{time} AS row_time" + "".join(
        f", {metric_sql(m)} AS m_{m}" for m in METRICS
    )
    match = f"{table}.{_UNIT_COLUMN} = w.unit_pk"
    match += f" AND {table}.{time} >= w.lead_from AND {table}.{time} < w.b_stop"
    if connection.vendor == "postgresql":
        return f"wanted w CROSS JOIN LATERAL (SELECT {columns} FROM {table} WHERE {match} OFFSET 0) d"
    return f"(SELECT w.*, {columns} FROM wanted w JOIN {table} ON {match}) d"


def _atoms_sql(count: int, cap: int) -> str:
    """SQL computing ``count`` wanted 5-minute buckets (n, unit, lead_from, start, end) from the raw rows:
    one row per bucket holding records, its n then ``VALUE_COLUMNS``.

    Each bucket reads its unit's records from ``cap`` seconds before its start: the record before its first
    one, when it lies within the cap, gives that one's dt; an older one gives the cap, none at all 0."""
    table, time = _quote(UnitData._meta.db_table), _quote("time")
    tp = _time_placeholder()
    values = ", ".join([f"(%s, {_ID_PLACEHOLDER}, {tp}, {tp}, {tp})"] * count)
    metrics = "".join(f", m_{m}" for m in METRICS)
    latest = "".join(
        f", FIRST_VALUE(m_{m}) OVER (PARTITION BY n ORDER BY CASE WHEN m_{m} IS NULL THEN 1 ELSE 0 END, "
        f"row_time DESC, row_id DESC) AS l_{m}"
        for m in METRICS
    )
    stats = "".join(f", COUNT(m_{m}), SUM(m_{m}), MIN(m_{m}), MAX(m_{m}), MAX(l_{m})" for m in METRICS)
    energies = "".join(
        f", COALESCE(SUM(({energy_sql(e, 'm_' + metric)}) * dt), 0) / 3600.0"
        for e, (metric, _) in ENERGIES.items()
    )
    # MAX rather than EXISTS: both databases read it from the end of the (unit, time) index
    earlier = (
        f"(SELECT MAX(p.{time}) FROM {table} p "
        f"WHERE p.{_UNIT_COLUMN} = timeline.unit_pk AND p.{time} < timeline.lead_from)"
    )
    gap = _seconds("timeline.row_time", "timeline.row_previous")
    dt = (
        f"CASE WHEN row_previous IS NULL THEN (CASE WHEN {earlier} IS NULL THEN 0 ELSE {cap} END) "
        f"WHEN {gap} >= {cap} THEN {cap} ELSE {gap} END"
    )
    return (
        f"WITH wanted (n, unit_pk, lead_from, b_start, b_stop) "
        f"AS (VALUES {values}), "
        f"timeline AS (SELECT n, unit_pk, lead_from, b_start, row_id, row_time, "
        f"LAG(row_time) OVER (PARTITION BY n ORDER BY row_time, row_id) AS row_previous{metrics} "
        f"FROM {_records_sql()}), "
        f"spans AS (SELECT timeline.*, {dt} AS dt{latest} FROM timeline WHERE row_time >= b_start) "
        f"SELECT n, COUNT(*){stats}{energies} FROM spans GROUP BY n"
    )


def recompute_atoms(atoms: Iterable[Bucket]) -> int:
    """Compute the 5-minute buckets ``atoms`` from the raw rows and upsert them; returns the rows written."""
    cap = settings.DATA_LOSS_TOLERANCE_SEC
    width, lead = timedelta(seconds=FIVE_MINUTES), timedelta(seconds=cap)
    written = 0
    wanted = sorted(set(atoms))
    pks = reported_unit_ids([key for key, _ in wanted])
    for batch in _batches(wanted, BUCKETS_PER_QUERY):
        params = [
            p
            for n, (key, start) in enumerate(batch)
            for p in (n, pks.get(key), *(_time_param(t) for t in (start - lead, start, start + width)))
        ]
        with connection.cursor() as cursor:
            cursor.execute(_atoms_sql(len(batch), cap), params)
            rows = [(FIVE_MINUTES, *batch[n][0], batch[n][1], *values) for n, *values in cursor.fetchall()]
        written += _upsert(rows)
    return written


def _upsert(rows: list[tuple]) -> int:
    return insert_rows(UnitRollup, COLUMNS, rows, conflict=ROW_KEY, update=VALUE_COLUMNS)


# ---- hours and days from finer rows ----------------------------------------------------------------------


def _source(resolution: int, start: datetime, end: datetime) -> int:
    """The resolution a bucket is combined from: a day on whole UTC hours from hours, else 5 minutes."""
    if resolution == DAY and is_aligned(start, HOUR) and is_aligned(end, HOUR):
        return HOUR
    return FIVE_MINUTES


def combine(resolution: int, targets: Iterable[Bucket]) -> None:
    """Recompute the ``resolution`` buckets ``targets`` from their finer rows (a target without any is
    deleted)."""
    spans: dict[int, list[tuple[Key, datetime, datetime]]] = defaultdict(list)
    for key, start in set(targets):
        end = bucket_end(resolution, start)
        spans[_source(resolution, start, end)].append((key, start, end))
    for source, items in spans.items():
        for batch in _batches(sorted(items), TARGETS_PER_QUERY):
            _combine_batch(resolution, source, batch)


def _combine_batch(resolution: int, source: int, targets: Sequence[tuple[Key, datetime, datetime]]) -> None:
    parts = _finer_rows(source, targets)
    rows, empty = [], []
    for key, start, _ in targets:
        if found := parts.get((key, start)):
            rows.append((resolution, *key, start, *merged(found)))
        else:
            empty.append(Q(**dict(zip(UNIT_KEY, key, strict=True)), bucket=start))
    _upsert(rows)
    if empty:
        UnitRollup.objects.filter(resolution=resolution).filter(reduce(or_, empty)).delete()


def _finer_rows(source: int, targets: Sequence[tuple[Key, datetime, datetime]]) -> dict[Bucket, list[dict]]:
    """The ``source`` rows inside each target, in bucket order, keyed by the target."""
    starts: dict[Key, list[datetime]] = defaultdict(list)
    spans = []
    for key, start, end in targets:
        starts[key].append(start)
        spans.append(Q(**dict(zip(UNIT_KEY, key, strict=True)), bucket__gte=start, bucket__lt=end))
    rows = (
        UnitRollup.objects.filter(resolution=source)
        .filter(reduce(or_, spans))
        .order_by(*UNIT_KEY, "bucket")
        .values_list(*UNIT_KEY, "bucket", *VALUE_COLUMNS)
    )
    found: dict[Bucket, list[dict]] = defaultdict(list)
    for community_id, cluster_id, unit_id, bucket, *values in rows:
        key = (community_id, cluster_id, unit_id)
        unit_starts = starts[key]
        target = unit_starts[bisect_right(unit_starts, bucket) - 1]
        found[(key, target)].append(dict(zip(VALUE_COLUMNS, values, strict=True)))
    return found


def merged(parts: Sequence[dict]) -> tuple:
    """The values (``VALUE_COLUMNS``) of a bucket made of the finer rows ``parts``, in bucket order."""
    values: dict[str, object] = {"records": sum(part["records"] for part in parts)}
    for metric in METRICS:
        count, total, low, high, last = (
            stat_column(metric, stat) for stat in ("count", "sum", "min", "max", "last")
        )
        seen = [part for part in parts if part[count]]
        values[count] = sum(part[count] for part in seen)
        values[total] = math.fsum(part[total] for part in seen) if seen else None
        values[low] = min((part[low] for part in seen), default=None)
        values[high] = max((part[high] for part in seen), default=None)
        values[last] = seen[-1][last] if seen else None
    for energy in ENERGIES:
        values[energy] = math.fsum(part[energy] for part in parts)
    return tuple(values[column] for column in VALUE_COLUMNS)
