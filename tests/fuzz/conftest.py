"""Fixtures of the API fuzzer: the seeded world, the ESS sites and a caller per role."""

import logging

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from apis.ess.generate import Spec, generate
from apis.ess.sites import clear_schema_cache, discard, sites
from tests.fuzz.generation import describe_run
from tests.fuzz.world import FAST_HASHER, ROLES, Caller, World, caller, seed
from tests.helpers import START, site_databases


def pytest_terminal_summary(terminalreporter) -> None:
    """The budget of the run and the seed that replays it, after the results."""
    terminalreporter.write_line(describe_run())


@pytest.fixture(scope="session")
def ess_site_urls(tmp_path_factory):
    """Two ESS demo sites of the suite's database vendor (one day every 10 minutes), shared by the run."""
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    with site_databases(vendor, tmp_path_factory.mktemp("ess"), "fuzz", (1, 2)) as urls:
        generate(urls[1], Spec("basic", START, 1, 600, 2, 2))
        generate(urls[2], Spec("extended", START, 1, 600, 1, 3))
        yield urls


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, ess_site_urls) -> World:
    """The seeded database, shared by the module's tests: seeded once in a transaction that each test's
    own (the ``db`` fixture's savepoint) nests in, and rolled back at the end of the module."""
    ess_sites = {str(k): {"name": f"site {k}", "url": url} for k, url in ess_site_urls.items()}
    request_log = logging.getLogger("django.request")  # a warning for every refused request: errors only
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    with (
        django_db_blocker.unblock(),
        override_settings(ESS_SITES=ess_sites, PASSWORD_HASHERS=[FAST_HASHER]),
        transaction.atomic(),
    ):
        clear_schema_cache()
        call_command("loaddata", "apis-demo", verbosity=0)
        yield seed()
        transaction.set_rollback(True)
        for site in sites().values():
            discard(site)
        clear_schema_cache()
    request_log.setLevel(level)


@pytest.fixture(params=ROLES)
def role_caller(request, world, db) -> Caller:
    """The caller of each role in turn."""
    return caller(request.param, world)


@pytest.fixture
def callers(world, db) -> dict[str, Caller]:
    """The caller of every role, by role."""
    return {role: caller(role, world) for role in ROLES}
