"""The disk forecast behind ``apis manage storage_report``: per table of the project's models, its rows, its
bytes on disk (indexes included), the bytes per record, and what it holds one year from now with the
current number of units (or another) and the retention settings.

How each table is projected is the small table of data :data:`RULES` (every table not named there stays as
it is):

- ``raw`` (the unit data): units × records per unit per day × the days kept, ``min(365,
  APIS_RETENTION_RAW_DAYS)`` (0: kept for ever, so 365). The rate is measured from the rows' ``time`` alone:
  the rows of the last :data:`RATE_WINDOW` before the newest ``time``, divided by the units that reported in
  that window (``ReportedUnit.last_time``) and by the days the window's rows actually cover.
- ``rollup`` (one table, three resolutions): units × buckets per day (288, 24, 1) × the days each
  resolution is kept (``APIS_RETENTION_5MIN_DAYS``, ``_HOURLY_``, ``_DAILY_``, as
  :mod:`apis.rollup.retention` reads them).
- ``growth`` (deals, log records, quarantined ingest items): the rows per day over the span of the table's
  time column, over that span plus a year, capped by the table's retention when it has one.
- ``unchanged``: the current rows and bytes.

Bytes are measured with SQLite's ``dbstat`` virtual table (each table's pages and its indexes' pages) or
PostgreSQL's ``pg_total_relation_size`` (table, indexes and TOAST); on a database where neither is available
they are unknown (``None``) and said so in a note, never guessed.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, models
from django.db.models import Count, Max, Min

from apis.rollup.models import Resolution, UnitRollup
from apis.rollup.retention import RETAINED
from apis.unit_data.models import ReportedUnit, UnitData

YEAR_DAYS = 365
DAY_SEC = 86400
# The raw rate is measured over the rows of this period before the newest ``time``.
RATE_WINDOW = timedelta(days=7)
# Stated defaults where nothing can be measured yet: a raw record's bytes, and the records per unit per day
# of a 30-second reporting cycle (that of generate_history and the benchmarks).
DEFAULT_RAW_BYTES_PER_RECORD = 300
DEFAULT_RAW_RECORDS_PER_UNIT_DAY = DAY_SEC / 30

# Every table and index with its pages, from SQLite's dbstat virtual table, summed per table.
SQLITE_SIZES = (
    "SELECT m.tbl_name, SUM(s.bytes) FROM sqlite_master AS m"
    " JOIN (SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name) AS s ON s.name = m.name"
    " WHERE m.type IN ('table', 'index') GROUP BY m.tbl_name"
)
POSTGRES_SIZES = "SELECT t, pg_total_relation_size(to_regclass(quote_ident(t))) FROM unnest(%s::text[]) AS t"


class Kind(StrEnum):
    """How a table is projected (see the module's docstring)."""

    RAW = "raw"
    ROLLUP = "rollup"
    GROWTH = "growth"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Rule:
    """The projection of one table: its kind, the time column its growth is measured on, and the setting of
    its retention in days (``zero_keeps_forever``: 0 keeps for ever, else 0 keeps nothing, as the log and
    quarantine clean-ups read their settings)."""

    kind: Kind
    time_field: str | None = None
    retention_setting: str | None = None
    zero_keeps_forever: bool = True


UNCHANGED = Rule(Kind.UNCHANGED)

# The projection rule per table (``app_label.model`` in lower case); every other table is UNCHANGED.
RULES: dict[str, Rule] = {
    "unit_data.unitdata": Rule(Kind.RAW, "time", "RETENTION_RAW_DAYS"),
    "rollup.unitrollup": Rule(Kind.ROLLUP),
    "deal.deal": Rule(Kind.GROWTH, "create_datetime"),
    "apis_log.apislog": Rule(Kind.GROWTH, "datetime", "LOG_RETENTION_DAYS", zero_keeps_forever=False),
    "ingest.rejecteditem": Rule(
        Kind.GROWTH, "received", "INGEST_REJECTED_RETENTION_DAYS", zero_keeps_forever=False
    ),
}

# The retention settings the report names among its inputs.
RETENTION_SETTINGS = (
    "RETENTION_RAW_DAYS",
    "RETENTION_5MIN_DAYS",
    "RETENTION_HOURLY_DAYS",
    "RETENTION_DAILY_DAYS",
    "LOG_RETENTION_DAYS",
    "INGEST_REJECTED_RETENTION_DAYS",
)


@dataclass(frozen=True)
class RawRate:
    """Raw unit-data records per unit per day, and what it was measured from (``measured`` false: the
    stated default, nothing to measure)."""

    records_per_unit_day: float
    measured: bool
    window_rows: int = 0
    window_units: int = 0
    window_days: float = 0.0


@dataclass(frozen=True)
class Line:
    """One line of the report: a table, or (``part``) one resolution of the rollups' table, whose line
    holds its ``parts``."""

    table: str
    model: str
    rows: int
    bytes: int | None
    bytes_per_record: float | None
    projected_rows: int | None
    projected_bytes: int | None
    rule: str
    part: str = ""
    parts: tuple["Line", ...] = ()


@dataclass(frozen=True)
class Measured:
    """What a table's projection starts from: its rows and bytes, the units projected for, the raw rate."""

    rows: int
    size: int | None
    units: int
    raw_rate: RawRate


@dataclass(frozen=True)
class Report:
    """The whole forecast: the lines, the inputs used and the notes (defaults, unknowns)."""

    lines: list[Line]
    vendor: str
    units: int
    current_units: int
    retention: dict[str, int]
    raw_rate: RawRate
    notes: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(line.rows for line in self.lines)

    @property
    def total_bytes(self) -> int:
        """The bytes of the tables whose size is known."""
        return sum(line.bytes or 0 for line in self.lines)

    @property
    def total_projected_rows(self) -> int:
        return sum(line.projected_rows or 0 for line in self.lines)

    @property
    def total_projected_bytes(self) -> int:
        """The projected bytes of the tables whose projection is known."""
        return sum(line.projected_bytes or 0 for line in self.lines)

    @property
    def totals_complete(self) -> bool:
        """Whether every size and projection went into the totals (none was n/a)."""
        return all(None not in (line.bytes, line.projected_rows, line.projected_bytes) for line in self.lines)


# ---- measuring -------------------------------------------------------------------------------------------


def project_models() -> list[type[models.Model]]:
    """The managed, concrete models of the project's apps (``apis.*``), their many-to-many tables included,
    in the order of the apps and models."""
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("apis.")
        for model in config.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def table_bytes(tables: Sequence[str]) -> dict[str, int] | None:
    """The bytes on disk of each of ``tables``, its indexes included; ``None`` when this database cannot say
    (SQLite without ``dbstat``, another vendor)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            try:
                cursor.execute(SQLITE_SIZES)
            except DatabaseError:
                return None
            sizes = {name: int(size or 0) for name, size in cursor.fetchall()}
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_SIZES, [list(tables)])
            sizes = {name: int(size) for name, size in cursor.fetchall() if size is not None}
        else:
            return None
    return {table: sizes.get(table, 0) for table in tables}


def measure_raw_rate(window: timedelta = RATE_WINDOW) -> RawRate:
    """Raw records per unit per day over the rows of ``window`` before the newest ``time``: their number,
    divided by the units whose newest record (``ReportedUnit.last_time``) lies in the window and by the days
    from the window's oldest to its newest row. Without dated rows, or rows all at one instant: the stated
    default."""
    newest = UnitData.objects.aggregate(newest=Max("time"))["newest"]
    if newest is None:
        return RawRate(DEFAULT_RAW_RECORDS_PER_UNIT_DAY, measured=False)
    start = newest - window
    rows = UnitData.objects.filter(time__gte=start)
    oldest = rows.aggregate(oldest=Min("time"))["oldest"]
    days = (newest - oldest).total_seconds() / DAY_SEC
    if days <= 0:
        return RawRate(DEFAULT_RAW_RECORDS_PER_UNIT_DAY, measured=False)
    count = rows.count()
    units = ReportedUnit.objects.filter(last_time__gte=start).count() or 1
    return RawRate(count / units / days, True, count, units, days)


def time_span_days(model: type[models.Model], time_field: str) -> float:
    """Days from the oldest to the newest value of ``time_field`` in ``model``'s table (0 without two)."""
    span = model._base_manager.aggregate(oldest=Min(time_field), newest=Max(time_field))
    if span["oldest"] is None:
        return 0.0
    return (span["newest"] - span["oldest"]).total_seconds() / DAY_SEC


# ---- projecting (pure) -----------------------------------------------------------------------------------


def kept_days(retention_days: int, zero_keeps_forever: bool = True, horizon: float = YEAR_DAYS) -> float:
    """The days of data a table holds at ``horizon`` days: the retention, at most the horizon; 0 keeps for
    ever (the horizon) or, when not ``zero_keeps_forever``, nothing."""
    if retention_days <= 0:
        return horizon if zero_keeps_forever else 0.0
    return min(horizon, float(retention_days))


def project_raw_rows(units: int, records_per_unit_day: float, retention_days: int) -> int:
    """Raw rows kept one year from now: units × rate × min(365, retention days; 0: 365)."""
    return round(units * records_per_unit_day * kept_days(retention_days))


def buckets_per_day(resolution: int) -> int:
    """Rollup buckets per unit per day of ``resolution`` seconds: 288, 24 or 1."""
    return DAY_SEC // resolution


def project_rollup_rows(units: int, resolution: int, retention_days: int) -> int:
    """Rollup rows of ``resolution`` kept one year from now: units × buckets per day × days kept."""
    return round(units * buckets_per_day(resolution) * kept_days(retention_days))


def project_growth_rows(
    rows: int, span_days: float, retention_days: int | None, zero_keeps_forever: bool
) -> int:
    """Rows one year from now at the table's rate so far (``rows`` over ``span_days``): over the span plus a
    year, capped by the retention (``None``: none); without a span, the current rows."""
    if span_days <= 0:
        return rows
    horizon = span_days + YEAR_DAYS
    days = horizon if retention_days is None else kept_days(retention_days, zero_keeps_forever, horizon)
    return round(rows / span_days * days)


def projected_bytes(rows: int | None, bytes_per_record: float | None) -> int | None:
    """``rows`` × ``bytes_per_record``; 0 for no rows, ``None`` when either is unknown."""
    if rows == 0:
        return 0
    if rows is None or bytes_per_record is None:
        return None
    return round(rows * bytes_per_record)


def per_record(size: int | None, rows: int) -> float | None:
    """Bytes per record; ``None`` without rows or when the size is unknown."""
    return size / rows if size is not None and rows else None


# ---- the report ------------------------------------------------------------------------------------------


def storage_report(units: int | None = None) -> Report:
    """Measure every table of the project's models and project it one year ahead, for ``units`` units
    (default: the units that ever reported, ``ReportedUnit``)."""
    existing = set(connection.introspection.table_names())
    present = [model for model in project_models() if model._meta.db_table in existing]
    missing = sorted(
        model._meta.db_table for model in project_models() if model._meta.db_table not in existing
    )
    sizes = table_bytes([model._meta.db_table for model in present])
    current_units = ReportedUnit.objects.count()
    units = current_units if units is None else units
    retention = {name: getattr(settings, name) for name in RETENTION_SETTINGS}
    rate = measure_raw_rate()
    notes = []
    if sizes is None:
        notes.append(f"bytes: n/a, this {connection.vendor} database cannot measure table sizes (no dbstat)")
    if missing:
        notes.append(f"not in the database (migrations not applied?): {', '.join(missing)}")
    lines: list[Line] = []
    for model in present:
        rule = RULES.get(model._meta.label_lower, UNCHANGED)
        size = None if sizes is None else sizes[model._meta.db_table]
        rows = model._base_manager.count()
        measured = Measured(rows, size, units, rate)
        lines.append(_PROJECTIONS[rule.kind](model, rule, measured, notes))
    return Report(lines, connection.vendor, units, current_units, retention, rate, notes)


def _raw_line(model: type[models.Model], rule: Rule, measured: Measured, notes: list[str]) -> Line:
    days = getattr(settings, rule.retention_setting)
    rate = measured.raw_rate
    if not rate.measured:
        notes.append(
            f"{model._meta.db_table}: no dated rows spanning time to measure, rate taken as the stated "
            f"default of {DEFAULT_RAW_RECORDS_PER_UNIT_DAY:.0f} records per unit per day (30-second cycle)"
        )
    bytes_per_record = per_record(measured.size, measured.rows)
    if measured.rows == 0:
        notes.append(
            f"{model._meta.db_table}: no rows to measure, projected with the stated default of "
            f"{DEFAULT_RAW_BYTES_PER_RECORD} B per record"
        )
    projected = project_raw_rows(measured.units, rate.records_per_unit_day, days)
    return Line(
        model._meta.db_table,
        model._meta.label,
        measured.rows,
        measured.size,
        bytes_per_record,
        projected,
        projected_bytes(projected, bytes_per_record or DEFAULT_RAW_BYTES_PER_RECORD),
        f"raw: units × {rate.records_per_unit_day:.1f}/unit/day × {kept_days(days):.0f} d "
        f"({rule.retention_setting}={days})",
    )


def _rollup_line(model: type[models.Model], rule: Rule, measured: Measured, notes: list[str]) -> Line:
    bytes_per_record = per_record(measured.size, measured.rows)
    counts = dict(UnitRollup.objects.values_list("resolution").annotate(Count("pk")).order_by())
    parts = []
    for resolution in Resolution:
        setting, _ = RETAINED[resolution]
        days = getattr(settings, setting)
        rows = counts.get(resolution.value, 0)
        projected = project_rollup_rows(measured.units, resolution, days)
        parts.append(
            Line(
                model._meta.db_table,
                model._meta.label,
                rows,
                None if measured.size is None else projected_bytes(rows, bytes_per_record),
                bytes_per_record,
                projected,
                projected_bytes(projected, bytes_per_record),
                f"units × {buckets_per_day(resolution)}/day × {kept_days(days):.0f} d ({setting}={days})",
                part=resolution.label,
            )
        )
    if bytes_per_record is None and any(part.projected_rows for part in parts):
        notes.append(f"{model._meta.db_table}: no rows to measure bytes per record, projected bytes n/a")
    part_bytes = [part.projected_bytes for part in parts]
    return Line(
        model._meta.db_table,
        model._meta.label,
        measured.rows,
        measured.size,
        bytes_per_record,
        sum(part.projected_rows or 0 for part in parts),
        None if None in part_bytes else sum(size or 0 for size in part_bytes),
        "rollup: the sum of its resolutions below",
        parts=tuple(parts),
    )


def _growth_line(model: type[models.Model], rule: Rule, measured: Measured, notes: list[str]) -> Line:
    span = time_span_days(model, rule.time_field)
    if span <= 0:
        return _unchanged_line(
            model, rule, measured, notes, f"growth of {rule.time_field}: no span yet, unchanged"
        )
    days = getattr(settings, rule.retention_setting) if rule.retention_setting else None
    projected = project_growth_rows(measured.rows, span, days, rule.zero_keeps_forever)
    kept = f", kept {days} d ({rule.retention_setting})" if days is not None else ""
    bytes_per_record = per_record(measured.size, measured.rows)
    return Line(
        model._meta.db_table,
        model._meta.label,
        measured.rows,
        measured.size,
        bytes_per_record,
        projected,
        projected_bytes(projected, bytes_per_record),
        f"growth of {rule.time_field}: {measured.rows / span:.1f}/day over {span:.1f} d + 365 d{kept}",
    )


def _unchanged_line(
    model: type[models.Model], rule: Rule, measured: Measured, notes: list[str], text: str = "unchanged"
) -> Line:
    size, rows = measured.size, measured.rows
    return Line(model._meta.db_table, model._meta.label, rows, size, per_record(size, rows), rows, size, text)


_PROJECTIONS = {
    Kind.RAW: _raw_line,
    Kind.ROLLUP: _rollup_line,
    Kind.GROWTH: _growth_line,
    Kind.UNCHANGED: _unchanged_line,
}


# ---- presenting ------------------------------------------------------------------------------------------


def human_bytes(size: float | None) -> str:
    """``812 B``, ``1.2 kB``, ``3.4 MB``, ``5.6 GB`` (powers of 1000, one decimal); ``n/a`` when unknown."""
    if size is None:
        return "n/a"
    if size < 1000:
        return f"{size:.0f} B"
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")


def _line_dict(line: Line) -> dict:
    entry = {
        "table": line.table,
        "model": line.model,
        "rows": line.rows,
        "bytes": line.bytes,
        "bytes_per_record": None if line.bytes_per_record is None else round(line.bytes_per_record, 1),
        "projected_rows": line.projected_rows,
        "projected_bytes": line.projected_bytes,
        "rule": line.rule,
    }
    if line.part:
        entry["part"] = line.part
    if line.parts:
        entry["parts"] = [_line_dict(part) for part in line.parts]
    return entry


def report_dict(report: Report) -> dict:
    """The report as plain data (the ``--format json`` output); the rollups' table carries its resolutions
    as ``parts``."""
    rate = report.raw_rate
    return {
        "tables": [_line_dict(line) for line in report.lines],
        "total": {
            "rows": report.total_rows,
            "bytes": report.total_bytes,
            "projected_rows": report.total_projected_rows,
            "projected_bytes": report.total_projected_bytes,
            "complete": report.totals_complete,
        },
        "inputs": {
            "database": report.vendor,
            "horizon_days": YEAR_DAYS,
            "units": report.units,
            "current_units": report.current_units,
            "retention_days": report.retention,
            "raw_records_per_unit_day": round(rate.records_per_unit_day, 3),
            "raw_rate_measured": rate.measured,
            "raw_rate_window": {
                "rows": rate.window_rows,
                "units": rate.window_units,
                "days": round(rate.window_days, 3),
            },
        },
        "notes": report.notes,
    }


HEADERS = ("table", "rows", "bytes", "bytes/record", "projected rows", "projected bytes (1 y)", "rule")


def _cells(line: Line) -> tuple[str, ...]:
    return (
        f"  {line.part}" if line.part else line.table,
        _count(line.rows),
        human_bytes(line.bytes),
        "" if line.bytes_per_record is None else human_bytes(line.bytes_per_record),
        _count(line.projected_rows),
        human_bytes(line.projected_bytes),
        line.rule,
    )


def _count(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def report_text(report: Report) -> str:
    """The report as an aligned text table (the rollups' resolutions indented below their table), a total
    line, the inputs and the notes."""
    rows = [_cells(shown) for line in report.lines for shown in (line, *line.parts)]
    total = (
        "total",
        _count(report.total_rows),
        human_bytes(report.total_bytes),
        "",
        _count(report.total_projected_rows),
        human_bytes(report.total_projected_bytes),
        "",
    )
    widths = [max(len(row[i]) for row in [HEADERS, *rows, total]) for i in range(len(HEADERS))]

    def format_row(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1], strict=True)]
        return "  ".join([*cells, row[-1]]).rstrip()

    rate = report.raw_rate
    measured = (
        f"measured over {rate.window_rows:,} rows of {rate.window_units} units in {rate.window_days:.2f} days"
        if rate.measured
        else "stated default"
    )
    units = f"{report.units}"
    if report.units != report.current_units:
        units += f" (current: {report.current_units})"
    rule = "-" * len(HEADERS[-1])
    out = [format_row(HEADERS), "  ".join([*("-" * width for width in widths[:-1]), rule])]
    out += [format_row(row) for row in rows]
    out += [format_row(total), ""]
    out.append(f"database: {report.vendor}; projection: {YEAR_DAYS} days ahead")
    out.append(f"units: {units}")
    out.append(
        "retention in days (telemetry 0: kept for ever; log records and quarantine 0: none kept): "
        + ", ".join(f"{name}={days}" for name, days in report.retention.items())
    )
    out.append(f"raw rate: {rate.records_per_unit_day:.1f} records per unit per day ({measured})")
    out += [f"note: {note}" for note in report.notes]
    if not report.totals_complete:
        out.append("note: the totals leave out the values shown as n/a")
    return "\n".join(out)
