"""Fast in-database generation of large unit-data and deal tables (one INSERT … SELECT per chunk).

Row counters come from small recursive CTEs cross-joined (the same SQL on SQLite and PostgreSQL); only the
JSON and timestamp functions differ per vendor. Every row carries a small constant-shaped document with the
keys the API reads (``oesunit``, ``time``, ``datasetId``, …).
"""

from django.db import connection, transaction

COMMUNITY = "bench"
UNITS = 4
STEP_MS = 30_000

VENDOR = {
    "postgresql": {
        "obj": "jsonb_build_object",
        "ts": "to_timestamp({ms} / 1000.0)",
        "iso": "to_char(to_timestamp({ms} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    },
    "sqlite": {
        "obj": "json_object",
        "ts": "datetime({ms} / 1000, 'unixepoch')",
        "iso": "strftime('%Y-%m-%dT%H:%M:%SZ', {ms} / 1000, 'unixepoch')",
    },
}


def _counter(name: str, first: int, last: int) -> str:
    return f"{name}(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM {name} WHERE n < {last})"


def _table(model_path: str) -> str:
    from django.apps import apps

    return connection.ops.quote_name(apps.get_model(model_path)._meta.db_table)


def _sql(template: str, **values: object) -> str:
    vendor = VENDOR[connection.vendor]
    return template.format(obj=vendor["obj"], **values)


def cluster_id(index: int) -> str:
    """The clusterId of generated cluster ``index`` (``c0``, ``c1``, …)."""
    return f"c{index}"


UNIT_DATA = """
INSERT INTO {table} (community_id, cluster_id, unit_id, dataset_id, time, effective_mode, data)
WITH RECURSIVE {cycles}, {clusters}, {units}
SELECT '{community}', 'c' || CAST(c.n AS TEXT), 'E' || CAST(u.n AS TEXT), {ms}, {ts}, 'autonomous',
  {obj}('time', {iso}, 'datasetId', {ms},
        'oesunit', {obj}('communityId', '{community}', 'clusterId', 'c' || CAST(c.n AS TEXT),
                         'id', 'E' || CAST(u.n AS TEXT), 'display', 'E' || CAST(u.n AS TEXT)),
        'emu', {obj}('rsoc', 50.5, 'pvc_charge_power', 812.0, 'ups_output_power', 420.0),
        'dcdc', {obj}('meter', {obj}('vg', 350.2, 'wg', 0.0, 'ig', 0.0)),
        'apis', {obj}('operation_mode', {obj}('effective', 'autonomous')))
FROM k CROSS JOIN c CROSS JOIN u
"""

REPORTED_UNITS = """
INSERT INTO {table} (community_id, cluster_id, unit_id, last_dataset_id, last_time)
WITH RECURSIVE {clusters}, {units}
SELECT '{community}', 'c' || CAST(c.n AS TEXT), 'E' || CAST(u.n AS TEXT), {ms}, {ts}
FROM c CROSS JOIN u WHERE true
ON CONFLICT (community_id, cluster_id, unit_id)
DO UPDATE SET last_dataset_id = excluded.last_dataset_id, last_time = excluded.last_time
"""

DEALS = """
INSERT INTO {table} (community_id, cluster_id, deal_id, create_datetime, deactivate_datetime, report_time,
                     discharge_unit_id, charge_unit_id, cumulate_amount_wh, data)
WITH RECURSIVE {high}, {low}
SELECT '{community}', '{cluster}', '{cluster}-' || CAST({first} + {n} AS TEXT), {ts}, {end_ts},
  {ms} / 1000 + 600, 'E0', 'E1', {wh},
  {obj}('dealId', '{cluster}-' || CAST({first} + {n} AS TEXT), 'communityId', '{community}',
        'clusterId', '{cluster}',
        'type', 'discharge', 'dischargeUnitId', 'E0', 'chargeUnitId', 'E1', 'createDateTime', {iso},
        'deactivateDateTime', {end_iso}, 'cumulateAmountWh', {wh}, 'reportTime', {ms} / 1000 + 600)
FROM h CROSS JOIN l WHERE {n} < {count}
"""


def _run(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def insert_unit_data(clusters: range, cycles: range, first_ms: int) -> int:
    """Insert ``UNITS`` units × ``clusters`` × ``cycles`` rows (cycle ``k`` at ``first_ms + k·30 s``)."""
    vendor = VENDOR[connection.vendor]
    ms = f"({first_ms} + CAST(k.n AS BIGINT) * {STEP_MS})"
    _run(
        _sql(
            UNIT_DATA,
            table=_table("unit_data.UnitData"),
            cycles=_counter("k", cycles.start, cycles.stop - 1),
            clusters=_counter("c", clusters.start, clusters.stop - 1),
            units=_counter("u", 0, UNITS - 1),
            community=COMMUNITY,
            ms=ms,
            ts=vendor["ts"].format(ms=ms),
            iso=vendor["iso"].format(ms=ms),
        )
    )
    return len(clusters) * len(cycles) * UNITS


def remember_units(clusters: range, last_ms: int) -> None:
    """Record in ``ReportedUnit`` that every unit of ``clusters`` last reported at ``last_ms``."""
    vendor = VENDOR[connection.vendor]
    _run(
        _sql(
            REPORTED_UNITS,
            table=_table("unit_data.ReportedUnit"),
            clusters=_counter("c", clusters.start, clusters.stop - 1),
            units=_counter("u", 0, UNITS - 1),
            community=COMMUNITY,
            ms=last_ms,
            ts=vendor["ts"].format(ms=last_ms),
        )
    )


def insert_deals(cluster: str, count: int, first_ms: int, spacing_ms: int, first: int = 0) -> int:
    """Insert ``count`` finished deals of ``cluster`` (ids ``<cluster>-<first>``, …), created every
    ``spacing_ms`` (whole seconds) from ``first_ms``."""
    vendor = VENDOR[connection.vendor]
    side = 1
    while side * side < count:
        side *= 2
    n = f"(h.n * {side} + l.n)"
    ms = f"({first_ms} + CAST({n} AS BIGINT) * {spacing_ms})"
    end_ms = f"({ms} + 600000)"
    _run(
        _sql(
            DEALS,
            table=_table("deal.Deal"),
            high=_counter("h", 0, side - 1),
            low=_counter("l", 0, side - 1),
            community=COMMUNITY,
            cluster=cluster,
            first=first,
            n=n,
            count=count,
            ms=ms,
            ts=vendor["ts"].format(ms=ms),
            end_ts=vendor["ts"].format(ms=end_ms),
            iso=vendor["iso"].format(ms=ms),
            end_iso=vendor["iso"].format(ms=end_ms),
            wh=f"(({n} % 1000) / 10.0)",
        )
    )
    return count


def analyze() -> None:
    """Refresh the planner statistics after a load."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")
        else:
            cursor.execute("ANALYZE")
