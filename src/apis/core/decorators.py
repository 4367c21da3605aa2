"""View decorators with the original's check order and messages (reference §4.1).

The HTTP method is checked first (405), then the login, the role, the parameters and the registry.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt

from apis.community.models import Cluster, Unit
from apis.community.residency import Tenure, tenure
from apis.core import throttle
from apis.core.http import bad_request, forbidden, method_not_allowed, text
from apis.core.numbers import ascii_int
from apis.core.openapi import Access, describe, record
from apis.core.timeparse import parse_query_datetime

View = Callable[..., HttpResponse]


def param(request: HttpRequest, name: str) -> str:
    """A request parameter: the form body of a POST first, then the query string."""
    value = request.POST.get(name, "") if request.method == "POST" else ""
    return value or request.GET.get(name, "")


def int_param(request: HttpRequest, name: str, default: int | None, high: int) -> int | HttpResponse | None:
    """The parameter ``name`` as an integer from 1 to ``high`` (``default`` when absent), or a 400 answer."""
    raw = param(request, name)
    if not raw:
        return default
    value = ascii_int(raw, 1, high)
    if value is None:
        return bad_request(f"invalid {name} : {raw[:40]} (expected an integer from 1 to {high})")
    return value


PERIOD_PARAMS = ("datetimeFrom", "datetimeTo")


def query_period(request: HttpRequest) -> tuple[datetime | None, datetime | None] | HttpResponse:
    """The optional ``datetimeFrom``/``datetimeTo`` of a request, or the 400 answer for bad values."""
    values: list[datetime | None] = []
    for name in PERIOD_PARAMS:
        raw = param(request, name)
        try:
            values.append(parse_query_datetime(raw) if raw else None)
        except (ValueError, OverflowError):
            return bad_request(f"invalid {name} : {raw} (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)")
    start, end = values
    if start and end and end <= start:
        return bad_request("“datetimeTo” should be greater than “datetimeFrom”")
    return start, end


def overlapping(begin: str, end: str, start: datetime | None, stop: datetime | None) -> Q:
    """Rows whose interval ``[begin, end)`` (``end`` null: still open) overlaps ``[start, stop)``."""
    condition = Q()
    if start:
        condition &= Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": start})
    if stop:
        condition &= Q(**{f"{begin}__lt": stop})
    return condition


def api(*methods: str, legacy_get: bool = False) -> Callable[[View], View]:
    """Allow only ``methods`` (405 otherwise) and mark the answer uncacheable.

    ``legacy_get`` also allows GET when ``APIS_LEGACY_COMPAT`` is on: the original changed state on GET.
    """

    def decorate(view: View) -> View:
        @record(methods=methods, legacy_get=legacy_get)
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            allowed = list(methods)
            if legacy_get and settings.LEGACY_COMPAT:
                allowed.append("GET")
            if request.method not in allowed:
                return method_not_allowed(allowed)
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorate


def mutating(view: View) -> View:
    """A state-changing call: POST with a CSRF token (GET too under ``APIS_LEGACY_COMPAT``)."""
    return api("POST", legacy_get=True)(view)


def login_required(view: View) -> View:
    @record(access=Access.LOGIN)
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return forbidden("login required")
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view: View) -> View:
    @record(access=Access.STAFF)
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            return forbidden("staff required")
        return view(request, *args, **kwargs)

    return wrapper


def resident_required(view: View) -> View:
    @record(access=Access.RESIDENT)
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_resident:
            return forbidden("resident required")
        return view(request, *args, **kwargs)

    return wrapper


def _missing(names: tuple[str, ...]) -> HttpResponse:
    return bad_request("no param : " + ", ".join(names))


def _bad_values(names: tuple[str, ...]) -> HttpResponse:
    return bad_request("bad param values : " + ", ".join(names))


CLUSTER_PARAMS = ("communityId", "clusterId")
UNIT_PARAMS = ("communityId", "clusterId", "unitId")


def staff_cluster(view: View) -> View:
    """Staff only; ``communityId``/``clusterId`` of a registered cluster are passed to the view."""

    @record(ids=CLUSTER_PARAMS)
    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        community_id, cluster_id = (param(request, name) for name in CLUSTER_PARAMS)
        if not (community_id and cluster_id):
            return _missing(CLUSTER_PARAMS)
        if not Cluster.objects.filter(community__code=community_id, code=cluster_id).exists():
            return _bad_values(CLUSTER_PARAMS)
        return view(request, community_id, cluster_id, *args, **kwargs)

    return wrapper


NOT_CURRENT = "not a current resident"


def _unit_of(user, values: tuple[str, str, str], current: bool) -> HttpResponse | Tenure:
    """The user's periods in the unit named by ``values``, or the refusal: ids missing or unknown, the user
    never lived there (or not yet), or (``current``) no longer lives there."""
    community_id, cluster_id, unit_id = values
    if not all(values):
        return _missing(UNIT_PARAMS)
    unit = (
        Unit.objects.filter(cluster__community__code=community_id, cluster__code=cluster_id, code=unit_id)
        .only("id")
        .first()
    )
    if unit is None:
        return _bad_values(UNIT_PARAMS)
    stay = tenure(user, unit)
    if stay is None:
        return bad_request("not a resident")
    if current and not stay.current:
        return bad_request(NOT_CURRENT)
    return stay


def _resident_unit(view: View, current: bool) -> View:
    @record(ids=UNIT_PARAMS)
    @resident_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        values = tuple(param(request, name) for name in UNIT_PARAMS)
        stay = _unit_of(request.user, values, current)
        if isinstance(stay, HttpResponse):
            return stay
        return view(request, *values, *args, tenure=stay, **kwargs)

    return wrapper


def resident_unit(view: View) -> View:
    """A resident, now or formerly, of the unit named by ``communityId``/``clusterId``/``unitId``: the ids
    and the user's :class:`~apis.community.residency.Tenure` (keyword ``tenure``) go to the view, which
    shows only what the unit recorded within it."""
    return _resident_unit(view, current=False)


def current_resident_unit(view: View) -> View:
    """:func:`resident_unit` for a call that acts on the unit now: the user must live there now, a former
    resident gets 400 ``not a current resident``."""
    return describe(errors={400: NOT_CURRENT})(_resident_unit(view, current=True))


def credentials_unit(view: View) -> View:
    """The misc endpoints apis-ccc polls: POST form ``username`` (or ``account``) and ``password`` of a
    resident of the unit, no session, no CSRF; failures are throttled (429 with ``Retry-After``).

    A success does not clear the identity's failures: apis-ccc polls every few seconds, and each of its
    successes would give a guesser a fresh allowance."""

    @describe(errors={400: NOT_CURRENT})
    @record(access=Access.CREDENTIALS, ids=UNIT_PARAMS)
    @csrf_exempt
    @api("POST")
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = throttle.normalize_username(
            request.POST.get("username") or request.POST.get("account") or ""
        )
        password = request.POST.get("password", "")
        if not (username and password):
            return bad_request("no param : username/account, password")
        keys = throttle.credential_keys(request, username)
        wait = throttle.retry_after(keys)
        if wait is not None:
            return too_many_attempts(wait)
        user = authenticate(request, username=username, password=password)
        if user is None:
            throttle.record_failure(keys)
            return forbidden("login failed")
        values = tuple(request.POST.get(name, "") for name in UNIT_PARAMS)
        stay = _unit_of(user, values, current=True)  # apis-ccc acts for the unit now
        if isinstance(stay, HttpResponse):
            return stay
        return view(request, *values, *args, **kwargs)

    return wrapper


def too_many_attempts(wait: int) -> HttpResponse:
    response = text(f"too many failed attempts, retry in {wait} s", 429)
    response["Retry-After"] = str(wait)
    return response
