"""The item-by-item reading of an apis-ccc report: request errors fail the whole report, item errors only
the item.

* ``IngestError`` is a request error (the body is not an array, is nested too deeply, holds an item of another
  cluster, or has more than ``MAX_REJECTED_ITEMS`` invalid items): nothing of the report is stored.
* ``Fault`` is an item error, raised at the bad value; the item becomes a ``Rejection`` (kept in quarantine by
  the caller) and the report's other items are stored.

The nesting depth is enforced by the walks that copy each document anyway (the body is decoded without a
separate pre-scan); an item refused before its walk is checked on its own, so every item of a report deeper
than ``MAX_DEPTH`` fails the request, whatever else is wrong with it.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from apis.core.jsonlimits import FLOAT_OVERFLOW_DIGITS, MAX_DEPTH, has_digit_run
from apis.core.jsonpath import PathError

TOO_DEEP = f"invalid JSON: nested deeper than {MAX_DEPTH} levels"
# More invalid items than this in one report is not a reporting cycle: the whole report is refused.
MAX_REJECTED_ITEMS = 1000
# What a rejection's ``field`` names when the item itself is wrong.
ITEM = "(item)"
FIELD_MAX_LENGTH = 200
# The nesting level of a report's items (the body's array is level 1).
ITEM_LEVEL = 2

# Templates of the detailed message (``item <i>: <message>``, of the strict parsers); ``reason`` never holds
# the value, so that rejections group by reason.
MISSING = "missing field {field}"
INVALID = "invalid field {field}: {value} ({reason})"
INVALID_WITHOUT_VALUE = "invalid field {field}: {reason}"
INVALID_TIME = "invalid time: {value} (field {field})"
ITSELF = "{reason}"

_SURROGATE = re.compile("[\ud800-\udfff]")
NUL_CHARACTER = "holds a NUL character (\\u0000), which cannot be stored"
LONE_SURROGATE = "holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text"
BEYOND_FLOAT = "out of the 64-bit float range"
NOT_FINITE = "not a finite number"

Record = TypeVar("Record")


class IngestError(Exception):
    """A report that cannot be stored at all: ``status`` 400 (invalid) or 403 (another cluster's data)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Foreign(Exception):
    """An item of another cluster than the token's: the whole report is refused (403)."""


def _plain(value: str) -> str:
    return value if value.isprintable() and len(value) <= 60 else shown(value)


def check_cluster(community: str, cluster: str, own_community: str, own_cluster: str) -> None:
    """``Foreign`` unless ``community``/``cluster`` are the token's."""
    if (community, cluster) != (own_community, own_cluster):
        raise Foreign(
            f"community/cluster {_plain(community)}/{_plain(cluster)} is not the token's cluster "
            f"{own_community}/{own_cluster}"
        )


class Fault(PathError):
    """An item that cannot be stored, raised at the bad value: ``field`` names it, or the keys the fault
    collects while it unwinds through the document do. ``template`` renders the detailed message."""

    def __init__(self, reason: str, template: str = INVALID, value: object = None, field: str = "") -> None:
        super().__init__(reason)
        self.reason, self.template, self.value, self.field = reason, template, value, field

    def where(self) -> str:
        return self.field or self.path() or ITEM


@dataclass(frozen=True, slots=True)
class Rejection:
    """An item refused by the parser: its position in the report, where and why, and the item as sent."""

    index: int
    field: str
    reason: str
    message: str
    item: object

    def answer(self) -> dict:
        """The rejection as the ingest answer lists it."""
        return {"index": self.index, "field": self.field, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Report(Generic[Record]):
    """A parsed report: every item is either a record or a rejection."""

    records: list[Record]
    rejected: list[Rejection]

    def strict(self) -> list[Record]:
        """The records, or ``IngestError`` naming the first rejection (for callers that want all or none)."""
        if self.rejected:
            first = self.rejected[0]
            raise IngestError(400, f"item {first.index}: {first.message}")
        return self.records


def shown(value: object) -> str:
    """A short, printable rendering of a client's value for messages (never its whole text)."""
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return "an integer of more than 60 digits"
    if isinstance(value, str):
        text = repr(value[:60])
        return text if len(value) <= 60 and len(text) <= 64 else text[:64] + "…"
    return repr(value)


def printable(text: str, limit: int) -> str:
    """``text`` as any database stores it (NUL and lone surrogates escaped), at most ``limit`` characters."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def check_level(level: int) -> None:
    """``IngestError`` for a container at ``level`` of the body, when that is deeper than ``MAX_DEPTH``."""
    if level > MAX_DEPTH:
        raise IngestError(400, TOO_DEEP)


def check_depth(value: object, level: int = ITEM_LEVEL) -> None:
    """``IngestError`` when a container in ``value`` (itself at ``level``) lies deeper than ``MAX_DEPTH``."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return
    check_level(level)
    for item in value:
        if isinstance(item, dict | list):
            check_depth(item, level + 1)


def _text_fault(text: str) -> str | None:
    if "\x00" in text:
        return NUL_CHARACTER
    if not text.isascii() and _SURROGATE.search(text):
        return LONE_SURROGATE
    return None


def _number_fault(number: int | float) -> str | None:
    if isinstance(number, float):
        return None if math.isfinite(number) else NOT_FINITE
    if number.bit_length() < 1024:
        return None
    try:
        float(number)
    except OverflowError:
        return BEYOND_FLOAT
    return None


def check_values(value: object) -> None:
    """``Fault`` at the first key, string or number of ``value`` that a database cannot store or a reader
    cannot use: PostgreSQL text and JSONB refuse NUL, neither database encodes a lone UTF-16 surrogate, and an
    integer beyond the float range (like NaN or infinity) is no number to SQL's ``double precision`` or to a
    browser."""
    if isinstance(value, str):
        reason = _text_fault(value)
        if reason:
            raise Fault(reason, INVALID_WITHOUT_VALUE)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        reason = _number_fault(value)
        if reason:
            raise Fault(reason, value=value)
    elif isinstance(value, dict):
        for key, item in value.items():
            try:
                reason = _text_fault(key)
                if reason:
                    raise Fault("key " + reason, INVALID_WITHOUT_VALUE)
                check_values(item)
            except Fault as fault:
                fault.keys.append(key)
                raise
    elif isinstance(value, list):
        for position, item in enumerate(value):
            try:
                check_values(item)
            except Fault as fault:
                fault.keys.append(position)
                raise


def may_hold_unusable_values(body: bytes) -> bool:
    """Whether a decoded ``body`` may hold what ``check_values`` refuses, so that most reports skip it: NUL
    or a lone surrogate come only from a ``\\u`` escape or bytes beyond ASCII (a UTF-8 encoded surrogate,
    UTF-16 or UTF-32), an integer beyond the float range only from a run of 309 digits or more."""
    if not body.isascii() or b"\\u" in body or b"\x00" in body:
        return True
    return has_digit_run(body, FLOAT_OVERFLOW_DIGITS)


def parse_items(
    items: object, parse_item: Callable[[dict], Record], value_checks: bool = True
) -> Report[Record]:
    """Parse each object of the array ``items`` with ``parse_item`` (which raises ``Fault`` for an invalid
    item, ``IngestError`` for a request error) and check its values (``check_values``) unless
    ``value_checks`` is False: for a body that cannot hold unusable values (``may_hold_unusable_values``)."""
    if not isinstance(items, list):
        raise IngestError(400, "body is not a JSON array")
    records: list[Record] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise Fault("not a JSON object", ITSELF, field=ITEM)
            record = parse_item(item)
            if value_checks:
                check_values(item)
        except Foreign as foreign:
            raise IngestError(403, f"item {index}: {foreign}") from None
        except Fault as fault:
            check_depth(item)
            rejected.append(_rejection(index, fault, item))
            if len(rejected) > MAX_REJECTED_ITEMS:
                raise IngestError(400, f"more than {MAX_REJECTED_ITEMS} invalid items") from None
            continue
        records.append(record)
    return Report(records, rejected)


def _rejection(index: int, fault: Fault, item: object) -> Rejection:
    field = printable(fault.where(), FIELD_MAX_LENGTH)
    message = fault.template.format(field=field, value=shown(fault.value), reason=fault.reason)
    return Rejection(index, field, fault.reason, message, item)
