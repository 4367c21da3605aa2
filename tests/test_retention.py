"""Retention of telemetry (``APIS_RETENTION_*_DAYS``): the ``log_retention`` job deletes raw unit data and
rollups older than their bound, in bounded batches, and ``rebuild_rollups`` never wipes the rollups of days
whose raw rows are gone.

The boundary rule: a row is deleted when it is strictly older than ``now - days`` (``time < bound``, a
rollup's ``bucket < bound``, a time-less row's ``dataset_id`` < the bound in epoch ms); a row exactly at the
bound is kept."""

import dataclasses
import logging
import subprocess
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apis.downtime.extract import extract_pass
from apis.ingest.parse import parse_unit_data
from apis.jobs.registry import registered_jobs
from apis.jobs.runner import run_job
from apis.rollup.models import Resolution, UnitRollup
from apis.rollup.rebuild import rebuildable_from
from apis.unit_data import retention as raw_retention
from apis.unit_data.models import UnitData
from apis.unit_data.retention import delete_expired_unit_data
from apis.unit_data.store import store_unit_data
from tests.helpers import APIS, command_env
from tests.payloads import CLUSTER, COMMUNITY
from tests.rollups import doc, roll_up, store, stored_rollups

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = ("RETENTION_RAW_DAYS", "RETENTION_5MIN_DAYS", "RETENTION_HOURLY_DAYS", "RETENTION_DAILY_DAYS")


@pytest.fixture(autouse=True)
def keep_everything(settings):
    """Each test sets the retentions it is about; the others keep for ever."""
    for name in SETTINGS:
        setattr(settings, name, 0)


def readers_done() -> None:
    """The jobs that read new rows (rollups, downtime extraction) have processed every stored row."""
    roll_up()
    extract_pass(now=NOW)


def store_at(unit: str, *moments: datetime) -> None:
    store(*(doc(unit, moment) for moment in moments))
    readers_done()


def store_without_time(unit: str, dataset_ms: int, read: bool = True) -> None:
    (record,) = parse_unit_data([doc(unit, NOW)], COMMUNITY, CLUSTER)
    store_unit_data([dataclasses.replace(record, time=None, dataset_id=dataset_ms)])
    if read:
        readers_done()


def rollup_row(resolution: int, bucket: datetime, unit: str = "E001") -> UnitRollup:
    return UnitRollup.objects.create(
        community_id=COMMUNITY, cluster_id=CLUSTER, unit_id=unit, resolution=resolution, bucket=bucket
    )


def retention_job():
    (job,) = [job for job in registered_jobs() if job.name == "log_retention"]
    return job


def test_raw_unit_data_strictly_older_than_the_bound_is_deleted_and_a_row_at_the_bound_is_kept(settings):
    settings.RETENTION_RAW_DAYS = 10
    bound = NOW - timedelta(days=10)
    store_at(
        "E001", bound - timedelta(days=3), bound - timedelta(seconds=1), bound, bound + timedelta(seconds=1)
    )
    assert delete_expired_unit_data(NOW) == 2
    assert sorted(UnitData.objects.values_list("time", flat=True)) == [bound, bound + timedelta(seconds=1)]


def test_raw_rows_without_a_time_are_judged_by_their_dataset_id_against_the_same_bound(settings):
    settings.RETENTION_RAW_DAYS = 10
    bound_ms = int((NOW - timedelta(days=10)).timestamp() * 1000)
    for dataset_ms in (bound_ms - 86_400_000, bound_ms - 1, bound_ms, bound_ms + 1):
        store_without_time("E001", dataset_ms)
    assert delete_expired_unit_data(NOW) == 2
    assert sorted(UnitData.objects.values_list("dataset_id", flat=True)) == [bound_ms, bound_ms + 1]


@pytest.mark.parametrize(
    ("resolution", "setting"),
    [
        (Resolution.FIVE_MINUTES, "RETENTION_5MIN_DAYS"),
        (Resolution.HOUR, "RETENTION_HOURLY_DAYS"),
        (Resolution.DAY, "RETENTION_DAILY_DAYS"),
    ],
)
def test_each_rollup_resolution_is_deleted_by_its_own_setting_only(settings, resolution, setting):
    setattr(settings, setting, 30)
    bound = NOW - timedelta(days=30)
    for each in Resolution.values:
        for bucket in (bound - timedelta(days=400), bound - timedelta(seconds=1), bound, NOW):
            rollup_row(each, bucket)
    run_job(retention_job(), NOW)
    left = set(UnitRollup.objects.values_list("resolution", "bucket"))
    expected = {
        (each, bucket)
        for each in Resolution.values
        for bucket in (bound - timedelta(days=400), bound - timedelta(seconds=1), bound, NOW)
        if each != resolution or bucket >= bound
    }
    assert left == expected


def test_zero_days_keeps_raw_data_and_every_rollup_for_ever():
    ancient = datetime(2001, 1, 1, tzinfo=UTC)
    store(doc("E001", ancient))
    store_without_time("E002", 1_000, read=False)
    for resolution in Resolution.values:
        rollup_row(resolution, ancient)
    run_job(retention_job(), NOW)
    assert (UnitData.objects.count(), UnitRollup.objects.count()) == (2, 3)


def test_raw_retention_deletes_a_backlog_in_several_small_batches_and_counts_every_row(settings, monkeypatch):
    settings.RETENTION_RAW_DAYS = 10
    monkeypatch.setattr(raw_retention, "BATCH_ROWS", 3)
    old = NOW - timedelta(days=20)
    store_at("E001", *(old + timedelta(minutes=minute) for minute in range(10)))
    store_at("E002", NOW - timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        line = raw_retention.delete_expired_raw_unit_data(NOW)
    assert line == "10 raw unit-data rows deleted"
    deletes = [query for query in queries.captured_queries if query["sql"].upper().startswith("DELETE")]
    assert len(deletes) == 4  # 3 + 3 + 3 + 1, each one short statement
    assert list(UnitData.objects.values_list("reported_unit__unit_id", flat=True)) == ["E002"]


def test_the_log_retention_job_line_reports_what_the_telemetry_steps_deleted(settings, caplog):
    settings.RETENTION_RAW_DAYS, settings.RETENTION_5MIN_DAYS, settings.RETENTION_HOURLY_DAYS = 10, 20, 30
    store_at("E001", NOW - timedelta(days=11), NOW - timedelta(days=12), NOW)
    rollup_row(Resolution.FIVE_MINUTES, NOW - timedelta(days=21))
    rollup_row(Resolution.FIVE_MINUTES, NOW - timedelta(days=22), unit="E002")
    rollup_row(Resolution.HOUR, NOW - timedelta(days=31))
    rollup_row(Resolution.DAY, NOW - timedelta(days=3000))
    with caplog.at_level(logging.INFO, logger="apis.jobs.runner"):
        assert run_job(retention_job(), NOW)
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("job log_retention")]
    assert line.endswith(", 2 raw unit-data rows deleted, 2 5-minute, 1 hourly, 0 daily rollups deleted")


def test_a_rebuild_reaching_before_the_raw_bound_keeps_the_older_rollups_and_rebuilds_the_rest(settings):
    settings.RETENTION_RAW_DAYS = 10
    now = timezone.now()
    first = now - timedelta(days=13)
    store_at("E001", *(first + timedelta(hours=hour, minutes=7) for hour in range(0, 6 * 24, 5)))
    roll_up()
    correct = stored_rollups()
    floor = rebuildable_from(now)
    assert floor is not None and now - timedelta(days=10) <= floor < now - timedelta(days=9)
    assert delete_expired_unit_data(now) > 0  # the raw rows before the bound are gone
    UnitRollup.objects.update(records=999)  # damage everywhere: the rebuild repairs only what it can
    out = StringIO()
    call_command("rebuild_rollups", "--from", (first - timedelta(days=1)).isoformat(), stdout=out)
    assert out.getvalue().splitlines()[0].startswith("rebuild starts at ")
    assert "APIS_RETENTION_RAW_DAYS=10" in out.getvalue().splitlines()[0]
    after = stored_rollups()
    older = {key for key in correct if key[2] < floor}
    assert older and all(after[key]["records"] == 999 for key in older)  # untouched, not wiped
    newer = {key: values for key, values in correct.items() if key[2] >= floor}
    assert newer and {key: after[key] for key in newer} == newer


def test_a_rebuild_with_raw_data_kept_for_ever_starts_where_asked():
    assert rebuildable_from(NOW) is None


def test_a_late_record_older_than_the_raw_bound_is_processed_by_the_downtime_extraction(settings):
    settings.RETENTION_RAW_DAYS = 10
    now = timezone.now().replace(microsecond=0)
    store_at("E001", *(now - timedelta(days=2, minutes=minute) for minute in range(5)))
    extract_pass(now=now)
    store(doc("E001", now - timedelta(days=40)))  # late, older than the bound: no processed neighbour before
    assert extract_pass(now=now) == 1
    assert delete_expired_unit_data(now) == 0  # not rolled up yet
    roll_up()
    assert delete_expired_unit_data(now) == 1


def test_rows_a_reader_has_not_processed_yet_are_kept_whatever_their_age(settings):
    settings.RETENTION_RAW_DAYS = 10
    store_at("E001", NOW - timedelta(days=30))
    store(doc("E001", NOW - timedelta(days=29)), doc("E002", NOW - timedelta(days=28)))  # imported history
    assert delete_expired_unit_data(NOW) == 1
    extract_pass(now=NOW)
    assert delete_expired_unit_data(NOW) == 0  # the rollups have not read them yet
    roll_up()
    assert delete_expired_unit_data(NOW) == 2
    assert not UnitData.objects.exists()


def test_a_late_record_in_an_old_bucket_whose_raw_rows_are_gone_leaves_its_rollup_as_counted(settings):
    settings.RETENTION_RAW_DAYS = 10
    old = datetime.combine((NOW - timedelta(days=20)).date(), datetime.min.time(), UTC) + timedelta(minutes=1)
    store_at("E001", old, old + timedelta(seconds=30))
    assert delete_expired_unit_data(NOW) == 2
    counted = stored_rollups()
    store(doc("E001", old + timedelta(seconds=60)), doc("E001", old - timedelta(minutes=10)))
    roll_up()
    after = stored_rollups()
    assert {key: after[key] for key in counted if key[0] == 300} == {
        key: value for key, value in counted.items() if key[0] == 300
    }
    assert len([key for key in after if key[0] == 300]) == len([key for key in counted if key[0] == 300]) + 1


@pytest.mark.parametrize(
    "variable",
    [
        "APIS_RETENTION_RAW_DAYS",
        "APIS_RETENTION_5MIN_DAYS",
        "APIS_RETENTION_HOURLY_DAYS",
        "APIS_RETENTION_DAILY_DAYS",
    ],
)
def test_a_negative_retention_is_refused_at_start_with_one_line_naming_it(tmp_path, variable):
    env = command_env(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path, **{variable: "-1"})
    result = subprocess.run([APIS, "manage", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"apis: configuration error: {variable} must be 0 (keep for ever) or a positive number of days: -1"
    ]
