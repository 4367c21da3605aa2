"""``APIS_ESS_SCHEMA_TTL_SEC``: the columns discovered at a site are reused for that long, so a column added
to the site's database shows at once with no caching and not before the time is up with a long one."""

import sqlite3

import psycopg
import pytest

URL = "/api/ess/operating-sites/"


def add_column(url: str, table: str, column: str) -> None:
    """Add a REAL column to a site's table behind the service's back (a site's software upgrade)."""
    statement = f'ALTER TABLE "{table}" ADD COLUMN "{column}" REAL'
    if url.startswith("postgresql://"):
        with psycopg.connect(url) as site:
            site.execute(statement)
    else:
        with sqlite3.connect(url) as site:
            site.execute(statement)
        site.close()


def pcs_fields(client) -> list[str]:
    answer = client.get(URL)
    assert answer.status_code == 200
    return answer.json()[0]["tables"]["pcs"]["fields"]


@pytest.mark.parametrize(("ttl", "seen"), [(0, True), (3600, False)])
def test_a_column_added_at_a_site_shows_on_the_next_request_only_once_the_schema_ttl_is_over(
    researcher, ess_sites, settings, ttl, seen
):
    settings.ESS_SCHEMA_TTL_SEC = ttl
    assert "grid_frequency" not in pcs_fields(researcher)
    add_column(ess_sites[1], "pcs", "GRID_FREQUENCY")
    assert ("grid_frequency" in pcs_fields(researcher)) is seen
