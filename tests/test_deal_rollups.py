"""Deal rollups (apis.rollup.deals): every hourly and daily row equals a direct computation from the deal
rows, per unit and per counterparty pair, and agrees with ``sumOfCumulateAmountWhsByHour``, through re-sent
and growing deals, creation times corrected by newer reports, local midnights, concurrent and killed
runners, bounded passes and the ``rebuild_rollups`` command; and the deal revisions they follow."""

import math
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from apis.deal.models import Deal, DealMove, DealRevision
from apis.deal.scopes import cluster_scope
from apis.deal.store import committed_revision
from apis.ingest.parse import parse_unit_data
from apis.jobs.registry import Phase, registered_jobs
from apis.rollup import deals as deal_rollups
from apis.rollup.deals import deal_rollup_pass
from apis.rollup.models import DealRollup, DealRollupWatermark
from apis.unit_data.store import store_unit_data
from tests.deal_rollups import (
    UNITS,
    assert_equal_rollups,
    assert_rollups_are_direct,
    at,
    deal,
    expected_rollups,
    history,
    hour_of,
    iso,
    roll_up,
    store,
    stored_rollups,
)
from tests.helpers import in_thread, side_by_side
from tests.payloads import CLUSTER, COMMUNITY, unit_doc

pytestmark = pytest.mark.django_db

HOUR, DAY = 3600, 86400


def row(unit: str, counterparty: str, bucket: datetime, resolution: int = HOUR) -> DealRollup:
    return DealRollup.objects.get(
        resolution=resolution, unit_id=unit, counterparty_unit_id=counterparty, bucket=bucket
    )


def rows_of(resolution: int) -> list[tuple]:
    return list(
        DealRollup.objects.filter(resolution=resolution)
        .order_by("bucket", "unit_id", "counterparty_unit_id")
        .values_list("bucket", "unit_id", "counterparty_unit_id", "deals", "discharged_wh", "charged_wh")
    )


# ---- values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Asia/Kolkata", "Europe/Berlin"])
def test_rollups_equal_a_direct_computation_from_the_deal_rows(settings, zone):
    settings.APIS_TIME_ZONE = zone
    documents = history(400)
    for start in range(0, len(documents), 60):
        store(*documents[start : start + 60])
    store(*history(50, seed=9, cluster="another"), cluster="another")
    assert roll_up(chunk_deals=37) == 450
    assert_rollups_are_direct()
    assert {key[0] for key in stored_rollups()} == {HOUR, DAY}
    assert len({key[4] for key in stored_rollups() if key[0] == DAY}) >= 2


def test_per_unit_sums_over_the_counterparties_equal_the_deals_of_the_unit():
    store(*history(300))
    roll_up()
    for unit in UNITS:
        rolled = DealRollup.objects.filter(resolution=HOUR, cluster_id=CLUSTER, unit_id=unit).aggregate(
            out=Sum("discharged_wh"), into=Sum("charged_wh"), discharges=Sum("discharge_deals")
        )
        created = Deal.objects.filter(create_datetime__isnull=False)
        discharged = created.filter(discharge_unit_id=unit)
        charged = created.filter(charge_unit_id=unit)
        assert rolled["out"] == pytest.approx(discharged.aggregate(wh=Sum("cumulate_amount_wh"))["wh"])
        assert rolled["into"] == pytest.approx(charged.aggregate(wh=Sum("cumulate_amount_wh"))["wh"])
        assert rolled["discharges"] == discharged.count()


def test_a_deal_gives_its_wh_to_both_units_each_in_its_direction():
    store(
        deal("d-1", at(600), "E001", "E002", wh=40),
        deal("d-2", at(900), "E002", "E001", wh=15),
        deal("d-3", at(1200), "E003", "E003", wh=7),
    )
    deal_rollup_pass()
    assert rows_of(HOUR) == [
        (hour_of(at(0)), "E001", "E002", 2, 40.0, 15.0),
        (hour_of(at(0)), "E002", "E001", 2, 15.0, 40.0),
        (hour_of(at(0)), "E003", "E003", 1, 7.0, 7.0),  # a deal with itself: one deal, both sides
    ]
    pair = row("E001", "E002", hour_of(at(0)))
    assert (pair.discharge_deals, pair.charge_deals) == (1, 1)


def test_deals_without_a_unit_or_wh_count_and_those_without_a_creation_time_do_not():
    store(
        deal("d-1", at(60), None, "E002", wh=10),
        deal("d-2", at(120), "E001", None, wh=None),
        deal("d-3", None, "E001", "E002", wh=99),
    )
    deal_rollup_pass()
    assert rows_of(HOUR) == [
        (hour_of(at(0)), "", "E001", 1, 0.0, 0.0),
        (hour_of(at(0)), "", "E002", 1, 10.0, 0.0),
        (hour_of(at(0)), "E001", "", 1, 0.0, 0.0),
        (hour_of(at(0)), "E002", "", 1, 0.0, 10.0),
    ]
    assert_rollups_are_direct()


@pytest.mark.parametrize("offset", ["Z", "+09:00", "-05:00"])
def test_hourly_rollups_agree_with_sum_of_cumulate_amount_whs_by_hour(offset):
    store(*history(300, hours=60))
    roll_up()
    zone = UTC if offset == "Z" else timezone(timedelta(hours=int(offset[:3])))
    endpoint = Deal.objects.visible_to(cluster_scope(COMMUNITY, CLUSTER)).hour_sums(zone)
    by_hour: dict[str, float] = defaultdict(float)
    rows = DealRollup.objects.filter(resolution=HOUR, cluster_id=CLUSTER).values_list(
        "bucket", "discharged_wh"
    )
    for bucket, wh in rows:
        by_hour[str(bucket.astimezone(zone).hour)] += wh
    assert sorted(by_hour) == sorted(endpoint)
    for hour, wh in endpoint.items():
        assert math.isclose(by_hour[hour], wh, rel_tol=1e-9), hour


def test_the_sum_of_a_day_is_the_sum_of_its_hours_in_a_utc_zone(settings):
    settings.APIS_TIME_ZONE = "UTC"
    store(*history(300, hours=72))
    roll_up()
    hours: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for bucket, unit, counterparty, count, out, into in rows_of(HOUR):
        sums = hours[(bucket.replace(hour=0), unit, counterparty)]
        sums[0], sums[1], sums[2] = sums[0] + count, sums[1] + out, sums[2] + into
    days = {(bucket, unit, counterparty): values for bucket, unit, counterparty, *values in rows_of(DAY)}
    assert sorted(days) == sorted(hours) and len({key[0] for key in days}) == 4
    for key, (count, out, into) in days.items():
        assert count == hours[key][0]
        assert out == pytest.approx(hours[key][1]) and into == pytest.approx(hours[key][2])


# ---- re-sent, growing and moved deals --------------------------------------------------------------------


def test_a_deal_sent_again_with_a_bigger_amount_recomputes_its_bucket():
    store(deal("d-1", at(600), wh=10, report_time=100), deal("d-2", at(700), wh=5, report_time=100))
    deal_rollup_pass()
    assert row("E001", "E002", hour_of(at(0))).discharged_wh == 15
    store(deal("d-1", at(600), wh=30, report_time=160))
    assert deal_rollup_pass() == 1
    assert row("E001", "E002", hour_of(at(0))).discharged_wh == 35
    assert row("E002", "E001", hour_of(at(0))).charged_wh == 35
    assert row("E001", "E002", hour_of(at(0))).deals == 2
    assert_rollups_are_direct()


def test_a_report_sent_again_changes_nothing_and_an_older_one_replaces_nothing():
    store(deal("d-1", at(600), wh=30, report_time=160))
    deal_rollup_pass()
    before = stored_rollups()
    store(deal("d-1", at(600), wh=30, report_time=160))
    store(deal("d-1", at(5000), wh=10, report_time=100))  # older: not stored, a move for nothing
    deal_rollup_pass()
    assert stored_rollups() == before
    assert not DealMove.objects.exists()


def test_a_deal_whose_creation_moves_to_another_hour_leaves_both_hours_right():
    store(deal("d-1", at(600), wh=10, report_time=100), deal("d-2", at(900), wh=4, report_time=100))
    deal_rollup_pass()
    store(deal("d-1", at(3600 + 600), wh=12, report_time=160))
    assert DealMove.objects.count() == 1
    deal_rollup_pass()
    assert row("E001", "E002", hour_of(at(0))).discharged_wh == 4
    assert row("E001", "E002", hour_of(at(3600))).discharged_wh == 12
    assert not DealMove.objects.exists()  # processed moves are deleted
    assert_rollups_are_direct()


def test_a_deal_moved_to_its_only_hour_elsewhere_or_to_no_time_leaves_no_row_behind():
    store(deal("d-1", at(600), report_time=100), deal("d-2", at(7200), "E003", "E004", report_time=100))
    deal_rollup_pass()
    store(deal("d-1", at(9000), report_time=160), deal("d-2", None, "E003", "E004", report_time=160))
    deal_rollup_pass()
    assert {bucket for bucket, *_ in rows_of(HOUR)} == {hour_of(at(9000))}
    assert_rollups_are_direct()


def test_a_deal_moved_several_times_between_passes_leaves_every_bucket_right(settings):
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    store(deal("d-1", at(600), report_time=100), deal("d-2", at(660), "E002", "E003", report_time=100))
    deal_rollup_pass()
    for step, seconds in enumerate((30000, 80000, 3600), start=1):
        store(deal("d-1", at(seconds), report_time=100 + step))
    deal_rollup_pass(chunk_deals=1)
    assert_rollups_are_direct()


def test_a_deal_moved_while_a_chunk_is_computed_is_corrected_by_the_next_pass(monkeypatch):
    """The chunk of another deal recomputes the hour the deal has just moved into (its move not yet in the
    chunk); the deal then moves on: the hour it passed through is recomputed with the second move."""
    store(deal("d-1", at(600), report_time=100))
    deal_rollup_pass()
    store(deal("d-2", at(7300), "E003", "E004", report_time=100))
    original = deal_rollups._chunk

    def raced(after: int, horizon: int, limit: int) -> list[tuple]:
        rows = original(after, horizon, limit)
        if any(revision == horizon for revision, *_ in rows):
            store(deal("d-1", at(7200), report_time=101))  # into d-2's hour, after the chunk was read
        return rows

    monkeypatch.setattr(deal_rollups, "_chunk", raced)
    deal_rollup_pass()
    monkeypatch.setattr(deal_rollups, "_chunk", original)
    assert row("E001", "E002", hour_of(at(7200))).discharged_wh == 25.5  # counted there already
    store(deal("d-1", at(20000), report_time=102))
    deal_rollup_pass()
    assert_rollups_are_direct()


# ---- local days ------------------------------------------------------------------------------------------


def test_deals_at_2358_midnight_and_0002_in_tokyo_fall_in_two_local_days_and_two_utc_hours(settings):
    settings.APIS_TIME_ZONE = "Asia/Tokyo"
    store(
        deal("d-1", datetime(2026, 1, 1, 14, 58, tzinfo=UTC), wh=3),
        deal("d-2", datetime(2026, 1, 1, 15, 0, tzinfo=UTC), wh=7),  # midnight: the new day and hour
        deal("d-3", datetime(2026, 1, 1, 15, 2, tzinfo=UTC), wh=5),
    )
    deal_rollup_pass()
    assert [(bucket, out) for bucket, unit, _, _, out, _ in rows_of(DAY) if unit == "E001"] == [
        (datetime(2025, 12, 31, 15, 0, tzinfo=UTC), 3.0),
        (datetime(2026, 1, 1, 15, 0, tzinfo=UTC), 12.0),
    ]
    assert [(bucket, out) for bucket, unit, _, _, out, _ in rows_of(HOUR) if unit == "E001"] == [
        (datetime(2026, 1, 1, 14, 0, tzinfo=UTC), 3.0),
        (datetime(2026, 1, 1, 15, 0, tzinfo=UTC), 12.0),
    ]


def test_a_day_in_a_half_hour_zone_splits_a_utc_hour(settings):
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    store(
        deal("d-1", datetime(2026, 1, 1, 18, 28, tzinfo=UTC), wh=3),
        deal("d-2", datetime(2026, 1, 1, 18, 32, tzinfo=UTC), wh=5),
    )
    deal_rollup_pass()
    assert [(bucket, out) for bucket, unit, _, _, out, _ in rows_of(DAY) if unit == "E001"] == [
        (datetime(2025, 12, 31, 18, 30, tzinfo=UTC), 3.0),
        (datetime(2026, 1, 1, 18, 30, tzinfo=UTC), 5.0),
    ]
    assert [(bucket, out) for bucket, unit, _, _, out, _ in rows_of(HOUR) if unit == "E001"] == [
        (datetime(2026, 1, 1, 18, 0, tzinfo=UTC), 8.0)
    ]


# ---- passes: bounded, concurrent, killed -----------------------------------------------------------------


def test_a_backlog_is_caught_up_in_bounded_passes():
    store(*history(250))
    assert deal_rollup_pass(chunk_deals=40, max_deals=100) == 120  # whole chunks
    assert DealRollupWatermark.objects.get().last_revision < committed_revision()
    assert deal_rollup_pass(chunk_deals=40, max_deals=100) == 120
    assert deal_rollup_pass(chunk_deals=40, max_deals=100) == 10
    assert deal_rollup_pass() == 0
    assert DealRollupWatermark.objects.get().last_revision == committed_revision()
    assert_rollups_are_direct()


def test_a_runner_overtaken_by_another_stops_and_writes_nothing(monkeypatch):
    store(*history(20))
    original = deal_rollups._chunk

    def overtaken(after: int, horizon: int, limit: int) -> list[tuple]:
        rows = original(after, horizon, limit)
        DealRollupWatermark.objects.update(last_revision=horizon)  # another runner took the chunk
        return rows

    monkeypatch.setattr(deal_rollups, "_chunk", overtaken)
    assert deal_rollup_pass() == 0
    assert not DealRollup.objects.exists()


def test_two_concurrent_passes_process_every_deal_once_and_give_the_direct_values(live_database):
    def backlog() -> bool:
        documents = history(600)
        for start in range(0, len(documents), 50):
            store(*documents[start : start + 50])
        return True

    in_thread(backlog)
    counts = side_by_side(lambda: roll_up(chunk_deals=15))
    assert sum(counts) == in_thread(Deal.objects.count)
    in_thread(lambda: assert_rollups_are_direct() or True)


def test_two_runners_with_growing_deals_between_them_never_double_count(live_database):
    in_thread(lambda: store(*history(200)))
    for report in (1, 2, 3):
        grown = [
            deal(f"d-0-{n}", at(n * 60), wh=report * 10.0, report_time=1_900_000_000 + report)
            for n in range(40)
        ]
        in_thread(lambda grown=grown: store(*grown))
        side_by_side(lambda: roll_up(chunk_deals=7))
    in_thread(lambda: assert_rollups_are_direct() or True)


def test_deals_stored_while_passes_run_are_all_rolled_up(live_database):
    """Two writers (new deals, then bigger and moved reports of them) and a runner side by side: the
    revisions commit in order, so no pass skips a deal written meanwhile."""
    done, lock = threading.Event(), threading.Lock()

    def writer(seed: int) -> int:
        documents = history(120, seed=seed)
        for start in range(0, len(documents), 10):
            store(*documents[start : start + 10])
        for n in range(0, 120, 3):
            store(deal(f"d-{seed}-{n}", at(n * 90), "E002", "E003", wh=n + 0.5, report_time=1_900_000_000))
        return 0

    def runner() -> int:
        total = 0
        while not done.is_set():
            total += deal_rollup_pass(chunk_deals=5)
        return total

    roles, writing = [runner, lambda: writer(1), lambda: writer(2)], [2]

    def role() -> int:
        with lock:
            work = roles.pop()
        if work is runner:
            return work()
        try:
            return work()
        finally:
            with lock:
                writing[0] -= 1
                if not writing[0]:
                    done.set()

    side_by_side(role, runners=3)
    in_thread(roll_up)
    in_thread(lambda: assert_rollups_are_direct() or True)


def test_a_pass_killed_between_its_claim_and_its_recompute_leaves_nothing_half_done(monkeypatch):
    store(deal("d-1", at(600), wh=10, report_time=100))
    deal_rollup_pass()
    before = stored_rollups()
    store(deal("d-1", at(4200), wh=11, report_time=101), deal("d-2", at(700), wh=2, report_time=101))
    watermark = DealRollupWatermark.objects.get().last_revision
    original = deal_rollups.refresh

    def killed(buckets) -> int:
        original(buckets)  # the rows are written, then the runner dies inside the transaction
        raise SystemExit("killed")

    monkeypatch.setattr(deal_rollups, "refresh", killed)
    with pytest.raises(SystemExit):
        deal_rollup_pass()
    assert DealRollupWatermark.objects.get().last_revision == watermark
    assert stored_rollups() == before
    assert DealMove.objects.count() == 1  # the move is still there for the next pass
    monkeypatch.setattr(deal_rollups, "refresh", original)
    assert deal_rollup_pass() == 2
    assert_rollups_are_direct()


def test_doing_the_same_deals_again_gives_the_same_rollups():
    store(*history(300))
    roll_up()
    before = stored_rollups()
    DealRollupWatermark.objects.update(last_revision=0)
    assert roll_up(chunk_deals=50) == 300
    assert_equal_rollups(stored_rollups(), before)


# ---- the revisions the rollups follow --------------------------------------------------------------------


def test_every_write_of_a_deal_takes_a_new_higher_revision():
    store(deal("d-1", at(0), report_time=100), deal("d-2", at(0), report_time=100))
    first = dict(Deal.objects.values_list("deal_id", "revision"))
    assert sorted(first.values()) == [1, 2] and committed_revision() == 2
    store(deal("d-1", at(0), wh=30, report_time=101))
    assert Deal.objects.get(deal_id="d-1").revision == 3
    assert Deal.objects.get(deal_id="d-2").revision == first["d-2"]


def test_a_lost_revision_counter_starts_again_above_the_stored_revisions():
    store(*history(5))
    top = committed_revision()
    DealRevision.objects.all().delete()
    store(deal("d-new", at(0)))
    assert Deal.objects.get(deal_id="d-new").revision == top + 1 == committed_revision()


# ---- the job and rebuild_rollups -------------------------------------------------------------------------


def test_the_deal_rollup_job_runs_after_the_unit_data_rollups_every_rollup_interval(settings):
    settings.ROLLUP_INTERVAL_SEC = 42
    names = [job.name for job in registered_jobs()]
    (job,) = [job for job in registered_jobs() if job.name == "deal_rollup"]
    assert (job.interval_sec, job.phase) == (42, Phase.DERIVE)
    assert names.index("deal_rollup") == names.index("rollup") + 1
    store(deal("d-1", at(0)), deal("d-2", at(30)))
    assert job.run(at(60)) == "2 deals rolled up"


def rebuild(*args: str) -> str:
    out = StringIO()
    call_command("rebuild_rollups", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rolled_up(settings) -> dict[tuple, dict]:
    """Two clusters' deals over two local days of Asia/Kolkata, grown and moved, rolled up incrementally."""
    settings.APIS_TIME_ZONE = "Asia/Kolkata"
    store(*history(400, hours=40))
    store(*history(60, seed=4, hours=40, cluster="another"), cluster="another")
    roll_up(chunk_deals=70)
    store(deal("d-0-1", at(3600 * 20 + 17), wh=999, report_time=1_900_000_000))
    roll_up()
    return stored_rollups()


def test_rebuilding_a_range_gives_the_rows_of_the_incremental_path_and_leaves_the_rest(rolled_up):
    first_day, second_day = sorted({key[4] for key in rolled_up if key[0] == DAY})
    DealRollup.objects.filter(bucket__gte=second_day).update(discharged_wh=-1)
    DealRollup.objects.filter(bucket__gte=second_day, unit_id="E001").delete()
    DealRollup.objects.filter(resolution=DAY, bucket=first_day, unit_id="E002").update(deals=999)
    DealRollup.objects.create(  # a stale row inside the range
        community_id=COMMUNITY,
        cluster_id=CLUSTER,
        unit_id="E009",
        counterparty_unit_id="E001",
        resolution=HOUR,
        bucket=second_day + timedelta(hours=3, minutes=30),
    )
    output = rebuild(
        "--from", iso(second_day + timedelta(hours=1)), "--to", iso(second_day + timedelta(hours=2))
    )
    damaged = {
        key: values | {"deals": 999}
        for key, values in rolled_up.items()
        if key[0] == DAY and key[4] == first_day and key[2] == "E002"
    }
    assert damaged
    assert_equal_rollups(stored_rollups(), rolled_up | damaged)
    day = {"create_datetime__gte": second_day, "create_datetime__lt": second_day + timedelta(days=1)}
    counts = {
        cluster: Deal.objects.filter(cluster_id=cluster, **day).count() for cluster in ("another", CLUSTER)
    }
    assert output.splitlines()[:3] == [
        f"deals of {COMMUNITY}/another: 1 days, {counts['another']} deals rebuilt",
        f"deals of {COMMUNITY}/{CLUSTER}: 1 days, {counts[CLUSTER]} deals rebuilt",
        f"deal rollups rebuilt: 2 clusters, 2 days, {sum(counts.values())} deals",
    ]


def test_rebuilding_one_unit_rebuilds_the_deal_rollups_of_its_cluster_only(rolled_up):
    moment = at(0)
    store_unit_data(
        parse_unit_data([unit_doc("E002", iso(moment), int(moment.timestamp() * 1000))], COMMUNITY, CLUSTER)
    )
    DealRollup.objects.all().delete()
    output = rebuild("--unit", f"{COMMUNITY}/{CLUSTER}/E002")
    assert_equal_rollups(
        stored_rollups(), {key: values for key, values in rolled_up.items() if key[1] == CLUSTER}
    )
    assert "deal rollups rebuilt: 1 clusters, " in output


def test_rebuilding_everything_from_no_rollups_gives_the_rows_of_the_incremental_path(rolled_up):
    DealRollup.objects.all().delete()
    rebuild()
    assert_equal_rollups(stored_rollups(), rolled_up)
    assert_rollups_are_direct()


def test_after_a_change_of_zone_a_rebuild_moves_the_days_to_the_new_midnights(settings):
    store(*history(200, hours=40))
    roll_up()
    settings.APIS_TIME_ZONE = "Europe/Berlin"
    assert stored_rollups() != expected_rollups()
    rebuild()
    assert_rollups_are_direct()


def test_deals_written_without_a_revision_are_rolled_up_by_a_rebuild():
    Deal.objects.create(
        community_id=COMMUNITY,
        cluster_id=CLUSTER,
        deal_id="d-raw",
        create_datetime=at(0),
        report_time=0,
        discharge_unit_id="E001",
        charge_unit_id="E002",
        cumulate_amount_wh=5,
        data={},
    )
    assert deal_rollup_pass() == 0 and not DealRollup.objects.exists()
    rebuild()
    assert_rollups_are_direct()
