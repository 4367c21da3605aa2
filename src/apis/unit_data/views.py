"""Unit-data read API (reference §5.3): the units that reported and their newest records (read by
:mod:`apis.unit_data.queries`). A resident sees the records whose reporting cycle (``datasetId``, epoch
milliseconds) lies within their residency periods (``apis.community.residency``).
"""

from django.http import HttpRequest, HttpResponse

from apis.community.access import resident_unit, staff_cluster
from apis.community.residency import Tenure
from apis.core.decorators import api
from apis.core.http import json_response
from apis.core.openapi import array_of, describe, json_answer, ref
from apis.unit_data.models import ReportedUnit
from apis.unit_data.queries import cluster_latest_set, resident_latest


@api("GET")
@staff_cluster
@describe(answer=json_answer(array_of({"type": "string"})))
def unit_id_list(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Every unit that ever reported in the cluster, sorted."""
    units = ReportedUnit.objects.filter(community_id=community_id, cluster_id=cluster_id)
    return json_response(list(units.order_by("unit_id").values_list("unit_id", flat=True)))


@api("GET")
@staff_cluster
@describe(answer=json_answer({"type": "object", "additionalProperties": ref("UnitData")}, "by unit id"))
def staff_latest_set(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """``{unitId: record}`` of the cluster's newest reporting cycle, ``{}`` without data."""
    return json_response(cluster_latest_set(community_id, cluster_id))


@api("GET")
@resident_unit
@describe(answer=json_answer({"type": "object", "additionalProperties": ref("UnitData")}, "by unit id"))
def resident_latest_set(
    request: HttpRequest, community_id: str, cluster_id: str, unit_id: str, tenure: Tenure
) -> HttpResponse:
    """``{unitId: record}`` with the unit's own newest record within the resident's periods (unmasked, as
    the original; a former resident gets the last one before moving out), ``{}`` without."""
    data = resident_latest(community_id, cluster_id, unit_id, tenure)
    return json_response({} if data is None else {unit_id: data})
