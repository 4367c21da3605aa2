"""``POST /api/ccc/unitData`` and ``POST /api/ccc/deal``: what the Java apis-ccc posts in ``http_post`` mode.

The reporter authenticates with a per-cluster ingest token, as ``Authorization: Bearer <token>`` or in the
path (``/api/ccc/t/<token>/…``, for the Java ccc that can only be given a URI). A request error (token 401,
an item of another cluster 403, size 413, syntax or depth 400) stores nothing; otherwise the valid items are
stored and the invalid ones quarantined, in one transaction, and the answer is
``{"stored": n, "skipped": m, "rejected": [{"index": i, "field": "...", "reason": "..."}, …]}``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from apis.core.decorators import api
from apis.core.http import json_response, loads_json_body, text
from apis.core.jsonlimits import JsonTooDeep
from apis.core.numbers import declares_more_than
from apis.core.openapi import Access, Param, array_of, describe, json_answer, ref
from apis.deal.store import store_deals
from apis.ingest.models import IngestToken, RejectedItem
from apis.ingest.parse import parse_deal_report, parse_unit_report
from apis.ingest.quarantine import quarantine
from apis.ingest.report import TOO_DEEP, IngestError, Report, may_hold_unusable_values
from apis.unit_data.store import store_unit_data


@dataclass(frozen=True)
class Kind:
    """One report kind: how its items are read and stored."""

    name: str
    parse: Callable[..., Report]
    store: Callable[[Sequence], int]


UNIT_DATA = Kind(RejectedItem.Kind.UNIT_DATA.value, parse_unit_report, store_unit_data)
DEALS = Kind(RejectedItem.Kind.DEAL.value, parse_deal_report, store_deals)


def _unauthorized(message: str) -> HttpResponse:
    response = text(message, 401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def _bearer(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _read_body(request: HttpRequest) -> bytes | None:
    """The body, or ``None`` when it is larger than ``INGEST_MAX_BODY_BYTES`` (never reads more than one
    byte past the limit)."""
    limit = settings.INGEST_MAX_BODY_BYTES
    if declares_more_than(request.META.get("CONTENT_LENGTH") or "", limit):
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _ingest(request: HttpRequest, path_token: str | None, kind: Kind) -> HttpResponse:
    token = _bearer(request) or path_token
    if not token:
        return _unauthorized("ingest token required")
    scope = IngestToken.authenticate(token)
    if scope is None:
        return _unauthorized("invalid ingest token")
    body = _read_body(request)
    if body is None:
        return text(f"body larger than {settings.INGEST_MAX_BODY_BYTES} bytes", 413)
    try:
        # The depth is checked by the parser's walk over each document (cheaper than a pre-scan).
        items = loads_json_body(body, max_depth=None)
    except JsonTooDeep:
        return text(TOO_DEEP, 400)
    except ValueError as exc:
        return text(str(exc), 400)
    try:
        report = kind.parse(
            items, scope.community, scope.cluster, value_checks=may_hold_unusable_values(body)
        )
    except IngestError as exc:
        return text(exc.message, exc.status)
    stored = 0
    # An empty report stores nothing and so takes no write lock.
    if report.records or report.rejected:
        with transaction.atomic():
            stored = kind.store(report.records) if report.records else 0
            quarantine(kind.name, scope, report.rejected, timezone.now())
    return json_response(
        {
            "stored": stored,
            "skipped": len(report.records) - stored,
            "rejected": [rejection.answer() for rejection in report.rejected],
        }
    )


TOKEN = Param(
    "token", description="the ingest token, for reporters that can only be given a URI", credential=True
)
REFUSALS = {
    400: "<what is wrong with the request, e.g. body is not a JSON array>",
    403: "item <i>: community/cluster <c>/<k> is not the token's cluster <c>/<k>",
    413: "body larger than <n> bytes",
}


@csrf_exempt
@api("POST")
@describe(
    TOKEN,
    body=array_of(ref("UnitDataReport")),
    answer=json_answer(ref("IngestResult")),
    errors=REFUSALS,
    access=Access.INGEST,
)
def unit_data(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """Store a unit-data array (one object per unit of one reporting cycle)."""
    return _ingest(request, token, UNIT_DATA)


@csrf_exempt
@api("POST")
@describe(
    TOKEN,
    body=array_of(ref("DealReport")),
    answer=json_answer(ref("IngestResult")),
    errors=REFUSALS,
    access=Access.INGEST,
)
def deal(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """Store (upsert by ``dealId``) a deal array."""
    return _ingest(request, token, DEALS)
