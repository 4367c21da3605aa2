"""Incremental downtime extraction (reference §6, improved).

A pass reads only the unit-data rows stored since the previous pass (``id`` above the watermark), in id
order and in chunks. Each chunk groups its rows per unit, sorts them by the unit's ``time`` and applies the
rules of §6: a gap of at least ``DATA_LOSS_TOLERANCE_SEC`` opens a downtime at the last sample before the
gap, an effective operation mode other than exactly ``autonomous`` opens one at that sample, and an
autonomous sample closes the open one. Rows not newer than the unit's last processed sample are ignored.

Every chunk is one transaction that first advances the watermark with a conditional ``UPDATE``: a second
runner working on the same rows waits for it, then matches nothing and stops, so no row is ever processed
twice. Status rows and downtime changes are written in bulk in the same transaction.

Improvement: once a pass has caught up, every registered unit available now that has been silent for the
tolerance (wall clock against its newest ``datasetId``) gets an open downtime from its last sample, which its
next autonomous sample closes.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone

from apis.community.models import Unit
from apis.community.outline import available_at
from apis.core.sql import insert_rows
from apis.downtime.models import UNIT_KEY, Downtime, DowntimeStatus, Watermark
from apis.unit_data.models import ReportedUnit, UnitData

logger = logging.getLogger(__name__)

AUTONOMOUS = "autonomous"
# Unit-data rows per chunk (one transaction) and per pass; a pass ends on a chunk boundary, so a backlog
# spread over several passes is cut into the same chunks as one long pass.
CHUNK_ROWS = 5_000
MAX_ROWS_PER_PASS = 500_000
WRITE_BATCH = 1_000
WATERMARK_ID = 1

Key = tuple[str, str, str]


@dataclass
class _UnitState:
    """One unit's extraction state while a chunk is applied, and the changes to store."""

    last_time: datetime | None
    stored_open_id: int | None = None
    down: datetime | None = None
    stored_recovery: datetime | None = None
    new: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    changed: bool = False

    @property
    def stored_still_open(self) -> bool:
        return self.stored_open_id is not None and self.stored_recovery is None

    def feed(self, time: datetime, mode: str | None, tolerance: timedelta) -> None:
        """Apply one sample (reference §6 step 4)."""
        if self.last_time is not None and time <= self.last_time:
            return  # a late arrival: the unit has already been processed past it
        dataloss = self.last_time is not None and time - self.last_time >= tolerance
        down = mode != AUTONOMOUS
        if (dataloss or down) and self.down is None:
            self.down = self.last_time if dataloss else time
        if not down and self.down is not None:
            if self.stored_still_open:
                self.stored_recovery = time
            else:
                self.new.append((self.down, time))
            self.down = None
        self.last_time = time
        self.changed = True

    def finish(self) -> None:
        """Keep a downtime still running at the end of the chunk as a new open one."""
        if self.down is not None and not self.stored_still_open:
            self.new.append((self.down, None))


def extract_pass(
    now: datetime | None = None, *, chunk_rows: int = CHUNK_ROWS, max_rows: int = MAX_ROWS_PER_PASS
) -> int:
    """Run one incremental pass; returns the number of unit-data rows processed.

    ``now`` (default: the current time) is the wall clock used to find silent units. At most ``max_rows``
    rows (rounded up to whole chunks) are processed; the rest of a backlog is left for the next passes.
    """
    tolerance = timedelta(seconds=settings.DATA_LOSS_TOLERANCE_SEC)
    insert_rows(Watermark, ("id", "last_id"), [(WATERMARK_ID, 0)], conflict=("id",))
    horizon = _committed_horizon()
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
    silent = _open_silent_downtimes(now or timezone.now(), horizon, tolerance) if caught_up else 0
    logger.info("downtime extraction: %d rows processed, %d silent units opened", processed, silent)
    return processed


def _committed_horizon() -> int:
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


def _process_chunk(after: int, horizon: int, limit: int, tolerance: timedelta) -> tuple[int, int] | None:
    """Process up to ``limit`` rows after id ``after``: (rows, last id), or ``None`` when overtaken."""
    rows = list(
        UnitData.objects.filter(id__gt=after, id__lte=horizon)
        .order_by("id")
        .values_list("id", *UNIT_KEY, "time", "effective_mode")[:limit]
    )
    if not rows:
        return 0, after
    last_id = rows[-1][0]
    samples: dict[Key, list[tuple[datetime, int, str | None]]] = defaultdict(list)
    for row_id, community_id, cluster_id, unit_id, time, mode in rows:
        if time is not None:
            samples[(community_id, cluster_id, unit_id)].append((time, row_id, mode))
    with transaction.atomic():
        if not Watermark.objects.filter(pk=WATERMARK_ID, last_id=after).update(last_id=last_id):
            return None
        units = _load_states(samples)
        for key, unit_samples in samples.items():
            state = units[key]
            for time, _, mode in sorted(unit_samples):
                state.feed(time, mode, tolerance)
            state.finish()
        _store(units)
    return len(rows), last_id


def _load_states(keys: Iterable[Key]) -> dict[Key, _UnitState]:
    """The stored status and open downtime of each unit in ``keys`` (two queries)."""
    wanted = set(keys)
    scope = {f"{name}__in": {key[index] for key in wanted} for index, name in enumerate(UNIT_KEY)}
    states = {key: _UnitState(last_time=None) for key in wanted}
    for *key, last_time in DowntimeStatus.objects.filter(**scope).values_list(*UNIT_KEY, "last_time"):
        if tuple(key) in wanted:
            states[tuple(key)].last_time = last_time
    open_downtimes = Downtime.objects.filter(**scope, recovery_datetime__isnull=True)
    for *key, pk, down in open_downtimes.values_list(*UNIT_KEY, "pk", "down_datetime"):
        if tuple(key) in wanted:
            state = states[tuple(key)]
            state.stored_open_id, state.down = pk, down
    return states


def _store(units: dict[Key, _UnitState]) -> None:
    """Close stored downtimes, add new ones and advance the statuses, all in bulk."""
    closed = [
        Downtime(pk=state.stored_open_id, recovery_datetime=state.stored_recovery)
        for state in units.values()
        if state.stored_recovery is not None
    ]
    Downtime.objects.bulk_update(closed, ["recovery_datetime"], batch_size=WRITE_BATCH)
    Downtime.objects.bulk_create(
        [
            Downtime(community_id=c, cluster_id=k, unit_id=u, down_datetime=down, recovery_datetime=recovery)
            for (c, k, u), state in units.items()
            for down, recovery in state.new
        ],
        batch_size=WRITE_BATCH,
    )
    statuses = [(*key, state.last_time) for key, state in units.items() if state.changed]
    for start in range(0, len(statuses), WRITE_BATCH):
        insert_rows(
            DowntimeStatus,
            (*UNIT_KEY, "last_time"),
            statuses[start : start + WRITE_BATCH],
            conflict=UNIT_KEY,
            update=("last_time",),
        )


def _open_silent_downtimes(now: datetime, horizon: int, tolerance: timedelta) -> int:
    """Open a downtime for each registered unit available at ``now`` that is silent for ``tolerance``.

    Silence is measured on the wall clock (the newest ``datasetId``, epoch ms), never on the unit's
    ``time``, which is world time under the emulator. The downtime starts at the unit's last sample; a unit
    that never reported has no sample and gets none. Runs only when all rows up to ``horizon`` are done.
    """
    cutoff_ms = int((now - tolerance).timestamp() * 1000)
    same_unit = {name: OuterRef(name) for name in UNIT_KEY}
    registered = Unit.objects.filter(
        available_at(now),
        cluster__community__code=OuterRef("community_id"),
        cluster__code=OuterRef("cluster_id"),
        code=OuterRef("unit_id"),
    )
    with transaction.atomic():
        # Locks the watermark row against a concurrent pass and checks that nothing is left to process.
        if not Watermark.objects.filter(pk=WATERMARK_ID, last_id__gte=horizon).update(last_id=F("last_id")):
            return 0
        silent = DowntimeStatus.objects.filter(
            Exists(ReportedUnit.objects.filter(**same_unit, last_dataset_id__lte=cutoff_ms)),
            Exists(registered),
            ~Exists(Downtime.objects.filter(**same_unit, recovery_datetime__isnull=True)),
        ).values_list(*UNIT_KEY, "last_time")
        created = Downtime.objects.bulk_create(
            [
                Downtime(community_id=c, cluster_id=k, unit_id=u, down_datetime=last_time)
                for c, k, u, last_time in silent
            ],
            batch_size=WRITE_BATCH,
        )
    return len(created)
