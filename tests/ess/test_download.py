"""Streamed downloads: CSV equal to the JSON pages, gzip, Parquet, and 404 when there is no data."""

import csv
import gzip
import io
import json

import pyarrow.parquet as pq

BASE = "/api/ess/operating-sites"
RANGE = "start-time=2022-09-01T10:00:00&end-time=2022-09-01T14:00:00"


def _json_rows(client, path: str) -> list[dict]:
    return client.get(f"{BASE}/2/{path}?{RANGE}&page_size=10000").json()["results"]


def _csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def _same(csv_row: dict, json_row: dict) -> bool:
    for field, value in json_row.items():
        text = csv_row[field]
        if isinstance(value, dict):
            assert json.loads(text) == value
        elif isinstance(value, float):
            assert float(text) == value
        else:
            assert text == ("" if value is None else str(value))
    return list(csv_row) == list(json_row)


def test_csv_download_is_an_attachment_with_the_json_content(researcher, ess_sites):
    answer = researcher.get(f"/api/ess/download/operating-sites/2/rack/?{RANGE}")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"] == 'attachment; filename="rack.csv"'
    rows = _csv_rows(b"".join(answer.streaming_content))
    expected = _json_rows(researcher, "banks/1/racks/")
    assert len(rows) == len(expected) == 72
    assert all(_same(c, j) for c, j in zip(rows, expected, strict=True))
    assert rows[0]["timestamp"] == "2022-09-01T10:00:00+09:00"


def test_csv_download_with_fields_and_gzip(researcher, ess_sites):
    answer = researcher.get(
        f"/api/ess/download/operating-sites/1/pcs/?{RANGE}&fields=timestamp,ai_vdc",
        HTTP_ACCEPT_ENCODING="gzip, br",
    )
    assert answer["Content-Encoding"] == "gzip"
    rows = _csv_rows(gzip.decompress(b"".join(answer.streaming_content)))
    assert list(rows[0]) == ["timestamp", "ai_vdc"] and len(rows) == 24


def test_parquet_download_has_the_json_values(researcher, ess_sites):
    answer = researcher.get(f"/api/ess/download/operating-sites/2/etc/?{RANGE}&format=parquet")
    assert answer["Content-Disposition"] == 'attachment; filename="etc.parquet"'
    table = pq.read_table(io.BytesIO(b"".join(answer.streaming_content)))
    expected = _json_rows(researcher, "etc/")
    assert table.column("sensor2_humidity").to_pylist() == [r["sensor2_humidity"] for r in expected]
    assert [t.isoformat() for t in table.column("timestamp").to_pylist()] == [
        r["timestamp"] for r in expected
    ]


def test_download_without_rows_is_404(researcher, ess_sites):
    answer = researcher.get(
        "/api/ess/download/operating-sites/1/bank/?start-time=2023-01-01T00:00:00"
        "&end-time=2023-01-02T00:00:00"
    )
    assert answer.status_code == 404
    assert answer.json() == {
        "code": "404",
        "exception type": "Index Error",
        "message": "no data in the requested range",
    }


def test_download_narrowed_to_one_bank_or_rack(researcher, ess_sites):
    url = f"/api/ess/download/operating-sites/1/rack/?{RANGE}&fields=timestamp,bank_id,rack_id"
    every = _csv_rows(b"".join(researcher.get(url).streaming_content))
    bank = _csv_rows(b"".join(researcher.get(f"{url}&bank_id=2").streaming_content))
    rack = _csv_rows(b"".join(researcher.get(f"{url}&bank_id=2&rack_id=1").streaming_content))
    assert {(r["bank_id"], r["rack_id"]) for r in every} == {("1", "1"), ("1", "2"), ("2", "1"), ("2", "2")}
    assert {(r["bank_id"], r["rack_id"]) for r in bank} == {("2", "1"), ("2", "2")}
    assert {(r["bank_id"], r["rack_id"]) for r in rack} == {("2", "1")}
    assert len(rack) == len(every) // 4


def test_download_id_filters_are_checked(researcher, ess_sites):
    base = "/api/ess/download/operating-sites/1"
    not_a_number = researcher.get(f"{base}/rack/?{RANGE}&bank_id=x")
    assert (
        not_a_number.status_code == 400
        and not_a_number.json()["message"] == "bank_id must be a number, not 'x'"
    )
    no_column = researcher.get(f"{base}/pcs/?{RANGE}&rack_id=1")
    assert no_column.status_code == 404 and "has no rack_id" in no_column.json()["message"]
    assert researcher.get(f"{base}/rack/?{RANGE}&bank_id=9").status_code == 404
