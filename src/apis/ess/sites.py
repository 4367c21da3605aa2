"""Operating sites: the registry read from ``APIS_ESS_SITES``, read-only connections reused per thread, and
the columns of each component table discovered by introspection (cached for ``APIS_ESS_SCHEMA_TTL_SEC``).

A site is its own database (an SQLite file or a PostgreSQL URL); it is never a Django database and the
service never writes to it.
"""

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import psycopg
from django.conf import settings

from apis.ess.errors import EssError

TABLES = ("bank", "rack", "pcs", "etc")
TIME_COLUMN = "TIMESTAMP"
ID_COLUMNS = ("BANK_ID", "RACK_ID")


@dataclass(frozen=True)
class Column:
    """A discovered column: its name in the database, its field name in the API and its kind."""

    name: str
    kind: str  # "time", "int", "float", "json" or "text"

    @property
    def field(self) -> str:
        return self.name.lower()

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")


@dataclass(frozen=True)
class Table:
    """A component table of one site with its discovered columns, in database order."""

    name: str
    columns: tuple[Column, ...]
    by_field: dict[str, Column] = field(compare=False, repr=False)

    @property
    def keys(self) -> tuple[str, ...]:
        """The ordering key: the time column, then the id columns the table has (unique in the site data)."""
        return (TIME_COLUMN, *(name for name in ID_COLUMNS if any(c.name == name for c in self.columns)))


@dataclass(frozen=True)
class Site:
    """One operating site: id, display name, database URL and time zone."""

    id: int
    name: str
    url: str
    zone_name: str

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.zone_name)

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///") if self.url.startswith("sqlite:///") else self.url


def sites() -> dict[int, Site]:
    """Every configured site by id."""
    return {
        int(site_id): Site(
            int(site_id),
            str(entry.get("name") or f"site {site_id}"),
            str(entry["url"]),
            str(entry.get("time_zone") or settings.ESS_TIME_ZONE),
        )
        for site_id, entry in settings.ESS_SITES.items()
    }


def get_site(site_id: int) -> Site:
    """The configured site ``site_id``; ``EssError`` 400 when there is none."""
    site = sites().get(site_id)
    if site is None:
        raise EssError(f"unknown operating_site_id {site_id}", "Key Error")
    return site


@lru_cache(maxsize=4096)
def _iso_local(value: str | None, zone_name: str) -> str | None:
    if value is None:
        return None
    return parse_stored_time(value, ZoneInfo(zone_name)).isoformat()


def parse_stored_time(value: str, zone: tzinfo) -> datetime:
    """A stored SQLite ``TIMESTAMP`` text as an aware datetime in ``zone`` (no offset: in ``zone``)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _open(site: Site) -> sqlite3.Connection | psycopg.Connection:
    if site.vendor == "postgresql":
        return psycopg.connect(
            site.url,
            options=f"-c default_transaction_read_only=on -c TimeZone={site.zone_name}",
            connect_timeout=10,
        )
    connection = sqlite3.connect(
        f"file:{site.sqlite_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA query_only = ON")
    zone_name = site.zone_name
    connection.create_function("ess_iso", 1, lambda value: _iso_local(value, zone_name), deterministic=True)
    return connection


_local = threading.local()


def connect(site: Site) -> sqlite3.Connection | psycopg.Connection:
    """The thread's read-only connection to ``site``, opened (or re-opened after a failure) on demand."""
    pool: dict[str, object] = _local.__dict__.setdefault("connections", {})
    key = f"{site.url}|{site.zone_name}"
    connection = pool.get(key)
    if isinstance(connection, psycopg.Connection) and (connection.closed or connection.broken):
        connection = None
    if connection is None:
        try:
            connection = _open(site)
        except (sqlite3.Error, psycopg.Error) as exc:
            raise EssError(f"operating site {site.id} is not reachable", "Unavailable", 503) from exc
        pool[key] = connection
    return connection


def discard(site: Site) -> None:
    """Close and forget the thread's connection to ``site`` (after an interrupted stream or an error)."""
    pool: dict[str, object] = _local.__dict__.setdefault("connections", {})
    connection = pool.pop(f"{site.url}|{site.zone_name}", None)
    if connection is not None:
        connection.close()


_SQLITE_KINDS = {
    "INT": "int",
    "REAL": "float",
    "FLOA": "float",
    "DOUB": "float",
    "NUME": "float",
    "JSON": "json",
}
_PG_KINDS = {
    "integer": "int",
    "bigint": "int",
    "smallint": "int",
    "double precision": "float",
    "real": "float",
    "numeric": "float",
    "json": "json",
    "jsonb": "json",
}


def _kind(name: str, declared: str, vendor: str) -> str:
    if name == TIME_COLUMN:
        return "time"
    if vendor == "postgresql":
        return _PG_KINDS.get(declared, "text")
    declared = declared.upper()
    return next((kind for prefix, kind in _SQLITE_KINDS.items() if prefix in declared), "text")


def _introspect(site: Site, table: str) -> list[tuple[str, str]]:
    connection = connect(site)
    try:
        if site.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
                    [table],
                )
                rows = cursor.fetchall()
            connection.rollback()
            return rows
        return [(row[1], row[2]) for row in connection.execute(f'PRAGMA table_info("{table}")')]
    except (sqlite3.Error, psycopg.Error) as exc:
        discard(site)
        raise EssError(f"operating site {site.id} is not reachable", "Unavailable", 503) from exc


_schema_cache: dict[tuple[str, str], tuple[float, Table | None]] = {}


def get_table(site: Site, table: str) -> Table:
    """The discovered columns of ``table`` at ``site``; ``EssError`` 404 when the site has no such table."""
    cache_key = (site.url, table)
    cached = _schema_cache.get(cache_key)
    if cached is None or cached[0] < time.monotonic():
        columns = tuple(
            Column(name, _kind(name, declared, site.vendor)) for name, declared in _introspect(site, table)
        )
        found = Table(table, columns, {c.field: c for c in columns}) if columns else None
        if found is not None and TIME_COLUMN not in (c.name for c in columns):
            found = None
        cached = (time.monotonic() + settings.ESS_SCHEMA_TTL_SEC, found)
        _schema_cache[cache_key] = cached
    if cached[1] is None:
        raise EssError(f"operating site {site.id} has no {table} data", "Index Error", 404)
    return cached[1]


def clear_schema_cache() -> None:
    """Forget every discovered table (tests that change a site's columns)."""
    _schema_cache.clear()


# SQLite calls the progress handler every this many virtual-machine steps (well under a millisecond).
PROGRESS_STEPS = 10_000


class StatementTimeout(EssError):
    """A statement stopped after ``APIS_ESS_STATEMENT_TIMEOUT_SEC``: the selection costs too much."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query ran longer than the limit of {seconds:g} s and was stopped: narrow "
            "start-time/end-time (or use date), select fewer fields or banks/racks, choose a longer "
            "interval, or page with cursor instead of deep page numbers",
            "Timeout Error",
        )


def _pg_rows(connection: psycopg.Connection, sql: str, params: list, seconds: float) -> list[tuple]:
    with connection.cursor() as cursor:
        if seconds:
            # Local to the transaction, which ends right after: the next statement starts without it.
            milliseconds = max(1, round(seconds * 1000))
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{milliseconds}ms"])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    connection.rollback()
    return rows


def _sqlite_rows(connection: sqlite3.Connection, sql: str, params: list, seconds: float) -> list[tuple]:
    if not seconds:
        return connection.execute(sql, params).fetchall()
    deadline = time.monotonic() + seconds
    # A true return value interrupts the statement (``sqlite3.OperationalError`` SQLITE_INTERRUPT).
    connection.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.set_progress_handler(None, 0)


def _timed_out(exc: Exception) -> bool:
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return True
    return isinstance(exc, sqlite3.OperationalError) and exc.sqlite_errorcode == sqlite3.SQLITE_INTERRUPT


def fetch(site: Site, sql: str, params: list) -> list[tuple]:
    """All rows of a short statement (pages, counts), stopped after ``APIS_ESS_STATEMENT_TIMEOUT_SEC``
    (``StatementTimeout``, a 400; 0 means no limit); the read-only transaction ends right after."""
    connection = connect(site)
    seconds = settings.ESS_STATEMENT_TIMEOUT_SEC
    try:
        if site.vendor == "postgresql":
            return _pg_rows(connection, sql, params, seconds)
        return _sqlite_rows(connection, sql, params, seconds)
    except (sqlite3.Error, psycopg.Error) as exc:
        discard(site)
        if _timed_out(exc):
            raise StatementTimeout(seconds) from exc
        raise EssError(
            f"operating site {site.id} could not answer: {exc}".strip(), "Database Error", 503
        ) from exc
