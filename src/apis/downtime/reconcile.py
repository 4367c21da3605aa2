"""What an extraction pass does once it has caught up: the downtimes that follow from the clock and the
registry rather than from new records (docs/availability.md).

* A registered unit silent for at least the tolerance (wall clock against its newest ``datasetId``) gets an
  open downtime from its last record, when its availability window overlaps that silence.
* A registered unit that never reported gets an open downtime from the start of its window (since ever
  without ``available_from``) once the tolerance has passed since then; it follows the window start when
  that is edited and goes when the window no longer leaves room for it.
* A unit whose window start was edited (or that was registered after it began reporting) has the stretch
  before its first record derived again.

The cost is bounded by the number of units, never by the history. Everything runs in one transaction that
first locks the watermark row and checks that all rows up to ``horizon`` are processed, so a concurrent pass
can neither process rows in between nor do the same work twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from apis.community.models import Unit
from apis.core.models import UNIT_KEY
from apis.core.timeparse import EARLIEST
from apis.downtime.models import WATERMARK_ID, DowntimeStatus, Watermark
from apis.downtime.rows import WRITE_BATCH, Key, load_open, load_overlapping, save_rows, unit_scope
from apis.downtime.spans import Span, UnitRows, down_spans, window_anchor
from apis.unit_data.models import ReportedUnit


@dataclass(frozen=True, slots=True)
class _Window:
    """A registered unit's availability window; ``start`` is where its data is expected from."""

    available_from: datetime | None
    available_to: datetime | None

    @property
    def start(self) -> datetime:
        return self.available_from or EARLIEST


@dataclass(frozen=True, slots=True)
class _Processed:
    """What the extraction knows of a unit that reported (its :class:`DowntimeStatus`)."""

    pk: int
    last_time: datetime
    first_time: datetime | None
    lead_from: datetime | None


def reconcile(now: datetime, horizon: int, tolerance: timedelta) -> int:
    """Bring the clock- and registry-dependent downtimes up to date at ``now``; returns the number of units
    whose downtimes changed (0 when another pass is not done with the rows up to ``horizon``).

    Four reads sized by the registry (its units, their statuses, open downtimes and silent reporters), one
    more for the units whose window start changed, then the writes in bulk; nothing without a registry.
    """
    with transaction.atomic():
        if not Watermark.objects.filter(pk=WATERMARK_ID, last_id__gte=horizon).update(last_id=F("last_id")):
            return 0
        registry = _registry()
        if not registry:
            return 0
        scope = unit_scope(registry)
        processed = {
            (c, k, u): _Processed(*values)
            for c, k, u, *values in DowntimeStatus.objects.filter(scope).values_list(
                *UNIT_KEY, "pk", "last_time", "first_time", "lead_from"
            )
        }
        cutoff_ms = int((now - tolerance).timestamp() * 1000)
        reporters = ReportedUnit.objects.filter(scope, last_dataset_id__lte=cutoff_ms)
        silent = set(reporters.values_list(*UNIT_KEY))
        units = load_open(registry)
        moved = {
            key: processed[key]
            for key, window in registry.items()
            if key in processed and processed[key].first_time and processed[key].lead_from != window.start
        }
        load_overlapping({key: (None, status.first_time) for key, status in moved.items()}, units)
        for key, window in registry.items():
            rows, status = units.setdefault(key, UnitRows()), processed.get(key)
            if status is None:
                rows.replace(None, None, _never_reported(window, now, tolerance))
                continue
            if key in moved:
                anchor = window_anchor(window.start, status.first_time)
                lead = down_spans([(status.first_time, False)], tolerance, False, anchor)
                rows.replace(None, status.first_time, lead)
            if key in silent and _overlaps(window, status.last_time, now) and not _has_open(rows):
                rows.replace(status.last_time, None, [(status.last_time, None)])
        save_rows(units)
        DowntimeStatus.objects.bulk_update(
            [DowntimeStatus(pk=status.pk, lead_from=registry[key].start) for key, status in moved.items()],
            ["lead_from"],
            batch_size=WRITE_BATCH,
        )
        return sum(1 for rows in units.values() if _changed(rows))


def _registry() -> dict[Key, _Window]:
    """Every registered unit by its key (one query)."""
    units = Unit.objects.order_by().values_list(
        "cluster__community__code", "cluster__code", "code", "available_from", "available_to"
    )
    return {(c, k, u): _Window(start, end) for c, k, u, start, end in units}


def _never_reported(window: _Window, now: datetime, tolerance: timedelta) -> list[Span]:
    """The downtime of a unit without any record: open from its window start once the tolerance has passed
    since then, if its window is not empty."""
    start, end = window.start, window.available_to
    return [(start, None)] if start + tolerance <= now and (end is None or end > start) else []


def _overlaps(window: _Window, since: datetime, now: datetime) -> bool:
    """Whether the window meets the silence ``[since, now)``."""
    return (window.available_from is None or window.available_from < now) and (
        window.available_to is None or window.available_to > since
    )


def _has_open(rows: UnitRows) -> bool:
    return any(row.end is None for row in rows.live())


def _changed(rows: UnitRows) -> bool:
    return bool(rows.new or rows.deleted or any(row.changed for row in rows.rows.values()))
