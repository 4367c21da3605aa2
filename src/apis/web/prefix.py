"""``APIS_URL_PREFIX``: the sub-path (``/sc``) under which one installation serves every page, API, static
file, schema and admin URL, for a reverse proxy that forwards ``/sc/…`` unchanged.

Read by the settings (no Django import here): the URLconf mounts the whole site under it, ``STATIC_URL`` and
the cookie paths follow it, and the pages take every URL from what the server renders.
"""

import re

MAX_LENGTH = 100
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 3986 unreserved characters


def url_prefix(raw: str) -> str:
    """The validated prefix: ``""`` (the site at the root) or ``/segment[/segment…]`` without a trailing
    slash, each segment of letters, digits and ``-._~`` only (never ``.`` or ``..``). ``ValueError`` with
    the reason otherwise."""
    if raw == "":
        return ""
    if len(raw) > MAX_LENGTH:
        raise ValueError(f"longer than {MAX_LENGTH} characters")
    if not raw.startswith("/"):
        raise ValueError("must start with '/' (for example /sc), or be empty for the site at the root")
    if raw.endswith("/"):
        raise ValueError("must not end with '/' (for example /sc), or be empty for the site at the root")
    for segment in raw[1:].split("/"):
        if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise ValueError(f"segment {segment!r}: letters, digits and - . _ ~ only, not empty, not . or ..")
    return raw
