"""The catalog of operating sites: discovered fields, keys and time span per table (SQLite, PostgreSQL)."""

import sqlite3
import uuid
from datetime import timedelta

import psycopg
import pytest

from apis.ess.generate import create_table
from tests.helpers import PG_SERVER, START, append_rows, pg_database

URL = "/api/ess/operating-sites/"


@pytest.fixture
def third_site(ess_sites, tmp_path, settings):
    """A third site of the same vendor holding only an empty ``etc`` table; yields its URL."""
    if ess_sites[1].startswith("postgresql://"):
        name = f"apis_ess_t3_{uuid.uuid4().hex[:8]}"
        pg_database(name, create=True)
        url = PG_SERVER + name
        with psycopg.connect(url) as connection, connection.cursor() as cursor:
            create_table(cursor, "postgresql", "etc", "basic")
    else:
        name, url = None, str(tmp_path / "site3.sqlite3")
        with sqlite3.connect(url) as connection:
            create_table(connection.cursor(), "sqlite", "etc", "basic")
        connection.close()
    settings.ESS_SITES = {**settings.ESS_SITES, "3": {"name": "empty site", "url": url}}
    yield url
    if name:
        pg_database(name, create=False)


def test_catalog_lists_each_site_with_its_own_discovered_fields_and_time_span(researcher, ess_sites):
    answer = researcher.get(URL)
    assert answer.status_code == 200
    first, second = answer.json()
    assert (first["id"], first["name"], second["id"], second["name"]) == (1, "site 1", 2, "site 2")
    assert set(first["tables"]) == set(second["tables"]) == {"bank", "rack", "pcs", "etc"}
    bank = first["tables"]["bank"]
    assert bank["fields"][:3] == ["timestamp", "bank_id", "bank_soc"]
    assert bank["keys"] == ["timestamp", "bank_id"]
    assert first["tables"]["rack"]["keys"] == ["timestamp", "bank_id", "rack_id"]
    assert first["tables"]["pcs"]["keys"] == ["timestamp"]
    assert bank["first"] == "2022-09-01T00:00:00+09:00"
    assert bank["last"] == "2022-09-01T23:50:00+09:00"
    extra = set(second["tables"]["bank"]["fields"]) - set(bank["fields"])
    assert {"max_module_temperature", "master_rack_communication_fault"} <= extra
    assert not set(bank["fields"]) - set(second["tables"]["bank"]["fields"])
    assert "error" not in first and "error" not in second


def test_catalog_span_follows_rows_that_arrive_later(researcher, ess_sites):
    late = START + timedelta(days=3, hours=1)
    append_rows(ess_sites[2], "pcs", [{"TIMESTAMP": late, "AI_VDC": 800.0}])
    site2 = researcher.get(URL).json()[1]
    assert site2["tables"]["pcs"]["last"] == "2022-09-04T01:00:00+09:00"
    assert site2["tables"]["bank"]["last"] == "2022-09-01T23:50:00+09:00"


def test_missing_tables_are_left_out_and_an_empty_table_has_no_span(researcher, third_site):
    site3 = researcher.get(URL).json()[2]
    assert site3["name"] == "empty site"
    assert set(site3["tables"]) == {"etc"}
    assert site3["tables"]["etc"]["first"] is None and site3["tables"]["etc"]["last"] is None
    assert site3["tables"]["etc"]["fields"] == ["timestamp", "sensor1_temperature", "sensor1_humidity"]


def test_an_unreachable_site_is_listed_with_an_error_and_the_others_still_answer(
    researcher, ess_sites, settings, tmp_path
):
    on_pg = ess_sites[1].startswith("postgresql")
    lost = PG_SERVER + "apis_ess_no_such_db" if on_pg else tmp_path / "gone.db"
    settings.ESS_SITES = {**settings.ESS_SITES, "9": {"name": "lost site", "url": str(lost)}}
    answer = researcher.get(URL)
    assert answer.status_code == 200
    listed = {site["id"]: site for site in answer.json()}
    error = "operating site 9 is not reachable"
    assert listed[9] == {"id": 9, "name": "lost site", "tables": {}, "error": error}
    assert set(listed[1]["tables"]) == {"bank", "rack", "pcs", "etc"}


def test_catalog_needs_credentials_and_answers_in_the_spec_error_shape(client, ess_sites):
    answer = client.get(URL)
    assert answer.status_code == 401
    assert answer.json()["code"] == "401"
    assert answer.json()["exception type"] == "Not Authenticated"
