"""The rule of docs/availability.md on a unit's record timeline, and the in-memory edit of its downtimes.

A unit's timeline is its records in time order, each *down* when its effective operation mode is not
exactly ``autonomous``. The stretch between two consecutive records is down when the first one is down or
when they are at least the tolerance apart (a silence). :func:`down_spans` turns a run of records into the
merged down spans; :class:`UnitRows` replaces what the stored downtimes of a unit say about a stretch of
time by the spans derived for it, leaving the rest untouched, and remembers what to write back.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import zip_longest

Point = tuple
"""A record on the timeline: its ``time`` first and, last, whether the unit is down from it on (not
autonomous); ``(time, down)``, or a longer tuple such as ``(time, row id, down)``."""

Span = tuple[datetime, datetime | None]
"""A down interval; the end ``None`` means still open."""


NO_SPANS: tuple[Span, ...] = ()


def down_spans(
    points: Sequence[Point], tolerance: timedelta, open_end: bool, previous: Point | None = None
) -> Sequence[Span]:
    """The merged down spans between consecutive points: ``previous`` (the point before, if any), then
    ``points``, in time order; of points at the same time only the first counts.

    With ``open_end`` the last point starts an open span when it is down; otherwise the last point only
    closes the stretch before it (its own down flag is ignored).
    """
    spans: list[list] = []
    for point in points:
        if previous is not None:
            start, end = previous[0], point[0]
            if end == start:
                continue
            if previous[-1] or end - start >= tolerance:
                if spans and spans[-1][1] == start:
                    spans[-1][1] = end
                else:
                    spans.append([start, end])
        previous = point
    if open_end and previous is not None and previous[-1]:
        if spans and spans[-1][1] == previous[0]:
            spans[-1][1] = None
        else:
            spans.append([previous[0], None])
    return [(start, end) for start, end in spans] if spans else NO_SPANS


def window_anchor(start: datetime | None, first: datetime) -> Point | None:
    """The point the silence before a unit's first record (at ``first``) is measured from: the start of its
    availability window when that lies before the record, else none."""
    return (start, False) if start is not None and start < first else None


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Merge overlapping or touching spans (an open end absorbs everything after its start)."""
    merged: list[list] = []
    for start, end in sorted(spans, key=lambda span: span[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            if merged[-1][1] is not None and (end is None or end > merged[-1][1]):
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


@dataclass(eq=False, slots=True)
class Row:
    """A downtime of the unit: stored (``pk``) or to be created; ``loaded`` is what the database holds."""

    pk: int | None
    start: datetime
    end: datetime | None
    loaded: Span | None = None

    @property
    def changed(self) -> bool:
        """Whether the row must be written (always for a new row)."""
        return self.loaded != (self.start, self.end)


def _meets(row: Row, lo: datetime | None, hi: datetime | None) -> bool:
    """Whether ``row`` overlaps or touches ``[lo, hi]`` (``None``: unbounded)."""
    return (hi is None or row.start <= hi) and (lo is None or row.end is None or row.end >= lo)


@dataclass(slots=True)
class UnitRows:
    """The downtimes of one unit that a pass has loaded, as edited in memory.

    Only the loaded rows are known: :meth:`replace` must be given a stretch whose overlapping rows have all
    been loaded (rows that only touch it are merged when loaded, left apart otherwise). New rows are in
    ``new``, deleted ones in ``deleted``.
    """

    rows: dict[int, Row] = field(default_factory=dict)
    new: list[Row] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)

    def load(self, pk: int, start: datetime, end: datetime | None) -> None:
        """Add a stored row (a row already loaded keeps its in-memory state)."""
        if pk not in self.rows and pk not in self.deleted:
            self.rows[pk] = Row(pk, start, end, (start, end))

    def live(self) -> list[Row]:
        """The rows as they are now, stored and new."""
        return [*self.rows.values(), *self.new]

    def replace(self, lo: datetime | None, hi: datetime | None, spans: Sequence[Span]) -> None:
        """Make the downtime inside ``(lo, hi)`` exactly ``spans`` (which lie in ``[lo, hi]``); the parts of
        the rows outside the stretch stay, and pieces that touch are merged. Rows are reused in time order."""
        if not spans and not self.rows and not self.new:
            return
        affected = sorted((row for row in self.live() if _meets(row, lo, hi)), key=lambda row: row.start)
        kept: list[Span] = []
        for row in affected:
            if lo is not None and row.start < lo:
                kept.append((row.start, lo))
            if hi is not None and (row.end is None or row.end > hi):
                kept.append((hi, row.end))
        for row, span in zip_longest(affected, merge_spans([*kept, *spans])):
            if row is None:
                self.new.append(Row(None, *span))
            elif span is None:
                self._drop(row)
            else:
                row.start, row.end = span

    def _drop(self, row: Row) -> None:
        if row.pk is None:
            self.new.remove(row)
        else:
            del self.rows[row.pk]
            self.deleted.append(row.pk)
