"""JSON from clients, decoded within bounds: nesting depth is checked before the decoder runs (Python's
decoder recurses, so 100,000 ``[`` would raise ``RecursionError``), and strings holding NUL, which
PostgreSQL text and JSONB cannot store, can be found by their path.

Every refusal is a ``ValueError`` whose message a 400 answer can carry as it is.
"""

import json
import re
from array import array
from itertools import accumulate
from typing import Any

# Deep enough for every document APIS programs send (unit data nests 4 levels, scenarios 5).
MAX_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKETS)
# ``[``/``{`` open a level (+1), ``]``/``}`` close one (-1, a signed byte 0xFF).
_STEPS = bytes.maketrans(_BRACKETS, b"\x01\xff\x01\xff")


class JsonTooDeep(ValueError):
    """A document nested deeper than allowed."""


def check_depth(data: bytes | str, limit: int = MAX_DEPTH) -> None:
    """Raise ``JsonTooDeep`` when the brackets of ``data`` (outside strings) nest deeper than ``limit``.

    Linear in the size of ``data`` and done in C: strings are cut out by a regular expression without
    nested quantifiers, the remaining brackets become ±1 steps whose running sum is the depth."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    steps = array("b", brackets.translate(_STEPS))
    if steps and max(accumulate(steps)) > limit:
        raise JsonTooDeep(f"invalid JSON: nested deeper than {limit} levels")


def loads(data: bytes | str, limit: int | None = MAX_DEPTH) -> Any:
    """Decode client JSON; ``ValueError`` with a readable message for bad encoding, syntax or depth.

    ``limit=None`` leaves the depth to the caller's own walk over the result (ingest checks it while it
    copies each document, which costs less than a separate pass over large bodies); a document deeper than
    the decoder's own recursion limit is still refused here."""
    if limit is not None:
        check_depth(data, limit)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise JsonTooDeep("invalid JSON: nested too deeply") from None


def nul_path(value: Any, path: str = "") -> str | None:
    """The path (``a.b[2]``) of the first key or string in ``value`` that holds a NUL character, else None."""
    if isinstance(value, str):
        return (path or "(value)") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return where
            found = nul_path(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found:
                return found
    return None
