"""Turning decoded MongoDB documents into the plain JSON values the stores take, and field checks.

A document that cannot be stored raises ``Rejected`` with the reason; the importer counts it and goes on.
"""

import math
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from bson import DatetimeMS, Decimal128, ObjectId
from django.db import models

from apis.core.jsonlimits import MAX_DEPTH
from apis.core.jsonpath import PathError
from apis.core.timeparse import EARLIEST, LATEST, iso_z, parse_apis_time
from apis.importer.sources import InvalidValue

# What a stored integer may be: BSON's own (64-bit) range, which the database columns share.
INTEGER_MIN, INTEGER_MAX = -(2**63), 2**63 - 1
_DATE_RANGE = f"a date outside {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
_PREVIEW_CHARS = 60


class Rejected(Exception):
    """A document that is not importable; ``str()`` is the reason."""


def preview(value: object) -> str:
    """A short text of a value for a rejection reason: scalars as ``repr`` (cut), containers by kind."""
    if isinstance(value, dict):
        return f"an object of {len(value)} fields"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    if isinstance(value, str) and len(value) > _PREVIEW_CHARS:
        return f"{value[:_PREVIEW_CHARS]!r}…"
    return repr(value)


class _Unsupported(PathError):
    """A value no JSON column can hold."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def rejection(self) -> Rejected:
        return Rejected(f"{self.reason} (field {self.path()})")


def plain(document: dict) -> dict:
    """A copy of ``document`` without ``_id``, holding only JSON values: BSON dates become ISO 8601 UTC
    strings (the original API's form), ``ObjectId`` its hex string, ``Decimal128`` a float.

    NaN/infinite numbers, integers beyond 64 bits, dates outside the supported range, strings with NUL
    characters (neither fits a PostgreSQL JSON column), nesting deeper than ``MAX_DEPTH``, extended JSON
    that did not convert and other BSON types (binary, regular expressions…) are ``Rejected``.
    """
    try:
        return _dict({key: value for key, value in document.items() if key != "_id"}, 1)
    except _Unsupported as error:
        raise error.rejection() from None


_AS_IS = frozenset({bool, type(None)})


def _date(value: datetime) -> str:
    if not EARLIEST <= value < LATEST:  # BSON dates are aware (UTC)
        raise _Unsupported(_DATE_RANGE)
    return iso_z(value)


def _value(value: object, depth: int) -> object:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is str:
        if "\x00" in value:
            raise _Unsupported("a NUL character")
        return value
    if isinstance(value, int):  # bson.Int64 too (compared, not ``in range()``: linear for an int subclass)
        if not INTEGER_MIN <= value <= INTEGER_MAX:
            raise _Unsupported("an integer beyond 64 bits")
        return int(value)
    if kind is float:
        if not math.isfinite(value):
            raise _Unsupported(f"a non-finite number {value}")
        return value
    if kind is dict:
        return _dict(value, depth + 1)
    if kind is list:
        return _list(value, depth + 1)
    if isinstance(value, datetime):
        return _date(value)
    if isinstance(value, DatetimeMS):  # a BSON date beyond Python's years 1 to 9999
        raise _Unsupported(_DATE_RANGE)
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, Decimal128):
        return _value(float(value.to_decimal()), depth)
    if isinstance(value, InvalidValue):
        raise _Unsupported(value.reason)
    raise _Unsupported(f"an unsupported BSON value {kind.__name__}")


def _too_deep(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _Unsupported(f"nested deeper than {MAX_DEPTH} levels")


def _dict(value: dict, depth: int) -> dict:
    _too_deep(depth)
    result = {}
    key = None
    try:
        for key, item in value.items():
            if "\x00" in key:
                raise _Unsupported("a key holds a NUL character")
            result[key] = _value(item, depth)
    except _Unsupported as error:
        error.keys.append(key)
        raise
    return result


def _list(value: list, depth: int) -> list:
    _too_deep(depth)
    result = []
    try:
        for item in value:
            result.append(_value(item, depth))
    except _Unsupported as error:
        error.keys.append(len(result))
        raise
    return result


def text(document: dict, key: str, required: bool = True) -> str | None:
    """The string field ``key``; ``None`` when absent or null and not ``required``."""
    value = document.get(key)
    if value is None or (required and value == ""):
        if required:
            raise Rejected(f"missing field {key}")
        return None
    if not isinstance(value, str):
        raise Rejected(f"invalid field {key}: {preview(value)} (expected a string)")
    return value


def moment(document: dict, key: str, required: bool = True) -> datetime | None:
    """The date field ``key`` of a ``plain`` document (an APIS/ISO 8601 time string: ``plain`` turns a BSON
    date into one) as an aware UTC datetime."""
    value = document.get(key)
    try:
        parsed = parse_apis_time(value)
    except ValueError:
        raise Rejected(f"invalid field {key}: {preview(value)} (expected a date)") from None
    if parsed is None and required:
        raise Rejected(f"missing field {key}")
    return parsed


def check_lengths(model: type[models.Model], columns: Sequence[str], values: Sequence[object]) -> None:
    """Reject a string longer than its column allows (PostgreSQL would refuse the whole batch)."""
    for column, limit, value in zip(columns, _limits(model, tuple(columns)), values, strict=True):
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise Rejected(f"{column} is longer than {limit} characters: {value[:40]!r}…")


@cache
def _limits(model: type[models.Model], columns: tuple[str, ...]) -> tuple[int | None, ...]:
    return tuple(model._meta.get_field(column).max_length for column in columns)
