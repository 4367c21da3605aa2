"""Downtime extraction (reference §6): the original's rules, silent units, incremental and parallel runs."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apis.community.models import Unit
from apis.downtime.extract import extract_pass
from apis.downtime.models import Downtime, DowntimeStatus, Watermark
from apis.unit_data.store import UnitRecord, store_unit_data
from tests.threads import in_thread

COMMUNITY, CLUSTER = "oss_community", "oss_cluster"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def tolerance(settings):
    settings.DATA_LOSS_TOLERANCE_SEC = 120


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def record(unit: str, seconds: float, mode: str | None = "autonomous", dataset: datetime | None = None):
    """A unit-data record at world time ``T0 + seconds`` reported in cycle ``dataset`` (default: then)."""
    time = at(seconds)
    data = {"apis": {"operation_mode": {"effective": mode}}} if mode else {"apis": {}}
    return UnitRecord(COMMUNITY, CLUSTER, unit, epoch_ms(dataset or time), time, data)


def report(unit: str, *samples: float | tuple[float, str | None]) -> None:
    """Store samples of ``unit``: a number is an autonomous sample at that second, a pair (second, mode)."""
    store_unit_data([record(unit, *(s if isinstance(s, tuple) else (s,))) for s in samples])


def downtimes(unit: str = "E001") -> list[tuple[float, float | None]]:
    rows = Downtime.objects.filter(unit_id=unit).order_by("down_datetime")
    return [
        (
            (d.down_datetime - T0).total_seconds(),
            d.recovery_datetime and (d.recovery_datetime - T0).total_seconds(),
        )
        for d in rows
    ]


pytestmark = pytest.mark.django_db


def test_gap_while_autonomous_gives_an_immediately_closed_downtime_around_the_gap():
    report("E001", 0, 30, 60, 300, 330)
    extract_pass(now=at(330))
    assert downtimes() == [(60, 300)]


@pytest.mark.parametrize(("gap", "expected"), [(119, []), (120, [(0, 120)])])
def test_a_gap_counts_as_data_loss_from_exactly_the_tolerance(gap, expected):
    report("E001", 0, gap)
    extract_pass(now=at(gap))
    assert downtimes() == expected


def test_gap_while_down_is_absorbed_into_the_running_downtime():
    report("E001", 0, (30, "heteronomous"), (400, "heteronomous"), 430, 460)
    extract_pass(now=at(460))
    assert downtimes() == [(30, 430)]


@pytest.mark.parametrize("mode", ["heteronomous", "stop", "manual", None])
def test_downtime_starts_at_the_first_non_autonomous_sample_and_ends_at_the_next_autonomous_one(mode):
    report("E001", 0, (30, mode), (60, mode), 90, 120)
    extract_pass(now=at(120))
    assert downtimes() == [(30, 90)]


def test_a_downtime_still_running_stays_open_and_a_later_pass_closes_the_same_row():
    report("E001", 0, (30, "stop"))
    extract_pass(now=at(30))
    assert downtimes() == [(30, None)]
    opened = Downtime.objects.get()
    report("E001", (60, "stop"), 90)
    extract_pass(now=at(90))
    assert downtimes() == [(30, 90)]
    assert Downtime.objects.get().pk == opened.pk


def test_samples_of_one_pass_are_applied_in_time_order_not_arrival_order():
    report("E001", 0, 300, 30)
    extract_pass(now=at(300))
    assert downtimes() == [(30, 300)]


def test_late_rows_older_than_the_last_processed_sample_are_ignored():
    report("E001", 0, 30, 60)
    extract_pass(now=at(60))
    store_unit_data([record("E001", 45, "stop", dataset=at(61))])
    assert extract_pass(now=at(61)) == 1
    assert downtimes() == []
    assert DowntimeStatus.objects.get().last_time == at(60)


def test_each_unit_is_extracted_on_its_own_and_gets_a_status():
    report("E001", 0, 30, 300)
    report("E002", 0, (30, "stop"), 60)
    extract_pass(now=at(300))
    assert (downtimes("E001"), downtimes("E002")) == ([(30, 300)], [(30, 60)])
    assert dict(DowntimeStatus.objects.values_list("unit_id", "last_time")) == {
        "E001": at(300),
        "E002": at(60),
    }


def test_a_pass_processes_only_new_rows():
    report("E001", 0, 30)
    assert extract_pass(now=at(30)) == 2
    assert extract_pass(now=at(30)) == 0
    report("E001", 60)
    assert extract_pass(now=at(60)) == 1
    assert Watermark.objects.get().last_id > 0


def test_the_number_of_queries_of_a_pass_does_not_grow_with_the_number_of_units():
    def queries_for(units: int) -> int:
        for n in range(units):
            report(f"U{units}-{n}", 0, (30, "stop"), 60, 300)
        with CaptureQueriesContext(connection) as captured:
            extract_pass(now=at(300))
        return len(captured)

    assert queries_for(3) == queries_for(60)


# Silent units: wall clock against the newest datasetId.


@pytest.fixture
def registry(demo_registry):
    """Units E001–E004 of oss_community/oss_cluster, available without limits."""


def test_a_silent_unit_gets_an_open_downtime_from_its_last_sample_closed_by_its_next_good_sample(registry):
    report("E001", 0, 30, 60)
    extract_pass(now=at(60 + 119))
    assert downtimes() == []
    extract_pass(now=at(60 + 120))
    assert downtimes() == [(60, None)]
    extract_pass(now=at(60 + 300))
    assert downtimes() == [(60, None)]
    report("E001", 400)
    extract_pass(now=at(400))
    assert downtimes() == [(60, 400)]


def test_silence_is_measured_on_the_wall_clock_not_on_the_emulators_world_time(registry):
    wall_clock = datetime(2026, 6, 1, tzinfo=UTC)
    store_unit_data([record("E001", s, dataset=wall_clock + timedelta(seconds=s)) for s in (0, 30, 60)])
    extract_pass(now=wall_clock + timedelta(seconds=90))
    assert downtimes() == []
    extract_pass(now=wall_clock + timedelta(seconds=180))
    assert downtimes() == [(60, None)]


def test_a_silent_unit_that_is_already_down_keeps_its_one_downtime(registry):
    report("E001", 0, (30, "stop"))
    extract_pass(now=at(30 + 600))
    assert downtimes() == [(30, None)]


def test_unregistered_unavailable_and_never_reporting_units_get_no_silent_downtime(registry):
    Unit.objects.filter(code="E002").update(available_to=at(100))
    report("E002", 0, 30)
    report("X999", 0, 30)
    extract_pass(now=at(1000))
    assert Downtime.objects.count() == 0
    assert set(DowntimeStatus.objects.values_list("unit_id", flat=True)) == {"E002", "X999"}


def test_silent_units_wait_until_a_backlog_is_caught_up(registry):
    report("E001", *range(0, 300, 30))
    extract_pass(now=at(10_000), chunk_rows=4, max_rows=4)
    assert downtimes() == []
    while extract_pass(now=at(10_000), chunk_rows=4, max_rows=4):
        pass
    assert downtimes() == [(270, None)]


# Incremental passes.


def scenario() -> None:
    """Three units with gaps, mode changes and rows stored out of time order, interleaved as a ccc reports."""
    modes = ["autonomous", "autonomous", "heteronomous", "autonomous", "stop", "stop", "autonomous"]
    for step in range(60):
        batch = []
        for index, unit in enumerate(("E001", "E002", "E003")):
            if (step + index) % 11 == 5:
                continue  # a lost sample: a 60 s gap
            seconds = step * 30 + (150 if step > 40 and unit == "E003" else 0)
            batch.append(record(unit, seconds, modes[(step * (index + 1)) % len(modes)]))
        store_unit_data(batch)
    store_unit_data([record("E002", 95, "stop", dataset=at(10_000))])  # late


def extraction_result() -> tuple[list, list]:
    return (
        sorted(Downtime.objects.values_list("unit_id", "down_datetime", "recovery_datetime")),
        sorted(DowntimeStatus.objects.values_list("unit_id", "last_time")),
    )


def test_a_backlog_spread_over_several_passes_gives_the_same_result_as_one_long_pass():
    scenario()
    total = extract_pass(now=at(1800), chunk_rows=7)
    one_long_pass = extraction_result()
    assert one_long_pass[0], "the scenario produces downtimes"
    for model in (Downtime, DowntimeStatus, Watermark):
        model.objects.all().delete()

    counts = []
    while count := extract_pass(now=at(1800), chunk_rows=7, max_rows=10):
        counts.append(count)
    assert len(counts) > 5
    assert sum(counts) == total
    assert extraction_result() == one_long_pass


# Concurrent passes. SQLite's in-memory test database cannot be written by two threads at once (its table
# locks fail instead of waiting), so on SQLite the threads use a migrated file database; every database
# access of these tests therefore happens in worker threads.


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    if connection.vendor != "sqlite":
        yield
        return
    settings_dict = connection.settings_dict
    original = settings_dict["NAME"]
    settings_dict["NAME"] = str(tmp_path / "threads.sqlite3")
    try:
        in_thread(lambda: call_command("migrate", verbosity=0) or True)
        yield
    finally:
        settings_dict["NAME"] = original


def register_units() -> bool:
    call_command("loaddata", "apis-demo", verbosity=0)
    return True


def concurrent_passes(now: datetime, **limits) -> list[int]:
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def runner():
        try:
            barrier.wait()
            counts.append(extract_pass(now=now, **limits))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return counts


def test_two_concurrent_passes_never_process_a_row_twice_nor_duplicate_a_downtime(shared_database):
    in_thread(lambda: scenario() or True)
    counts = concurrent_passes(at(1800), chunk_rows=5)
    while rest := in_thread(lambda: extract_pass(now=at(1800), chunk_rows=5)):
        counts.append(rest)
    concurrent = in_thread(extraction_result)

    def sequential():
        for model in (Downtime, DowntimeStatus, Watermark):
            model.objects.all().delete()
        return extract_pass(now=at(1800), chunk_rows=5), extraction_result()

    total, expected = in_thread(sequential)
    assert sum(counts) == total
    assert concurrent == expected


def test_two_concurrent_passes_open_one_downtime_for_a_silent_unit(shared_database):
    in_thread(register_units)
    in_thread(lambda: report("E001", 0, 30) or True)
    concurrent_passes(at(1000))
    assert in_thread(lambda: downtimes()) == [(30, None)]
