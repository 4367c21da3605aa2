"""Deal read API for staff (a cluster's deals) and residents (deals their unit takes part in), reference §5.4.

Each endpoint is one handler ``(request, scope)``; ``staff_view``/``resident_view`` wrap it with the role
checks and pass the :class:`Scope` of the deals the caller may see: for a resident the deals of their unit
created within their residency periods (``apis.community.residency``), live deals only while they live there.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce, wraps
from operator import or_

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour
from django.http import HttpRequest, HttpResponse

from apis.community.residency import Tenure, in_periods
from apis.core.decorators import api, param, query_period, resident_unit, staff_cluster
from apis.core.http import bad_request, json_response, streamed_json_array
from apis.core.openapi import Param, array_of, describe, json_answer, period, ref
from apis.core.timeparse import parse_utc_offset
from apis.deal.formats import deal_format
from apis.deal.models import Deal


@dataclass(frozen=True)
class Scope:
    """The deals a caller may see: the union of ``parts``, each one range of a deal index. ``unit_id`` is a
    resident's own unit (``None`` for staff); ``live`` tells whether the deals going on now are theirs."""

    parts: tuple[Q, ...]
    unit_id: str | None = None
    live: bool = True

    def _parts(self, condition: Q | None) -> list[Q]:
        # ``condition`` is added to every part, so that each part stays one index range.
        return [part if condition is None else part & condition for part in self.parts]

    def deals(self, condition: Q | None = None) -> QuerySet:
        """The visible deals (those meeting ``condition``) as one query, for aggregates."""
        return Deal.objects.filter(reduce(or_, self._parts(condition)))

    def documents(self, condition: Q | None = None) -> Iterator[dict]:
        """The documents of the visible deals (meeting ``condition``) oldest first (creation time, then id),
        read through a database cursor. Several parts are read as one ``UNION ALL`` of index ranges: asked
        as one ``OR`` query in creation order, PostgreSQL walks the cluster's creation-time index instead."""
        parts = self._parts(condition)
        if len(parts) == 1:
            rows = Deal.objects.filter(parts[0]).order_by(F("create_datetime").asc(nulls_last=True), "pk")
            return rows.values_list("data", flat=True).iterator(chunk_size=2000)
        selects = [Deal.objects.filter(part).values_list("data", "create_datetime", "pk") for part in parts]
        rows = selects[0].union(*selects[1:], all=True).order_by("create_datetime", "pk")
        return (data for data, _, _ in rows.iterator(chunk_size=2000))


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


Handler = Callable[[HttpRequest, Scope], HttpResponse]


def live(now: float) -> Q:
    """Deals not deactivated and reported less than ``DEAL_LIVE_TOLERANCE_SEC`` before ``now`` (epoch s)."""
    return Q(deactivate_datetime__isnull=True, report_time__gt=now - settings.DEAL_LIVE_TOLERANCE_SEC)


def _answer(request: HttpRequest, documents: Iterable[dict], unit_id: str | None) -> HttpResponse:
    """The deals' documents, streamed, in the shape ``formatType`` and the caller ask for."""
    convert = deal_format(param(request, "formatType"), unit_id)
    return streamed_json_array(map(convert, documents) if convert else documents)


FORMAT_TYPE = Param("formatType", description="`budo`: the legacy BUDO shape; anything else: as reported")
DEALS = json_answer(array_of({"anyOf": [ref("Deal"), ref("BudoDeal")]}), "deals oldest first (streamed)")


@describe(FORMAT_TYPE, answer=DEALS)
def live_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    """``liveList``: the deals going on now (none for a former resident)."""
    documents = scope.documents(live(time.time())) if scope.live else iter(())
    return _answer(request, documents, scope.unit_id)


@describe(*period(), FORMAT_TYPE, answer=DEALS)
def deal_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    """``list``: deals created in ``[datetimeFrom, datetimeTo)`` (each bound optional)."""
    period = query_period(request)
    if isinstance(period, HttpResponse):
        return period
    start, end = period
    bounds = Q()
    if start:
        bounds &= Q(create_datetime__gte=start)
    if end:
        bounds &= Q(create_datetime__lt=end)
    return _answer(request, scope.documents(bounds), scope.unit_id)


@describe(answer=json_answer(ref("DealRange")))
def datetime_range(request: HttpRequest, scope: Scope) -> HttpResponse:
    """``datetimeRange``: ``{"min", "max"}`` of the creation times, ``{}`` without deals.

    Ordered one-row queries per part of the scope rather than a MIN/MAX aggregate, so that both databases
    read only the ends of a creation-time index: the cluster's, or for a resident the discharge and the charge
    index apart, per residency period (the aggregate, and any one query over several parts, scan the
    cluster's deals)."""
    parts = [
        Deal.objects.filter(part, create_datetime__isnull=False).values_list("create_datetime", flat=True)
        for part in scope.parts
    ]
    firsts = [first for part in parts if (first := part.order_by("create_datetime").first()) is not None]
    if not firsts:
        return json_response({})
    lasts = [last for part in parts if (last := part.order_by("-create_datetime").first()) is not None]
    return json_response({"min": min(firsts), "max": max(lasts)})


class HourAtOffset(ExtractHour):
    """The hour of the day of a datetime at the fixed UTC offset ``tzinfo``.

    On SQLite it is computed by SQLite's own ``strftime`` (stored datetimes are UTC text); Django's
    ``ExtractHour`` calls a Python function there for every row, 9 times slower over a million deals."""

    def as_sqlite(self, compiler, connection) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.lhs)
        minutes = round(self.tzinfo.utcoffset(None).total_seconds() / 60)
        return f"CAST(strftime('%%H', {sql}, %s) AS INTEGER)", (*params, f"{minutes:+d} minutes")


@describe(
    Param(
        "timezone",
        {"type": "string", "pattern": r"^(Z|UTC|[+-]\d{2}(:?\d{2})?)$", "example": "+09:00"},
        True,
        "UTC offset of the hours: `Z` or `±HH:MM`",
        errors=("no param : timezone", "invalid timezone : <value> (expected Z or ±HH:MM)"),
    ),
    answer=json_answer(ref("HourlyWh")),
)
def hour_sums(request: HttpRequest, scope: Scope) -> HttpResponse:
    """``sumOfCumulateAmountWhsByHour``: Wh per hour of the day of creation, in the ``timezone`` offset."""
    raw = param(request, "timezone")
    if not raw:
        return bad_request("no param : timezone")
    try:
        offset = parse_utc_offset(raw)
    except ValueError:
        return bad_request(f"invalid timezone : {raw} (expected Z or ±HH:MM)")
    sums = (
        scope.deals(Q(create_datetime__isnull=False))
        .annotate(hour=HourAtOffset("create_datetime", tzinfo=offset))
        .values("hour")
        .annotate(wh=Sum("cumulate_amount_wh"))
        .order_by("hour")
    )
    return json_response({str(row["hour"]): float(row["wh"] or 0) for row in sums})


def staff_view(handler: Handler) -> Callable[..., HttpResponse]:
    """``handler`` as a staff endpoint over every deal of the cluster."""

    @api("GET")
    @staff_cluster
    @wraps(handler)
    def view(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
        return handler(request, cluster_scope(community_id, cluster_id))

    return view


def resident_view(handler: Handler) -> Callable[..., HttpResponse]:
    """``handler`` as a resident endpoint over the deals of the caller's unit within their periods."""

    @api("GET")
    @resident_unit
    @wraps(handler)
    def view(
        request: HttpRequest, community_id: str, cluster_id: str, unit_id: str, tenure: Tenure
    ) -> HttpResponse:
        return handler(request, resident_scope(community_id, cluster_id, unit_id, tenure))

    return view


ENDPOINTS: dict[str, Handler] = {
    "liveList": live_list,
    "list": deal_list,
    "datetimeRange": datetime_range,
    "sumOfCumulateAmountWhsByHour": hour_sums,
}
