"""OpenAPI description of the plain Django views: the original's API, the misc calls, ingest, client.js.

The view decorators of :mod:`apis.core.decorators` record what they enforce on the view they return, in an
:class:`Endpoint` (methods, access, the registry ids they read); a view adds only what is its own with
:func:`describe` (its parameters, its answer, its own refusals). :func:`add_plain_views`, a drf-spectacular
postprocessing hook, walks the URL resolver and turns every documented view under ``/api/`` into operations,
next to the DRF views drf-spectacular describes itself (the ESS API and the JWT endpoints), whose error
answers it gives the ESS error shape. There is no list of URLs to keep in step: a view without a
description is simply absent from the schema, and a test of the suite refuses that.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from django.conf import settings
from django.urls import URLResolver, get_resolver
from django.urls.converters import IntConverter

Schema = dict[str, Any]
View = TypeVar("View", bound=Callable)

ATTRIBUTE = "apis_endpoint"


def ref(name: str) -> Schema:
    """A reference to the component schema ``name`` (one of :data:`SCHEMAS`)."""
    return {"$ref": f"#/components/schemas/{name}"}


def array_of(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


STRING: Schema = {"type": "string"}
ID: Schema = {"type": "string", "minLength": 1, "description": "a registry code"}
UNIT_ID: Schema = {**ID, "example": "E001"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
NUMBER: Schema = {"type": "number"}


class Access(StrEnum):
    """Who may call a view, as its decorators check it."""

    PUBLIC = "public"
    LOGIN = "login"  # any logged-in user (session cookie)
    STAFF = "staff"
    RESIDENT = "resident"  # a user with a residency period in at least one unit
    CREDENTIALS = "credentials"  # form ``username``/``account`` and ``password`` of the unit's resident
    INGEST = "ingest"  # a cluster's ingest token


class Where(StrEnum):
    """Where a parameter is read."""

    PARAM = "param"  # ``decorators.param``: the query string of a GET, the form body (or query) of a POST
    FORM = "form"  # the form body of a POST only
    PATH = "path"


@dataclass(frozen=True)
class Param:
    """A request parameter of a view: ``errors`` are the 400 messages of its refusals; ``credential`` marks
    a path parameter that authenticates the call."""

    name: str
    schema: Schema = field(default_factory=lambda: dict(STRING))
    required: bool = False
    description: str = ""
    where: Where = Where.PARAM
    errors: tuple[str, ...] = ()
    credential: bool = False


@dataclass(frozen=True)
class Answer:
    """The 200 answer of a view: a schema per media type (``None``: a body not to validate, e.g. one that
    may be empty although it is JSON)."""

    description: str
    content: dict[str, Schema | None]


def json_answer(schema: Schema, description: str = "JSON") -> Answer:
    return Answer(description, {"application/json": schema})


def text_answer(description: str, *values: str) -> Answer:
    """A ``text/plain`` answer, one of ``values`` when given."""
    schema = {"type": "string", "enum": list(values)} if values else dict(STRING)
    return Answer(description, {"text/plain": schema})


@dataclass(frozen=True)
class Endpoint:
    """What the decorators and the view itself say about a view."""

    methods: tuple[str, ...] = ()
    legacy_get: bool = False  # GET is allowed too under ``APIS_LEGACY_COMPAT``
    access: Access = Access.PUBLIC
    ids: tuple[str, ...] = ()  # required registry ids (query or form), checked against the registry
    params: tuple[Param, ...] = ()
    body: Schema | None = None  # a JSON request body
    answer: Answer | None = None
    errors: tuple[tuple[int, str], ...] = ()  # (status, message) of the view's own refusals


def endpoint_of(view: Callable) -> Endpoint | None:
    """The description recorded on ``view``, if any."""
    return getattr(view, ATTRIBUTE, None)


def _set(view: View, endpoint: Endpoint) -> View:
    setattr(view, ATTRIBUTE, endpoint)
    return view


def record(**changes: Any) -> Callable[[View], View]:
    """Decorator of the view decorators: set fields of the view's :class:`Endpoint` (the outer one wins,
    and ``functools.wraps`` carries the description outwards)."""

    def decorate(view: View) -> View:
        return _set(view, replace(endpoint_of(view) or Endpoint(), **changes))

    return decorate


def describe(
    *params: Param,
    answer: Answer | None = None,
    body: Schema | None = None,
    errors: dict[int, str | tuple[str, ...]] | None = None,
    access: Access | None = None,
) -> Callable[[View], View]:
    """Decorator of a view: its own parameters, its 200 answer, its JSON body and its own refusals
    (``{400: ("no param : timezone", ...)}``); ``access`` only for a view that checks it itself."""
    own_errors = tuple(
        (status, message)
        for status, messages in (errors or {}).items()
        for message in ((messages,) if isinstance(messages, str) else messages)
    )

    def decorate(view: View) -> View:
        current = endpoint_of(view) or Endpoint()
        return _set(
            view,
            replace(
                current,
                params=current.params + params,
                answer=answer or current.answer,
                body=body if body is not None else current.body,
                errors=current.errors + own_errors,
                access=access or current.access,
            ),
        )

    return decorate


# ---- parameters shared by several views ----------------------------------------------------------------

_PERIOD_TEXT = (
    "ISO 8601: a date or a date-time, with `Z` or an offset, or without one in APIS local time "
    "(`APIS_TIME_ZONE`); between 1900-01-01 and 9999-01-01"
)


def period(required: bool = False) -> tuple[Param, Param]:
    """``datetimeFrom``/``datetimeTo`` as :func:`apis.core.decorators.query_period` reads them (a view that
    requires them declares its own message for a missing one)."""
    return tuple(
        Param(
            name,
            {**DATETIME, "example": example},
            required,
            f"{text}; {_PERIOD_TEXT}",
            errors=(f"invalid {name} : <value> (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)", *more),
        )
        for name, text, example, more in (
            ("datetimeFrom", "start of the period, inclusive", "2020-01-01T00:00:00Z", ()),
            (
                "datetimeTo",
                "end of the period, exclusive",
                "2020-01-02T00:00:00Z",
                ("“datetimeTo” should be greater than “datetimeFrom”",),
            ),
        )
    )


# ---- component schemas of the answers ------------------------------------------------------------------

_OUTLINE_UNIT = {
    "type": "object",
    "required": ["communityId", "clusterId", "id", "name", "available_from", "available_to"],
    "properties": {
        "communityId": STRING,
        "clusterId": STRING,
        "id": STRING,
        "name": STRING,
        "available_from": nullable(DATETIME),
        "available_to": nullable(DATETIME),
    },
}
_OUTLINE_CLUSTER = {
    "type": "object",
    "required": ["communityId", "id", "name", "units"],
    "properties": {
        "communityId": STRING,
        "id": STRING,
        "name": STRING,
        "units": {"type": "object", "additionalProperties": _OUTLINE_UNIT, "description": "by unit id"},
    },
}
_OUTLINE_COMMUNITY = {
    "type": "object",
    "required": ["id", "name", "clusters"],
    "properties": {
        "id": STRING,
        "name": STRING,
        "clusters": {"type": "object", "additionalProperties": _OUTLINE_CLUSTER, "description": "by id"},
    },
}
_DEAL_TIMES = (
    "requestDateTime",
    "acceptDateTime",
    "createDateTime",
    "activateDateTime",
    "rampUpDateTime",
    "warmUpDateTime",
    "startDateTime",
    "cumulateDateTime",
    "stopDateTime",
    "deactivateDateTime",
    "abortDateTime",
    "scramDateTime",
)
_AVAILABILITY_DOWNTIME = {
    "type": "object",
    "required": ["downDateTime", "recoveryDateTime", "open"],
    "properties": {"downDateTime": DATETIME, "recoveryDateTime": DATETIME, "open": {"type": "boolean"}},
}
_AVAILABILITY_UNIT = {
    "type": "object",
    "required": ["unitId", "name", "periodFrom", "periodTo", "periodSeconds", "downtimeSeconds", "ratio"],
    "properties": {
        "unitId": STRING,
        "name": STRING,
        "periodFrom": nullable(DATETIME),
        "periodTo": nullable(DATETIME),
        "periodSeconds": NUMBER,
        "downtimeSeconds": NUMBER,
        "ratio": nullable(NUMBER),
        "downtimes": array_of(_AVAILABILITY_DOWNTIME),
    },
}
_HISTORY_POINT = {
    "type": "object",
    "required": ["time", "count"],
    "properties": {
        "time": DATETIME,
        "count": {"type": "integer", "minimum": 1},
        "rsoc": nullable(NUMBER),
        "pvPower": nullable(NUMBER),
        "dcGridPower": nullable(NUMBER),
    },
}

SCHEMAS: dict[str, Schema] = {
    "Message": {"type": "string", "minLength": 1, "description": "a plain-text error message"},
    "EssError": {
        "type": "object",
        "required": ["code", "exception type", "message"],
        "properties": {
            "code": {"type": "string", "pattern": "^[45][0-9][0-9]$", "description": "the HTTP status"},
            "exception type": {"type": "string", "minLength": 1},
            "message": {"type": "string", "minLength": 1},
        },
        "description": "an error of the ESS API and of the JWT endpoints (the specification's shape)",
    },
    "CsrfToken": {
        "type": "object",
        "required": ["csrfmiddlewaretoken"],
        "properties": {"csrfmiddlewaretoken": {"type": "string", "minLength": 1}},
    },
    "SessionInfo": {
        "type": "object",
        "required": ["expiry_age", "expiry_date", "user"],
        "properties": {
            "sessionid": {"type": "string", "description": "only under APIS_LEGACY_COMPAT=1"},
            "expiry_age": {"type": "integer", "description": "seconds"},
            "expiry_date": DATETIME,
            "user": {
                "type": "object",
                "required": ["username", "last_name", "first_name", "email"],
                "properties": {name: STRING for name in ("username", "last_name", "first_name", "email")},
            },
        },
    },
    "Outline": {
        "type": "object",
        "required": ["communities"],
        "properties": {
            "communities": {
                "type": "object",
                "additionalProperties": _OUTLINE_COMMUNITY,
                "description": "by id",
            }
        },
    },
    "UnitData": {
        "type": "object",
        "required": ["oesunit", "time", "datasetId"],
        "properties": {
            "oesunit": {
                "type": "object",
                "required": ["communityId", "clusterId", "id"],
                "properties": {"communityId": STRING, "clusterId": STRING, "id": STRING},
            },
            "time": DATETIME,
            "datasetId": {"type": "integer"},
        },
        "description": "one unit's record as apis-ccc reported it (times as ISO 8601 UTC)",
    },
    "Deal": {
        "type": "object",
        "properties": {
            "dealId": STRING,
            "communityId": STRING,
            "clusterId": STRING,
            "dischargeUnitId": nullable(STRING),
            "chargeUnitId": nullable(STRING),
            "reportTime": {"type": "integer", "minimum": 0, "description": "epoch seconds"},
            **{name: nullable(DATETIME) for name in _DEAL_TIMES},
        },
        "description": "a deal as apis-ccc reported it; for residents only the whitelisted fields, other "
        "units' ids masked as `******`",
    },
    "BudoDeal": {
        "type": "object",
        "required": ["id", "dischargingUnit", "chargingUnit", "isMasterDeal", "request", "startTime"],
        "properties": {
            "id": nullable(STRING),
            "dischargingUnit": nullable(STRING),
            "chargingUnit": nullable(STRING),
            "isMasterDeal": nullable({"type": "boolean"}),
            "request": nullable(STRING),
            "requester": nullable(STRING),
            "responder": nullable(STRING),
            "startTime": nullable(DATETIME),
        },
        "description": "the legacy BUDO shape (`formatType=budo`)",
    },
    "DealRange": {
        "type": "object",
        "properties": {"min": DATETIME, "max": DATETIME},
        "description": "creation times of the first and the last deal; `{}` without deals",
    },
    "HourlyWh": {
        "type": "object",
        "additionalProperties": NUMBER,
        "description": 'Wh by hour of the day "0" … "23" (only hours with deals)',
    },
    "Downtime": {
        "type": "object",
        "required": ["communityId", "clusterId", "unitId", "downDateTime", "recoveryDateTime"],
        "properties": {
            "communityId": STRING,
            "clusterId": STRING,
            "unitId": STRING,
            "downDateTime": nullable(DATETIME),
            "recoveryDateTime": nullable(DATETIME),
        },
    },
    "Availability": {
        "type": "object",
        "required": [
            "communityId",
            "clusterId",
            "datetimeFrom",
            "datetimeTo",
            "now",
            "unitCount",
            "periodSeconds",
            "downtimeSeconds",
            "ratio",
            "units",
        ],
        "properties": {
            "communityId": STRING,
            "clusterId": STRING,
            "datetimeFrom": DATETIME,
            "datetimeTo": DATETIME,
            "now": DATETIME,
            "unitCount": {"type": "integer", "minimum": 0},
            "periodSeconds": NUMBER,
            "downtimeSeconds": NUMBER,
            "ratio": nullable(NUMBER),
            "units": array_of(_AVAILABILITY_UNIT),
        },
        "description": "see docs/availability.md",
    },
    "Failure": {
        "type": "object",
        "required": ["id", "type", "community_id", "cluster_id", "detected", "closed"],
        "properties": {
            "id": {"type": "integer"},
            "type": STRING,
            "community_id": STRING,
            "cluster_id": STRING,
            "program_id": nullable(STRING),
            "unit_id": nullable(STRING),
            "detected": DATETIME,
            "closed": nullable(DATETIME),
            "description": nullable(STRING),
            "close_reason": nullable(STRING),
        },
    },
    "JobState": {
        "type": "object",
        "required": ["type", "isActive"],
        "properties": {
            "type": {"type": "string", "enum": list(settings.MONITORING_JOB_TYPES)},
            "isActive": {"type": "boolean"},
        },
    },
    "Scenario": {
        "type": "object",
        "required": ["id", "name", "created"],
        "properties": {
            "id": {"type": "integer"},
            "community_id": nullable(STRING),
            "cluster_id": nullable(STRING),
            "unit_id": nullable(STRING),
            "created": DATETIME,
            "name": STRING,
            "description": nullable(STRING),
            "data": nullable({"type": "string", "description": "the scenario JSON as text"}),
        },
    },
    "UnitHistory": {
        "type": "object",
        "required": ["communityId", "clusterId", "unitId", "datetimeFrom", "datetimeTo", "points"],
        "properties": {
            "communityId": STRING,
            "clusterId": STRING,
            "unitId": STRING,
            "datetimeFrom": DATETIME,
            "datetimeTo": DATETIME,
            "bucketSeconds": {"type": "integer", "minimum": 1},
            "points": array_of(_HISTORY_POINT),
        },
    },
    "UnitDataReport": {
        "type": "object",
        "required": ["oesunit", "datasetId", "time"],
        "properties": {
            "oesunit": {
                "type": "object",
                "required": ["communityId", "clusterId", "id"],
                "properties": {"communityId": ID, "clusterId": ID, "id": ID},
            },
            "datasetId": {
                "type": "integer",
                "description": "the reporting cycle (ms epoch), shared by its units",
            },
            "time": {"type": "string", "description": "APIS local time `yyyy/MM/dd-HH:mm:ss` or ISO 8601"},
        },
        "description": "one unit's data of a reporting cycle, as the Java apis-ccc posts it",
    },
    "DealReport": {
        "type": "object",
        "required": ["dealId", "communityId", "clusterId"],
        "properties": {
            "dealId": ID,
            "communityId": ID,
            "clusterId": ID,
            "reportTime": {"type": "integer", "minimum": 0, "description": "epoch seconds (default: now)"},
            **{
                name: nullable({"type": "string", "description": "APIS local time or `--`"})
                for name in _DEAL_TIMES
            },
        },
        "description": "a deal as apis-ccc posts it, upserted by dealId (never replaced by an older report)",
    },
    "RejectedItems": {
        "type": "object",
        "required": ["results", "next"],
        "properties": {
            "results": array_of(
                {
                    "type": "object",
                    "required": ["id", "kind", "index", "field", "reason", "raw", "rawLength", "received"],
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"type": "string", "description": "the report kind: unitData or deal"},
                        "index": {"type": "integer", "minimum": 0},
                        "field": STRING,
                        "reason": STRING,
                        "raw": {
                            "type": "string",
                            "description": "the item as JSON text, cut at 65536 characters",
                        },
                        "rawLength": {"type": "integer", "minimum": 0},
                        "received": DATETIME,
                    },
                }
            ),
            "next": nullable({"type": "string", "description": "the path of the next page"}),
        },
        "description": "quarantined report items, newest first",
    },
    "IngestResult": {
        "type": "object",
        "required": ["stored", "skipped", "rejected"],
        "properties": {
            "stored": {"type": "integer", "minimum": 0},
            "skipped": {"type": "integer", "minimum": 0, "description": "already stored (a resent report)"},
            "rejected": array_of(
                {
                    "type": "object",
                    "required": ["index", "field", "reason"],
                    "properties": {
                        "index": {"type": "integer", "minimum": 0},
                        "field": STRING,
                        "reason": STRING,
                    },
                    "description": "an invalid item, quarantined (the valid ones are stored)",
                }
            ),
        },
    },
}

SECURITY_SCHEMES: dict[str, Schema] = {
    "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
        "description": "the session of login",
    },
    "csrfCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "csrftoken",
        "description": "from core/csrftoken",
    },
    "csrfHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "the CSRF token (or the form or query field `csrfmiddlewaretoken`)",
    },
    "ingestToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a cluster's ingest token (`apis manage ingest_token create`), also accepted in the "
        "path `/api/ccc/t/<token>/…`",
    },
}
SESSION = {"cookieAuth": []}
CSRF = {"csrfCookie": [], "csrfHeader": []}

# ---- operations ----------------------------------------------------------------------------------------

_ACCESS_TEXT = {
    Access.PUBLIC: "No authentication.",
    Access.LOGIN: "A logged-in user (session cookie).",
    Access.STAFF: "Staff (session cookie).",
    Access.RESIDENT: "A resident (session cookie) of the unit, now or formerly; the answer holds only what "
    "the unit recorded within the user's residency periods.",
    Access.CREDENTIALS: "No session: the form fields `username` (or `account`) and `password` of a resident "
    "of the unit; failed checks are throttled.",
    Access.INGEST: "The cluster's ingest token: `Authorization: Bearer <token>` or in the path.",
}
_ACCESS_ERRORS: dict[Access, tuple[tuple[int, str], ...]] = {
    Access.PUBLIC: (),
    Access.LOGIN: ((403, "login required"),),
    Access.STAFF: ((403, "login required"), (403, "staff required")),
    Access.RESIDENT: ((403, "login required"), (403, "resident required")),
    Access.CREDENTIALS: (
        (400, "no param : username/account, password"),
        (403, "login failed"),
        (429, "too many failed attempts, retry in <seconds> s"),
    ),
    Access.INGEST: ((401, "ingest token required"), (401, "invalid ingest token")),
}
_NAME = {"type": "string", "minLength": 1}
_CREDENTIAL_FIELDS = (
    Param("username", _NAME, description="the user name (or `account`)", where=Where.FORM),
    Param("account", _NAME, description="the user name, as the Java apis-ccc sends it", where=Where.FORM),
    Param("password", _NAME, description="the user's password", where=Where.FORM, required=True),
)
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": STRING}},
    429: {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "seconds"}},
}
_FORM = "application/x-www-form-urlencoded"
# The registry ids the decorators read, with the demo registry's as examples.
_IDS = {
    "communityId": ("community code of the registry", "oss_community"),
    "clusterId": ("cluster code of the registry", "oss_cluster"),
    "unitId": ("unit code of the registry", UNIT_ID["example"]),
}


@dataclass(frozen=True)
class Route:
    """A URL pattern of the resolver: its OpenAPI path, the schemas of its path parameters, its view."""

    path: str
    path_schemas: tuple[tuple[str, Schema], ...]
    view: Callable


_PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")


def _path_schema(converter: Any) -> Schema:
    if isinstance(converter, IntConverter):
        return {"type": "integer", "minimum": 0}
    return {"type": "string", "pattern": f"^{converter.regex}$"}


def routes(
    patterns: Iterable | None = None, prefix: str = "/", outer: tuple[tuple[str, Schema], ...] = ()
) -> Iterator[Route]:
    """Every URL pattern reachable from ``patterns`` (the root URLconf's by default)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        converters = getattr(entry.pattern, "converters", {})
        schemas = outer + tuple(
            (match["name"], _path_schema(converters[match["name"]]))
            for match in _PARAMETER.finditer(route)
            if match["name"] in converters
        )
        path = prefix + _PARAMETER.sub(r"{\g<name>}", route)
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, path, schemas)
        else:
            yield Route(path, schemas, entry.callback)


def _parameter(param: Param, where: str) -> Schema:
    entry = {
        "name": param.name,
        "in": where,
        "required": param.required or where == "path",
        "schema": param.schema,
    }
    if param.description:
        entry["description"] = param.description
    return entry


def _form_schema(params: list[Param]) -> Schema:
    schema: Schema = {"type": "object", "properties": {}}
    for param in params:
        described = {"description": param.description} if param.description else {}
        schema["properties"][param.name] = {**param.schema, **described}
    required = [param.name for param in params if param.required]
    if required:
        schema["required"] = required
    return schema


def _errors(endpoint: Endpoint, csrf: bool, has_input: bool) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    pairs = list(_ACCESS_ERRORS[endpoint.access])
    if endpoint.ids:
        names = ", ".join(endpoint.ids)
        pairs += [(400, f"no param : {names}"), (400, f"bad param values : {names}")]
        if "unitId" in endpoint.ids:
            pairs.append((400, "not a resident"))
    if csrf:
        pairs.append((403, "CSRF verification failed : <reason>"))
    if has_input:
        pairs.append((400, "bad param values : <name>"))  # a NUL character (``RejectNulMiddleware``)
    pairs += [(400, message) for param in endpoint.params for message in param.errors]
    for status, message in [*pairs, *endpoint.errors]:
        messages = found.setdefault(status, [])
        if message not in messages:
            messages.append(message)
    return dict(sorted(found.items()))


def _responses(endpoint: Endpoint, csrf: bool, has_input: bool) -> dict[str, Schema]:
    assert endpoint.answer is not None
    answer = endpoint.answer
    responses: dict[str, Schema] = {
        "200": {
            "description": answer.description,
            "content": {
                media: {} if schema is None else {"schema": schema}
                for media, schema in answer.content.items()
            },
        }
    }
    for status, messages in _errors(endpoint, csrf, has_input).items():
        response = {
            "description": "plain text: " + " / ".join(f"`{message}`" for message in messages),
            "content": {"text/plain": {"schema": ref("Message")}},
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        responses[str(status)] = response
    return responses


def _security(endpoint: Endpoint, csrf: bool, token_in_path: bool) -> list[Schema]:
    if endpoint.access in (Access.LOGIN, Access.STAFF, Access.RESIDENT):
        options = [dict(SESSION)]
    elif endpoint.access is Access.INGEST:
        options = [{"ingestToken": []}, *([{}] if token_in_path else [])]
    else:
        options = [{}]
    if csrf:
        options = [{**option, **CSRF} for option in options]
    return options


def _inputs(route: Route, endpoint: Endpoint, method: str) -> tuple[list[Schema], list[Param]]:
    """The parameters (path, query) of an operation and the fields of its form body."""
    declared = {param.name: param for param in endpoint.params}
    ids = [Param(name, {**ID, "example": _IDS[name][1]}, True, _IDS[name][0]) for name in endpoint.ids]
    own = [param for param in endpoint.params if param.where in (Where.PARAM, Where.FORM)]
    if endpoint.access is Access.CREDENTIALS:
        # ``credentials_unit`` reads the credentials and the unit from the form body only.
        form, query = [*_CREDENTIAL_FIELDS, *ids, *own], []
    elif method == "POST":
        form, query = [*ids, *own], []
    else:
        form, query = [], [*ids, *own]
    path = [
        replace(declared.get(name, Param(name)), schema=schema, where=Where.PATH)
        for name, schema in route.path_schemas
    ]
    parameters = [_parameter(param, "path") for param in path] + [
        _parameter(param, "query") for param in query
    ]
    return parameters, form


def _request_body(endpoint: Endpoint, form: list[Param]) -> Schema | None:
    if endpoint.body is not None:
        return {"required": True, "content": {"application/json": {"schema": endpoint.body}}}
    if not form:
        return None
    schema = _form_schema(form)
    if endpoint.access is Access.CREDENTIALS:
        schema["anyOf"] = [{"required": ["username"]}, {"required": ["account"]}]
    return {"required": True, "content": {_FORM: {"schema": schema}}}


def _operation(route: Route, endpoint: Endpoint, method: str, operation_id: str) -> Schema:
    csrf = method == "POST" and not getattr(route.view, "csrf_exempt", False)
    parameters, form = _inputs(route, endpoint, method)
    token_in_path = any(
        param.credential and param.name in dict(route.path_schemas) for param in endpoint.params
    )
    summary, _, details = (route.view.__doc__ or "").strip().replace("``", "`").partition("\n\n")
    details = " ".join(details.split())
    access = _ACCESS_TEXT[endpoint.access]
    operation: Schema = {
        "operationId": operation_id,
        "summary": " ".join(summary.split()),
        "description": f"{details}\n\n{access}" if details else access,
        "tags": [route.path.split("/")[2]],
        "security": _security(endpoint, csrf, token_in_path),
    }
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(endpoint, form)
    if body:
        operation["requestBody"] = body
    has_input = bool(parameters or body)
    operation["responses"] = _responses(endpoint, csrf, has_input)
    return operation


def operations(route: Route) -> dict[str, Schema]:
    """The path item of a plain view that describes its answer (empty for any other view: a view must say
    what it answers to be in the schema, the decorators' record alone is not enough)."""
    endpoint = endpoint_of(route.view)
    if endpoint is None or endpoint.answer is None or hasattr(route.view, "cls"):
        return {}
    methods = list(endpoint.methods)
    if endpoint.legacy_get and settings.LEGACY_COMPAT:
        methods.append("GET")
    base = "_".join(part for part in re.split(r"[/{}]+", route.path)[2:] if part)
    return {
        method.lower(): _operation(
            route, endpoint, method, base if len(methods) == 1 else f"{base}_{method.lower()}"
        )
        for method in methods
    }


# ---- the hook ------------------------------------------------------------------------------------------


# What every DRF view can answer besides its own errors: a malformed body, missing or bad credentials, a body
# of a media type it does not read (views that take one), too many requests (throttled views).
_DRF_ERRORS = {
    "400": "malformed request",
    "401": "no or invalid credentials",
    "415": "a body of another media type (or none declared)",
    "429": "too many requests",
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _ess_errors(path_item: dict[str, Schema], throttled: bool) -> None:
    """Every error answer of a DRF view (the ESS API, the JWT endpoints) in the ESS error shape, which
    ``apis.ess.errors.exception_handler`` gives them all."""
    for method, operation in path_item.items():
        if method not in _METHODS:
            continue
        responses = operation.setdefault("responses", {})
        applies = {"415": "requestBody" in operation, "429": throttled}
        for status, text in _DRF_ERRORS.items():
            if applies.get(status, True):
                responses.setdefault(status, {"description": text})
        for status, response in responses.items():
            if int(status) >= 400:
                response["content"] = {"application/json": {"schema": ref("EssError")}}
                if int(status) in _HEADERS:
                    response.setdefault("headers", _HEADERS[int(status)])


def add_plain_views(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
    """drf-spectacular postprocessing hook: the operations of every documented plain view under ``/api/``,
    the component and security schemes they use, and the ESS error shape on the DRF operations."""
    paths: dict[str, Schema] = result.setdefault("paths", {})
    for route in routes():
        # Under APIS_URL_PREFIX the paths keep the prefix; tags and operation ids are the root site's.
        local = route.path.removeprefix(settings.URL_PREFIX)
        if not local.startswith("/api/"):
            continue
        item = operations(replace(route, path=local))
        if item:
            paths[route.path] = item
        elif route.path in paths:
            _ess_errors(paths[route.path], _throttled(route.view))
    result["paths"] = dict(sorted(paths.items()))
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    return result


def _throttled(view: Callable) -> bool:
    """Whether a DRF view can answer 429: it has throttles, or declares ``counts_failed_logins``
    (``/api/token/``)."""
    cls = getattr(view, "cls", None)
    return bool(getattr(cls, "throttle_classes", None) or getattr(cls, "counts_failed_logins", False))
