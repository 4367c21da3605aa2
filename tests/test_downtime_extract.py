"""Downtime extraction (reference §6 and docs/availability.md): the original's rules, silences, units that
never reported or start late, late records, window edits, incremental and parallel runs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apis.community.models import Cluster, Unit
from apis.downtime.extract import extract_pass
from apis.downtime.models import Downtime, DowntimeStatus, Watermark
from apis.unit_data.store import store_unit_data
from tests.downtimes import SINCE_EVER, T0, at, downtimes, record, report, window
from tests.helpers import in_thread, side_by_side


@pytest.fixture(autouse=True)
def tolerance(settings):
    settings.DATA_LOSS_TOLERANCE_SEC = 120


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


def test_of_records_at_the_same_time_the_first_stored_counts():
    store_unit_data([record("E001", 0), record("E001", 30, "stop"), record("E001", 30, dataset=at(31))])
    store_unit_data([record("E001", 60, "stop", dataset=at(60)), record("E001", 60, dataset=at(61))])
    extract_pass(now=at(61))
    assert downtimes() == [(30, None)]
    assert DowntimeStatus.objects.get().last_down is True


# Late records: older than the unit's last processed one, placed between their processed neighbours.


def test_a_late_stop_record_is_down_until_the_next_processed_record():
    report("E001", 0, 30, 60)
    extract_pass(now=at(60))
    store_unit_data([record("E001", 45, "stop", dataset=at(61))])
    assert extract_pass(now=at(61)) == 1
    assert downtimes() == [(45, 60)]
    assert DowntimeStatus.objects.get().last_time == at(60)


def test_a_late_record_at_a_time_already_processed_changes_nothing():
    report("E001", 0, 30, 60)
    extract_pass(now=at(60))
    store_unit_data([record("E001", 30, "stop", dataset=at(100))])
    assert extract_pass(now=at(100)) == 1
    assert downtimes() == []


@pytest.mark.parametrize(
    ("late", "expected"),
    [((119,), []), ((120,), [(0, 120)]), ((100,), [(100, 238)]), ((60, 120, 180), [])],
)
def test_late_records_inside_a_gap_keep_only_the_silences_that_remain(late, expected):
    report("E001", 0, 238)
    extract_pass(now=at(238))
    assert downtimes() == [(0, 238)]
    store_unit_data([record("E001", s, dataset=at(1000 + s)) for s in late])
    extract_pass(now=at(1000))
    assert downtimes() == expected


def test_a_late_autonomous_record_inside_a_stop_splits_the_open_downtime():
    report("E001", 0, (30, "stop"), (60, "stop"), (90, "stop"))
    extract_pass(now=at(90))
    assert downtimes() == [(30, None)]
    store_unit_data([record("E001", 45, dataset=at(100))])
    extract_pass(now=at(100))
    assert downtimes() == [(30, 45), (60, None)]
    report("E001", 120)
    extract_pass(now=at(120))
    assert downtimes() == [(30, 45), (60, 120)]


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


# Registered units: silences measured on the wall clock against the newest datasetId, units that never
# reported, the stretch before the first record, and edits of the availability window.


@pytest.fixture
def registry(demo_registry):
    """Units E001–E004 of oss_community/oss_cluster, available from ``T0`` on."""
    Unit.objects.update(available_from=T0)


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


def test_records_delivered_late_after_a_silence_remove_its_downtime(registry):
    report("E001", 0, 30, 60)
    extract_pass(now=at(300))
    assert downtimes() == [(60, None)]
    store_unit_data([record("E001", s) for s in range(90, 301, 30)])  # the reporter's backlog, in order
    extract_pass(now=at(310))
    assert downtimes() == []


def test_records_delivered_late_leave_only_the_real_gap_of_a_silence(registry):
    report("E001", 0, 30, 60)
    extract_pass(now=at(600))
    store_unit_data([record("E001", s) for s in (90, 120, 400, 430)])
    extract_pass(now=at(600))
    assert downtimes() == [(120, 400), (430, None)]


def test_units_outside_the_registry_get_no_downtime_for_silence_or_before_their_first_record(registry):
    report("X999", 500, 530)
    extract_pass(now=at(5000))
    assert downtimes("X999") == []
    assert set(DowntimeStatus.objects.values_list("unit_id", flat=True)) == {"X999"}


def test_a_silence_after_the_window_ended_is_not_a_downtime(registry):
    window("E002", 0, 20)
    report("E002", 0, 30)
    extract_pass(now=at(1000))
    assert downtimes("E002") == []


def test_a_silence_running_into_the_end_of_the_window_is_a_downtime(registry):
    window("E002", 0, 100)
    report("E002", 0, 30)
    extract_pass(now=at(1000))
    assert downtimes("E002") == [(30, None)]


def test_silent_units_wait_until_a_backlog_is_caught_up(registry):
    report("E001", *range(0, 300, 30))
    extract_pass(now=at(10_000), chunk_rows=4, max_rows=4)
    assert downtimes() == []
    while extract_pass(now=at(10_000), chunk_rows=4, max_rows=4):
        pass
    assert downtimes() == [(270, None)]


def test_a_never_reporting_unit_is_down_from_its_window_start_once_the_tolerance_has_passed(registry):
    extract_pass(now=at(119))
    assert Downtime.objects.count() == 0
    extract_pass(now=at(120))
    assert {unit: downtimes(unit) for unit in ("E001", "E002", "E003", "E004")} == {
        unit: [(0, None)] for unit in ("E001", "E002", "E003", "E004")
    }
    extract_pass(now=at(5000))
    assert Downtime.objects.count() == 4


def test_a_never_reporting_unit_without_available_from_is_down_since_ever(registry):
    window("E002", None)
    extract_pass(now=at(0))
    assert downtimes("E002") == [(SINCE_EVER, None)]


@pytest.mark.parametrize(("start", "end"), [(1000, None), (0, 0), (50, 10)])
def test_a_never_reporting_unit_whose_window_has_not_begun_or_is_empty_is_not_down(registry, start, end):
    window("E002", start, end)
    extract_pass(now=at(1119))
    assert downtimes("E002") == []


def test_the_first_records_of_a_unit_that_starts_late_end_its_downtime(registry):
    extract_pass(now=at(200))
    assert downtimes("E002") == [(0, None)]
    opened = Downtime.objects.get(unit_id="E002")
    report("E002", 600, 630)
    extract_pass(now=at(630))
    assert downtimes("E002") == [(0, 600)]
    assert Downtime.objects.get(unit_id="E002").pk == opened.pk


@pytest.mark.parametrize(("first", "expected"), [(119, []), (120, [(0, 120)])])
def test_the_stretch_before_the_first_record_is_down_from_exactly_the_tolerance(registry, first, expected):
    report("E001", first)
    extract_pass(now=at(first))
    assert downtimes() == expected


def test_a_first_stop_record_keeps_the_unit_down_from_its_window_start(registry):
    report("E001", (500, "stop"), (530, "stop"))
    extract_pass(now=at(530))
    assert downtimes() == [(0, None)]


def test_first_records_delivered_late_remove_the_downtime_of_a_unit_thought_never_reporting(registry):
    extract_pass(now=at(300))
    assert downtimes() == [(0, None)]
    store_unit_data([record("E001", s) for s in range(60, 301, 30)])
    extract_pass(now=at(310))
    assert downtimes() == []


def test_records_older_than_the_first_one_shorten_the_downtime_before_it(registry):
    report("E001", 500, 530)
    extract_pass(now=at(530))
    assert downtimes() == [(0, 500)]
    store_unit_data([record("E001", s, dataset=at(600 + s)) for s in (150, 250, 350, 450)])
    extract_pass(now=at(600))
    assert downtimes() == [(0, 150)]
    assert DowntimeStatus.objects.get(unit_id="E001").first_time == at(150)


def test_moving_the_window_start_moves_the_downtime_before_the_first_record(registry):
    report("E001", (500, "stop"), 530)
    extract_pass(now=at(530))
    assert downtimes() == [(0, 530)]
    for start, expected in [
        (-1000, [(-1000, 530)]),
        (450, [(500, 530)]),
        (None, [(SINCE_EVER, 530)]),
        (300, [(300, 530)]),
    ]:
        window("E001", start)
        extract_pass(now=at(600))
        assert downtimes() == expected, start


def test_the_downtime_of_a_never_reporting_unit_follows_its_window_start(registry):
    extract_pass(now=at(200))
    window("E002", 50)
    extract_pass(now=at(200))
    assert downtimes("E002") == [(50, None)]
    window("E002", 150)
    extract_pass(now=at(200))
    assert downtimes("E002") == []


def test_a_unit_registered_after_it_began_reporting_gets_the_downtime_before_its_first_record(registry):
    report("E005", 500, 530)
    extract_pass(now=at(530))
    assert downtimes("E005") == []
    Unit.objects.create(
        cluster=Cluster.objects.get(code="oss_cluster"), code="E005", name="E005", available_from=T0
    )
    extract_pass(now=at(540))
    assert downtimes("E005") == [(0, 500)]


# Cost: a pass reads and writes in bulk, whatever the number of units.


def test_the_number_of_queries_of_a_pass_with_late_records_does_not_grow_with_the_number_of_units():
    def queries_for(units: int) -> int:
        names = [f"L{units}-{n}" for n in range(units)]
        for name in names:
            report(name, 0, 300)
        extract_pass(now=at(300))
        store_unit_data([record(name, 150, "stop", dataset=at(400)) for name in names])
        with CaptureQueriesContext(connection) as captured:
            extract_pass(now=at(400))
        assert downtimes(names[-1]) == [(0, 300)]
        return len(captured)

    assert queries_for(3) == queries_for(60)


def test_the_work_once_caught_up_costs_the_same_queries_whatever_the_number_of_registered_units(registry):
    cluster = Cluster.objects.get(code="oss_cluster")

    def queries_for(units: int) -> int:
        names = [f"R{units}-{n}" for n in range(units)]
        Unit.objects.bulk_create(
            Unit(cluster=cluster, code=name, name=name, available_from=T0) for name in names
        )
        for name in names[: units // 2]:
            report(name, 0, 30)
        extract_pass(now=at(30))
        Unit.objects.filter(code__in=names).update(available_from=at(-100))
        with CaptureQueriesContext(connection) as captured:
            extract_pass(now=at(1000))
        assert (downtimes(names[0]), downtimes(names[-1])) == ([(30, None)], [(-100, None)])
        return len(captured)

    assert queries_for(4) == queries_for(60)


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
    Unit.objects.update(available_from=T0)
    return True


def concurrent_passes(now: datetime, **limits) -> list[int]:
    return side_by_side(lambda: extract_pass(now=now, **limits))


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


def test_two_concurrent_passes_open_one_downtime_for_a_silent_unit_and_one_for_a_never_reporting_one(
    shared_database,
):
    in_thread(register_units)
    in_thread(lambda: report("E001", 0, 30) or True)
    concurrent_passes(at(1000))
    assert in_thread(lambda: (downtimes("E001"), downtimes("E002"))) == ([(30, None)], [(0, None)])


# ---- the edges of a pass --------------------------------------------------------------------------------


def test_late_records_of_one_unit_do_not_keep_another_units_new_records_from_counting():
    report("E001", 0, 30, 60)
    report("E002", 0, 30, 60)
    extract_pass(now=at(60))
    store_unit_data([record("E001", 45, dataset=at(700))])
    store_unit_data([record("E002", 90), record("E002", 600)])
    extract_pass(now=at(700))
    assert (downtimes("E001"), downtimes("E002")) == ([], [(90, 600)])


def test_a_late_record_at_a_processed_time_does_not_keep_the_other_late_records_out():
    report("E001", 0, 30, 600)
    extract_pass(now=at(600))
    assert downtimes() == [(30, 600)]
    store_unit_data([record("E001", s, dataset=at(1000 + s)) for s in (30, *range(90, 600, 60))])
    extract_pass(now=at(1000))
    assert downtimes() == []


def test_late_records_filling_two_silences_of_a_unit_in_one_pass_remove_both_downtimes():
    report("E001", 0, 30, 600, 630, 1200)
    extract_pass(now=at(1200))
    assert downtimes() == [(30, 600), (630, 1200)]
    late = [*range(90, 600, 60), *range(690, 1200, 60)]
    store_unit_data([record("E001", s, dataset=at(2000 + s)) for s in late])
    extract_pass(now=at(2000))
    assert downtimes() == []


def test_a_pass_continues_from_the_last_of_records_sharing_the_newest_time():
    store_unit_data([record("E001", 0), record("E001", 30), record("E001", 60)])
    store_unit_data([record("E001", 60, dataset=at(61))])
    extract_pass(now=at(61))
    report("E001", 150)
    extract_pass(now=at(150))
    assert downtimes() == []


def test_a_pass_stops_after_max_rows_on_a_chunk_boundary():
    report("E001", *range(0, 300, 30))
    assert extract_pass(now=at(300), chunk_rows=2, max_rows=4) == 4
    assert extract_pass(now=at(300), chunk_rows=3, max_rows=4) == 6
