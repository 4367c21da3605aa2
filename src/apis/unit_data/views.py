"""Unit-data read API (reference §5.3): the units that reported and their newest records.

Every query is an index lookup (``ReportedUnit``, or ``UnitData`` by cluster/unit and ``datasetId``), so
answers stay fast however long the history is. A resident sees the records whose reporting cycle
(``datasetId``, epoch milliseconds) lies within their residency periods (``apis.community.residency``).
"""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from apis.community.residency import Tenure, epoch_ms, in_periods
from apis.core.decorators import api, resident_unit, staff_cluster
from apis.core.http import json_response
from apis.core.openapi import array_of, describe, json_answer, ref
from apis.unit_data.models import ReportedUnit, UnitData


@api("GET")
@staff_cluster
@describe(answer=json_answer(array_of({"type": "string"})))
def unit_id_list(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Every unit that ever reported in the cluster, sorted."""
    units = ReportedUnit.objects.filter(community_id=community_id, cluster_id=cluster_id)
    return json_response(list(units.order_by("unit_id").values_list("unit_id", flat=True)))


def cluster_latest_set(community_id: str, cluster_id: str) -> dict[str, dict]:
    """The records of the cluster's newest dataset keyed by unit id, plus, for each unit missing from it,
    that unit's own newest record (so a silent unit shows as stale instead of vanishing)."""
    rows = UnitData.objects.filter(community_id=community_id, cluster_id=cluster_id)
    newest = rows.order_by("-dataset_id").values_list("dataset_id", flat=True).first()
    if newest is None:
        return {}
    latest = dict(rows.filter(dataset_id=newest).values_list("unit_id", "data"))
    stale = (
        ReportedUnit.objects.filter(community_id=community_id, cluster_id=cluster_id)
        .exclude(unit_id__in=latest)
        .values_list("unit_id", "last_dataset_id")
    )
    keys = [Q(unit_id=unit_id, dataset_id=dataset_id) for unit_id, dataset_id in stale]
    if keys:
        latest.update(rows.filter(reduce(or_, keys)).values_list("unit_id", "data"))
    return dict(sorted(latest.items()))


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
    rows = UnitData.objects.filter(community_id=community_id, cluster_id=cluster_id, unit_id=unit_id)
    for period in reversed(in_periods("dataset_id", tenure.periods, epoch_ms)):
        data = rows.filter(period).order_by("-dataset_id").values_list("data", flat=True).first()
        if data is not None:
            return json_response({unit_id: data})
    return json_response({})
