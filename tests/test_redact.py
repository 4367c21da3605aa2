"""``apis.core.redact``: ingest tokens in URIs never reach a log whole."""

import pytest

from apis.core.redact import redact

TOKEN = "apis_" + "Q" * 30 + "x9Zk"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"POST /api/ccc/t/{TOKEN}/unitData HTTP/1.1", "POST /api/ccc/t/apis_…x9Zk/unitData HTTP/1.1"),
        (f"/sc/api/ccc/t/{TOKEN}/deal?x=1", "/sc/api/ccc/t/apis_…x9Zk/deal?x=1"),
        (f"Bad Request: /api/ccc/t/{TOKEN}", "Bad Request: /api/ccc/t/apis_…x9Zk"),
        ("POST /api/ccc/t/short/deal", "POST /api/ccc/t/…/deal"),
        ("GET /api/staff/deal/list", "GET /api/staff/deal/list"),
    ],
)
def test_tokens_in_ingest_paths_are_masked(text, expected):
    assert redact(text) == expected


def test_every_token_of_a_line_is_masked():
    line = f"/api/ccc/t/{TOKEN}/unitData then /api/ccc/t/{TOKEN[::-1]}/deal"

    assert TOKEN not in redact(line) and TOKEN[::-1] not in redact(line)


def test_masking_twice_changes_nothing():
    once = redact(f"/api/ccc/t/{TOKEN}/unitData")

    assert redact(once) == once == "/api/ccc/t/apis_…x9Zk/unitData"


@pytest.mark.parametrize(
    "text",
    [
        f"POST /api%2Fccc%2Ft%2F{TOKEN}%2FunitData HTTP/1.1",
        f"POST /api/ccc/t/{TOKEN[:10]}%{ord(TOKEN[10]):02X}{TOKEN[11:]}/deal HTTP/1.1",
        f"POST /%61pi/ccc/t/{TOKEN}/deal HTTP/1.1",
    ],
)
def test_percent_encoded_paths_are_masked_too(text):
    assert TOKEN not in redact(text) and "apis_…x9Zk" in redact(text)
