"""JSON from clients, decoded within bounds: nesting depth is checked before the decoder runs (Python's
decoder recurses, so 100,000 ``[`` would raise ``RecursionError``), numbers are finite (``NaN``,
``Infinity`` and ``1e999`` are not JSON that a database or a browser accepts), and strings holding NUL,
which PostgreSQL text and JSONB cannot store, can be found by their path.

Every refusal is a ``ValueError`` whose message a 400 answer can carry as it is.
"""

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

# Deep enough for every document APIS programs send (unit data nests 4 levels, scenarios 5).
MAX_DEPTH = 64

# A number literal may overflow a float only with an exponent of three digits or more, or with 309 digits
# or more. Only then is every float checked: a callback per float would cost more than the decoding.
_LONG_EXPONENT = re.compile(rb"[eE][+]?[0-9]{3}")
_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
# An integer literal beyond a float's range has at least 309 digits (2**1024 - 2**970 rounds to infinity).
FLOAT_OVERFLOW_DIGITS = 309
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKETS)
# ``[``/``{`` open a level (+1), ``]``/``}`` close one (-1, a signed byte 0xFF).
_STEPS = bytes.maketrans(_BRACKETS, b"\x01\xff\x01\xff")


def _bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data


class JsonTooDeep(ValueError):
    """A document nested deeper than allowed."""


def check_depth(data: bytes | str, limit: int = MAX_DEPTH) -> None:
    """Raise ``JsonTooDeep`` when the brackets of ``data`` (outside strings) nest deeper than ``limit``.

    Linear in the size of ``data`` and done in C: strings are cut out by a regular expression without
    nested quantifiers, the remaining brackets become ±1 steps whose running sum is the depth."""
    raw = _bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    steps = array("b", brackets.translate(_STEPS))
    if steps and max(accumulate(steps)) > limit:
        raise JsonTooDeep(f"invalid JSON: nested deeper than {limit} levels")


def loads(data: bytes | str, limit: int | None = MAX_DEPTH, strict_text: bool = False) -> Any:
    """Decode client JSON; ``ValueError`` with a readable message for bad encoding, syntax or depth.

    ``limit=None`` leaves the depth to the caller's own walk over the result (ingest checks it while it
    copies each document, which costs less than a separate pass over large bodies); a document deeper than
    the decoder's own recursion limit is still refused here. ``strict_text`` also refuses strings (and keys)
    that no database stores: NUL, and lone UTF-16 surrogates (escaped, or encoded in the bytes, which
    Python's decoder lets through); callers that keep such values apart item by item leave it off."""
    if limit is not None:
        check_depth(data, limit)
    raw = _bytes(data)
    try:
        if strict_text and not raw.isascii():
            raw.decode(json.detect_encoding(raw))  # strict: an encoded surrogate is not UTF-8
        if _may_overflow(raw):
            value = json.loads(raw, parse_constant=_not_json, parse_float=_finite_float)
        else:
            value = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        raise JsonTooDeep("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # syntax, encoding, and integers longer than Python converts (4,300 digits)
        raise ValueError(f"invalid JSON: {exc}") from None
    if strict_text and b"\\u" in raw and (where := unstorable_path(value)):
        raise ValueError(f"invalid JSON: the string at {where} holds NUL or a lone surrogate")
    return value


def _may_overflow(raw: bytes) -> bool:
    """Whether ``raw`` may hold a number literal beyond a float's range (a cheap, conservative test)."""
    if _LONG_EXPONENT.search(raw):
        return True
    return has_digit_run(raw, FLOAT_OVERFLOW_DIGITS)


def has_digit_run(raw: bytes, length: int) -> bool:
    """Whether ``raw`` holds ``length`` or more consecutive ASCII digits (in C: one translate, one search)."""
    return len(raw) >= length and b"0" * length in raw.translate(_DIGITS_AS_ZEROS)


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]}… does not fit a 64-bit float")
    return value


_NUL = re.compile("\x00")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def nul_path(value: Any) -> str | None:
    """The path (``a.b[2]``) of the first key or string in ``value`` that holds a NUL character, else None
    (a key that holds one is shown escaped, ``k\\x00``, so that the path itself can be printed)."""
    return _text_path(value, _NUL, "")


def unstorable_path(value: Any) -> str | None:
    """The path of the first key or string that holds NUL or a lone surrogate (no database stores either)."""
    return _text_path(value, _UNSTORABLE, "")


def _text_path(value: Any, pattern: re.Pattern, path: str) -> str | None:
    if isinstance(value, str):
        return (path or "(value)") if pattern.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            unusable = pattern.search(key) is not None
            shown = key.encode("unicode_escape").decode("ascii") if unusable else key
            where = f"{path}.{shown}" if path else shown
            if unusable:
                return where
            found = _text_path(item, pattern, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _text_path(item, pattern, f"{path}[{index}]")
            if found:
                return found
    return None
