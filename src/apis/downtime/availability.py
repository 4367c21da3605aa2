"""Availability of a cluster's units over a period, computed on the server (replaces reference §8).

For each registered unit the period is clipped to the unit's availability window and to now; the unit's
downtimes (the rows ``downtime/list`` returns, which the extraction derives by the rule of
docs/availability.md, silences included) are clipped to that period, an open downtime counts up to now, and
overlapping downtimes are merged so no second is counted twice. Each unit also says whether it has any
record in its period (``hasData``). Two queries per request, whatever the number of units or the length
of the history.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest, Least

from apis.community.models import Unit
from apis.core.timeparse import iso_z
from apis.downtime.models import Downtime
from apis.unit_data.models import UnitData


@dataclass
class Interval:
    """A downtime clipped to a unit's window; ``open`` when it includes a downtime not yet recovered."""

    start: datetime
    end: datetime
    open: bool

    def seconds(self) -> float:
        """Length of the interval in seconds."""
        return (self.end - self.start).total_seconds()


def merge(intervals: list[Interval]) -> list[Interval]:
    """Merge overlapping or touching intervals (any order) into disjoint ones, in time order."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            last.end, last.open = max(last.end, interval.end), last.open or interval.open
        else:
            merged.append(Interval(interval.start, interval.end, interval.open))
    return merged


def ratio(period: float, down: float) -> float | None:
    """The available share of ``period`` (seconds), ``None`` for an empty period."""
    return (period - down) / period if period > 0 else None


def _unit_entry(unit: dict, start: datetime, stop: datetime, downtimes: list[Interval]) -> dict:
    window_start = max(start, unit["available_from"] or start)
    window_end = min(stop, unit["available_to"] or stop)
    entry = {"unitId": unit["code"], "name": unit["name"], "periodFrom": None, "periodTo": None}
    if window_end <= window_start:
        empty = {"periodSeconds": 0.0, "downtimeSeconds": 0.0, "ratio": None, "hasData": False}
        return entry | empty | {"downtimes": []}
    clipped = [
        Interval(max(d.start, window_start), min(d.end, window_end), d.open)
        for d in downtimes
        if d.end > window_start and d.start < window_end
    ]
    merged = merge(clipped)
    period = (window_end - window_start).total_seconds()
    down = sum(interval.seconds() for interval in merged)
    return entry | {
        "periodFrom": iso_z(window_start),
        "periodTo": iso_z(window_end),
        "periodSeconds": period,
        "downtimeSeconds": down,
        "ratio": ratio(period, down),
        "hasData": unit["has_data"],
        "downtimes": [
            {"downDateTime": iso_z(i.start), "recoveryDateTime": iso_z(i.end), "open": i.open} for i in merged
        ],
    }


def _registered_units(community_id: str, cluster_id: str, start: datetime, stop: datetime) -> QuerySet:
    """The cluster's units ordered by code, each with ``has_data``: a record inside the unit's period (an
    index range look-up per unit)."""
    units = Unit.objects.filter(cluster__community__code=community_id, cluster__code=cluster_id)
    if stop <= start:
        return units.order_by("code").annotate(has_data=Value(False))
    start_value, stop_value = Value(start, DateTimeField()), Value(stop, DateTimeField())
    records = UnitData.objects.filter(
        reported_unit__community_id=community_id,
        reported_unit__cluster_id=cluster_id,
        reported_unit__unit_id=OuterRef("code"),
        time__gte=Greatest(start_value, Coalesce(OuterRef("available_from"), start_value)),
        time__lt=Least(stop_value, Coalesce(OuterRef("available_to"), stop_value)),
    )
    return units.order_by("code").annotate(has_data=Exists(records))


def _downtimes_by_unit(
    community_id: str, cluster_id: str, start: datetime, stop: datetime, now: datetime
) -> dict[str, list[Interval]]:
    by_unit: dict[str, list[Interval]] = defaultdict(list)
    rows = Downtime.objects.filter(
        Q(recovery_datetime__isnull=True) | Q(recovery_datetime__gt=start),
        community_id=community_id,
        cluster_id=cluster_id,
        down_datetime__lt=stop,
    ).values_list("unit_id", "down_datetime", "recovery_datetime")
    for unit_id, down, recovery in rows.iterator():
        by_unit[unit_id].append(Interval(down, recovery or now, recovery is None))
    return by_unit


def cluster_availability(
    community_id: str, cluster_id: str, start: datetime, end: datetime, now: datetime
) -> dict:
    """The availability document of the cluster for ``[start, end)`` as of ``now`` (docs/availability.md)."""
    stop = min(end, now)
    units = _registered_units(community_id, cluster_id, start, stop)
    unit_rows = list(units.values("code", "name", "available_from", "available_to", "has_data"))
    by_unit = _downtimes_by_unit(community_id, cluster_id, start, stop, now) if stop > start else {}
    entries = [_unit_entry(unit, start, stop, by_unit.get(unit["code"], [])) for unit in unit_rows]
    period = sum(entry["periodSeconds"] for entry in entries)
    down = sum(entry["downtimeSeconds"] for entry in entries)
    return {
        "communityId": community_id,
        "clusterId": cluster_id,
        "datetimeFrom": iso_z(start),
        "datetimeTo": iso_z(end),
        "now": iso_z(now),
        "unitCount": sum(1 for entry in entries if entry["periodSeconds"] > 0),
        "noDataUnitCount": sum(1 for entry in entries if entry["periodSeconds"] > 0 and not entry["hasData"]),
        "periodSeconds": period,
        "downtimeSeconds": down,
        "ratio": ratio(period, down),
        "units": entries,
    }
