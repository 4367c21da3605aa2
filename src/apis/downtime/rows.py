"""Loading and writing back the downtimes and statuses that an extraction pass edits in memory.

Everything is read and written in bulk: a fixed number of statements per batch of units, whatever the
number of units. Writes happen in an order that keeps the "one open downtime per unit" constraint true after
every statement: deletions, then rows that end up closed, then rows that end up open, then new rows.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import BooleanField, ExpressionWrapper, Q

from apis.community.models import Unit
from apis.core.models import UNIT_KEY
from apis.core.sql import insert_rows
from apis.core.timeparse import EARLIEST
from apis.downtime.models import Downtime, DowntimeStatus
from apis.downtime.spans import UnitRows

Key = tuple[str, str, str]

WRITE_BATCH = 1_000
# Units per query when rows are selected per unit and per stretch of time (one OR term each).
UNITS_PER_QUERY = 200


@dataclass(slots=True)
class Status:
    """A unit's :class:`DowntimeStatus` while a pass edits it.

    ``last_time`` and ``last_down`` are always loaded; the start of the unit's data (``first_time`` and
    ``lead_from``) only for a new status or by :func:`load_starts`, the rare case that needs it.
    ``history_known`` is false for a status imported from the original (no ``first_time``).
    """

    last_time: datetime
    last_down: bool
    history_known: bool
    first_time: datetime | None = None
    lead_from: datetime | None = None
    pk: int | None = None
    new: bool = False
    moved: bool = False
    started_earlier: bool = False


def unit_scope(keys: Iterable[Key]) -> Q:
    """A filter that contains every unit of ``keys`` (and possibly a few others: check the key after)."""
    keys = list(keys)
    return Q(**{f"{name}__in": {key[index] for key in keys} for index, name in enumerate(UNIT_KEY)})


def load_statuses(keys: Iterable[Key]) -> dict[Key, Status]:
    """The stored status of each unit of ``keys`` that has one (one query)."""
    wanted = set(keys)
    known = ExpressionWrapper(Q(first_time__isnull=False), output_field=BooleanField())
    found = (
        DowntimeStatus.objects.filter(unit_scope(wanted))
        .annotate(known=known)
        .values_list(*UNIT_KEY, "last_time", "last_down", "known")
    )
    return {(c, k, u): Status(*values) for c, k, u, *values in found if (c, k, u) in wanted}


def load_starts(statuses: Mapping[Key, Status], keys: Iterable[Key]) -> None:
    """Read ``first_time`` and ``lead_from`` into the statuses of ``keys`` (one query)."""
    wanted = set(keys)
    if not wanted:
        return
    found = DowntimeStatus.objects.filter(unit_scope(wanted)).values_list(
        *UNIT_KEY, "pk", "first_time", "lead_from"
    )
    for c, k, u, pk, first_time, lead_from in found:
        if (c, k, u) in wanted:
            status = statuses[(c, k, u)]
            status.pk, status.first_time, status.lead_from = pk, first_time, lead_from


def save_statuses(statuses: Mapping[Key, Status]) -> None:
    """Write what changed: new statuses whole, moved ones' last record, earlier first records."""
    columns = ("last_time", "last_down", "first_time", "lead_from")
    new = [
        (*key, s.last_time, s.last_down, s.first_time, s.lead_from) for key, s in statuses.items() if s.new
    ]
    insert_rows(DowntimeStatus, (*UNIT_KEY, *columns), new, conflict=UNIT_KEY, update=columns)
    moved = [(*key, s.last_time, s.last_down) for key, s in statuses.items() if s.moved and not s.new]
    insert_rows(DowntimeStatus, (*UNIT_KEY, *columns[:2]), moved, conflict=UNIT_KEY, update=columns[:2])
    earlier = [
        DowntimeStatus(pk=s.pk, first_time=s.first_time) for s in statuses.values() if s.started_earlier
    ]
    DowntimeStatus.objects.bulk_update(earlier, ["first_time"], batch_size=WRITE_BATCH)


def load_open(keys: Iterable[Key]) -> dict[Key, UnitRows]:
    """A :class:`UnitRows` holding the open downtime of each unit of ``keys`` that has one (one query)."""
    wanted = set(keys)
    units: dict[Key, UnitRows] = {}
    open_rows = Downtime.objects.filter(unit_scope(wanted), recovery_datetime__isnull=True)
    for c, k, u, pk, down in open_rows.values_list(*UNIT_KEY, "pk", "down_datetime"):
        if (c, k, u) in wanted:
            units.setdefault((c, k, u), UnitRows()).load(pk, down, None)
    return units


def load_overlapping(
    stretches: Mapping[Key, tuple[datetime | None, datetime]], units: dict[Key, UnitRows]
) -> None:
    """Load into ``units`` every downtime of a unit of ``stretches`` that overlaps or touches its stretch
    ``[lo, hi]`` (``lo`` ``None``: since ever)."""
    items = list(stretches.items())
    for start in range(0, len(items), UNITS_PER_QUERY):
        terms = [
            Q(**dict(zip(UNIT_KEY, key, strict=True)), down_datetime__lte=hi)
            & (Q() if lo is None else Q(recovery_datetime__isnull=True) | Q(recovery_datetime__gte=lo))
            for key, (lo, hi) in items[start : start + UNITS_PER_QUERY]
        ]
        rows = Downtime.objects.filter(reduce(or_, terms))
        for *key, pk, down, recovery in rows.values_list(
            *UNIT_KEY, "pk", "down_datetime", "recovery_datetime"
        ):
            units.setdefault(tuple(key), UnitRows()).load(pk, down, recovery)


def save_rows(units: Mapping[Key, UnitRows]) -> None:
    """Write what the pass changed in ``units``."""
    deleted = [pk for rows in units.values() for pk in rows.deleted]
    for start in range(0, len(deleted), WRITE_BATCH):
        Downtime.objects.filter(pk__in=deleted[start : start + WRITE_BATCH]).delete()
    # Grouped by the columns that changed (mostly a recovery), rows ending up open last.
    updates: dict[tuple[bool, tuple[str, ...]], list[Downtime]] = defaultdict(list)
    for rows in units.values():
        for row in rows.rows.values():
            if row.changed:
                loaded_start, loaded_end = row.loaded
                fields = ("down_datetime",) * (row.start != loaded_start) + ("recovery_datetime",) * (
                    row.end != loaded_end
                )
                downtime = Downtime(pk=row.pk, down_datetime=row.start, recovery_datetime=row.end)
                updates[(row.end is None, fields)].append(downtime)
    for (_, fields), downtimes in sorted(updates.items()):
        Downtime.objects.bulk_update(downtimes, list(fields), batch_size=WRITE_BATCH)
    Downtime.objects.bulk_create(
        [
            Downtime(
                community_id=c, cluster_id=k, unit_id=u, down_datetime=row.start, recovery_datetime=row.end
            )
            for (c, k, u), rows in units.items()
            for row in rows.new
        ],
        batch_size=WRITE_BATCH,
    )


def window_starts(keys: Iterable[Key]) -> dict[Key, datetime]:
    """The start of the availability window of each registered unit of ``keys`` (``EARLIEST`` without
    ``available_from``); unregistered units are left out (one query)."""
    wanted = set(keys)
    if not wanted:
        return {}
    units = Unit.objects.filter(
        cluster__community__code__in={key[0] for key in wanted},
        cluster__code__in={key[1] for key in wanted},
        code__in={key[2] for key in wanted},
    ).values_list("cluster__community__code", "cluster__code", "code", "available_from")
    return {(c, k, u): start or EARLIEST for c, k, u, start in units if (c, k, u) in wanted}
