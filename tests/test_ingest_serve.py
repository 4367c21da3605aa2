"""Ingest through the real process: ``apis serve`` (gunicorn) on a database of its own (SQLite, or PostgreSQL
when the suite runs on it) answers hostile reports as the in-process tests do, keeps serving, and staff read
the quarantine over HTTP."""

import json

import httpx
import pytest

from apis.ingest.report import NUL_CHARACTER, TOO_DEEP
from tests.ccc.harness import ServiceCenter
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    center = ServiceCenter(tmp_path_factory.mktemp("ingest-serve"))
    center.start()
    yield center
    center.stop()


def report(server: ServiceCenter, kind: str, body: bytes) -> httpx.Response:
    """POST ``body`` as the Java apis-ccc does: the token in the URI, no Authorization header."""
    return httpx.post(
        f"{server.url}/api/ccc/t/{server.token}/{kind}",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def test_a_cycle_with_a_broken_unit_stores_the_others_through_the_server(server):
    units = [unit_doc(f"E00{n}", dataset_id=42_000) for n in range(1, 5)]
    del units[1]["time"]
    units[3]["emu"]["note"] = "\x00"

    answer = report(server, "unitData", json.dumps(units).encode())

    assert answer.status_code == 200
    assert answer.json() == {
        "stored": 2,
        "skipped": 0,
        "rejected": [
            {"index": 1, "field": "time", "reason": "missing"},
            {"index": 3, "field": "emu.note", "reason": NUL_CHARACTER},
        ],
    }
    assert server.database.query(
        "SELECT r.unit_id FROM unit_data_unitdata d "
        "JOIN unit_data_reportedunit r ON r.id = d.reported_unit_id "
        "WHERE dataset_id = 42000 ORDER BY r.unit_id"
    ) == [("E001",), ("E003",)]
    assert report(server, "unitData", json.dumps(units).encode()).json()["stored"] == 0
    assert server.database.query("SELECT COUNT(*) FROM ingest_rejecteditem WHERE kind = 'unitData'") == [(2,)]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"[" * 100_000, 400, TOO_DEEP),
        (b"[" + b'{"a":' * 300 + b"1" + b"}" * 300 + b"]", 400, TOO_DEEP),
        (b'[{"dealId": NaN}]', 400, "invalid JSON: NaN is not a JSON number"),
        (json.dumps([deal_doc(community="elsewhere")]).encode(), 403, "item 0: community/cluster elsewhere/"),
    ],
    ids=["100,000 brackets", "300 objects", "NaN", "another cluster"],
)
def test_request_errors_are_answered_and_the_server_keeps_serving(server, body, status, message):
    answer = report(server, "deal", body)

    assert (answer.status_code, answer.headers["content-type"]) == (status, "text/plain; charset=utf-8")
    assert answer.text.startswith(message)
    assert report(server, "deal", json.dumps([deal_doc("d-after")]).encode()).status_code == 200


def test_staff_read_the_quarantine_over_http(server):
    deal = {**deal_doc("d-late"), "createDateTime": "0999/01/01-00:00:00"}
    assert (
        report(server, "deal", json.dumps([deal]).encode()).json()["rejected"][0]["field"] == "createDateTime"
    )
    staff = server.login("admin")

    page = staff.get(
        "/api/staff/ingest/rejected", params={"communityId": COMMUNITY, "clusterId": CLUSTER}
    ).json()

    newest = page["results"][0]
    assert (newest["kind"], newest["field"]) == ("deal", "createDateTime")
    assert json.loads(newest["raw"]) == deal
