"""Rebuilding rollups from the raw rows: one unit and one local day per transaction.

A day's 5-minute and daily rows are deleted and the 5-minute ones computed again from the day's records;
then the hours overlapping the day and the day itself are combined again (those left without finer rows
are deleted), through the same :func:`apis.rollup.compute.refresh` as the incremental pass, so both give
the same rows. The days visited are those holding records or rollups of the unit, found by index look-ups.
Each transaction first locks the rollup watermark, so it never interleaves with a chunk of a running pass.

Raw unit data older than ``APIS_RETENTION_RAW_DAYS`` is deleted (:mod:`apis.unit_data.retention`), so a day
lying wholly or partly before that bound cannot be rebuilt: its rollups are all that is left. A rebuild
therefore never starts before :func:`rebuildable_from`, the first whole local day after the bound.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apis.core.models import UNIT_KEY
from apis.core.sql import insert_rows
from apis.rollup.buckets import day_end, day_start, utc_floor
from apis.rollup.compute import FIVE_MINUTES, HOUR, Key, refresh
from apis.rollup.models import ROLLUP_WATERMARK_ID, Resolution, RollupWatermark, UnitRollup
from apis.unit_data.models import ReportedUnit
from apis.unit_data.queries import unit_rows
from apis.unit_data.retention import raw_retention_bound


def rollup_units(unit: Key | None = None) -> list[Key]:
    """The units with unit data or rollups (only ``unit``, when given and known), in order."""
    reported = ReportedUnit.objects.all()
    rolled = UnitRollup.objects.filter(resolution=Resolution.DAY)
    if unit is not None:
        of_unit = dict(zip(UNIT_KEY, unit, strict=True))
        reported, rolled = reported.filter(**of_unit), rolled.filter(**of_unit)
    keys = set(reported.values_list(*UNIT_KEY)) | set(rolled.values_list(*UNIT_KEY).distinct())
    return sorted(keys)


def _day_ceiling(end: datetime) -> datetime:
    """``end`` when it is a local midnight, else the end of its day."""
    start = day_start(end)
    return start if start == end else day_end(start)


def rebuildable_from(now: datetime) -> datetime | None:
    """The start of the first local day lying wholly at or after the raw retention bound at ``now`` (its
    raw rows are all kept), ``None`` when raw data is kept for ever."""
    bound = raw_retention_bound(now)
    return None if bound is None else _day_ceiling(bound)


def rebuild_unit(
    unit: Key, start: datetime | None = None, end: datetime | None = None, *, now: datetime | None = None
) -> Iterator[tuple]:
    """Rebuild the rollups of ``unit`` over the whole local days from the one holding ``start`` to the one
    holding the instant before ``end`` (no bound: all), never before :func:`rebuildable_from` ``now``;
    yields (day, raw rows) for each day rebuilt."""
    cursor = None if start is None else day_start(start)
    floor = rebuildable_from(now or timezone.now())
    if floor is not None and (cursor is None or cursor < floor):
        cursor = floor
    limit = None if end is None else _day_ceiling(end)
    while (day := _next_day(unit, cursor)) is not None and (limit is None or day < limit):
        yield day, _rebuild_day(unit, day)
        cursor = day_end(day)


def _next_day(unit: Key, cursor: datetime | None) -> datetime | None:
    """The first local day from ``cursor`` on holding a record or a rollup of ``unit``."""
    of_unit = dict(zip(UNIT_KEY, unit, strict=True))
    raw = unit_rows(*unit).filter(time__isnull=False)
    if cursor is not None:
        raw = raw.filter(time__gte=cursor)
    firsts = [raw.order_by("time").values_list("time", flat=True).first()]
    for resolution in Resolution.values:
        rolled = UnitRollup.objects.filter(resolution=resolution, **of_unit)
        if cursor is not None:
            rolled = rolled.filter(bucket__gte=cursor)
        firsts.append(rolled.order_by("bucket").values_list("bucket", flat=True).first())
    found = [moment for moment in firsts if moment is not None]
    return day_start(min(found)) if found else None


def _rebuild_day(unit: Key, day: datetime) -> int:
    """Delete and recompute the rollups of ``unit`` in the local day starting at ``day``; returns its rows."""
    end = day_end(day)
    of_unit = dict(zip(UNIT_KEY, unit, strict=True))
    with transaction.atomic():
        insert_rows(RollupWatermark, ("id", "last_id"), [(ROLLUP_WATERMARK_ID, 0)], conflict=("id",))
        list(RollupWatermark.objects.select_for_update().filter(pk=ROLLUP_WATERMARK_ID).values_list("id"))
        # the day's own rows, and days of another zone's midnights (after a change of APIS_TIME_ZONE)
        UnitRollup.objects.filter(
            resolution__in=(FIVE_MINUTES, Resolution.DAY), **of_unit, bucket__gte=day, bucket__lt=end
        ).delete()
        times = list(unit_rows(*unit).filter(time__gte=day, time__lt=end).values_list("time", flat=True))
        atoms = {(unit, utc_floor(moment, FIVE_MINUTES)) for moment in times}
        hours, hour = set(), utc_floor(day, HOUR)
        while hour < end:
            hours.add((unit, hour))
            hour += timedelta(seconds=HOUR)
        refresh(atoms, hours=hours, days={(unit, day)})
    return len(times)
