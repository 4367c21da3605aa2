"""Staff unit history: one unit's rsoc, PV power and DC-grid power over a period, downsampled in the database.

``GET /api/staff/unitData/history?communityId=&clusterId=&unitId=&datetimeFrom=&datetimeTo=&points=``
splits ``[datetimeFrom, datetimeTo)`` into at most ``points`` equal buckets (whole seconds) and answers the
average of each value per bucket that has data (``apis.unit_data.downsample``), read through the
``(unit, time)`` index.
"""

from django.http import HttpRequest, HttpResponse

from apis.community.access import staff_cluster
from apis.core.decorators import PERIOD_PARAMS, api, int_param, param, query_period
from apis.core.errors import InvalidRequest
from apis.core.http import json_response
from apis.core.openapi import UNIT_ID, Param, describe, json_answer, period, ref
from apis.unit_data.downsample import downsample
from apis.unit_data.queries import known_unit

DEFAULT_POINTS, MAX_POINTS = 500, 2000
# The required unit of the staff views over one unit's period (UNIT HISTORY, the rollups' aggregate).
UNIT_PERIOD_PARAMS = ("unitId", *PERIOD_PARAMS)
KNOWN_UNIT_PARAM = Param(
    "unitId",
    UNIT_ID,
    True,
    "a registered unit of the cluster, or one that reported",
    errors=("no param : " + ", ".join(UNIT_PERIOD_PARAMS), "unknown unitId : <value>"),
)


@api("GET")
@staff_cluster
@describe(
    KNOWN_UNIT_PARAM,
    *period(required=True),
    Param(
        "points",
        {"type": "integer", "minimum": 1, "maximum": MAX_POINTS},
        description=f"at most this many buckets ({DEFAULT_POINTS})",
        errors=(f"invalid points : <value> (expected an integer from 1 to {MAX_POINTS})",),
    ),
    answer=json_answer(ref("UnitHistory")),
)
def unit_history(request: HttpRequest, community_id: str, cluster_id: str) -> HttpResponse:
    """Bucketed averages of one unit's rsoc, PV power and DC-grid power over a required period."""
    unit_id = param(request, "unitId")
    if not all(param(request, name) for name in UNIT_PERIOD_PARAMS):
        raise InvalidRequest("no param : " + ", ".join(UNIT_PERIOD_PARAMS))
    start, end = query_period(request)
    points = int_param(request, "points", DEFAULT_POINTS, MAX_POINTS)
    if not known_unit(community_id, cluster_id, unit_id):
        raise InvalidRequest(f"unknown unitId : {unit_id}")
    return json_response(downsample(community_id, cluster_id, unit_id, start, end, points))
