"""``/api/core/``: CSRF token, login, logout and session information."""

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from apis.core import throttle
from apis.core.decorators import api, login_required, mutating, too_many_attempts
from apis.core.http import forbidden, json_response, text
from apis.core.openapi import Answer, Param, Where, describe, json_answer, ref, text_answer


def session_info(request: HttpRequest) -> dict:
    """The session JSON of login and session; the raw session id only under ``APIS_LEGACY_COMPAT``."""
    user = request.user
    info = {}
    if settings.LEGACY_COMPAT:
        info["sessionid"] = request.session.session_key
    info.update(
        expiry_age=request.session.get_expiry_age(),
        expiry_date=request.session.get_expiry_date(),
        user={
            "username": user.username,
            "last_name": user.last_name,
            "first_name": user.first_name,
            "email": user.email,
        },
    )
    return info


@csrf_exempt
@api("GET")
@describe(answer=json_answer(ref("CsrfToken"), "the CSRF token; the `csrftoken` cookie is set too"))
def csrftoken(request: HttpRequest) -> HttpResponse:
    """The CSRF token that login and the mutating calls need (in a form field or ``X-CSRFToken``)."""
    return json_response({"csrfmiddlewaretoken": get_token(request)})


@api("POST")
@describe(
    Param("username", required=True, where=Where.FORM),
    Param("password", required=True, where=Where.FORM),
    answer=json_answer(ref("SessionInfo"), "logged in: the session cookie is set"),
    errors={403: "login failed", 429: "too many failed attempts, retry in <seconds> s"},
)
def login(request: HttpRequest) -> HttpResponse:
    """Log in with a user name and password; failed attempts are throttled."""
    username = request.POST.get("username", "")
    keys = throttle.credential_keys(request, username)
    wait = throttle.retry_after(keys)
    if wait is not None:
        return too_many_attempts(wait)
    form = AuthenticationForm(request, data=request.POST)
    if not form.is_valid():
        throttle.record_failure(keys)
        return forbidden("login failed")
    auth_login(request, form.get_user())
    throttle.clear_failures(request.user)
    return json_response(session_info(request))


@mutating
@describe(answer=text_answer("logged out (also without a session): an empty body", ""))
def logout(request: HttpRequest) -> HttpResponse:
    """End the session (an empty 200 also without one)."""
    auth_logout(request)
    return text("")


@api("GET")
@login_required
@describe(answer=json_answer(ref("SessionInfo")))
def session(request: HttpRequest) -> HttpResponse:
    """The logged-in user and the session's expiry."""
    return json_response(session_info(request))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A short plain-text 403 instead of Django's HTML page, readable by API clients."""
    return forbidden(f"CSRF verification failed : {reason}")


@api("GET")
@describe(answer=Answer("the client of the role's methods", {"application/javascript": {"type": "string"}}))
def client_js(request: HttpRequest, role: str) -> HttpResponse:
    """The dependency-free JavaScript client of a role (``staff`` or ``resident``)."""
    return render(
        request, "apis/client.js", {"role": role}, content_type="application/javascript; charset=utf-8"
    )
