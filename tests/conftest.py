"""Shared fixtures: the ``apis-demo`` registry and a logged-in client per role.

Roles, as in the original: ``admin`` is staff (and resident of all four units), ``e001`` is the resident
of E001, ``e002`` a resident of another unit, ``nonresident`` a user without units.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tests.helpers import MailServer, free_port, in_thread


@pytest.fixture(autouse=True)
def apis_time_zone(settings):
    """APIS local times (``yyyy/MM/dd-HH:mm:ss``) are read in Asia/Tokyo, whatever the environment says."""
    settings.APIS_TIME_ZONE = "Asia/Tokyo"


@pytest.fixture
def demo_registry(db):
    """The registry of the original demo: users, OSS Community/Cluster, units E001–E004, five scenarios."""
    call_command("loaddata", "apis-demo", verbosity=0)


@pytest.fixture
def client_as(demo_registry, django_user_model):
    """``client_as("e001")`` returns a client logged in as that user; ``client_as(None)`` an anonymous one."""

    def make(username: str | None, **kwargs) -> Client:
        client = Client(**kwargs)
        if username:
            client.force_login(django_user_model.objects.get(username=username))
        return client

    return make


@pytest.fixture
def staff(client_as) -> Client:
    return client_as("admin")


@pytest.fixture
def resident(client_as) -> Client:
    return client_as("e001")


@pytest.fixture
def live_database(transactional_db, tmp_path) -> str:
    """A database runner processes can share with the test; yields its URL."""
    settings_dict = connection.settings_dict
    if connection.vendor != "sqlite":
        yield "postgresql://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**settings_dict)
        return
    original = settings_dict["NAME"]
    settings_dict["NAME"] = str(tmp_path / "runners.sqlite3")
    try:
        in_thread(lambda: call_command("migrate", verbosity=0) or True)
        yield f"sqlite:///{settings_dict['NAME']}"
    finally:
        settings_dict["NAME"] = original


@pytest.fixture
def mail_server():
    server = MailServer(free_port()).start()
    yield server
    server.stop()
