"""Turning decoded MongoDB documents into the plain JSON values the stores take, and field checks.

A document that cannot be stored raises ``Rejected`` with the reason; the importer counts it and goes on.
"""

import math
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from bson import Decimal128, ObjectId
from django.db import models

from apis.core.jsonpath import PathError
from apis.core.timeparse import iso_z, parse_apis_time


class Rejected(Exception):
    """A document that is not importable; ``str()`` is the reason."""


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

    NaN/infinite numbers, strings with NUL characters (neither fits a PostgreSQL JSON column) and other
    BSON types (binary, regular expressions, dates out of Python's range…) are ``Rejected``.
    """
    try:
        return _dict({key: value for key, value in document.items() if key != "_id"})
    except _Unsupported as error:
        raise error.rejection() from None


_AS_IS = frozenset({int, bool, type(None)})


def _value(value: object) -> object:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is str:
        if "\x00" in value:
            raise _Unsupported("a NUL character")
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _Unsupported(f"a non-finite number {value}")
        return value
    if kind is dict:
        return _dict(value)
    if kind is list:
        return _list(value)
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, int):  # bson.Int64
        return int(value)
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, Decimal128):
        return _value(float(value.to_decimal()))
    raise _Unsupported(f"an unsupported BSON value {kind.__name__}")


def _dict(value: dict) -> dict:
    result = {}
    key = None
    try:
        for key, item in value.items():
            if "\x00" in key:
                raise _Unsupported("a key holds a NUL character")
            result[key] = _value(item)
    except _Unsupported as error:
        error.keys.append(key)
        raise
    return result


def _list(value: list) -> list:
    result = []
    try:
        for item in value:
            result.append(_value(item))
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
        raise Rejected(f"invalid field {key}: {value!r} (expected a string)")
    return value


def moment(document: dict, key: str, required: bool = True) -> datetime | None:
    """The date field ``key`` (a BSON date or an APIS/ISO 8601 time string) as an aware UTC datetime."""
    value = document.get(key)
    if isinstance(value, datetime):
        return value
    try:
        parsed = parse_apis_time(value)
    except ValueError:
        raise Rejected(f"invalid field {key}: {value!r} (expected a date)") from None
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
