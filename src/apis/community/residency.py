"""Who lives where, and when: the rule behind every resident endpoint and page.

A user is a resident of a unit during their :class:`~apis.community.models.Residency` periods
``[start, end)``. A period counts once it has started: before their first start in a unit the user is no
resident of it. From then on, and after the period has ended, the user sees what the unit recorded within
their own periods (deals by their creation time, unit data by their reporting cycle) and nothing newer or
older; what acts on the unit now (choosing a scenario, the misc calls apis-ccc makes with the user's
credentials) needs a period that is still running.

Every filter built here is a list of index ranges, one per period, so that residents' queries stay index
lookups however long the unit's history is.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apis.community.models import Residency, Unit
from apis.core.timeparse import iso_z

Period = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Tenure:
    """The started periods of one user in one unit, oldest first (never empty), seen at ``now``."""

    periods: tuple[Period, ...]
    now: datetime

    @property
    def current(self) -> bool:
        """The user lives there now: the last period is open or ends after ``now``."""
        end = self.periods[-1][1]
        return end is None or end > self.now

    @property
    def horizon(self) -> datetime | None:
        """The end of the last period once it is over (nothing from then on is the user's); ``None`` while
        the user lives there."""
        return None if self.current else self.periods[-1][1]


def in_periods(
    field: str, periods: Iterable[Period], convert: Callable[[datetime], Any] = lambda moment: moment
) -> list[Q]:
    """One condition per period: ``field`` (a time, or what ``convert`` makes of one) in ``[start, end)``."""
    conditions = []
    for start, end in periods:
        condition = Q(**{f"{field}__gte": convert(start)})
        if end is not None:
            condition &= Q(**{f"{field}__lt": convert(end)})
        conditions.append(condition)
    return conditions


def epoch_ms(moment: datetime) -> int:
    """A time as epoch milliseconds, the unit of apis-ccc's ``datasetId``."""
    return int(moment.timestamp() * 1000)


def _started(now: datetime | None = None) -> QuerySet[Residency]:
    return Residency.objects.filter(start__lte=now or timezone.now())


def is_resident(user) -> bool:
    """The user lives or has lived in a unit: a residency period of theirs has started."""
    return _started().filter(user=user).exists()


def resident_units(user) -> QuerySet[Unit]:
    """The units the user lives or has lived in (their periods there have started)."""
    return Unit.objects.filter(pk__in=_started().filter(user=user).values("unit"))


def tenure(user, unit: Unit | int) -> Tenure | None:
    """The user's started periods in ``unit``; ``None`` when the user has never lived there (yet)."""
    now = timezone.now()
    periods = tuple(_started(now).filter(user=user, unit=unit).order_by("start").values_list("start", "end"))
    return Tenure(periods, now) if periods else None


# ---- editing periods --------------------------------------------------------------------------------------


class ResidencyError(ValueError):
    """A change of periods that cannot be made; the message says why."""


def describe_period(start: datetime, end: datetime | None) -> str:
    """``2024-04-01T00:00:00Z – 2025-03-31T00:00:00Z``, ``… – open`` for a running one."""
    return f"{iso_z(start)} – {iso_z(end) if end else 'open'}"


def first_overlap(periods: Sequence[Period]) -> tuple[Period, Period] | None:
    """Two periods of ``periods`` (of one user in one unit) that overlap, or ``None`` when none do."""
    ordered = sorted(periods, key=lambda period: period[0])
    for earlier, later in pairwise(ordered):
        if earlier[1] is None or earlier[1] > later[0]:
            return earlier, later
    return None


def lock_units(pks: Iterable[int | None]) -> None:
    """Lock the units ``pks`` (``UnitQuerySet.lock``; a new unit's ``None`` is left out), so that concurrent
    changes of one unit's periods are checked one after the other."""
    keys = {pk for pk in pks if pk is not None}
    if keys:
        Unit.objects.filter(pk__in=keys).lock()


def _locked_periods(user, unit: Unit) -> list[Residency]:
    """The user's periods in ``unit``, read under the unit's row lock (:func:`lock_units`)."""
    lock_units([unit.pk])
    return list(Residency.objects.filter(user=user, unit=unit).order_by("start"))


def start_period(user, unit: Unit, at: datetime) -> Residency:
    """Open a period of ``user`` in ``unit`` at ``at``; ``ResidencyError`` when it would overlap one."""
    with transaction.atomic():
        stored = _locked_periods(user, unit)
        clash = first_overlap([(row.start, row.end) for row in stored] + [(at, None)])
        if clash is not None:
            other = clash[0] if clash[1] == (at, None) else clash[1]
            raise ResidencyError(
                f"a period from {iso_z(at)} would overlap the period {describe_period(*other)} "
                f"of {user.username} in {unit_path(unit)}"
            )
        return Residency.objects.create(user=user, unit=unit, start=at)


def end_period(user, unit: Unit, at: datetime) -> Residency:
    """Close the open period of ``user`` in ``unit`` at ``at``; ``ResidencyError`` when there is none or
    it starts at or after ``at``."""
    with transaction.atomic():
        running = [row for row in _locked_periods(user, unit) if row.end is None]
        if not running:
            raise ResidencyError(f"{user.username} has no open period in {unit_path(unit)}")
        period = running[0]
        if at <= period.start:
            raise ResidencyError(
                f"the end {iso_z(at)} is not after the start {iso_z(period.start)} of the open period "
                f"of {user.username} in {unit_path(unit)}"
            )
        period.end = at
        period.save(update_fields=["end"])
        return period


def unit_path(unit: Unit) -> str:
    """``community/cluster/unit`` codes of a unit."""
    return f"{unit.cluster.community.code}/{unit.cluster.code}/{unit.code}"
