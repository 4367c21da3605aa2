"""SQL for a ``Selection``: identifiers only from discovered columns, every value a bound parameter.

The source is the component table (``AS r``) or, when resampling, a grouped subquery with the same column
names; pages and streams select from it ordered by the table's key (``TIMESTAMP`` then the id columns).
Timestamps are formatted as ISO 8601 with the site's offset by the database itself, so JSON, CSV and COPY
output are identical.
"""

from dataclasses import dataclass
from datetime import datetime

from apis.ess.params import Selection
from apis.ess.sites import TIME_COLUMN, Column

# PostgreSQL sessions run in the site's zone (``TimeZone``); microseconds only when there are any.
_PG_ISO = (
    "to_char({x}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN mod(extract(microseconds FROM {x})::bigint, 1000000) = 0"
    " THEN '' ELSE to_char({x}, '.US') END || to_char({x}, 'TZH:TZM')"
)
_SQLITE_BUCKET = {
    60: "substr({x}, 1, 16) || ':00'",
    900: "substr({x}, 1, 14) || printf('%02d', CAST(substr({x}, 15, 2) AS INTEGER) / 15 * 15) || ':00'",
    3600: "substr({x}, 1, 13) || ':00:00'",
}
_AGGREGATE = {"avg": "avg", "min": "min", "max": "max"}


def quote(name: str) -> str:
    """A quoted identifier (names come from the database's own catalogue)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Query:
    """A source with its filters; ``page``, ``count`` and ``stream`` render complete statements."""

    vendor: str
    source: str
    where: list[str]
    params: list
    keys: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def mark(self) -> str:
        return "%s" if self.vendor == "postgresql" else "?"

    def iso(self, expression: str) -> str:
        """SQL giving ``expression`` (a stored time) as ISO 8601 text with the site's offset."""
        if self.vendor == "postgresql":
            return _PG_ISO.format(x=expression)
        return f"ess_iso({expression})"

    def _outputs(self, raw_time: bool) -> list[str]:
        outputs = []
        for column in self.columns:
            expression = f"r.{quote(column.name)}"
            if column.kind == "time" and not raw_time:
                expression = self.iso(expression)
            outputs.append(f"{expression} AS {quote(column.field)}")
        return outputs

    def _where(self, extra: list[str]) -> str:
        conditions = self.where + extra
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def _order(self, descending: bool = False) -> str:
        direction = " DESC" if descending else ""
        return ", ".join(f"r.{quote(key)}{direction}" for key in self.keys)

    def stream(self, raw_time: bool = False) -> tuple[str, list]:
        """Every selected row in key order (downloads)."""
        outputs = ", ".join(self._outputs(raw_time))
        sql = f"SELECT {outputs} FROM {self.source}{self._where([])} ORDER BY {self._order()}"
        return sql, list(self.params)

    def exists(self) -> tuple[str, list]:
        """One row or none: whether the selection has data."""
        return f"SELECT 1 FROM {self.source}{self._where([])} LIMIT 1", list(self.params)

    def count(self) -> tuple[str, list]:
        return f"SELECT count(*) FROM {self.source}{self._where([])}", list(self.params)

    def page(self, limit: int, offset: int = 0, after: list | None = None, before: list | None = None):
        """A page: the outputs then the raw key values; keyset (``after``/``before``) or ``offset``."""
        keys = ", ".join(f"r.{quote(key)}" for key in self.keys)
        extra, params = [], list(self.params)
        bound = after if after is not None else before
        if bound is not None:
            marks = ", ".join([self.mark] * len(bound))
            extra.append(f"({keys}) {'>' if after is not None else '<'} ({marks})")
            params += bound
        raw_keys = ", ".join(f"r.{quote(key)} AS ess_key{i}" for i, key in enumerate(self.keys))
        sql = (
            f"SELECT {', '.join([*self._outputs(False), raw_keys])} FROM {self.source}{self._where(extra)}"
            f" ORDER BY {self._order(descending=before is not None)} LIMIT {int(limit)}"
        )
        if offset:
            sql += f" OFFSET {int(offset)}"
        return sql, params


def time_value(moment: datetime, selection: Selection):
    """A time bound as the site database compares it (aware datetime, or local text in SQLite)."""
    if selection.site.vendor == "postgresql":
        return moment
    local = moment.astimezone(selection.site.zone)
    return local.strftime("%Y-%m-%d %H:%M:%S.%f" if local.microsecond else "%Y-%m-%d %H:%M:%S")


def _filters(selection: Selection, mark: str, alias: str) -> tuple[list[str], list]:
    where, params = [], []
    column = f"{alias}.{quote(TIME_COLUMN)}"
    if selection.start is not None:
        where.append(f"{column} >= {mark}")
        params.append(time_value(selection.start, selection))
    if selection.end is not None:
        where.append(f"{column} < {mark}")
        params.append(time_value(selection.end, selection))
    for name, value in selection.ids:
        where.append(f"{alias}.{quote(name)} = {mark}")
        params.append(value)
    return where, params


def _bucket(selection: Selection, expression: str) -> str:
    if selection.site.vendor == "postgresql":
        return (
            f"date_bin(INTERVAL '{int(selection.interval)} seconds', {expression}, TIMESTAMPTZ '2000-01-01')"
        )
    return _SQLITE_BUCKET[selection.interval].format(x=expression)


def _resampled_source(selection: Selection, mark: str) -> tuple[str, list]:
    """A grouped subquery: one row per bucket and id, with the same column names as the table."""
    table = selection.table
    where, params = _filters(selection, mark, "t")
    where_sql = f" WHERE {' AND '.join(where)}" if where else ""
    ids = [quote(key) for key in table.keys[1:]]
    values = [c for c in table.columns if c.name not in table.keys and c in selection.columns]
    bucket = _bucket(selection, f"t.{quote(TIME_COLUMN)}")
    if selection.agg == "last":
        partition = ", ".join([bucket, *(f"t.{i}" for i in ids)])
        inner = ", ".join(
            [f"{bucket} AS ess_bucket", *(f"t.{i}" for i in ids), *(f"t.{quote(c.name)}" for c in values)]
        )
        outer = ", ".join([f"ess_bucket AS {quote(TIME_COLUMN)}", *ids, *(quote(c.name) for c in values)])
        source = (
            f"(SELECT {outer} FROM (SELECT {inner}, row_number() OVER (PARTITION BY {partition}"
            f" ORDER BY t.{quote(TIME_COLUMN)} DESC) AS ess_rank FROM {quote(table.name)} AS t{where_sql})"
            f" AS ranked WHERE ess_rank = 1) AS r"
        )
        return source, params
    function = _AGGREGATE[selection.agg]
    outputs = ", ".join(
        [f"{bucket} AS {quote(TIME_COLUMN)}", *(f"t.{i}" for i in ids)]
        + [f"{function}(t.{quote(c.name)}) AS {quote(c.name)}" for c in values]
    )
    group = ", ".join(["1", *(f"t.{i}" for i in ids)])
    return f"(SELECT {outputs} FROM {quote(table.name)} AS t{where_sql} GROUP BY {group}) AS r", params


def build(selection: Selection) -> Query:
    """The query of a selection, resampled in the database when an interval is given."""
    vendor = selection.site.vendor
    mark = "%s" if vendor == "postgresql" else "?"
    if selection.interval is None:
        where, params = _filters(selection, mark, "r")
        source = f"{quote(selection.table.name)} AS r"
    else:
        source, params = _resampled_source(selection, mark)
        where = []
    return Query(vendor, source, where, params, selection.table.keys, selection.columns)
