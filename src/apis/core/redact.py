"""Secrets out of log text: ingest tokens carried in URIs (``/api/ccc/t/<token>/…``, the form the Java
apis-ccc can be configured with) are shortened to their first and last characters, ``apis_…abcd``.

Plain Python (no Django), so that every program of the project (web server, ccc, access log) can use it.
"""

import re
from urllib.parse import unquote

INGEST_PATH = "/api/ccc/t/"
_INGEST_PATH = re.compile(r"(/api/ccc/t/)([^/\s?#\"']+)")
KEPT_HEAD, KEPT_TAIL = 5, 4
ELLIPSIS = "…"


def mask_token(token: str) -> str:
    """``apis_…abcd``: enough to tell tokens apart in a log, far too little to use one."""
    if len(token) <= 2 * (KEPT_HEAD + KEPT_TAIL):
        return ELLIPSIS
    return f"{token[:KEPT_HEAD]}{ELLIPSIS}{token[-KEPT_TAIL:]}"


def _mask_segment(match: re.Match) -> str:
    segment = match.group(2)
    return match.group(0) if ELLIPSIS in segment else match.group(1) + mask_token(segment)


def redact(text: str) -> str:
    """``text`` with every ingest token in a URI path masked; masking twice changes nothing.

    A request line may carry the path percent-encoded (``/api%2Fccc%2Ft%2F<token>``), which the server decodes
    into the same route: such text is decoded first, so the token is masked there too."""
    if "%" in text and INGEST_PATH in (decoded := unquote(text)):
        text = decoded
    if INGEST_PATH not in text:
        return text
    return _INGEST_PATH.sub(_mask_segment, text)
