"""Request body parsers of the DRF views (``/api/token/``, ``/api/token/refresh/``), bounded like every other
client input. JSON is decoded by ``apis.core.jsonlimits`` (nesting depth, finite numbers), so 100,000 ``[``
are a 400 in the specification's error shape instead of a ``RecursionError``. Django itself refuses a JSON
or form body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` when DRF reads it (``RequestDataTooBig``, a 413 here); a
multipart body is refused on its declared length before it is read, as the files in it would otherwise be
spooled to disk whatever their size."""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, parsers

from apis.core import jsonlimits
from apis.core.numbers import declares_more_than


class BoundedJSONParser(parsers.JSONParser):
    """JSON bodies decoded within ``jsonlimits.MAX_DEPTH`` levels, finite numbers and storable text only (a
    user name with a lone surrogate would fail the database lookup)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            return jsonlimits.loads(stream.read(), strict_text=True)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error: {exc}") from None


class BoundedMultiPartParser(parsers.MultiPartParser):
    """Multipart forms (Django's test client, ``curl -F``) of at most ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    bytes, files included."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and declared and declares_more_than(declared, limit):
            raise RequestDataTooBig("multipart body too large")
        return super().parse(stream, media_type, parser_context)
