"""``GET /api/staff/ingest/rejected?communityId&clusterId[&kind][&limit][&before]``: the quarantined report
items of a cluster, newest first.

The answer is ``{"results": [...], "next": <link to the next page or null>}``; pages hold ``limit`` items
(default ``DEFAULT_LIMIT``, at most ``MAX_LIMIT``) and are read by id through an index, so any page costs the
same. ``before`` (an item id, as in ``next``) starts the page after that item; ``kind`` is ``unitData`` or
``deal``.
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

from apis.community.access import staff_cluster
from apis.core.decorators import api, int_param, param
from apis.core.errors import InvalidRequest
from apis.core.http import json_response
from apis.core.openapi import Param, describe, json_answer, ref
from apis.ingest.models import RejectedItem

DEFAULT_LIMIT, MAX_LIMIT = 50, 500
MAX_ID = 2**63 - 1


def _entry(item: RejectedItem) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "index": item.index,
        "field": item.field,
        "reason": item.reason,
        "raw": item.raw,
        "rawLength": item.raw_length,
        "received": item.received,
    }


@api("GET")
@staff_cluster
@describe(
    Param(
        "kind",
        {"type": "string", "enum": list(RejectedItem.Kind.values)},
        description="only items of this report kind",
        errors=("invalid kind : <value> (expected unitData or deal)",),
    ),
    Param(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"items per page ({DEFAULT_LIMIT})",
        errors=(f"invalid limit : <value> (expected an integer from 1 to {MAX_LIMIT})",),
    ),
    Param(
        "before",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        description="the page after this item id (from `next`)",
        errors=(f"invalid before : <value> (expected an integer from 1 to {MAX_ID})",),
    ),
    answer=json_answer(ref("RejectedItems")),
)
def rejected_items(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """One page of the cluster's quarantined items, newest first, with the link to the next page."""
    limit = int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    before = int_param(request, "before", None, MAX_ID)
    kind = param(request, "kind")
    if kind and kind not in RejectedItem.Kind.values:
        choices = " or ".join(RejectedItem.Kind.values)
        raise InvalidRequest(f"invalid kind : {kind[:40]} (expected {choices})")
    items = RejectedItem.objects.filter(community_id=community_id, cluster_id=cluster_id).order_by("-id")
    if kind:
        items = items.filter(kind=kind)
    if before:
        items = items.filter(id__lt=before)
    page = list(items[: limit + 1])
    following = None
    if len(page) > limit:
        page = page[:limit]
        query = {"communityId": community_id, "clusterId": cluster_id, "limit": limit, "before": page[-1].id}
        if kind:
            query["kind"] = kind
        following = f"{request.path}?{urlencode(query)}"
    return json_response({"results": [_entry(item) for item in page], "next": following})
