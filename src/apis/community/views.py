"""``community/outline`` for staff and residents, and the cluster policy served to apis-ccc."""

from django.http import HttpRequest, HttpResponse

from apis.community.models import Cluster
from apis.community.outline import resident_outline, staff_outline
from apis.core.decorators import api, credentials_unit, resident_required, staff_required
from apis.core.http import json_response


@api("GET")
@staff_required
def staff_outline_view(request: HttpRequest) -> HttpResponse:
    return json_response(staff_outline())


@api("GET")
@resident_required
def resident_outline_view(request: HttpRequest) -> HttpResponse:
    return json_response(resident_outline(request.user))


@credentials_unit
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
