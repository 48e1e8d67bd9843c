"""The database a test runs on is fully migrated, guards included, however it was made (tests/bookings/test_concurrency.py shows the guard refusing): by pytest-django
directly (`-n 0`) or copied from the run's migrated template (xdist workers, tests/template_db.py)."""

import re
from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import slotwise

MIGRATIONS = sorted(Path(slotwise.__file__).parent.glob("*/migrations/0*.py"))


def _guards_in_migrations() -> dict[str, set[str]]:
    """Names of the triggers (SQLite) and constraints (PostgreSQL) that migrations create in raw SQL."""
    text = "\n".join(p.read_text() for p in MIGRATIONS)
    return {
        "sqlite": set(re.findall(r"CREATE TRIGGER (\w+)", text)),
        "postgresql": set(re.findall(r"ADD CONSTRAINT (\w+)", text)),
    }


def _guards_in_database() -> set[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cur.execute("SELECT conname FROM pg_constraint WHERE contype = 'x'")
        return {row[0] for row in cur.fetchall()}


def test_every_migration_is_applied(db):
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_the_raw_sql_guards_of_the_migrations_are_in_the_database(db):
    expected = _guards_in_migrations()[connection.vendor]
    assert "bookinghost_no_overlap" in " ".join(expected)  # the double-booking guard is among them
    assert expected <= _guards_in_database()
