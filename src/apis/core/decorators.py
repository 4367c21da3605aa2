"""View decorators with the original's check order and messages (reference §4.1), and the parsers of
request parameters.

The HTTP method is checked first (405), then the login, the role, the parameters and the registry (the
registry and residency checks are in ``apis.community.access``). A parser that cannot read a parameter
raises :class:`~apis.core.errors.InvalidRequest`, which :func:`api` answers with a plain-text 400.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from apis.core.errors import InvalidRequest
from apis.core.http import bad_request, forbidden, method_not_allowed, text
from apis.core.numbers import ascii_int
from apis.core.openapi import Access, record
from apis.core.timeparse import parse_query_datetime

View = Callable[..., HttpResponse]


def param(request: HttpRequest, name: str) -> str:
    """A request parameter: the form body of a POST first, then the query string."""
    value = request.POST.get(name, "") if request.method == "POST" else ""
    return value or request.GET.get(name, "")


def int_param(request: HttpRequest, name: str, default: int | None, high: int) -> int | None:
    """The parameter ``name`` as an integer from 1 to ``high`` (``default`` when absent);
    :class:`~apis.core.errors.InvalidRequest` for any other value."""
    raw = param(request, name)
    if not raw:
        return default
    value = ascii_int(raw, 1, high)
    if value is None:
        raise InvalidRequest(f"invalid {name} : {raw[:40]} (expected an integer from 1 to {high})")
    return value


PERIOD_PARAMS = ("datetimeFrom", "datetimeTo")


def query_period(request: HttpRequest) -> tuple[datetime | None, datetime | None]:
    """The optional ``datetimeFrom``/``datetimeTo`` of a request; :class:`InvalidRequest` for bad values."""
    values: list[datetime | None] = []
    for name in PERIOD_PARAMS:
        raw = param(request, name)
        try:
            values.append(parse_query_datetime(raw) if raw else None)
        except (ValueError, OverflowError):
            raise InvalidRequest(
                f"invalid {name} : {raw} (expected ISO 8601, e.g. 2020-01-01T00:00:00Z)"
            ) from None
    start, end = values
    if start and end and end <= start:
        raise InvalidRequest("“datetimeTo” should be greater than “datetimeFrom”")
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
    """Allow only ``methods`` (405 otherwise), answer an :class:`InvalidRequest` raised by the view with the
    original's plain-text 400, and mark the answer uncacheable.

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
            try:
                response = view(request, *args, **kwargs)
            except InvalidRequest as mistake:
                response = bad_request(mistake.message)
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


def too_many_attempts(wait: int) -> HttpResponse:
    response = text(f"too many failed attempts, retry in {wait} s", 429)
    response["Retry-After"] = str(wait)
    return response
