"""JSON pages in the specification's shape ``{"count", "next", "previous", "results"}``.

Two ways to page: ``page`` numbers as in the specification (``OFFSET``, with ``count``), and ``cursor``
(keyset on the table key, whose cost does not grow with depth; ``count`` is ``null``). An empty ``cursor=``
starts cursor paging at the first row. Neither loses nor repeats rows while rows are appended.
"""

import base64
import binascii
import contextlib
import json
import math
from datetime import datetime
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apis.ess.errors import EssError
from apis.ess.params import Selection
from apis.ess.query import Query, build
from apis.ess.sites import fetch


def _positive(query: Any, name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise EssError(f"{name} must be a positive integer, not {raw!r}", "Value Error")
    return int(raw)


def page_size(query: Any) -> int:
    """``page_size`` (default ``APIS_ESS_PAGE_SIZE``), capped at ``APIS_ESS_MAX_PAGE_SIZE``."""
    return min(_positive(query, "page_size", settings.ESS_PAGE_SIZE), settings.ESS_MAX_PAGE_SIZE)


def encode_cursor(direction: str, keys: list) -> str:
    """An opaque cursor: ``n`` (rows after ``keys``) or ``p`` (rows before), key values in JSON."""
    values = [value.isoformat() if isinstance(value, datetime) else value for value in keys]
    payload = base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()
    return f"{direction}.{payload.rstrip('=')}"


def decode_cursor(raw: str, selection: Selection) -> tuple[str, list]:
    """The direction and key values of a cursor made by ``encode_cursor``; 400 for anything else."""
    direction, _, payload = raw.partition(".")
    try:
        values = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        valid = (
            direction in ("n", "p")
            and isinstance(values, list)
            and len(values) == len(selection.table.keys)
            and isinstance(values[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in values[1:])
        )
        if valid and selection.site.vendor == "postgresql":
            values[0] = datetime.fromisoformat(values[0])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid:
        raise EssError("cursor is not valid; use the next or previous link of a page", "Value Error")
    return direction, values


def _record(columns, row: tuple) -> dict[str, Any]:
    record = {}
    for column, value in zip(columns, row, strict=False):
        if column.kind == "json" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif isinstance(value, float) and not math.isfinite(value):
            value = None
        record[column.field] = value
    return record


def _number_page(request: Request, selection: Selection, query: Query, size: int) -> dict[str, Any]:
    number = _positive(request.query_params, "page", 1)
    count = fetch(selection.site, *query.count())[0][0]
    if number > 1 and (number - 1) * size >= count:
        raise EssError(f"page {number} does not exist ({count} rows, {size} per page)", "Not Found", 404)
    rows = fetch(selection.site, *query.page(size, offset=(number - 1) * size))
    url = request.build_absolute_uri()
    return {
        "count": count,
        "next": replace_query_param(url, "page", number + 1) if number * size < count else None,
        "previous": (
            None
            if number == 1
            else remove_query_param(url, "page")
            if number == 2
            else replace_query_param(url, "page", number - 1)
        ),
        "results": [_record(query.columns, row) for row in rows],
    }


def _cursor_page(request: Request, selection: Selection, query: Query, size: int) -> dict[str, Any]:
    raw = request.query_params.get("cursor", "")
    direction, keys = decode_cursor(raw, selection) if raw else ("n", None)
    backwards = direction == "p"
    sql, params = query.page(size + 1, after=None if backwards else keys, before=keys if backwards else None)
    rows = fetch(selection.site, sql, params)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    width = len(query.columns)
    url = request.build_absolute_uri()
    has_next, has_previous = (True, more) if backwards else (more, keys is not None)
    link = lambda d, row: replace_query_param(url, "cursor", encode_cursor(d, list(row[width:])))  # noqa: E731
    return {
        "count": None,
        "next": link("n", rows[-1]) if rows and has_next else None,
        "previous": link("p", rows[0]) if rows and has_previous else None,
        "results": [_record(query.columns, row) for row in rows],
    }


def json_page(request: Request, selection: Selection) -> dict[str, Any]:
    """One page of the selection, by ``cursor`` when the parameter is present, else by ``page`` number."""
    query = build(selection)
    size = page_size(request.query_params)
    if "cursor" in request.query_params:
        if "page" in request.query_params:
            raise EssError("use either page or cursor, not both", "Value Error")
        return _cursor_page(request, selection, query, size)
    return _number_page(request, selection, query, size)
