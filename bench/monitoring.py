"""Monitoring speed: one pass of the six job types over 1,000 clusters × 10 units with one minute of logs
(12 lines per unit, generated inside the database), in seconds and SQL queries; the same at 100 clusters
shows that the query count does not grow with the number of clusters and units."""

import time
from datetime import UTC, datetime

from django_env import setup_django, standalone

COMMUNITY = "bench-monitoring"
UNITS_PER_CLUSTER = 10
LINES_PER_UNIT = 12
STEPS = (100, 1_000)
QUICK_STEPS = (10, 100)

# One statement for SQLite and PostgreSQL: n = unit * 12 + line. Lines 0–9 are apis-main `uri : ` lines;
# line 10 is the grid master's line on the first unit of a cluster; line 11 is the ccc's reporting line on
# the second unit, a short blocked-thread warning on the third and a SEVERE line on every 1,000th unit.
INSERT = """
INSERT INTO {table} (community_id, cluster_id, program_id, unit_id, thread, datetime, loglevel, loggername,
                     message, address)
WITH RECURSIVE counter(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM counter WHERE n < {last}),
lines(n, u, line) AS (SELECT n, n / 12, n % 12 FROM counter)
SELECT '{community}',
       'k' || CAST(u / 10 AS TEXT),
       CASE WHEN line = 11 AND u % 10 = 1 THEN 'apis-ccc' ELSE 'apis-main' END,
       CASE WHEN line = 11 AND u % 10 = 1 THEN NULL ELSE 'B' || CAST(u AS TEXT) END,
       'vert.x-eventloop-thread-0',
       {time},
       CASE WHEN line = 11 AND u % 1000 = 5 THEN 'SEVERE'
            WHEN line = 11 AND u % 10 = 2 THEN 'WARNING' ELSE 'INFO' END,
       CASE WHEN line = 11 AND u % 10 = 2 THEN 'io.vertx.core.impl.BlockedThreadChecker'
            ELSE 'jp.co.sony.csl.dcoes.apis.main.Bench' END,
       CASE WHEN line < 10 THEN 'uri : /get/unit/B' || CAST(u AS TEXT)
            WHEN line = 10 AND u % 10 = 0 THEN 'gridMasterUnitId : B' || CAST(u AS TEXT)
            WHEN line = 10 THEN 'deal cumulated : 10.0 / 50'
            WHEN u % 10 = 1 THEN 'reporting unit data'
            WHEN u % 1000 = 5 THEN '(HARDWARE:LOCAL:ERROR:B5) dcdc failed [a.b.C.m(C.java:1)]'
            WHEN u % 10 = 2 THEN 'Thread Thread[vert.x-eventloop-thread-0,5,main] has been blocked for '
                                 || '2860 ms, time limit is 2000 ms'
            ELSE 'deal goes on ...' END,
       '127.0.0.1:8888'
FROM lines ORDER BY n
"""
SECONDS_AGO = "(line * 5 + 1)"
TIME = {
    "postgresql": "TIMESTAMPTZ '{base}' - {seconds} * INTERVAL '1 second'",
    "sqlite": "datetime('{base}', '-' || {seconds} || ' seconds')",
}


def _base(now: datetime, vendor: str) -> str:
    """``now`` as a literal: with an offset for PostgreSQL, naive UTC as Django stores it in SQLite."""
    return now.strftime("%Y-%m-%d %H:%M:%S" if vendor == "sqlite" else "%Y-%m-%d %H:%M:%S+00:00")


def _add_clusters(first: int, last: int, now: datetime) -> float:
    """Register clusters ``first``..``last - 1`` with their units, job settings and one minute of logs;
    returns the seconds spent inserting the logs."""
    from django.conf import settings
    from django.db import connection, transaction

    from apis.apis_log.models import ApisLog
    from apis.community.models import Cluster, Community, Unit
    from apis.monitoring.models import JobSetting

    community, _ = Community.objects.get_or_create(code=COMMUNITY, defaults={"name": COMMUNITY})
    clusters = Cluster.objects.bulk_create(
        [Cluster(community=community, code=f"k{k}", name=f"k{k}") for k in range(first, last)]
    )
    Unit.objects.bulk_create(
        [
            Unit(cluster=cluster, code=f"B{k * UNITS_PER_CLUSTER + u}", name=f"B{k * UNITS_PER_CLUSTER + u}")
            for k, cluster in zip(range(first, last), clusters, strict=True)
            for u in range(UNITS_PER_CLUSTER)
        ],
        batch_size=2_000,
    )
    JobSetting.objects.bulk_create(
        [
            JobSetting(community_id=COMMUNITY, cluster_id=f"k{k}", type=job_type)
            for k in range(first, last)
            for job_type in settings.MONITORING_JOB_TYPES
        ],
        batch_size=2_000,
    )
    lines = UNITS_PER_CLUSTER * LINES_PER_UNIT
    sql = INSERT.format(
        table=connection.ops.quote_name(ApisLog._meta.db_table),
        community=COMMUNITY,
        first=first * lines,
        last=last * lines - 1,
        time=TIME[connection.vendor].format(
            base=now.strftime("%Y-%m-%d %H:%M:%S+00:00"), seconds=SECONDS_AGO
        ),
    )
    if connection.vendor == "sqlite":
        sql = sql.replace("+00:00'", "'")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return seconds


def _pass(now: datetime) -> tuple[float, int, int]:
    """One pass of every job type; (seconds, SQL queries, failures opened or closed)."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apis.monitoring.checks import JOB_TYPES, evaluate
    from apis.monitoring.lifecycle import apply

    transitions = 0
    with CaptureQueriesContext(connection) as context:
        start = time.perf_counter()
        for job_type in settings.MONITORING_JOB_TYPES:
            opened, closed = apply(job_type, evaluate(JOB_TYPES[job_type], now), now)
            transitions += opened + closed
        seconds = time.perf_counter() - start
    return seconds, len(context.captured_queries), transitions


def _delete_bench_rows() -> None:
    from apis.apis_log.models import ApisLog
    from apis.community.models import Cluster, Community, Unit
    from apis.monitoring.models import Failure, JobSetting

    ApisLog.objects.filter(community_id=COMMUNITY).delete()
    Failure.objects.filter(community_id=COMMUNITY).delete()
    JobSetting.objects.filter(community_id=COMMUNITY).delete()
    Unit.objects.filter(cluster__community__code=COMMUNITY).delete()
    Cluster.objects.filter(community__code=COMMUNITY).delete()
    Community.objects.filter(code=COMMUNITY).delete()


def run_benchmark(database_url: str, quick: bool = False) -> str:
    """Measure and return a markdown section."""
    setup_django(database_url)
    from django.db import connection

    _delete_bench_rows()
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        "| database | clusters | units | log lines | pass | seconds | SQL queries | failures opened/closed |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    insert_seconds = 0.0
    done = 0
    try:
        for clusters in QUICK_STEPS if quick else STEPS:
            insert_seconds += _add_clusters(done, clusters, now)
            done = clusters
            units = clusters * UNITS_PER_CLUSTER
            for label in ("first (opens failures)", "steady"):
                seconds, queries, transitions = _pass(now)
                lines = units * LINES_PER_UNIT
                rows.append(
                    f"| {connection.vendor} | {clusters:,} | {units:,} | {lines:,} | {label} "
                    f"| {seconds:,.2f} | {queries} | {transitions} |"
                )
    finally:
        _delete_bench_rows()
    return "\n".join(
        [
            *rows,
            "",
            "One pass = the six job types, each evaluated for every active cluster with a constant number of "
            "queries (job settings, available units, one query over the log window, open failures) plus a "
            "few statements (savepoint, inserts or a conditional update) per failure opened or closed. "
            "Logs: 10 `uri : ` lines and 2 other lines per unit within the minute, a grid master and a ccc "
            "line per cluster, a SEVERE line on every 1,000th "
            f"unit (inserted in one statement per step, {insert_seconds:,.1f} s in total).",
        ]
    )


if __name__ == "__main__":
    standalone(run_benchmark, __doc__)
