"""The answers Django gives itself (``handler400`` … ``handler500`` of the URLconf): a request it cannot
parse (a multipart body without a boundary, too many fields, an oversized body), an unknown path, a
``PermissionDenied`` or an unhandled exception. Plain text like every message of the API, never Django's HTML
pages; under the ESS API and the JWT endpoints the ESS error JSON, like every other error there.
"""

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from apis.core.http import text

# Paths (under ``APIS_URL_PREFIX``) whose errors have the ESS specification's shape (``apis.ess.errors``).
ESS_PATHS = ("/api/ess/", "/api/token/")


def refusal(request: HttpRequest, status: int, label: str, message: str) -> HttpResponse:
    """``message`` as the path's errors are shaped: plain text, or under the ESS API and the JWT endpoints the
    ESS error JSON with ``label`` as its ``exception type``."""
    if request.path.removeprefix(settings.URL_PREFIX).startswith(ESS_PATHS):
        body = {"code": str(status), "exception type": label, "message": message}
        return JsonResponse(body, status=status)
    return text(message, status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400: the client's own mistake is named (a malformed multipart body); a suspicious request is refused
    by the name of its kind only, as Django's messages for those may reveal settings."""
    if isinstance(exception, (MultiPartParserError, BadRequest)) and str(exception):
        message = f"bad request : {exception}"
    elif isinstance(exception, SuspiciousOperation):
        message = f"bad request : {type(exception).__name__}"
    else:
        message = "bad request"
    return refusal(request, 400, "Bad Request", message)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 for a ``PermissionDenied`` raised outside the views' own checks."""
    return refusal(request, 403, "Permission Denied", "forbidden")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a path no URL pattern matches (or an ``Http404``)."""
    return refusal(request, 404, "Not Found", "not found")


def server_error(request: HttpRequest) -> HttpResponse:
    """500 for an unhandled exception (its traceback goes to the log, not to the client)."""
    return refusal(request, 500, "Server Error", "server error")
