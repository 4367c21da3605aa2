"""Deal read API for staff (a cluster's deals) and residents (deals their unit takes part in), reference §5.4.

Each endpoint is one handler ``(request, deals, unit_id)``; ``staff_view``/``resident_view`` wrap it with the
role checks and pass the deals the caller may see (``unit_id`` is ``None`` for staff).
"""

import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour
from django.http import HttpRequest, HttpResponse

from apis.core.decorators import api, param, query_period, resident_unit, staff_cluster
from apis.core.http import bad_request, json_response, streamed_json_array
from apis.core.timeparse import parse_utc_offset
from apis.deal.formats import deal_format
from apis.deal.models import Deal

Handler = Callable[[HttpRequest, QuerySet, str | None], HttpResponse]


def visible_deals(community_id: str, cluster_id: str, unit_id: str | None = None) -> QuerySet:
    """The cluster's deals, or only those ``unit_id`` discharges or charges in."""
    deals = Deal.objects.filter(community_id=community_id, cluster_id=cluster_id)
    if unit_id is not None:
        deals = deals.filter(Q(discharge_unit_id=unit_id) | Q(charge_unit_id=unit_id))
    return deals


def live(deals: QuerySet, now: float) -> QuerySet:
    """Deals not deactivated and reported less than ``DEAL_LIVE_TOLERANCE_SEC`` before ``now`` (epoch s)."""
    return deals.filter(
        deactivate_datetime__isnull=True, report_time__gt=now - settings.DEAL_LIVE_TOLERANCE_SEC
    )


def _answer(request: HttpRequest, deals: QuerySet, unit_id: str | None) -> HttpResponse:
    """The deals' documents oldest first, streamed, in the shape ``formatType`` and the caller ask for."""
    documents = (
        deals.order_by(F("create_datetime").asc(nulls_last=True), "pk")
        .values_list("data", flat=True)
        .iterator(chunk_size=2000)
    )
    convert = deal_format(param(request, "formatType"), unit_id)
    return streamed_json_array(map(convert, documents) if convert else documents)


def live_list(request: HttpRequest, deals: QuerySet, unit_id: str | None) -> HttpResponse:
    """``liveList``: the deals going on now."""
    return _answer(request, live(deals, time.time()), unit_id)


def deal_list(request: HttpRequest, deals: QuerySet, unit_id: str | None) -> HttpResponse:
    """``list``: deals created in ``[datetimeFrom, datetimeTo)`` (each bound optional)."""
    period = query_period(request)
    if isinstance(period, HttpResponse):
        return period
    start, end = period
    if start:
        deals = deals.filter(create_datetime__gte=start)
    if end:
        deals = deals.filter(create_datetime__lt=end)
    return _answer(request, deals, unit_id)


def datetime_range(request: HttpRequest, deals: QuerySet, unit_id: str | None) -> HttpResponse:
    """``datetimeRange``: ``{"min", "max"}`` of the creation times, ``{}`` without deals.

    Ordered one-row queries rather than a MIN/MAX aggregate, so that both databases read only the ends of a
    creation-time index: the cluster's, or for a resident the discharge and the charge index apart (the
    aggregate, and any one query over both sides of the resident's OR, scan the cluster's deals)."""
    created = deals.filter(create_datetime__isnull=False).values_list("create_datetime", flat=True)
    sides = (
        [created]
        if unit_id is None
        else [created.filter(discharge_unit_id=unit_id), created.filter(charge_unit_id=unit_id)]
    )
    firsts = [first for side in sides if (first := side.order_by("create_datetime").first()) is not None]
    if not firsts:
        return json_response({})
    lasts = [last for side in sides if (last := side.order_by("-create_datetime").first()) is not None]
    return json_response({"min": min(firsts), "max": max(lasts)})


class HourAtOffset(ExtractHour):
    """The hour of the day of a datetime at the fixed UTC offset ``tzinfo``.

    On SQLite it is computed by SQLite's own ``strftime`` (stored datetimes are UTC text); Django's
    ``ExtractHour`` calls a Python function there for every row, 9 times slower over a million deals."""

    def as_sqlite(self, compiler, connection) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.lhs)
        minutes = round(self.tzinfo.utcoffset(None).total_seconds() / 60)
        return f"CAST(strftime('%%H', {sql}, %s) AS INTEGER)", (*params, f"{minutes:+d} minutes")


def hour_sums(request: HttpRequest, deals: QuerySet, unit_id: str | None) -> HttpResponse:
    """``sumOfCumulateAmountWhsByHour``: Wh per hour of the day of creation, in the ``timezone`` offset."""
    raw = param(request, "timezone")
    if not raw:
        return bad_request("no param : timezone")
    try:
        offset = parse_utc_offset(raw)
    except ValueError:
        return bad_request(f"invalid timezone : {raw} (expected Z or ±HH:MM)")
    sums = (
        deals.filter(create_datetime__isnull=False)
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
        return handler(request, visible_deals(community_id, cluster_id), None)

    return view


def resident_view(handler: Handler) -> Callable[..., HttpResponse]:
    """``handler`` as a resident endpoint over the deals of the caller's unit."""

    @api("GET")
    @resident_unit
    @wraps(handler)
    def view(request: HttpRequest, community_id: str, cluster_id: str, unit_id: str) -> HttpResponse:
        return handler(request, visible_deals(community_id, cluster_id, unit_id), unit_id)

    return view


ENDPOINTS: dict[str, Handler] = {
    "liveList": live_list,
    "list": deal_list,
    "datetimeRange": datetime_range,
    "sumOfCumulateAmountWhsByHour": hour_sums,
}
