"""Errors of the ESS API in the specification's shape:
``{"code": "400", "exception type": ..., "message": ...}``."""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class EssError(Exception):
    """A request the ESS API refuses: HTTP ``status`` with the specification's ``exception type`` label."""

    def __init__(self, message: str, exception_type: str = "Value Error", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.exception_type, self.status = message, exception_type, status

    def response(self) -> Response:
        return error_response(self.status, self.exception_type, self.message)


def error_response(status: int, exception_type: str, message: str, headers: dict | None = None) -> Response:
    """The JSON error body of the specification."""
    body = {"code": str(status), "exception type": exception_type, "message": message}
    return Response(body, status=status, headers=headers)


_TYPES = {
    exceptions.NotAuthenticated: "Not Authenticated",
    exceptions.AuthenticationFailed: "Authentication Failed",
    exceptions.PermissionDenied: "Permission Denied",
    exceptions.Throttled: "Throttled",
    exceptions.NotFound: "Not Found",
    exceptions.MethodNotAllowed: "Method Not Allowed",
    exceptions.ParseError: "Parse Error",
    exceptions.ValidationError: "Validation Error",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every API error (ESS, authentication, throttling, tokens) as the spec has it,
    also Django's refusals of a request (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, more than
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` parameters…), which would otherwise leave DRF unhandled."""
    if isinstance(exc, EssError):
        return exc.response()
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(413, "Request Too Large", f"the request body is larger than {limit:,} bytes")
    if isinstance(exc, SuspiciousOperation):
        return error_response(400, "Bad Request", str(exc) or "request refused")
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = exc.detail
    if isinstance(detail, dict):
        message = "; ".join(
            f"{key}: {' '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in detail.items()
        )
    elif isinstance(detail, list):
        message = " ".join(map(str, detail))
    else:
        message = str(detail)
    label = next((name for kind, name in _TYPES.items() if isinstance(exc, kind)), "API Error")
    headers = {key: value for key, value in response.items() if key in ("WWW-Authenticate", "Retry-After")}
    return error_response(response.status_code, label, message, headers)
