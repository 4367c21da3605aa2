"""HTTP helpers of the ccc: bodies read within a bound, JSON decoded within the project's limits, and error
texts fit for a log line (ingest tokens masked, control characters replaced, length bounded)."""

import re

import httpx

from apis.core import jsonlimits
from apis.core.numbers import declares_more_than
from apis.core.redact import redact

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOGGED_TEXT_CHARS = 200


class TooLarge(ValueError):
    """An answer larger than the caller's bound."""


def read_limited(answer: httpx.Response, limit: int) -> bytes:
    """The body of a streamed ``answer``; ``TooLarge`` as soon as it exceeds ``limit`` bytes."""
    declared = answer.headers.get("content-length", "")
    if declares_more_than(declared, limit):
        raise TooLarge(f"answer of {declared} bytes is larger than {limit} bytes")
    chunks, size = [], 0
    for chunk in answer.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"answer larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def get_body(client: httpx.Client, url: str, limit: int) -> bytes:
    """GET ``url``: its body (at most ``limit`` bytes) when the answer is a 200; ``httpx.HTTPError`` or
    ``ValueError`` (with a message naming the problem) otherwise."""
    with client.stream("GET", url) as answer:
        body = read_limited(answer, limit)
        if answer.status_code != 200:
            text = printable(body.decode("utf-8", "replace").strip())
            raise ValueError(f"http get failed : {answer.status_code} : {text}")
    return body


def get_json(client: httpx.Client, url: str, limit: int) -> object:
    """``get_body`` decoded as JSON within the project's limits."""
    return jsonlimits.loads(get_body(client, url, limit))


def printable(text: str) -> str:
    """``text`` for a log line: tokens masked, control characters as ``?``, at most 200 characters."""
    cleaned = _CONTROL.sub("?", redact(text))
    return cleaned if len(cleaned) <= LOGGED_TEXT_CHARS else cleaned[:LOGGED_TEXT_CHARS] + "…"


def describe(error: BaseException) -> str:
    """An exception as a log text (its class name when it has no message)."""
    return printable(str(error) or type(error).__name__)
