"""Deal read API for staff (a cluster's deals) and residents (deals their unit takes part in), reference §5.4.

Each endpoint is one handler ``(request, scope)``; ``staff_view``/``resident_view`` wrap it with the role
checks and pass the :class:`~apis.deal.scopes.Scope` of the deals the caller may see; the rules of which
deals count are in :mod:`apis.deal.queries`.
"""

import time
from collections.abc import Callable, Iterable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from apis.community.access import resident_unit, staff_cluster
from apis.community.residency import Tenure
from apis.core.decorators import api, param, query_period
from apis.core.http import bad_request, json_response, streamed_json_array
from apis.core.openapi import Param, array_of, describe, json_answer, period, ref
from apis.core.timeparse import parse_utc_offset
from apis.deal.formats import deal_format
from apis.deal.models import Deal
from apis.deal.scopes import Scope, cluster_scope, resident_scope

Handler = Callable[[HttpRequest, Scope], HttpResponse]


def _answer(request: HttpRequest, documents: Iterable[dict], unit_id: str | None) -> HttpResponse:
    """The deals' documents, streamed, in the shape ``formatType`` and the caller ask for."""
    convert = deal_format(param(request, "formatType"), unit_id)
    return streamed_json_array(map(convert, documents) if convert else documents)


FORMAT_TYPE = Param("formatType", description="`budo`: the legacy BUDO shape; anything else: as reported")
DEALS = json_answer(array_of({"anyOf": [ref("Deal"), ref("BudoDeal")]}), "deals oldest first (streamed)")


@describe(FORMAT_TYPE, answer=DEALS)
def live_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    """``liveList``: the deals going on now (none for a former resident)."""
    now = time.time()
    documents = scope.documents(lambda deals: deals.live(now)) if scope.live else iter(())
    return _answer(request, documents, scope.unit_id)


@describe(*period(), FORMAT_TYPE, answer=DEALS)
def deal_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    """``list``: deals created in ``[datetimeFrom, datetimeTo)`` (each bound optional)."""
    start, end = query_period(request)
    return _answer(request, scope.documents(lambda deals: deals.created_in(start, end)), scope.unit_id)


@describe(answer=json_answer(ref("DealRange")))
def datetime_range(request: HttpRequest, scope: Scope) -> HttpResponse:
    """``datetimeRange``: ``{"min", "max"}`` of the creation times, ``{}`` without deals."""
    span = scope.creation_range()
    return json_response({"min": span[0], "max": span[1]} if span else {})


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
    return json_response(Deal.objects.visible_to(scope).hour_sums(offset))


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
