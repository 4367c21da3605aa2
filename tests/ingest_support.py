"""Helpers of the ingest tests: the endpoints, a token of a cluster, and a POST as apis-ccc sends it."""

import json

from django.test import Client

from apis.community.models import Cluster
from apis.ingest.models import IngestToken
from apis.unit_data.models import UnitData
from tests.payloads import CLUSTER, COMMUNITY

UNIT_URL, DEAL_URL = "/api/ccc/unitData", "/api/ccc/deal"


def issue_token(community: str = COMMUNITY, cluster: str = CLUSTER) -> tuple[IngestToken, str]:
    """A new token of a registered cluster (the demo cluster by default): its row and its text."""
    return IngestToken.issue(Cluster.objects.get(community__code=community, code=cluster), "test")


def post(url: str, body: object, token: str | None = None, raw: bool = False):
    """POST ``body`` (JSON-encoded unless ``raw``) with the token as a Bearer header."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if raw else json.dumps(body)
    return Client().post(url, data=data, content_type="application/json", **headers)


def stored_units() -> list[dict]:
    return [row.data for row in UnitData.objects.order_by("reported_unit__unit_id", "dataset_id")]
