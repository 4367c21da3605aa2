"""The deals a caller may see (:class:`Scope`): every deal of a cluster for staff; for a resident the deals
their unit discharges or charges in, created within their residency periods (``apis.community.residency``),
and the live deals only while they live there."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from apis.community.residency import Tenure, in_periods
from apis.deal.models import Deal
from apis.deal.queries import DealQuerySet

Narrowing = Callable[[DealQuerySet], DealQuerySet]


def _unchanged(deals: DealQuerySet) -> DealQuerySet:
    return deals


@dataclass(frozen=True)
class Scope:
    """The deals a caller may see: the union of ``parts``, each one range of a deal index. ``unit_id`` is a
    resident's own unit (``None`` for staff); ``live`` tells whether the deals going on now are theirs."""

    parts: tuple[Q, ...]
    unit_id: str | None = None
    live: bool = True

    def _parts(self, narrow: Narrowing) -> list[DealQuerySet]:
        # ``narrow`` applies to every part, so that each part stays one index range.
        return [narrow(Deal.objects.filter(part)) for part in self.parts]

    def documents(self, narrow: Narrowing = _unchanged) -> Iterator[dict]:
        """The documents of the visible deals (those ``narrow`` keeps) oldest first (creation time, then
        id), read through a database cursor. Several parts are read as one ``UNION ALL`` of index ranges:
        asked as one ``OR`` query in creation order, PostgreSQL walks the cluster's creation-time index."""
        parts = self._parts(narrow)
        if len(parts) == 1:
            rows = parts[0].order_by(F("create_datetime").asc(nulls_last=True), "pk")
            return rows.values_list("data", flat=True).iterator(chunk_size=2000)
        selects = [part.values_list("data", "create_datetime", "pk") for part in parts]
        rows = selects[0].union(*selects[1:], all=True).order_by("create_datetime", "pk")
        return (data for data, _, _ in rows.iterator(chunk_size=2000))

    def creation_range(self) -> tuple[datetime, datetime] | None:
        """The first and the last creation time of the visible deals, ``None`` without any.

        Ordered one-row queries per part rather than a MIN/MAX aggregate, so that both databases read only
        the ends of a creation-time index: the cluster's, or for a resident the discharge and the charge
        index apart, per residency period (the aggregate, and any one query over several parts, scan the
        cluster's deals)."""
        times = [
            part.filter(create_datetime__isnull=False).values_list("create_datetime", flat=True)
            for part in self._parts(_unchanged)
        ]
        firsts = [first for part in times if (first := part.order_by("create_datetime").first()) is not None]
        if not firsts:
            return None
        lasts = [last for part in times if (last := part.order_by("-create_datetime").first()) is not None]
        return min(firsts), max(lasts)


def cluster_scope(community_id: str, cluster_id: str) -> Scope:
    """Every deal of the cluster (staff)."""
    return Scope((Q(community_id=community_id, cluster_id=cluster_id),))


def resident_scope(community_id: str, cluster_id: str, unit_id: str, tenure: Tenure) -> Scope:
    """The deals ``unit_id`` discharges or charges in, created within the resident's periods: one part per
    side and period (each a range of the discharge or the charge index; no deal is in two parts)."""
    sides = (Q(discharge_unit_id=unit_id), Q(charge_unit_id=unit_id) & ~Q(discharge_unit_id=unit_id))
    parts = tuple(
        Q(community_id=community_id, cluster_id=cluster_id) & side & period
        for side in sides
        for period in in_periods("create_datetime", tenure.periods)
    )
    return Scope(parts, unit_id, live=tenure.current)
