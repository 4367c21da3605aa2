"""``apis manage storage_report``: per table, rows, bytes on disk (indexes included), bytes per record and the
projected rows and bytes in one year, from the measured raw rate, the number of units (or ``--units``) and
the retention settings (:mod:`apis.rollup.storage`)."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from apis.apis_log.models import ApisLog
from apis.rollup import storage
from apis.rollup.models import Resolution, UnitRollup
from tests.payloads import CLUSTER, COMMUNITY
from tests.rollups import doc, roll_up, store

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 1, tzinfo=UTC)
STEP = timedelta(minutes=30)
# Two units every 30 minutes over exactly 2 days: 97 records each, so 48.5 records per unit per day.
REPORTS = 97
RATE = REPORTS / 2


@pytest.fixture(autouse=True)
def retention(settings):
    """Known retentions; each test changes the ones it is about."""
    settings.RETENTION_RAW_DAYS = 90
    settings.RETENTION_5MIN_DAYS = 730
    settings.RETENTION_HOURLY_DAYS = 0
    settings.RETENTION_DAILY_DAYS = 0
    settings.LOG_RETENTION_DAYS = 365


def store_every(unit: str, start: datetime, count: int, step: timedelta = STEP) -> None:
    """``count`` records of ``unit`` from ``start``, ``step`` apart, stored as the ingest API stores them."""
    store(*(doc(unit, start + index * step) for index in range(count)))


def two_days_of_two_units_and_one_silent_unit() -> None:
    """E001 and E002 report for two days; E003 reported once 30 days earlier (outside the rate's window)."""
    store_every("E001", START, REPORTS)
    store_every("E002", START, REPORTS)
    store_every("E003", START - timedelta(days=30), 1)


def line(report: storage.Report, table: str) -> storage.Line:
    (found,) = [line for line in report.lines if line.table == table]
    return found


def raw(report: storage.Report) -> storage.Line:
    return line(report, "unit_data_unitdata")


def command(*args: str) -> str:
    out = StringIO()
    call_command("storage_report", *args, stdout=out)
    return out.getvalue()


def json_report(*args: str) -> dict:
    return json.loads(command("--format", "json", *args))


def json_table(report: dict, table: str) -> dict:
    (found,) = [entry for entry in report["tables"] if entry["table"] == table]
    return found


def test_bytes_per_record_is_measured_and_the_table_grows_with_its_rows():
    if connection.vendor == "postgresql":
        # The test transaction's own empty files: rolled-back rows of earlier tests keep their pages.
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE unit_data_unitdata")
    store_every("E001", START, 10)
    few = raw(storage.storage_report())
    store_every("E002", START, 400)
    many = raw(storage.storage_report())
    assert (few.rows, many.rows) == (10, 410)
    assert few.bytes_per_record > 0 and few.bytes_per_record == few.bytes / few.rows
    assert many.bytes > few.bytes
    assert many.bytes_per_record == many.bytes / many.rows


def heap_bytes(table: str) -> int:
    """The bytes of ``table``'s own rows, without its indexes."""
    query = {
        "sqlite": "SELECT SUM(pgsize) FROM dbstat WHERE name = %s",
        "postgresql": "SELECT pg_relation_size(quote_ident(%s)::regclass)",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(query, [table])
        return cursor.fetchone()[0]


def test_the_bytes_of_a_table_include_its_indexes():
    store_every("E001", START, 200)
    measured = raw(storage.storage_report())
    # unit data has a unique constraint and an index on top of its rows: at least a page more
    assert measured.bytes >= heap_bytes("unit_data_unitdata") + 4096


def test_the_raw_rate_counts_the_last_weeks_records_per_reporting_unit_and_day_covered():
    two_days_of_two_units_and_one_silent_unit()
    report = storage.storage_report()
    assert report.current_units == report.units == 3
    assert report.raw_rate.measured
    assert (report.raw_rate.window_rows, report.raw_rate.window_units) == (2 * REPORTS, 2)
    assert report.raw_rate.window_days == pytest.approx(2)
    assert report.raw_rate.records_per_unit_day == pytest.approx(RATE)


def test_the_raw_projection_is_units_times_rate_times_retention_days_times_bytes_per_record(settings):
    two_days_of_two_units_and_one_silent_unit()
    projected = {}
    for days in (10, 20):
        settings.RETENTION_RAW_DAYS = days
        projected[days] = raw(storage.storage_report())
        measured = projected[days]
        expected_rows = round(3 * RATE * days)
        assert measured.projected_rows == expected_rows
        assert measured.projected_bytes == round(expected_rows * measured.bytes / measured.rows)
    assert projected[20].projected_rows == 2 * projected[10].projected_rows
    assert projected[20].projected_bytes == pytest.approx(2 * projected[10].projected_bytes, abs=1)


@pytest.mark.parametrize("days", [0, 365, 1000])
def test_raw_data_kept_for_ever_or_for_a_year_or_more_projects_365_days(settings, days):
    two_days_of_two_units_and_one_silent_unit()
    settings.RETENTION_RAW_DAYS = days
    assert raw(storage.storage_report()).projected_rows == round(3 * RATE * 365)


def test_the_units_option_scales_the_projection_to_another_community_size(settings):
    two_days_of_two_units_and_one_silent_unit()
    settings.RETENTION_RAW_DAYS = 10
    ten, thirty = json_report("--units", "10"), json_report("--units", "30")
    assert (ten["inputs"]["units"], ten["inputs"]["current_units"]) == (10, 3)
    raw_ten, raw_thirty = json_table(ten, "unit_data_unitdata"), json_table(thirty, "unit_data_unitdata")
    assert raw_ten["projected_rows"] == round(10 * RATE * 10)
    assert raw_thirty["projected_rows"] == 3 * raw_ten["projected_rows"]
    rollups_ten, rollups_thirty = (
        json_table(ten, "rollup_unitrollup"),
        json_table(thirty, "rollup_unitrollup"),
    )
    assert rollups_thirty["projected_rows"] == 3 * rollups_ten["projected_rows"]
    assert "units: 30 (current: 3)" in command("--units", "30")


def test_rollup_resolutions_project_288_24_and_1_buckets_per_unit_day_each_for_its_own_retention(settings):
    two_days_of_two_units_and_one_silent_unit()
    roll_up()
    settings.RETENTION_5MIN_DAYS, settings.RETENTION_HOURLY_DAYS, settings.RETENTION_DAILY_DAYS = 10, 20, 0
    rollups = line(storage.storage_report(), "rollup_unitrollup")
    parts = {part.part: part for part in rollups.parts}
    expected = {"5 minutes": 3 * 288 * 10, "1 hour": 3 * 24 * 20, "1 day": 3 * 1 * 365}
    assert {name: part.projected_rows for name, part in parts.items()} == expected
    assert rollups.rows == UnitRollup.objects.count() > 0
    bytes_per_record = rollups.bytes / rollups.rows
    for resolution in Resolution:
        part = parts[resolution.label]
        assert part.rows == UnitRollup.objects.filter(resolution=resolution).count()
        assert part.projected_bytes == round(expected[resolution.label] * bytes_per_record)
    assert rollups.projected_rows == sum(expected.values())


def log_record(moment: datetime) -> ApisLog:
    return ApisLog.objects.create(
        community_id=COMMUNITY,
        cluster_id=CLUSTER,
        datetime=moment,
        loglevel="INFO",
        message="m",
        address="127.0.0.1:1",
    )


@pytest.mark.parametrize(("days", "expected"), [(30, 18), (1000, 225)])
def test_a_table_with_a_time_column_grows_at_its_rate_over_a_year_capped_by_its_retention(
    settings, days, expected
):
    for index in range(6):  # 6 records over 10 days: 0.6 a day
        log_record(START + timedelta(days=2 * index))
    settings.LOG_RETENTION_DAYS = days
    logs = line(storage.storage_report(), "apis_log_apislog")
    # kept: min(10 days so far + 365, retention) days at 0.6 a day
    assert logs.projected_rows == expected
    assert logs.projected_bytes == round(expected * logs.bytes / logs.rows)
    assert logs.rule.startswith("growth of datetime")


def test_a_table_without_a_projection_rule_is_projected_unchanged(demo_registry):
    report = storage.storage_report()
    units = line(report, "community_unit")
    assert units.rows > 0
    assert (units.projected_rows, units.projected_bytes, units.rule) == (units.rows, units.bytes, "unchanged")


def test_the_json_output_parses_and_its_total_adds_up_the_tables():
    two_days_of_two_units_and_one_silent_unit()
    report = json_report()
    tables = {entry["table"] for entry in report["tables"]}
    assert {"unit_data_unitdata", "unit_data_reportedunit", "rollup_unitrollup", "deal_deal"} <= tables
    assert report["total"]["projected_bytes"] == sum(
        entry["projected_bytes"] or 0 for entry in report["tables"]
    )
    assert report["total"]["rows"] == sum(entry["rows"] for entry in report["tables"])
    assert report["inputs"]["retention_days"]["RETENTION_RAW_DAYS"] == 90
    assert report["inputs"]["raw_records_per_unit_day"] == pytest.approx(RATE)


def test_an_empty_database_prints_every_table_projected_with_the_stated_defaults():
    text = command()
    assert "unit_data_unitdata" in text and "\ntotal " in text
    assert "stated default of 300 B per record" in text
    report = json_report("--units", "1")
    expected_rows = round(storage.DEFAULT_RAW_RECORDS_PER_UNIT_DAY * 90)
    assert json_table(report, "unit_data_unitdata")["projected_rows"] == expected_rows
    assert json_table(report, "unit_data_unitdata")["projected_bytes"] == expected_rows * 300
    assert json_table(report, "unit_data_unitdata")["bytes_per_record"] is None


def test_the_text_table_aligns_its_columns_and_ends_with_the_total_and_the_inputs():
    two_days_of_two_units_and_one_silent_unit()
    lines = command().splitlines()
    header = lines[0]
    table = lines[2 : lines.index("")]
    assert table[-1].startswith("total ")
    rows_end = header.index("rows") + len("rows")
    for text in table:
        assert text[rows_end - 1] != " " and text[rows_end] == " ", text
    rule_start = header.index("rule")
    for text in table[:-1]:
        assert text[rule_start - 2 : rule_start] == "  " and text[rule_start] != " ", text
    assert "units: 3" in lines
    assert any(text.startswith("raw rate: 48.5 records per unit per day (measured") for text in lines)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="dbstat is SQLite's")
def test_without_dbstat_the_bytes_are_unknown_and_said_so(monkeypatch):
    store_every("E001", START, 3)
    monkeypatch.setattr(storage, "SQLITE_SIZES", "SELECT name, pgsize FROM no_such_dbstat")
    text = command()
    assert "cannot measure table sizes (no dbstat)" in text
    unit_data = json_table(json_report(), "unit_data_unitdata")
    assert (unit_data["rows"], unit_data["bytes"], unit_data["bytes_per_record"]) == (3, None, None)


def test_bytes_are_shown_in_b_kb_mb_and_gb_with_one_decimal():
    assert [storage.human_bytes(size) for size in (None, 0, 999, 1234, 5_670_000, 8_910_000_000)] == [
        "n/a",
        "0 B",
        "999 B",
        "1.2 kB",
        "5.7 MB",
        "8.9 GB",
    ]
