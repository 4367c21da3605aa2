"""Validation of the ESS request parameters: ids, ``fields``, ``start-time``/``end-time``/``date`` and the
resampling options. Every refusal is an ``EssError`` 400 with a message that names the parameter."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import QueryDict

from apis.ess.errors import EssError
from apis.ess.sites import Column, Site, Table, get_site, get_table

INTERVALS = {"1min": 60, "15min": 900, "1h": 3600}
AGGREGATES = ("avg", "min", "max", "last")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Selection:
    """What one request selects: site, table, output columns, time range, id filters and resampling."""

    site: Site
    table: Table
    columns: tuple[Column, ...]
    start: datetime | None
    end: datetime | None
    ids: tuple[tuple[str, int], ...]
    interval: int | None = None
    agg: str | None = None


def parse_id(name: str, raw: str) -> int:
    """A path id (``bank_id``, ``rack_id``) as an integer; 400 when it is not a non-negative number."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise EssError(f"{name} must be a number, not {raw!r}", "Value Error")
    return int(raw)


def parse_time(name: str, raw: str, site: Site) -> datetime:
    """An ISO 8601 ``start-time``/``end-time``; a value without an offset is in the site's zone."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        raise EssError(
            f"{name} must be ISO 8601 (YYYY-MM-DDThh:mm:ss with an optional offset), not {raw!r}",
            "Value Error",
        ) from None
    return moment.replace(tzinfo=site.zone) if moment.tzinfo is None else moment


def _time_range(query: QueryDict, site: Site, required: bool) -> tuple[datetime | None, datetime | None]:
    raw_start, raw_end, raw_date = (query.get(name) for name in ("start-time", "end-time", "date"))
    if raw_date is not None:
        if raw_start is not None or raw_end is not None:
            raise EssError("use either date or start-time/end-time, not both", "Value Error")
        if not _DATE.fullmatch(raw_date):
            raise EssError(f"date must be YYYY-MM-DD, not {raw_date!r}", "Value Error")
        try:
            day = datetime.strptime(raw_date, "%Y-%m-%d").replace(tzinfo=site.zone)
        except ValueError:
            raise EssError(f"date {raw_date!r} does not exist", "Value Error") from None
        return day, (day + timedelta(days=1)).replace(tzinfo=site.zone)
    if required and (raw_start is None or raw_end is None):
        raise EssError("start-time and end-time are required (or date)", "Type Error")
    start = parse_time("start-time", raw_start, site) if raw_start is not None else None
    end = parse_time("end-time", raw_end, site) if raw_end is not None else None
    if start is not None and end is not None and end <= start:
        raise EssError("end-time must be after start-time", "Value Error")
    return start, end


def _resampling(query: QueryDict) -> tuple[int | None, str | None]:
    raw_interval, raw_agg = query.get("interval"), query.get("agg")
    if raw_interval is None:
        if raw_agg is not None:
            raise EssError("agg needs interval (1min, 15min or 1h)", "Value Error")
        return None, None
    if raw_interval not in INTERVALS:
        raise EssError(f"interval must be one of {', '.join(INTERVALS)}, not {raw_interval!r}", "Value Error")
    agg = raw_agg or "avg"
    if agg not in AGGREGATES:
        raise EssError(f"agg must be one of {', '.join(AGGREGATES)}, not {agg!r}", "Value Error")
    return INTERVALS[raw_interval], agg


def _columns(query: QueryDict, table: Table, agg: str | None) -> tuple[Column, ...]:
    """The requested columns in request order (all columns when ``fields`` is absent or empty)."""
    grouped = set(table.keys)
    aggregable = agg in (None, "last")
    raw = query.get("fields", "").strip()
    if not raw:
        return tuple(c for c in table.columns if aggregable or c.numeric or c.name in grouped)
    chosen: list[Column] = []
    for name in (part.strip().lower() for part in raw.split(",")):
        column = table.by_field.get(name)
        if column is None:
            known = ", ".join(c.field for c in table.columns)
            raise EssError(f"unknown field {name!r} for {table.name}; fields: {known}", "Key Error")
        if not aggregable and not column.numeric and column.name not in grouped:
            raise EssError(
                f"field {name!r} is not numeric and cannot be aggregated with {agg}", "Value Error"
            )
        if column not in chosen:
            chosen.append(column)
    return tuple(chosen)


def parse_selection(
    raw_site: str, table_name: str, ids: dict[str, str], query: QueryDict, time_required: bool = False
) -> Selection:
    """Validate a whole request; the table's columns come from the site database."""
    site = get_site(raw_site)
    id_values = tuple((name.upper(), parse_id(name, raw)) for name, raw in ids.items())
    start, end = _time_range(query, site, time_required)
    interval, agg = _resampling(query)
    table = get_table(site, table_name)
    columns = _columns(query, table, agg)
    missing = [name for name, _ in id_values if name not in table.keys]
    if missing:
        raise EssError(
            f"the {table_name} data of site {site.id} has no {missing[0].lower()}", "Key Error", 404
        )
    return Selection(site, table, columns, start, end, id_values, interval, agg)
