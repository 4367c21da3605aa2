"""The data migration of issue 12 (``community`` 0003/0004), run by Django's migration executor on the test
database (SQLite or PostgreSQL) with data in it: every user-unit link becomes one open period from the
unit's ``available_from`` (from 1900-01-01, the earliest time the project accepts, when it has none), and
migrating back turns periods into links again."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("community", "0002_initial")]
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
MOVED_IN = datetime(2021, 4, 1, 0, 0, tzinfo=UTC)


def migrate(targets):
    """Migrate to ``targets`` and return the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_residency(transactional_db):
    """The database at community 0002 (units with plain user links); migrated forward again afterwards."""
    apps = migrate(BEFORE)
    yield apps
    migrate(latest())


def registry(apps, units: int) -> tuple[list, list]:
    """A cluster of ``units`` units (the odd ones available from ``MOVED_IN``) and as many users."""
    community = apps.get_model("community", "Community").objects.create(code="c", name="C")
    cluster = apps.get_model("community", "Cluster").objects.create(community=community, code="k", name="K")
    Unit, User = apps.get_model("community", "Unit"), apps.get_model("core", "User")
    made = Unit.objects.bulk_create(
        Unit(cluster=cluster, code=f"U{n:04d}", name=f"U{n}", available_from=MOVED_IN if n % 2 else None)
        for n in range(units)
    )
    users = User.objects.bulk_create(User(username=f"u{n:04d}", password="!") for n in range(units))
    return made, users


def test_links_become_open_periods_from_the_units_available_from(before_residency):
    units, users = registry(before_residency, 3)
    Link = before_residency.get_model("community", "Unit").users.through
    Link.objects.bulk_create(
        [
            Link(unit=units[0], user=users[0]),
            Link(unit=units[1], user=users[0]),
            Link(unit=units[1], user=users[1]),
        ]
    )

    apps = migrate(latest())

    periods = apps.get_model("community", "Residency").objects.order_by("user__username", "unit__code")
    assert [(p.user.username, p.unit.code, p.start, p.end) for p in periods] == [
        ("u0000", "U0000", EARLIEST, None),
        ("u0000", "U0001", MOVED_IN, None),
        ("u0001", "U0001", MOVED_IN, None),
    ]
    assert not any(field.name == "users" for field in apps.get_model("community", "Unit")._meta.get_fields())


def test_many_links_are_migrated_in_batches_without_losing_one(before_residency):
    units, users = registry(before_residency, 1200)
    Link = before_residency.get_model("community", "Unit").users.through
    Link.objects.bulk_create(Link(unit=unit, user=user) for unit, user in zip(units, users, strict=True))
    Link.objects.bulk_create(Link(unit=units[0], user=user) for user in users[1:1100])

    apps = migrate(latest())

    Residency = apps.get_model("community", "Residency")
    assert Residency.objects.count() == 1200 + 1099
    assert Residency.objects.filter(unit__code="U0000").count() == 1100
    assert Residency.objects.filter(start=MOVED_IN).count() == 600
    assert not Residency.objects.filter(end__isnull=False).exists()


def test_migrating_back_turns_each_users_periods_in_a_unit_into_one_link(before_residency):
    units, users = registry(before_residency, 2)
    apps = migrate(latest())
    Residency = apps.get_model("community", "Residency")
    Residency.objects.bulk_create(
        [
            Residency(unit_id=units[0].pk, user_id=users[0].pk, start=EARLIEST, end=MOVED_IN),
            Residency(unit_id=units[0].pk, user_id=users[0].pk, start=datetime(2022, 1, 1, tzinfo=UTC)),
            Residency(unit_id=units[1].pk, user_id=users[1].pk, start=MOVED_IN),
        ]
    )

    old = migrate(BEFORE)

    links = old.get_model("community", "Unit").users.through.objects.order_by("unit__code", "user__username")
    assert [(link.unit.code, link.user.username) for link in links] == [
        ("U0000", "u0000"),
        ("U0001", "u0001"),
    ]
