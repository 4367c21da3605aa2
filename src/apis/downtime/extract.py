"""Incremental downtime extraction (reference §6, with the rule of docs/availability.md).

A pass reads only the unit-data rows stored since the previous pass (``id`` above the watermark), in id
order and in chunks. Each chunk groups its rows per unit and places them on the unit's record timeline
(:mod:`apis.downtime.spans`):

* records newer than the unit's last processed one extend the timeline: the stretch from that record (for a
  unit's first records: from the start of its availability window) is derived again, so an open downtime
  that only said "silent since the last record" is closed, shortened or removed by what arrives;
* older records (late arrivals) are placed between their processed neighbours, found by index look-ups,
  and only the stretch between those two neighbours is derived again.

Every chunk is one transaction that first advances the watermark with a conditional ``UPDATE``: a second
runner working on the same rows waits for it, then matches nothing and stops, so no row is ever processed
twice. Statuses and downtimes are read and written in bulk in the same transaction.

Once a pass has caught up, :func:`apis.downtime.reconcile.reconcile` opens the downtimes of registered units
that are silent or never reported, and follows changes of the units' availability windows.
"""

import logging
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apis.core.models import UNIT_KEY
from apis.core.sql import insert_rows
from apis.downtime.models import WATERMARK_ID, Watermark
from apis.downtime.reconcile import reconcile
from apis.downtime.rows import (
    Key,
    Status,
    load_open,
    load_overlapping,
    load_starts,
    load_statuses,
    save_rows,
    save_statuses,
    window_starts,
)
from apis.downtime.spans import Point, UnitRows, down_spans, window_anchor
from apis.unit_data.models import UnitData
from apis.unit_data.queries import committed_horizon

logger = logging.getLogger(__name__)

AUTONOMOUS = "autonomous"
# Unit-data rows per chunk (one transaction) and per pass; a pass ends on a chunk boundary, so a backlog
# spread over several passes is cut into the same chunks as one long pass.
CHUNK_ROWS = 5_000
MAX_ROWS_PER_PASS = 500_000
# Late rows whose neighbours are looked up by one query.
NEIGHBOUR_BATCH = 500

Sample = tuple[datetime, int, bool]
"""A record of a chunk: its ``time``, row id and whether it is down."""


def extract_pass(
    now: datetime | None = None, *, chunk_rows: int = CHUNK_ROWS, max_rows: int = MAX_ROWS_PER_PASS
) -> int:
    """Run one incremental pass; returns the number of unit-data rows processed.

    ``now`` (default: the current time) is the wall clock used for units without recent data. At most
    ``max_rows`` rows (rounded up to whole chunks) are processed; the rest of a backlog is left for the
    next passes.
    """
    tolerance = timedelta(seconds=settings.DATA_LOSS_TOLERANCE_SEC)
    insert_rows(Watermark, ("id", "last_id"), [(WATERMARK_ID, 0)], conflict=("id",))
    horizon = committed_horizon()
    after = Watermark.objects.values_list("last_id", flat=True).get(pk=WATERMARK_ID)
    processed = 0
    caught_up = False
    while processed < max_rows:
        outcome = _process_chunk(after, horizon, chunk_rows, tolerance)
        if outcome is None:
            logger.info("downtime extraction: another runner is ahead, pass ends")
            return processed
        count, after = outcome
        processed += count
        if count < chunk_rows:
            caught_up = True
            break
    handled = reconcile(now or timezone.now(), horizon, tolerance) if caught_up else 0
    logger.info(
        "downtime extraction: %d rows processed, %d units without recent data handled", processed, handled
    )
    return processed


def _process_chunk(after: int, horizon: int, limit: int, tolerance: timedelta) -> tuple[int, int] | None:
    """Process up to ``limit`` rows after id ``after``: (rows, last id), or ``None`` when overtaken."""
    rows = list(
        UnitData.objects.filter(id__gt=after, id__lte=horizon)
        .order_by("id")
        .values_list("id", *(f"reported_unit__{name}" for name in UNIT_KEY), "time", "effective_mode")[:limit]
    )
    if not rows:
        return 0, after
    last_id = rows[-1][0]
    samples: dict[Key, list[Sample]] = defaultdict(list)
    for row_id, community_id, cluster_id, unit_id, time, mode in rows:
        if time is not None:
            samples[(community_id, cluster_id, unit_id)].append((time, row_id, mode != AUTONOMOUS))
    with transaction.atomic():
        if not Watermark.objects.filter(pk=WATERMARK_ID, last_id=after).update(last_id=last_id):
            return None
        statuses = load_statuses(samples)
        units = load_open(samples)
        late: dict[Key, Sequence[Sample]] = {}
        newer: dict[Key, Sequence[Sample]] = {}
        for key, unit_samples in samples.items():
            status = statuses.get(key)
            late_samples, newer[key] = _split(unit_samples, status.last_time if status else None)
            if late_samples:
                late[key] = late_samples
        _place_late(late, statuses, units, after, tolerance)
        _extend(newer, statuses, units, tolerance)
        save_rows(units)
        save_statuses(statuses)
    return len(rows), last_id


def _split(samples: list[Sample], last_time: datetime | None) -> tuple[Sequence[Sample], Sequence[Sample]]:
    """``samples`` in time order, cut into the late ones (not after ``last_time``) and the newer ones."""
    timeline = sorted(samples)
    cut = 0 if last_time is None else bisect_right(timeline, last_time, key=lambda sample: sample[0])
    return (timeline[:cut], timeline[cut:]) if cut else ((), timeline)


def _last(samples: Sequence[Sample]) -> Sample:
    """The newest sample, the first stored if several share its time."""
    index = len(samples) - 1
    while index and samples[index - 1][0] == samples[index][0]:
        index -= 1
    return samples[index]


def _extend(
    newer: dict[Key, Sequence[Sample]],
    statuses: dict[Key, Status],
    units: dict[Key, UnitRows],
    tolerance: timedelta,
) -> None:
    """Derive again the stretch after each unit's last processed record (or its whole timeline, for a unit
    seen for the first time) with the records newer than it."""
    starts = window_starts(key for key, samples in newer.items() if samples and key not in statuses)
    for key, samples in newer.items():
        if not samples:
            continue
        status = statuses.get(key)
        last, _, down = _last(samples)
        if status is None:
            start = starts.get(key)
            previous, lo = window_anchor(start, samples[0][0]), None
            statuses[key] = Status(last, down, True, first_time=samples[0][0], lead_from=start, new=True)
        else:
            previous, lo = (status.last_time, status.last_down), status.last_time
            status.last_time, status.last_down, status.moved = last, down, True
        spans = down_spans(samples, tolerance, True, previous)
        if spans or key in units:
            units.setdefault(key, UnitRows()).replace(lo, None, spans)


def _place_late(
    late: dict[Key, Sequence[Sample]],
    statuses: dict[Key, Status],
    units: dict[Key, UnitRows],
    after: int,
    tolerance: timedelta,
) -> None:
    """Put late records between their processed neighbours and derive those stretches again.

    A late record is ignored when its time is already on the timeline, and when the unit's status has no
    ``first_time`` (its history was imported with the original's downtimes) or is not backed by a stored
    record after it.
    """
    known = [
        (key, sample) for key, samples in late.items() if statuses[key].history_known for sample in samples
    ]
    if not known:
        return
    neighbours = _neighbours([sample[1] for _, sample in known], after)
    groups: dict[tuple[Key, datetime | None, datetime], list[Point]] = defaultdict(list)
    previous_down: dict[tuple[Key, datetime | None, datetime], bool] = {}
    for key, (time, row_id, down) in known:
        previous, was_down, following = neighbours[row_id]
        if following is None or previous == time:
            continue
        groups[(key, previous, following)].append((time, down))
        previous_down[(key, previous, following)] = was_down
    stretches: dict[Key, tuple[datetime | None, datetime]] = {}
    for key, previous, following in groups:
        lo, hi = stretches.get(key, (previous, following))
        stretches[key] = (None if lo is None or previous is None else min(lo, previous), max(hi, following))
    load_overlapping(stretches, units)
    load_starts(statuses, {key for key, previous, _ in groups if previous is None})
    for (key, previous, following), points in groups.items():
        status = statuses[key]
        if previous is None:
            before = window_anchor(status.lead_from, points[0][0])
            status.first_time, status.started_earlier = min(status.first_time, points[0][0]), True
        else:
            before = (previous, previous_down[(key, previous, following)])
        spans = down_spans([*points, (following, False)], tolerance, False, before)
        units.setdefault(key, UnitRows()).replace(previous, following, spans)


def _neighbours(row_ids: list[int], after: int) -> dict[int, tuple[datetime | None, bool, datetime | None]]:
    """For each row: the time of the processed record at or before it and whether that one is down, and
    the time of the processed record after it (index look-ups, one query per batch)."""
    processed = UnitData.objects.filter(
        reported_unit=OuterRef("reported_unit"), id__lte=after, time__isnull=False
    )
    before = processed.filter(time__lte=OuterRef("time")).order_by("-time", "id")
    later = processed.filter(time__gt=OuterRef("time")).order_by("time", "id")
    found: dict[int, tuple[datetime | None, bool, datetime | None]] = {}
    for start in range(0, len(row_ids), NEIGHBOUR_BATCH):
        rows = (
            UnitData.objects.filter(id__in=row_ids[start : start + NEIGHBOUR_BATCH])
            .annotate(
                previous=Subquery(before.values("time")[:1]),
                previous_mode=Subquery(before.values("effective_mode")[:1]),
                following=Subquery(later.values("time")[:1]),
            )
            .values_list("id", "previous", "previous_mode", "following")
        )
        for row_id, previous, mode, following in rows:
            found[row_id] = (previous, previous is not None and mode != AUTONOMOUS, following)
    return found
