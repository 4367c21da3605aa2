"""Access to a community's data: staff of a registered cluster, residents (now or formerly) of a unit, and
apis-ccc's per-request credentials, with the original's check order and messages (reference §4.1).

Every decorator here runs inside :func:`apis.core.decorators.api`, which answers the
:class:`~apis.core.errors.InvalidRequest` raised for missing or unknown ids with a plain-text 400."""

from functools import wraps

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from apis.community.models import Cluster, Unit
from apis.community.residency import Tenure, is_resident, tenure
from apis.core import throttle
from apis.core.decorators import View, api, login_required, param, staff_required, too_many_attempts
from apis.core.errors import InvalidRequest
from apis.core.http import forbidden
from apis.core.openapi import Access, describe, record


def resident_required(view: View) -> View:
    """Logged-in residents only (now or formerly, ``apis.community.residency.is_resident``); 403 otherwise."""

    @record(access=Access.RESIDENT)
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_resident(request.user):
            return forbidden("resident required")
        return view(request, *args, **kwargs)

    return wrapper


def _missing(names: tuple[str, ...]) -> str:
    return "no param : " + ", ".join(names)


def _bad_values(names: tuple[str, ...]) -> str:
    return "bad param values : " + ", ".join(names)


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
            raise InvalidRequest(_missing(CLUSTER_PARAMS))
        if not Cluster.objects.filter(community__code=community_id, code=cluster_id).exists():
            raise InvalidRequest(_bad_values(CLUSTER_PARAMS))
        return view(request, community_id, cluster_id, *args, **kwargs)

    return wrapper


NOT_CURRENT = "not a current resident"


def _unit_of(user, values: tuple[str, str, str], current: bool) -> Tenure:
    """The user's periods in the unit named by ``values``; :class:`InvalidRequest` when the ids are missing or
    unknown, the user never lived there (or not yet), or (``current``) no longer lives there."""
    community_id, cluster_id, unit_id = values
    if not all(values):
        raise InvalidRequest(_missing(UNIT_PARAMS))
    unit = (
        Unit.objects.filter(cluster__community__code=community_id, cluster__code=cluster_id, code=unit_id)
        .only("id")
        .first()
    )
    if unit is None:
        raise InvalidRequest(_bad_values(UNIT_PARAMS))
    stay = tenure(user, unit)
    if stay is None:
        raise InvalidRequest("not a resident")
    if current and not stay.current:
        raise InvalidRequest(NOT_CURRENT)
    return stay


def _resident_unit(view: View, current: bool) -> View:
    @record(ids=UNIT_PARAMS)
    @resident_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        values = tuple(param(request, name) for name in UNIT_PARAMS)
        stay = _unit_of(request.user, values, current)
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
            raise InvalidRequest("no param : username/account, password")
        keys = throttle.credential_keys(request, username)
        wait = throttle.retry_after(keys)
        if wait is not None:
            return too_many_attempts(wait)
        user = authenticate(request, username=username, password=password)
        if user is None:
            throttle.record_failure(keys)
            return forbidden("login failed")
        values = tuple(request.POST.get(name, "") for name in UNIT_PARAMS)
        _unit_of(user, values, current=True)  # apis-ccc acts for the unit now
        return view(request, *values, *args, **kwargs)

    return wrapper
