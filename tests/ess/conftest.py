"""Site databases for the ESS tests: site 1 (basic columns) and site 2 (extended), in SQLite or PostgreSQL."""

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.test import Client

from apis.ess.generate import Spec, generate
from apis.ess.sites import clear_schema_cache, discard, sites

PG_SERVER = os.environ.get("APIS_ESS_TEST_PG", "postgresql://apis:apis@127.0.0.1:5432/")
SEOUL = ZoneInfo("Asia/Seoul")
START = datetime(2022, 9, 1, tzinfo=SEOUL)


def _pg_database(name: str, create: bool) -> None:
    with psycopg.connect(PG_SERVER + "postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            connection.execute(f"CREATE DATABASE {name}")


@contextmanager
def site_databases(vendor: str, directory, label: str, ids: tuple[int, ...]) -> Iterator[dict[int, str]]:
    """Empty site databases of ``vendor`` (SQLite files in ``directory`` or new PostgreSQL databases named
    ``apis_ess_<label><id>_<random>``), dropped on exit; yields site id → database URL."""
    urls, names = {}, []
    try:
        for site_id in ids:
            if vendor == "sqlite":
                urls[site_id] = str(directory / f"{label}{site_id}.sqlite3")
            else:
                name = f"apis_ess_{label}{site_id}_{uuid.uuid4().hex[:8]}"
                _pg_database(name, create=True)
                names.append(name)
                urls[site_id] = PG_SERVER + name
        yield urls
    finally:
        for name in names:
            _pg_database(name, create=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def ess_sites(request, tmp_path, settings):
    """Two sites, one day of data every 10 minutes (site 1: 2 banks × 2 racks; site 2: 1 bank × 3 racks)."""
    with site_databases(request.param, tmp_path, "t", (1, 2)) as urls:
        generate(urls[1], Spec("basic", START, 1, 600, 2, 2))
        generate(urls[2], Spec("extended", START, 1, 600, 1, 3))
        settings.ESS_SITES = {str(k): {"name": f"site {k}", "url": url} for k, url in urls.items()}
        clear_schema_cache()
        yield urls
        for site in sites().values():
            discard(site)
        clear_schema_cache()


def append_rows(url: str, table: str, rows: list[dict]) -> None:
    """Insert rows into a site database behind the service's back (as the site's own collector would)."""
    for row in rows:
        names = ", ".join(f'"{key}"' for key in row)
        if url.startswith("postgresql://"):
            with psycopg.connect(url) as connection:
                marks = ", ".join(["%s"] * len(row))
                connection.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values()))
        else:
            with sqlite3.connect(url) as connection:
                marks = ", ".join(["?"] * len(row))
                values = [
                    v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v for v in row.values()
                ]
                connection.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)


@pytest.fixture
def researcher(django_user_model) -> Client:
    """A client logged in (session) as an ordinary user."""
    client = Client()
    client.force_login(django_user_model.objects.create_user("researcher", password="secret-pass-1"))
    return client
