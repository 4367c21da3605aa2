"""The catalog of operating sites (``GET /api/ess/operating-sites/``): for every configured site its component
tables with the discovered fields, the ordering keys and the time span of the stored rows.

Columns come from the schema cache of :mod:`apis.ess.sites`; the span is ``MIN``/``MAX`` of the indexed time
column (two index look-ups per table). A site that cannot be reached is listed with an ``error`` instead of
failing the whole answer.
"""

from datetime import datetime
from typing import Any

from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apis.ess.errors import EssError
from apis.ess.query import quote
from apis.ess.sites import TABLES, TIME_COLUMN, Site, Table, fetch, get_table, parse_stored_time, sites
from apis.ess.views import ERRORS, EssThrottle


def _iso(value: datetime | str | None, site: Site) -> str | None:
    """A stored time (aware datetime from PostgreSQL, text from SQLite) as ISO 8601 with the site's offset."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_stored_time(value, site.zone).isoformat()
    return value.astimezone(site.zone).isoformat()


def table_entry(site: Site, table: Table) -> dict[str, Any]:
    """Fields, keys and the first and last time of one component table (``null`` times when it is empty)."""
    name, time = quote(table.name), quote(TIME_COLUMN)
    span = f"SELECT (SELECT MIN({time}) FROM {name}), (SELECT MAX({time}) FROM {name})"
    first, last = fetch(site, span, [])[0]
    return {
        "fields": [column.field for column in table.columns],
        "keys": [key.lower() for key in table.keys],
        "first": _iso(first, site),
        "last": _iso(last, site),
    }


def site_entry(site: Site) -> dict[str, Any]:
    """One site of the catalog; tables the site lacks are left out, an unreachable site carries ``error``."""
    entry: dict[str, Any] = {"id": site.id, "name": site.name, "tables": {}}
    try:
        for table_name in TABLES:
            try:
                table = get_table(site, table_name)
            except EssError as exc:
                if exc.status != 404:
                    raise
                continue
            entry["tables"][table_name] = table_entry(site, table)
    except EssError as exc:
        return {"id": site.id, "name": site.name, "tables": {}, "error": exc.message}
    return entry


def catalog() -> list[dict[str, Any]]:
    """Every configured site in id order."""
    return [site_entry(site) for _, site in sorted(sites().items())]


class OperatingSitesView(APIView):
    """The configured operating sites with their tables, fields and time spans."""

    throttle_classes = [EssThrottle]

    @extend_schema(
        responses={
            200: build_array_type(build_basic_type(OpenApiTypes.OBJECT)),
            401: ERRORS[401],
            429: ERRORS[429],
        }
    )
    def get(self, request: Request) -> Response:
        return Response(catalog())
