"""The six monitoring checks (reference §7.3) on real log rows, and the failure life cycle (§7.4)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apis.apis_log.models import ApisLog
from apis.community.models import Cluster, Unit
from apis.monitoring.checks import severe_line
from apis.monitoring.lifecycle import run_check
from apis.monitoring.models import Failure, JobSetting, Notification
from tests.helpers import BLOCKED_LOGGER, NOW, UNITS, activate, blocked, log
from tests.payloads import CLUSTER, COMMUNITY

NOT_RUNNING = "The program may not be running."

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monitoring_settings(settings):
    settings.MONITORING_INTERVALS = dict.fromkeys(settings.MONITORING_JOB_TYPES, 60)
    settings.THREAD_BLOCKING_LIMIT_MSEC = 300_000
    settings.APIS_TIME_ZONE = "Asia/Tokyo"
    settings.LOG_CLOCK_SKEW_SEC = 120


def all_alive(units=UNITS, now: datetime = NOW) -> None:
    """Every program healthy: uri lines per unit, ccc reporting, a grid master answering."""
    for unit in units:
        log("apis-main", unit, f"uri : /get/unit/{unit}", now=now)
    log("apis-ccc", None, "reporting unit data ...", now=now)
    log("apis-main", "E001", "gridMasterUnitId : E001", now=now)


def open_failures(job_type: str) -> list[tuple[str | None, str | None, str | None]]:
    rows = Failure.objects.filter(type=job_type, closed__isnull=True).order_by("unit_id")
    return [(f.program_id, f.unit_id, f.description) for f in rows]


def test_apis_main_alive_needs_an_exact_uri_line_from_each_unit(demo_registry):
    activate("apis_main_alive")
    log("apis-main", "E001", "uri : /get/unit/E001")
    log("apis-main", "E002", "uri: /get/unit/E002")
    log("apis-main", "E003", "URI : /get/unit/E003")
    log("apis-main", "E004", "uri : /get/unit/E004", level="WARNING")
    log("apis-ccc", "E004", "uri : /get/unit/E004")
    run_check("apis_main_alive", NOW)
    assert open_failures("apis_main_alive") == [
        ("apis-main", unit, NOT_RUNNING) for unit in ("E002", "E003", "E004")
    ]


def test_lines_older_than_the_interval_do_not_count(demo_registry):
    activate("apis_main_alive")
    all_alive()
    log("apis-main", "E004", "uri : /get/unit/E004", ago=61)
    ApisLog.objects.filter(unit_id="E004", datetime__gte=NOW - timedelta(seconds=60)).delete()
    run_check("apis_main_alive", NOW)
    assert open_failures("apis_main_alive") == [("apis-main", "E004", NOT_RUNNING)]


@pytest.mark.parametrize(("ms", "failing"), [(300_001, ["E002"]), (300_000, []), (2_860, [])])
def test_a_thread_blocked_beyond_the_limit_makes_the_unit_fail(demo_registry, ms, failing):
    activate("apis_main_alive")
    all_alive()
    log("apis-main", "E002", blocked(ms), level="WARNING", logger=BLOCKED_LOGGER)
    log("apis-main", "E003", blocked(999_999), level="WARNING", logger="some.other.Logger")
    run_check("apis_main_alive", NOW)
    assert [unit for _, unit, _ in open_failures("apis_main_alive")] == failing


@pytest.mark.parametrize(
    ("number", "failing"),
    [("9" * 5000, ["E002"]), ("1" + "0" * 18, ["E002"]), ("0" * 5000 + "2860", []), ("0" * 30, [])],
    ids=["5000 digits", "19 digits", "2860 after 5000 zeros", "30 zeros"],
)
def test_a_blocked_thread_number_of_any_length_is_compared_without_error(demo_registry, number, failing):
    activate("apis_main_alive")
    all_alive()
    log("apis-main", "E002", blocked(number), level="WARNING", logger=BLOCKED_LOGGER)
    log(
        "apis-main",
        "E003",
        blocked("2" + "0" * 4999) + " " + blocked(1),
        level="WARNING",
        logger=BLOCKED_LOGGER,
    )
    run_check("apis_main_alive", NOW)
    assert [unit for _, unit, _ in open_failures("apis_main_alive")] == [*failing, "E003"]


@pytest.mark.parametrize(
    ("ahead", "alive"),
    [(60, True), (120, True), (121, False), (86_400, False), (100 * 365 * 86_400, False)],
)
def test_a_line_dated_in_the_future_keeps_a_unit_alive_only_within_the_clock_skew(
    demo_registry, ahead, alive
):
    activate("apis_main_alive", "grid_master_alive")
    all_alive(units=UNITS[:3])
    log("apis-main", "E004", "uri : /get/unit/E004", ago=-ahead)
    ApisLog.objects.filter(message__startswith="gridMasterUnitId").update(
        datetime=NOW + timedelta(seconds=ahead)
    )
    run_check("apis_main_alive", NOW)
    run_check("grid_master_alive", NOW)
    assert [unit for _, unit, _ in open_failures("apis_main_alive")] == ([] if alive else ["E004"])
    assert len(open_failures("grid_master_alive")) == (0 if alive else 1)


def test_severe_lines_dated_in_the_future_neither_raise_nor_keep_a_job_failing(demo_registry):
    activate("apis_main_severe")
    log("apis-main", "E001", "a day ahead", "SEVERE", ago=-86_400)
    log("apis-main", "E002", "stored before the clock-skew window existed", "SEVERE")
    ApisLog.objects.filter(unit_id="E002").update(datetime=datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    log("apis-main", "E003", "a minute ahead", "SEVERE", ago=-60)
    run_check("apis_main_severe", NOW)
    assert [unit for _, unit, _ in open_failures("apis_main_severe")] == ["E003"]


def test_apis_ccc_alive_is_per_cluster_and_checks_blocked_threads(demo_registry):
    activate("apis_ccc_alive")
    log("apis-ccc", None, "reporting unit data: 4 units")
    run_check("apis_ccc_alive", NOW)
    assert open_failures("apis_ccc_alive") == []
    log("apis-ccc", None, blocked(400_000), level="WARNING", logger=BLOCKED_LOGGER)
    run_check("apis_ccc_alive", NOW)
    assert open_failures("apis_ccc_alive") == [("apis-ccc", None, NOT_RUNNING)]


def test_apis_ccc_alive_fails_without_its_reporting_line(demo_registry):
    activate("apis_ccc_alive")
    log("apis-ccc", None, "Reporting unit data")
    log("apis-main", "E001", "reporting unit data")
    run_check("apis_ccc_alive", NOW)
    assert open_failures("apis_ccc_alive") == [("apis-ccc", None, NOT_RUNNING)]


@pytest.mark.parametrize(
    ("program", "message", "failing"),
    [
        ("apis-main", "gridMasterUnitId : E003", False),
        ("apis-main", "gridMasterUnitId: E003", True),
        ("apis-main", "locked; gridMasterUnitId : E003", True),
        ("apis-ccc", "gridMasterUnitId : E003", True),
    ],
)
def test_grid_master_alive_needs_the_exact_line_from_apis_main(demo_registry, program, message, failing):
    activate("grid_master_alive")
    log(program, "E003", message)
    run_check("grid_master_alive", NOW)
    expected = [(None, None, "The GridMaster service may not be running.")] if failing else []
    assert open_failures("grid_master_alive") == expected


def test_apis_main_severe_lists_the_lines_in_local_time_with_decorations(demo_registry):
    activate("apis_main_severe")
    log(
        "apis-main",
        "E001",
        "(HARDWARE:LOCAL:ERROR:E001) dcdc failed [a.b.C.m(C.java:10)]",
        "SEVERE",
        ago=30.5,
    )
    log("apis-main", "E001", "member left [x]", "SEVERE", logger="com.hazelcast.cluster.Impl", ago=40)
    log(
        "apis-main",
        "E001",
        "blocked\nio.vertx.core.VertxException [y]",
        "SEVERE",
        logger="io.vertx.core.X",
        ago=20,
    )
    log("apis-main", "E002", "only a warning [z]", "WARNING")
    run_check("apis_main_severe", NOW)
    assert open_failures("apis_main_severe") == [
        (
            "apis-main",
            "E001",
            "There seems to be a problem.\n"
            "\n"
            "[2026-03-01 11:59:20+09:00] Clustering Manager failure ; member left\n"
            "[2026-03-01 11:59:29.500000+09:00] (HARDWARE:LOCAL:ERROR:E001) dcdc failed\n"
            "[2026-03-01 11:59:40+09:00] Vert.x failure ; blocked\nio.vertx.core.VertxException [y]",
        )
    ]


def test_apis_ccc_severe_ignores_the_grid_master_polling_noise(demo_registry):
    activate("apis_ccc_severe")
    log("apis-ccc", None, "TIMEOUT (30000) Timed out on apis.GridMaster.data.all", "SEVERE")
    log("apis-ccc", None, "NO_HANDLERS No handlers for address apis.GridMaster.data.all", "SEVERE")
    run_check("apis_ccc_severe", NOW)
    assert open_failures("apis_ccc_severe") == []
    log("apis-ccc", None, "Communication failed [kept]", "SEVERE", ago=5)
    run_check("apis_ccc_severe", NOW)
    assert open_failures("apis_ccc_severe") == [
        (
            "apis-ccc",
            None,
            "There seems to be a problem.\n\n[2026-03-01 11:59:55+09:00] Communication failed [kept]",
        )
    ]


def test_apis_log_severe_opens_a_cluster_failure(demo_registry):
    activate("apis_log_severe")
    log("apis-log", None, "Communication failed with MongoDB ; boom", "SEVERE")
    log("apis-main", "E001", "not apis-log", "SEVERE")
    run_check("apis_log_severe", NOW)
    assert open_failures("apis_log_severe") == [
        (
            "apis-log",
            None,
            "There seems to be a problem.\n\n[2026-03-01 11:59:50+09:00] Communication failed with "
            "MongoDB ; boom",
        )
    ]


def test_a_null_message_does_not_crash_the_description():
    moment = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    line = severe_line("apis_main_severe", moment, "com.hazelcast.X", None)
    assert line == "[2026-03-01 12:00:00+09:00] Clustering Manager failure ; "


def test_nothing_is_watched_without_an_active_job_setting(demo_registry):
    JobSetting.objects.create(
        community_id=COMMUNITY, cluster_id=CLUSTER, type="apis_main_alive", is_active=False
    )
    JobSetting.objects.create(community_id=COMMUNITY, cluster_id="other", type="apis_ccc_alive")
    for job_type in ("apis_main_alive", "apis_ccc_alive", "grid_master_alive"):
        run_check(job_type, NOW)
    assert not Failure.objects.exists()


def test_a_failure_opens_once_stays_single_while_ng_and_closes_when_ok(demo_registry):
    activate("apis_main_severe")
    log("apis-main", "E001", "first error", "SEVERE")
    run_check("apis_main_severe", NOW)
    later = NOW + timedelta(seconds=60)
    log("apis-main", "E001", "second error", "SEVERE", now=later)
    run_check("apis_main_severe", later)
    failure = Failure.objects.get()
    assert failure.closed is None
    assert failure.description.endswith("] first error")
    run_check("apis_main_severe", later + timedelta(seconds=60))
    failure.refresh_from_db()
    assert (failure.closed, failure.close_reason) == (later + timedelta(seconds=60), None)
    events = Notification.objects.filter(failure=failure).order_by("pk").values_list("event", flat=True)
    assert list(events) == ["detected", "closed"]
    run_check("apis_main_severe", later + timedelta(seconds=120))
    assert Notification.objects.count() == 2


def test_deactivated_jobs_and_unavailable_units_get_their_failures_closed_with_a_reason(demo_registry):
    activate("apis_main_alive", "apis_ccc_alive")
    run_check("apis_main_alive", NOW)
    run_check("apis_ccc_alive", NOW)
    assert Failure.objects.filter(closed__isnull=True).count() == 5
    Unit.objects.filter(code="E004").update(available_to=NOW)
    JobSetting.objects.filter(type="apis_ccc_alive").update(is_active=False)
    later = NOW + timedelta(seconds=60)
    run_check("apis_main_alive", later)
    run_check("apis_ccc_alive", later)
    closed = Failure.objects.filter(closed=later).values_list("type", "unit_id", "close_reason")
    assert sorted(closed, key=str) == [
        ("apis_ccc_alive", None, "job deactivated"),
        ("apis_main_alive", "E004", "unit not available"),
    ]
    assert Failure.objects.filter(closed__isnull=True).count() == 3


def test_the_query_count_of_a_pass_does_not_grow_with_units_or_clusters(demo_registry):
    def queries_per_pass(job_type: str) -> int:
        with CaptureQueriesContext(connection) as context:
            run_check(job_type, NOW)
        return len(context.captured_queries)

    types = ("apis_main_alive", "apis_ccc_alive", "grid_master_alive", "apis_main_severe")
    activate(*types)
    all_alive()
    small = [queries_per_pass(job_type) for job_type in types]
    community = Cluster.objects.get(code=CLUSTER).community
    for number in range(5):
        cluster = Cluster.objects.create(community=community, code=f"k{number}", name=f"k{number}")
        units = [f"U{number}{index}" for index in range(6)]
        Unit.objects.bulk_create([Unit(cluster=cluster, code=code, name=code) for code in units])
        activate(*types, cluster=cluster.code)
        for unit in units:
            log("apis-main", unit, f"uri : /get/unit/{unit}", cluster=cluster.code)
        log("apis-ccc", None, "reporting unit data", cluster=cluster.code)
        log("apis-main", units[0], "gridMasterUnitId : x", cluster=cluster.code)
    assert [queries_per_pass(job_type) for job_type in types] == small
    assert not Failure.objects.exists()


# ---- the edges of each rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "logger", "message"),
    [
        ("INFO", BLOCKED_LOGGER, blocked(999_999)),
        ("SEVERE", BLOCKED_LOGGER, blocked(999_999)),
        ("WARNING", BLOCKED_LOGGER, "Thread Thread[vert.x-eventloop-thread-0,5,main] is slow"),
    ],
    ids=["info", "severe", "no duration"],
)
def test_only_a_blocked_thread_warning_with_a_duration_over_the_limit_fails_a_unit(
    demo_registry, level, logger, message
):
    activate("apis_main_alive")
    all_alive()
    log("apis-main", "E002", message, level=level, logger=logger)
    run_check("apis_main_alive", NOW)
    assert open_failures("apis_main_alive") == []


def test_a_blocked_duration_of_as_many_digits_as_the_limit_is_compared_by_value(demo_registry, settings):
    settings.THREAD_BLOCKING_LIMIT_MSEC = 10**18 - 1
    activate("apis_main_alive")
    all_alive()
    log("apis-main", "E002", blocked(10**17), level="WARNING", logger=BLOCKED_LOGGER)
    log("apis-main", "E003", blocked(10**18), level="WARNING", logger=BLOCKED_LOGGER)
    run_check("apis_main_alive", NOW)
    assert [unit for _, unit, _ in open_failures("apis_main_alive")] == ["E003"]


def test_a_blocked_thread_does_not_fail_the_grid_master_check(demo_registry):
    activate("grid_master_alive")
    log("apis-main", "E001", "gridMasterUnitId : E001")
    log("apis-main", "E001", blocked(999_999), level="WARNING", logger=BLOCKED_LOGGER)
    run_check("grid_master_alive", NOW)
    assert open_failures("grid_master_alive") == []


def test_a_unit_available_at_the_checked_moment_is_watched_whatever_the_wall_clock(demo_registry):
    Unit.objects.filter(code="E004").update(
        available_from=NOW - timedelta(days=1), available_to=NOW + timedelta(days=1)
    )
    activate("apis_main_alive")
    all_alive(units=UNITS[:3])
    run_check("apis_main_alive", NOW)
    assert open_failures("apis_main_alive") == [("apis-main", "E004", NOT_RUNNING)]


def test_a_severe_line_of_an_unwatched_cluster_does_not_hide_the_later_lines_of_a_watched_one(demo_registry):
    activate("apis_main_severe")
    log("apis-main", "E001", "elsewhere", level="SEVERE", cluster="unwatched_cluster", ago=30)
    log("apis-main", "E001", "here", level="SEVERE", ago=20)
    run_check("apis_main_severe", NOW)
    assert open_failures("apis_main_severe") == [
        ("apis-main", "E001", "There seems to be a problem.\n\n[2026-03-01 11:59:40+09:00] here")
    ]


def test_a_ccc_severe_line_naming_a_unit_still_fails_the_clusters_ccc(demo_registry):
    activate("apis_ccc_severe")
    log("apis-ccc", "E002", "cannot post", level="SEVERE")
    run_check("apis_ccc_severe", NOW)
    assert [(program, unit) for program, unit, _ in open_failures("apis_ccc_severe")] == [("apis-ccc", None)]


def test_only_the_last_bracketed_stack_element_is_stripped_from_an_apis_main_line():
    line = severe_line("apis_main_severe", NOW, "a.b.C", "failed [kept] at x [a.b.C.m(C.java:10)]")
    assert line == "[2026-03-01 12:00:00+09:00] failed [kept] at x"


def test_severe_lines_are_dated_in_apis_time_zone_not_the_servers(settings):
    settings.APIS_TIME_ZONE = "Europe/Paris"
    assert severe_line("apis_log_severe", NOW, None, "m") == "[2026-03-01 04:00:00+01:00] m"
