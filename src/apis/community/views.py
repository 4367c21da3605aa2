"""``community/outline`` for staff and residents, and the cluster policy served to apis-ccc."""

from django.http import HttpRequest, HttpResponse

from apis.community.access import credentials_unit, resident_required
from apis.community.models import Cluster
from apis.community.outline import resident_outline, staff_outline
from apis.core.decorators import api, staff_required
from apis.core.http import json_response
from apis.core.openapi import Answer, describe, json_answer, ref


@api("GET")
@staff_required
@describe(answer=json_answer(ref("Outline")))
def staff_outline_view(request: HttpRequest) -> HttpResponse:
    """Every community, cluster and unit of the registry."""
    return json_response(staff_outline())


@api("GET")
@resident_required
@describe(answer=json_answer(ref("Outline")))
def resident_outline_view(request: HttpRequest) -> HttpResponse:
    """The communities, clusters and units of the user's own units."""
    return json_response(resident_outline(request.user))


@credentials_unit
@describe(
    answer=Answer(
        "the policy JSON as edited in the admin; an empty body when none", {"application/json": None}
    )
)
def policy_current_data(
    request: HttpRequest, community_id: str, cluster_id: str, unit_id: str
) -> HttpResponse:
    """The cluster's policy JSON verbatim for apis-ccc's policy acquisition; an empty 200 when none."""
    policy = (
        Cluster.objects.filter(community__code=community_id, code=cluster_id)
        .values_list("policy", flat=True)
        .first()
    )
    if not policy:
        return HttpResponse(b"", content_type="application/json")
    return HttpResponse(policy, content_type="application/json")
