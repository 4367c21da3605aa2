"""Secrets out of log text: ingest tokens carried in URIs (``/api/ccc/t/<token>/…``, the form the Java
apis-ccc can be configured with) are shortened to their first and last characters, ``apis_…abcd``.

Plain Python (no Django), so that every program of the project (web server, ccc, access log) can use it.
"""

import re

_INGEST_PATH = re.compile(r"(/api/ccc/t/)([^/\s?#\"']+)")
KEPT_HEAD, KEPT_TAIL = 5, 4


def mask_token(token: str) -> str:
    """``apis_…abcd``: enough to tell tokens apart in a log, far too little to use one."""
    if len(token) <= 2 * (KEPT_HEAD + KEPT_TAIL):
        return "…"
    return f"{token[:KEPT_HEAD]}…{token[-KEPT_TAIL:]}"


def redact(text: str) -> str:
    """``text`` with every ingest token in a URI path masked."""
    if "/api/ccc/t/" not in text:
        return text
    return _INGEST_PATH.sub(lambda match: match.group(1) + mask_token(match.group(2)), text)
