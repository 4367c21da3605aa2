"""Staff downtime API (reference §5.5) and the server-side availability (docs/availability.md)."""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apis.community.access import staff_cluster
from apis.core.decorators import PERIOD_PARAMS, api, overlapping, param, query_period
from apis.core.http import bad_request, json_response, streamed_json_array
from apis.core.openapi import UNIT_ID, Param, array_of, describe, json_answer, period, ref
from apis.core.timeparse import iso_z
from apis.downtime.availability import cluster_availability
from apis.downtime.models import Downtime, DowntimeStatus


@api("GET")
@staff_cluster
@describe(answer=json_answer(array_of({"type": "string"})))
def unit_id_list(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Units the extraction has processed at least one sample of, sorted."""
    statuses = DowntimeStatus.objects.filter(community_id=community_id, cluster_id=cluster_id)
    return json_response(list(statuses.order_by("unit_id").values_list("unit_id", flat=True)))


def _downtime_json(row: tuple) -> dict:
    community_id, cluster_id, unit_id, down, recovery = row
    return {
        "communityId": community_id,
        "clusterId": cluster_id,
        "unitId": unit_id,
        "downDateTime": iso_z(down),
        "recoveryDateTime": iso_z(recovery),
    }


@api("GET")
@staff_cluster
@describe(
    Param("unitId", UNIT_ID, description="only this unit's downtimes"),
    *period(),
    answer=json_answer(array_of(ref("Downtime")), "downtimes in time order (streamed)"),
)
def downtime_list(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Downtimes of the cluster (or of ``unitId``) overlapping the period, streamed in time order."""
    start, end = query_period(request)
    rows = Downtime.objects.filter(community_id=community_id, cluster_id=cluster_id)
    unit_id = param(request, "unitId")
    if unit_id:
        rows = rows.filter(unit_id=unit_id)
    rows = rows.filter(overlapping("down_datetime", "recovery_datetime", start, end))
    rows = rows.order_by("down_datetime", "unit_id", "pk").values_list(
        "community_id", "cluster_id", "unit_id", "down_datetime", "recovery_datetime"
    )
    return streamed_json_array(_downtime_json(row) for row in rows.iterator(chunk_size=2000))


@api("GET")
@staff_cluster
@describe(
    *period(required=True),
    answer=json_answer(ref("Availability")),
    errors={400: "no param : datetimeFrom, datetimeTo"},
)
def availability(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Per-unit and cluster availability over ``[datetimeFrom, datetimeTo)`` (both required)."""
    if not all(param(request, name) for name in PERIOD_PARAMS):
        return bad_request("no param : " + ", ".join(PERIOD_PARAMS))
    start, end = query_period(request)
    return json_response(cluster_availability(community_id, cluster_id, start, end, timezone.now()))
