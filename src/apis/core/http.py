"""Response helpers shared by every API view: JSON as the original encodes it, plain-text messages,
and JSON arrays streamed row by row so that long histories never sit in memory."""

from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from apis.core import jsonlimits

TEXT = "text/plain; charset=utf-8"


def text(message: str, status: int = 200) -> HttpResponse:
    """A plain-text answer (``ok``, ``no change``, error messages). Never HTML: messages echo input."""
    return HttpResponse(message, status=status, content_type=TEXT)


def bad_request(message: str) -> HttpResponse:
    return text(message, 400)


def forbidden(message: str) -> HttpResponse:
    return text(message, 403)


def method_not_allowed(allowed: list[str]) -> HttpResponse:
    """405 with the ``Allow`` header, and a plain-text message where the original sent an empty HTML body."""
    response = text(f"method not allowed (allowed: {', '.join(allowed)})", 405)
    response["Allow"] = ", ".join(allowed)
    return response


def only_methods(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view that takes ``methods`` only; any other is refused by :func:`method_not_allowed` (Django's
    ``require_http_methods`` answers an empty 405 instead)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return method_not_allowed(list(methods))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def json_response(data: Any, status: int = 200) -> JsonResponse:
    """JSON with datetimes as ISO 8601 UTC ``Z`` (milliseconds only when non-zero)."""
    return JsonResponse(data, status=status, safe=False, encoder=DjangoJSONEncoder)


_encoder = DjangoJSONEncoder(separators=(",", ":"))


def _array_chunks(items: Iterable[Any], batch: int) -> Iterator[str]:
    yield "["
    buffer: list[str] = []
    first = True
    for item in items:
        buffer.append(_encoder.encode(item))
        if len(buffer) >= batch:
            yield ("" if first else ",") + ",".join(buffer)
            first = False
            buffer.clear()
    if buffer:
        yield ("" if first else ",") + ",".join(buffer)
    yield "]"


def streamed_json_array(items: Iterable[Any], batch: int = 500) -> StreamingHttpResponse:
    """A JSON array written while ``items`` is consumed (bounded memory for any number of rows)."""
    return StreamingHttpResponse(_array_chunks(items, batch), content_type="application/json")


def loads_json_body(body: bytes, max_depth: int | None = jsonlimits.MAX_DEPTH) -> Any:
    """Decode a request body as JSON nested at most ``max_depth`` levels (``None``: the caller checks the
    depth itself); ``ValueError`` with a readable message otherwise."""
    return jsonlimits.loads(body, max_depth)
