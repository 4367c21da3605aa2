"""Rollups of unit data (apis.rollup): every bucket equals a direct computation from the raw rows, at 5
minutes, 1 hour and 1 local day, through late data, re-sent records, local midnights, concurrent and killed
runners, and the ``rebuild_rollups`` command."""

import random
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apis.jobs.registry import Phase, registered_jobs
from apis.rollup import compute
from apis.rollup.compute import rollup_pass
from apis.rollup.models import RollupWatermark, UnitRollup
from apis.unit_data.models import UnitData
from tests.helpers import APIS, command_env, in_thread, side_by_side, wait_for
from tests.payloads import CLUSTER, COMMUNITY
from tests.rollups import (
    CAP,
    PATHS,
    assert_equal_rollups,
    assert_rollups_are_direct,
    at,
    doc,
    iso,
    local_day,
    number,
    roll_up,
    store,
    store_history,
    store_without_time,
    stored_rollups,
    timeline,
)


@pytest.fixture(autouse=True)
def tolerance(settings):
    settings.DATA_LOSS_TOLERANCE_SEC = CAP
    settings.RETENTION_RAW_DAYS = 0  # the history starts at START, older than any raw retention of today


pytestmark = pytest.mark.django_db


# ---- values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin"])
def test_rollups_equal_a_direct_computation_from_the_raw_rows_at_every_resolution(settings, zone):
    settings.APIS_TIME_ZONE = zone
    store_history()
    assert roll_up(chunk_rows=97) == UnitData.objects.count()
    assert_rollups_are_direct()
    days = sorted(
        bucket for resolution, unit, bucket in stored_rollups() if resolution == 86400 and unit == "E001"
    )
    assert all(local_day(day) == day for day in days) and len(days) >= 2


def test_a_bucket_without_any_number_of_a_metric_keeps_its_records_and_no_statistics():
    moment = at(10)
    store(doc("E001", moment, variant=4), doc("E001", moment + timedelta(seconds=30), variant=4))
    rollup_pass()
    row = UnitRollup.objects.get(resolution=300)
    assert (row.records, row.rsoc_count, row.rsoc_sum, row.rsoc_last) == (2, 0, None, None)
    assert row.battery_w_count == 2
    assert_rollups_are_direct()


def test_records_without_time_are_skipped_but_move_the_watermark():
    store_without_time("E001", at(0))
    assert rollup_pass() == 1
    assert not UnitRollup.objects.exists()
    assert RollupWatermark.objects.get().last_id == UnitData.objects.get().id


def test_the_energy_of_a_record_uses_the_time_since_the_previous_record_capped_at_the_tolerance():
    first, second, third = doc("E001", at(0)), doc("E001", at(30)), doc("E001", at(530))
    store(first, second, third)
    rollup_pass()
    pv = [number(document, PATHS["pv_w"]) for document in (first, second, third)]
    # the first record ever has dt 0, the second 30 s, the third 500 s capped at the tolerance
    assert UnitRollup.objects.get(resolution=300, bucket=at(0)).pv_wh == pytest.approx(pv[1] * 30 / 3600)
    assert UnitRollup.objects.get(resolution=300, bucket=at(300)).pv_wh == pytest.approx(pv[2] * CAP / 3600)
    assert UnitRollup.objects.get(resolution=3600).pv_wh == pytest.approx((pv[1] * 30 + pv[2] * CAP) / 3600)
    assert_rollups_are_direct()


# ---- late data and re-sent records -----------------------------------------------------------------------


def test_a_late_record_recomputes_its_bucket_and_the_energy_of_the_next_record():
    store(*(doc("E001", at(s)) for s in (0, 30, 60, 310, 340)))
    rollup_pass()
    before = UnitRollup.objects.get(resolution=300, bucket=at(300)).pv_wh
    store(doc("E001", at(280)))  # late: the 310 record's dt falls from the cap (120 s) to 30 s
    assert rollup_pass() == 1
    assert UnitRollup.objects.get(resolution=300, bucket=at(300)).pv_wh != before
    assert_rollups_are_direct()


def test_a_late_record_before_the_first_one_gives_that_one_its_capped_energy():
    store(*(doc("E001", at(s)) for s in (1000, 1030)))
    rollup_pass()
    store(doc("E001", at(0)))  # 1000 s before what was the unit's first record (dt 0 until now)
    rollup_pass()
    assert_rollups_are_direct()


def test_late_records_spread_over_many_passes_give_the_direct_values(settings):
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    documents = timeline("E001", 400, seed=7)
    rng = random.Random(3)
    rng.shuffle(documents)
    for start in range(0, len(documents), 40):
        store(*documents[start : start + 40])
        rollup_pass(chunk_rows=25)
    assert_rollups_are_direct()


def test_records_sent_again_change_nothing():
    documents = timeline("E001", 200, seed=1)
    store(*documents)
    rollup_pass()
    before = list(UnitRollup.objects.order_by("id").values())
    assert store(*documents) == 0
    assert rollup_pass() == 0
    assert list(UnitRollup.objects.order_by("id").values()) == before


def test_doing_the_same_rows_again_gives_the_same_rollups():
    store_history(steps=300)
    rollup_pass()
    before = stored_rollups()
    RollupWatermark.objects.update(last_id=0)
    assert rollup_pass(chunk_rows=50) == UnitData.objects.count()
    assert_equal_rollups(stored_rollups(), before)


# ---- local days ------------------------------------------------------------------------------------------


def day_rows() -> list[tuple[datetime, int]]:
    return list(
        UnitRollup.objects.filter(resolution=86400).order_by("bucket").values_list("bucket", "records")
    )


def test_records_at_2358_and_0002_in_tokyo_fall_in_two_local_days(settings):
    settings.APIS_TIME_ZONE = "Asia/Tokyo"
    store(
        doc("E001", datetime(2026, 1, 1, 14, 58, tzinfo=UTC)),
        doc("E001", datetime(2026, 1, 1, 15, 2, tzinfo=UTC)),
    )
    rollup_pass()
    assert day_rows() == [
        (datetime(2025, 12, 31, 15, 0, tzinfo=UTC), 1),
        (datetime(2026, 1, 1, 15, 0, tzinfo=UTC), 1),
    ]
    assert_rollups_are_direct()


def test_a_day_in_a_half_hour_zone_starts_at_its_local_midnight_inside_a_utc_hour(settings):
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    store(
        doc("E001", datetime(2026, 1, 1, 18, 28, tzinfo=UTC)),
        doc("E001", datetime(2026, 1, 1, 18, 32, tzinfo=UTC)),
    )
    rollup_pass()
    assert day_rows() == [
        (datetime(2025, 12, 31, 18, 30, tzinfo=UTC), 1),
        (datetime(2026, 1, 1, 18, 30, tzinfo=UTC), 1),
    ]
    hours = UnitRollup.objects.filter(resolution=3600).values_list("bucket", "records")
    assert list(hours) == [(datetime(2026, 1, 1, 18, 0, tzinfo=UTC), 2)]
    assert_rollups_are_direct()


# ---- runners side by side, overtaken and killed ----------------------------------------------------------


def test_a_runner_overtaken_by_another_stops_and_writes_nothing(monkeypatch):
    store(*timeline("E001", 20, seed=2))
    original = compute._chunk

    def overtaken(after: int, horizon: int, limit: int) -> list[tuple]:
        rows = original(after, horizon, limit)
        RollupWatermark.objects.update(last_id=rows[-1][0])  # another runner took this chunk meanwhile
        return rows

    monkeypatch.setattr(compute, "_chunk", overtaken)
    assert rollup_pass() == 0
    assert not UnitRollup.objects.exists()


def test_a_second_runner_after_the_first_finds_nothing_to_do():
    store_history(steps=100)
    assert rollup_pass() == UnitData.objects.count()
    assert rollup_pass() == 0


def test_two_concurrent_passes_process_every_row_once_and_give_the_direct_values(live_database):
    in_thread(lambda: store_history(steps=300) or True)
    counts = side_by_side(lambda: roll_up(chunk_rows=20))
    assert sum(counts) == in_thread(UnitData.objects.count)
    in_thread(lambda: assert_rollups_are_direct() or True)


def test_a_pass_killed_mid_way_and_run_again_counts_nothing_twice(live_database, tmp_path):
    def backlog() -> int:
        for unit in ("E001", "E002"):
            store(*timeline(unit, 1500, seed=len(unit) + ord(unit[-1])))
        return UnitData.objects.count()

    total = in_thread(backlog)
    env = command_env(
        live_database, tmp_path, APIS_TIME_ZONE="Asia/Tokyo", APIS_DATA_LOSS_TOLERANCE_SEC=str(CAP)
    )
    script = "from apis.rollup.compute import rollup_pass; rollup_pass(chunk_rows=5)"
    process = subprocess.Popen(
        [APIS, "manage", "shell", "-c", script], env=env, stderr=subprocess.PIPE, text=True
    )
    first_id = in_thread(lambda: UnitData.objects.order_by("id").values_list("id", flat=True).first())

    def progressed() -> bool:
        assert process.poll() is None, "the pass ended before it was killed: " + process.stderr.read()
        return (
            in_thread(lambda: RollupWatermark.objects.values_list("last_id", flat=True).first() or 0)
            >= first_id + 200
        )

    try:
        wait_for(progressed, seconds=60, what="the pass to get going", interval=0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    done = in_thread(lambda: RollupWatermark.objects.get().last_id)
    assert done < first_id + total - 1, "killed mid-way"
    assert in_thread(roll_up) == first_id + total - 1 - done
    in_thread(lambda: assert_rollups_are_direct() or True)


# ---- the job ---------------------------------------------------------------------------------------------


def test_the_rollup_job_runs_a_pass_every_configured_interval_after_the_checks(settings):
    settings.ROLLUP_INTERVAL_SEC = 42
    (job,) = [job for job in registered_jobs() if job.name == "rollup"]
    assert (job.interval_sec, job.phase) == (42, Phase.DERIVE)
    store(doc("E001", at(0)), doc("E001", at(30)))
    assert job.run(at(60)) == "2 unit-data rows rolled up"


# ---- rebuild_rollups -------------------------------------------------------------------------------------


def rebuild(*args: str) -> str:
    out = StringIO()
    call_command("rebuild_rollups", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rolled_up(settings) -> dict[tuple, dict]:
    """Two units' history over two local days of Asia/Kolkata, with late records, rolled up by the
    incremental path; returns the rollups."""
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    store_history(steps=1100)
    roll_up(chunk_rows=300)
    store(doc("E001", at(3600 * 20 + 17)), doc("E002", at(3600 * 23 + 3)))
    roll_up()
    return stored_rollups()


def test_rebuilding_a_range_gives_the_rows_of_the_incremental_path_and_leaves_the_rest(rolled_up):
    first_day, second_day = sorted({bucket for resolution, _, bucket in rolled_up if resolution == 86400})
    UnitRollup.objects.filter(unit_id="E001", resolution=300, bucket__gte=second_day).delete()
    UnitRollup.objects.filter(unit_id="E002", bucket__gte=second_day).update(records=999, pv_wh=-1)
    UnitRollup.objects.filter(unit_id="E002", resolution=86400, bucket=first_day).update(records=999)
    last = (
        UnitData.objects.filter(reported_unit__unit_id="E001", time__isnull=False)
        .order_by("-time")
        .values_list("time", flat=True)
        .first()
    )
    stale = (last + timedelta(hours=2)).replace(minute=0, second=0)
    for resolution in (300, 3600):
        UnitRollup.objects.create(  # stale rows inside the range, where the unit has no records
            community_id=COMMUNITY, cluster_id=CLUSTER, unit_id="E001", resolution=resolution, bucket=stale
        )
    output = rebuild(
        "--from", iso(second_day + timedelta(hours=1)), "--to", iso(second_day + timedelta(hours=2))
    )
    assert_equal_rollups(
        stored_rollups(),
        rolled_up | {(86400, "E002", first_day): rolled_up[(86400, "E002", first_day)] | {"records": 999}},
    )
    counts = {
        unit: UnitData.objects.filter(reported_unit__unit_id=unit, time__gte=second_day).count()
        for unit in ("E001", "E002")
    }
    assert output.splitlines() == [
        f"{COMMUNITY}/{CLUSTER}/E001: 1 days, {counts['E001']} records rebuilt",
        f"{COMMUNITY}/{CLUSTER}/E002: 1 days, {counts['E002']} records rebuilt",
        f"rollups rebuilt: 2 units, 2 days, {sum(counts.values())} records",
    ]


def test_after_a_change_of_zone_a_rebuild_moves_the_days_to_the_new_midnights(settings):
    store_history(steps=600)
    roll_up()
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    rebuild()
    assert_rollups_are_direct()


def test_rebuilding_everything_from_no_rollups_gives_the_rows_of_the_incremental_path(rolled_up):
    UnitRollup.objects.all().delete()
    rebuild()
    assert_equal_rollups(stored_rollups(), rolled_up)


def test_rebuilding_one_unit_touches_only_that_unit(rolled_up):
    UnitRollup.objects.all().delete()
    output = rebuild("--unit", f"{COMMUNITY}/{CLUSTER}/E002")
    assert_equal_rollups(
        stored_rollups(), {key: values for key, values in rolled_up.items() if key[1] == "E002"}
    )
    assert output.splitlines()[-1].startswith("rollups rebuilt: 1 units, ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "yesterday"], "invalid --from : yesterday"),
        (["--to", "2026-13-01"], "invalid --to : 2026-13-01"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "--from must be before --to"),
        (["--unit", "oss_community/oss_cluster"], "invalid --unit : oss_community/oss_cluster"),
        (["--unit", "a//c"], "invalid --unit : a//c"),
        (["--unit", "a/b/c"], "no unit data nor rollups of a/b/c"),
    ],
)
def test_rebuild_refuses_a_bad_argument_with_a_message(args, message):
    with pytest.raises(CommandError, match="^" + message.replace("(", r"\(")):
        rebuild(*args)


@pytest.mark.parametrize(("args", "status"), [(["--from", "nonsense"], 1), (["--frm", "2026-01-01"], 2)])
def test_rebuild_from_the_command_line_answers_a_bad_argument_without_a_traceback(tmp_path, args, status):
    env = command_env(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    result = subprocess.run(
        [APIS, "manage", "rebuild_rollups", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == status
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, result.stderr
