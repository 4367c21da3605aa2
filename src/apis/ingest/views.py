"""``POST /api/ccc/unitData`` and ``POST /api/ccc/deal``: what the Java apis-ccc posts in ``http_post`` mode.

The reporter authenticates with a per-cluster ingest token, as ``Authorization: Bearer <token>`` or in the
path (``/api/ccc/t/<token>/…``, for the Java ccc that can only be given a URI). The whole body is validated
before anything is stored; the answer is ``{"stored": n, "skipped": m}``.
"""

from collections.abc import Callable, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from apis.core.decorators import api
from apis.core.http import json_response, loads_json_body, text
from apis.deal.store import store_deals
from apis.ingest.models import IngestToken
from apis.ingest.parse import IngestError, parse_deals, parse_unit_data
from apis.unit_data.store import store_unit_data

Parser = Callable[[object, str, str], Sequence]
Store = Callable[[Sequence], int]


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
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _ingest(request: HttpRequest, path_token: str | None, parse: Parser, store: Store) -> HttpResponse:
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
        items = loads_json_body(body)
    except ValueError as exc:
        return text(str(exc), 400)
    try:
        records = parse(items, scope.community, scope.cluster)
    except IngestError as exc:
        return text(exc.message, exc.status)
    # An empty report stores nothing and so takes no write lock.
    stored = store(records) if records else 0
    return json_response({"stored": stored, "skipped": len(records) - stored})


@csrf_exempt
@api("POST")
def unit_data(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """Store a unit-data array (one object per unit of one reporting cycle)."""
    return _ingest(request, token, parse_unit_data, store_unit_data)


@csrf_exempt
@api("POST")
def deal(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """Store (upsert by ``dealId``) a deal array."""
    return _ingest(request, token, parse_deals, store_deals)
