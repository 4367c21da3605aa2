"""Downtime extraction speed: one million new unit-data rows, inserted in bulk inside the database
(1,000 units reporting every 30 s for 1,000 cycles, with mode changes and gaps), then extracted by passes
until caught up. Then the same units are registered with as many that never report, and the passes with
nothing new are timed: the first one opens every unit's downtimes for silence, for never reporting and for
the time before its first record; the next one finds nothing to change."""

import time

from django_env import setup_django, standalone

COMMUNITY = "bench-downtime"
UNITS = 1_000
CYCLES = 1_000
QUICK_CYCLES = 20

# One statement for SQLite and PostgreSQL: a recursive counter n = cycle * UNITS + unit; 100 clusters of 10
# units; every 97th (cycle, unit) pair is heteronomous for 3 cycles; units 0, 50, … jump 10 min at cycle 500.
INSERT = """
INSERT INTO {table} (community_id, cluster_id, unit_id, dataset_id, time, effective_mode, data)
WITH RECURSIVE counter(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM counter WHERE n < {last})
SELECT '{community}',
       'k' || CAST((n % {units}) / 10 AS TEXT),
       'B' || CAST(n % {units} AS TEXT),
       {epoch_ms} + (n / {units}) * 30000,
       {time},
       CASE WHEN ((n / {units}) + (n % {units})) % 97 < 3 THEN 'heteronomous' ELSE 'autonomous' END,
       '{{}}'
FROM counter ORDER BY n
"""
SECONDS = "((n / {units}) * 30 + CASE WHEN n / {units} >= 500 AND n % 50 = 0 THEN 600 ELSE 0 END)"
TIME = {
    "postgresql": "TIMESTAMPTZ '2026-01-01 00:00:00+00' + {seconds} * INTERVAL '1 second'",
    "sqlite": "datetime('2026-01-01 00:00:00', '+' || {seconds} || ' seconds')",
}
EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _insert_unit_data(cycles: int) -> float:
    """Insert UNITS × ``cycles`` rows with one statement; returns its duration in seconds."""
    from django.db import connection, transaction

    from apis.unit_data.models import UnitData

    seconds = SECONDS.format(units=UNITS)
    sql = INSERT.format(
        table=connection.ops.quote_name(UnitData._meta.db_table),
        community=COMMUNITY,
        last=UNITS * cycles - 1,
        units=UNITS,
        epoch_ms=EPOCH_MS,
        time=TIME[connection.vendor].format(seconds=seconds),
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return time.perf_counter() - start


def _delete_bench_rows() -> None:
    from apis.community.models import Cluster, Community, Unit
    from apis.downtime.models import Downtime, DowntimeStatus
    from apis.unit_data.models import ReportedUnit, UnitData

    for model in (UnitData, ReportedUnit, Downtime, DowntimeStatus):
        model.objects.filter(community_id=COMMUNITY).delete()
    Unit.objects.filter(cluster__community__code=COMMUNITY).delete()
    Cluster.objects.filter(community__code=COMMUNITY).delete()
    Community.objects.filter(code=COMMUNITY).delete()


def _register_units(cycles: int) -> int:
    """Register the reporting units (clusters k0…k99, with their newest cycle, as ingestion records it) and
    as many that never report (cluster "silent"); returns the number of units registered."""
    from apis.community.models import Cluster, Community, Unit
    from apis.unit_data.models import ReportedUnit

    community = Community.objects.create(code=COMMUNITY, name=COMMUNITY)
    clusters = Cluster.objects.bulk_create(
        Cluster(community=community, code=f"k{n}", name=f"k{n}") for n in range(UNITS // 10)
    )
    silent = Cluster.objects.create(community=community, code="silent", name="silent")
    units = [Unit(cluster=clusters[n // 10], code=f"B{n}", name=f"B{n}") for n in range(UNITS)]
    units += [Unit(cluster=silent, code=f"N{n}", name=f"N{n}") for n in range(UNITS)]
    newest = EPOCH_MS + (cycles - 1) * 30_000
    ReportedUnit.objects.bulk_create(
        ReportedUnit(
            community_id=COMMUNITY, cluster_id=f"k{n // 10}", unit_id=f"B{n}", last_dataset_id=newest
        )
        for n in range(UNITS)
    )
    return len(Unit.objects.bulk_create(units))


def _pass_with_nothing_new() -> tuple[float, int]:
    """(seconds, queries) of one extraction pass that finds no new unit data."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apis.downtime.extract import extract_pass

    start = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        extract_pass()
    return time.perf_counter() - start, len(captured)


def _extract_all() -> tuple[int, int]:
    """Run passes until one finds nothing new; returns (rows, passes that processed rows)."""
    from apis.downtime.extract import extract_pass

    rows = passes = 0
    while processed := extract_pass():
        rows += processed
        passes += 1
    return rows, passes


def run_benchmark(database_url: str, quick: bool = False) -> str:
    """Measure and return a markdown section."""
    setup_django(database_url)
    from django.db import connection

    from apis.downtime.extract import CHUNK_ROWS, MAX_ROWS_PER_PASS
    from apis.downtime.models import Downtime

    _delete_bench_rows()
    _extract_all()  # rows stored before the benchmark are not part of it
    cycles = QUICK_CYCLES if quick else CYCLES
    insert_seconds = _insert_unit_data(cycles)
    start = time.perf_counter()
    rows, passes = _extract_all()
    seconds = time.perf_counter() - start
    downtimes = Downtime.objects.filter(community_id=COMMUNITY).count()
    registered = _register_units(cycles)
    first, first_queries = _pass_with_nothing_new()
    opened = Downtime.objects.filter(community_id=COMMUNITY).count() - downtimes
    steady, steady_queries = _pass_with_nothing_new()
    _delete_bench_rows()
    return "\n".join(
        [
            "| database | new unit-data rows | passes | downtimes found | seconds | rows/s |",
            "|---|---:|---:|---:|---:|---:|",
            f"| {connection.vendor} | {rows:,} | {passes} | {downtimes:,} | {seconds:,.1f} "
            f"| {rows / seconds:,.0f} |",
            "",
            f"{UNITS:,} units × {cycles:,} cycles inserted in one statement inside the database "
            f"({insert_seconds:,.1f} s); passes of at most {MAX_ROWS_PER_PASS:,} rows in transactions of "
            f"{CHUNK_ROWS:,} rows.",
            "",
            f"Then {registered:,} units registered ({UNITS:,} of them never reporting): the first pass with "
            f"nothing new opens {opened:,} downtimes (silences, never-reporting units, the time before the "
            f"first records) in {first:.2f} s and {first_queries} queries; the next one changes nothing, in "
            f"{steady:.2f} s and {steady_queries} queries.",
        ]
    )


if __name__ == "__main__":
    standalone(run_benchmark, __doc__)
