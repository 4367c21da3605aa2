"""Validation of the ESS request parameters: ids, ``fields``, ``start-time``/``end-time``/``date`` and the
resampling options. Every refusal is an ``EssError`` 400 with a message that names the parameter.

Every parameter is read with ``single``: given once, at most ``MAX_VALUE_CHARS`` characters. Ids are
ASCII digits (``²`` is a digit to ``str.isdigit`` but no number), times lie in the project's supported
range (``apis.core.timeparse``), and a resampled JSON selection spans at most ``APIS_ESS_MAX_BUCKETS``
buckets of its interval.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.http import QueryDict

from apis.core.numbers import ascii_int
from apis.core.timeparse import to_utc
from apis.ess.errors import EssError
from apis.ess.sites import Column, Site, Table, get_site, get_table

INTERVALS = {"1min": 60, "15min": 900, "1h": 3600}
AGGREGATES = ("avg", "min", "max", "last")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# What ``+09:00`` becomes when a client does not encode the ``+``: a space.
_SPACED_OFFSET = re.compile(r" \d{2}(?::?\d{2})?\s*$")
# Longer than any value a client needs (gunicorn refuses request lines over 4094 bytes anyway).
MAX_VALUE_CHARS = 4096
# The longest id a path or parameter may hold: 9 digits always fit the 32-bit id columns.
MAX_ID_DIGITS = 9
MAX_ID = 10**MAX_ID_DIGITS - 1
_SHOWN_CHARS = 60


def shown(raw: str) -> str:
    """A client's value quoted for an error message, cut after ``_SHOWN_CHARS`` characters."""
    return repr(raw) if len(raw) <= _SHOWN_CHARS else f"{raw[:_SHOWN_CHARS]!r}…"


def single(query: QueryDict, name: str) -> str | None:
    """The one value of parameter ``name`` (``None`` when absent); 400 when it is repeated or too long."""
    values = query.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise EssError(f"{name} is given {len(values)} times; give it once", "Value Error")
    if len(values[0]) > MAX_VALUE_CHARS:
        raise EssError(f"{name} is longer than {MAX_VALUE_CHARS} characters", "Value Error")
    return values[0]


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
    """A path or query id (``operating_site_id``, ``bank_id``, ``rack_id``) as an integer; 400 unless it
    is 1 to ``MAX_ID_DIGITS`` ASCII digits."""
    value = ascii_int(raw, 0, MAX_ID)
    if value is None:
        raise EssError(f"{name} must be a number, not {shown(raw)}", "Value Error")
    return value


def _in_range(name: str, moment: datetime, site: Site) -> datetime:
    """``moment`` (naive: in the site's zone) in UTC; 400 outside the supported range."""
    try:
        return to_utc(moment, site.zone)
    except ValueError as exc:
        raise EssError(f"{name}: {exc}", "Value Error") from None


def parse_time(name: str, raw: str, site: Site) -> datetime:
    """An ISO 8601 ``start-time``/``end-time`` in UTC; a value without an offset is in the site's zone."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        hint = " (a + in a query string must be written %2B)" if _SPACED_OFFSET.search(raw) else ""
        raise EssError(
            f"{name} must be ISO 8601 (YYYY-MM-DDThh:mm:ss with an optional offset), not {shown(raw)}{hint}",
            "Value Error",
        ) from None
    return _in_range(name, moment, site)


def _day(raw: str, site: Site) -> tuple[datetime, datetime]:
    """The local day ``date=YYYY-MM-DD`` of the site as a UTC range [start, end)."""
    if not _DATE.fullmatch(raw):
        raise EssError(f"date must be YYYY-MM-DD, not {shown(raw)}", "Value Error")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise EssError(f"date {raw!r} does not exist", "Value Error") from None
    start = _in_range("date", datetime.combine(day, time()), site)
    # The start lies before 9999-01-01, so the next day is still a date.
    return start, _in_range("date", datetime.combine(day + timedelta(days=1), time()), site)


def _time_range(query: QueryDict, site: Site, required: bool) -> tuple[datetime | None, datetime | None]:
    raw_start, raw_end, raw_date = (single(query, name) for name in ("start-time", "end-time", "date"))
    if raw_date is not None:
        if raw_start is not None or raw_end is not None:
            raise EssError("use either date or start-time/end-time, not both", "Value Error")
        return _day(raw_date, site)
    if required and (raw_start is None or raw_end is None):
        raise EssError("start-time and end-time are required (or date)", "Type Error")
    start = parse_time("start-time", raw_start, site) if raw_start is not None else None
    end = parse_time("end-time", raw_end, site) if raw_end is not None else None
    if start is not None and end is not None and end <= start:
        raise EssError("end-time must be after start-time", "Value Error")
    return start, end


def _resampling(query: QueryDict) -> tuple[str | None, str | None]:
    raw_interval, raw_agg = single(query, "interval"), single(query, "agg")
    if raw_interval is None:
        if raw_agg is not None:
            raise EssError("agg needs interval (1min, 15min or 1h)", "Value Error")
        return None, None
    if raw_interval not in INTERVALS:
        raise EssError(
            f"interval must be one of {', '.join(INTERVALS)}, not {shown(raw_interval)}", "Value Error"
        )
    agg = raw_agg or "avg"
    if agg not in AGGREGATES:
        raise EssError(f"agg must be one of {', '.join(AGGREGATES)}, not {shown(agg)}", "Value Error")
    return raw_interval, agg


def _check_buckets(interval: str, start: datetime | None, end: datetime | None) -> None:
    """A resampled JSON selection needs a time range of at most ``APIS_ESS_MAX_BUCKETS`` buckets: every
    page aggregates the whole range again."""
    if start is None or end is None:
        raise EssError(
            f"interval={interval} needs a time range: give start-time and end-time, or date", "Type Error"
        )
    limit = settings.ESS_MAX_BUCKETS
    seconds = INTERVALS[interval]
    buckets = math.ceil((end - start).total_seconds() / seconds)
    if buckets > limit:
        longest = timedelta(seconds=limit * seconds)
        raise EssError(
            f"interval={interval} allows at most {limit:,} buckets (a range of {longest}) per request; "
            f"start-time to end-time spans {buckets:,}: narrow the range or choose a longer interval "
            f"({', '.join(INTERVALS)})",
            "Value Error",
        )


def _columns(query: QueryDict, table: Table, agg: str | None) -> tuple[Column, ...]:
    """The requested columns in request order (all columns when ``fields`` is absent or empty)."""
    grouped = set(table.keys)
    aggregable = agg in (None, "last")
    raw = (single(query, "fields") or "").strip()
    if not raw:
        return tuple(c for c in table.columns if aggregable or c.numeric or c.name in grouped)
    chosen: dict[Column, None] = {}
    for name in dict.fromkeys(part.strip().lower() for part in raw.split(",")):
        column = table.by_field.get(name)
        if column is None:
            known = ", ".join(c.field for c in table.columns)
            raise EssError(f"unknown field {shown(name)} for {table.name}; fields: {known}", "Key Error")
        if not aggregable and not column.numeric and column.name not in grouped:
            raise EssError(
                f"field {name!r} is not numeric and cannot be aggregated with {agg}", "Value Error"
            )
        chosen[column] = None
    return tuple(chosen)


def parse_selection(
    raw_site: str,
    table_name: str,
    ids: dict[str, str],
    query: QueryDict,
    time_required: bool = False,
    paged: bool = True,
) -> Selection:
    """Validate a whole request; the table's columns come from the site database. A ``paged`` (JSON)
    resampled selection is held to the bucket limit; a download needs a time range instead."""
    site = get_site(parse_id("operating_site_id", raw_site))
    id_values = tuple((name.upper(), parse_id(name, raw)) for name, raw in ids.items())
    start, end = _time_range(query, site, time_required)
    interval, agg = _resampling(query)
    if interval is not None and paged:
        _check_buckets(interval, start, end)
    table = get_table(site, table_name)
    columns = _columns(query, table, agg)
    missing = [name for name, _ in id_values if name not in table.keys]
    if missing:
        raise EssError(
            f"the {table_name} data of site {site.id} has no {missing[0].lower()}", "Key Error", 404
        )
    seconds = INTERVALS[interval] if interval is not None else None
    return Selection(site, table, columns, start, end, id_values, seconds, agg)
