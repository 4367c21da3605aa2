"""JSON pages in the specification's shape ``{"count", "next", "previous", "results"}``.

Two ways to page: ``page`` numbers as in the specification (``OFFSET``, with ``count``), and ``cursor``
(keyset on the table key, whose cost does not grow with depth; ``count`` is ``null``). An empty ``cursor=``
starts cursor paging at the first row. Neither loses nor repeats rows while rows are appended: both read
one row beyond the page, so ``next`` is there exactly when a row follows.

Counting is the costly part of a numbered page, and every page of a selection would count the same rows:
a count is kept for ``APIS_ESS_COUNT_TTL_SEC`` per selection (per worker). Rows appended meanwhile still
appear on the pages; ``count`` is then at least the rows the page proves, and a page beyond the kept count
is counted afresh before it is refused.
"""

import base64
import binascii
import contextlib
import hashlib
import json
import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apis.core import jsonlimits
from apis.core.numbers import ascii_int
from apis.core.timeparse import to_utc
from apis.ess.errors import EssError
from apis.ess.params import MAX_ID, MAX_ID_DIGITS, Selection, shown, single
from apis.ess.query import Query, build
from apis.ess.sites import Site, fetch

# A cursor of this service is about 100 characters; a longer one was not made here.
MAX_CURSOR_CHARS = 512
MAX_CURSOR_TIME_CHARS = 64
# Key values are the site's integer columns (64-bit at most).
KEY_MIN, KEY_MAX = -(2**63), 2**63 - 1


def _positive(query: QueryDict, name: str, default: int) -> int:
    raw = single(query, name)
    if raw is None or raw == "":
        return default
    value = ascii_int(raw, 1, MAX_ID)
    if value is None:
        raise EssError(
            f"{name} must be a positive integer of at most {MAX_ID_DIGITS} digits, not {shown(raw)}",
            "Value Error",
        )
    return value


def page_size(query: QueryDict) -> int:
    """``page_size`` (default ``APIS_ESS_PAGE_SIZE``), capped at ``APIS_ESS_MAX_PAGE_SIZE``."""
    return min(_positive(query, "page_size", settings.ESS_PAGE_SIZE), settings.ESS_MAX_PAGE_SIZE)


def encode_cursor(direction: str, keys: list) -> str:
    """An opaque cursor: ``n`` (rows after ``keys``) or ``p`` (rows before), key values in JSON."""
    values = [value.isoformat() if isinstance(value, datetime) else value for value in keys]
    payload = base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()
    return f"{direction}.{payload.rstrip('=')}"


def _cursor_time(raw: str, site: Site) -> datetime | str:
    """The time key of a cursor as the site compares it: an aware datetime (PostgreSQL) or the stored text
    (SQLite); ``ValueError`` unless it is a time in the supported range."""
    if len(raw) > MAX_CURSOR_TIME_CHARS:
        raise ValueError("time too long")
    moment = to_utc(datetime.fromisoformat(raw), site.zone)  # ValueError outside the supported range
    return moment if site.vendor == "postgresql" else raw


def _cursor_keys(values: object, selection: Selection) -> list:
    """The key values of a decoded cursor payload; ``ValueError`` unless they fit the table's key."""
    if not isinstance(values, list) or len(values) != len(selection.table.keys):
        raise ValueError("not the table's key")
    first, *ids = values
    if not isinstance(first, str):
        raise ValueError("no time")
    if not all(type(value) is int and KEY_MIN <= value <= KEY_MAX for value in ids):
        raise ValueError("ids are not 64-bit integers")
    return [_cursor_time(first, selection.site), *ids]


def decode_cursor(raw: str, selection: Selection) -> tuple[str, list]:
    """The direction and key values of a cursor made by ``encode_cursor``; 400 for anything else."""
    direction, _, payload = raw.partition(".")
    try:
        if direction not in ("n", "p") or len(raw) > MAX_CURSOR_CHARS:
            raise ValueError("not a cursor")
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        return direction, _cursor_keys(jsonlimits.loads(data, limit=1), selection)
    except (ValueError, binascii.Error):
        raise EssError(
            "cursor is not valid; use the next or previous link of a page", "Value Error"
        ) from None


def _record(columns, row: tuple) -> dict[str, Any]:
    record = {}
    for column, value in zip(columns, row, strict=False):
        if column.kind == "json" and isinstance(value, str):
            with contextlib.suppress(ValueError):  # nested too deeply or not JSON: the text as stored
                value = jsonlimits.loads(value)
        elif isinstance(value, float) and not math.isfinite(value):
            value = None
        record[column.field] = value
    return record


def _count(selection: Selection, query: Query, fresh: bool = False) -> int:
    """The rows of the selection, counted at most once per ``APIS_ESS_COUNT_TTL_SEC`` (unless ``fresh``)."""
    sql, params = query.count()
    key = "ess-count:" + hashlib.sha256(repr((selection.site.url, sql, params)).encode()).hexdigest()
    count = None if fresh else cache.get(key)
    if count is None:
        count = fetch(selection.site, sql, params)[0][0]
        if settings.ESS_COUNT_TTL_SEC > 0:
            cache.set(key, count, settings.ESS_COUNT_TTL_SEC)
    return count


def _number_page(request: Request, selection: Selection, query: Query, size: int) -> dict[str, Any]:
    number = _positive(request.query_params, "page", 1)
    offset = (number - 1) * size
    count = _count(selection, query)
    if offset and offset >= count:
        count = _count(selection, query, fresh=True)
    if offset and offset >= count:
        raise EssError(f"page {number} does not exist ({count} rows, {size} per page)", "Not Found", 404)
    rows = fetch(selection.site, *query.page(size + 1, offset=offset))
    more = len(rows) > size
    rows = rows[:size]
    url = request.build_absolute_uri()
    return {
        "count": max(count, offset + len(rows) + more),
        "next": replace_query_param(url, "page", number + 1) if more else None,
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
    raw = single(request.query_params, "cursor") or ""
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
    if single(request.query_params, "cursor") is not None:
        if single(request.query_params, "page") is not None:
            raise EssError("use either page or cursor, not both", "Value Error")
        return _cursor_page(request, selection, query, size)
    return _number_page(request, selection, query, size)
