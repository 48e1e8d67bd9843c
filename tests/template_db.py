"""One migrated test database per run, copied for each pytest-xdist worker.

Without this, every worker runs all migrations into a database of its own. With it, the controller migrates
the test database once, before the workers start (the same `create_test_db` pytest-django calls, so the
schema, RunSQL triggers and exclusion constraints included, is exactly what migrations build), and each
worker starts from a copy: on PostgreSQL `CREATE DATABASE ... TEMPLATE`, on SQLite a copy of the file (Django's
`clone_test_db`, as its own parallel test runner does). tests/test_template_db.py checks that a worker's copy
has the guards.

Used only with xdist workers and without --reuse-db; otherwise pytest-django sets up as usual.
"""

import fcntl
import os
from pathlib import Path

ENV = "SLOTWISE_TEST_TEMPLATE_DB"  # the migrated database's name, handed from the controller to its workers


def wanted(config) -> bool:
    """True in an xdist controller about to start workers for a run that needs the database."""
    return bool(
        getattr(config.option, "numprocesses", None)
        and not hasattr(config, "workerinput")
        and not config.option.collectonly
        and not config.getoption("reuse_db", False)
        and not config.getoption("create_db", False)
    )


def _unblocked(config):
    from pytest_django.plugin import blocking_manager_key

    return config.stash[blocking_manager_key].unblock()


def create(config) -> None:
    """Controller: migrate the run's test database (named as pytest-django would without xdist)."""
    from django.db import connection

    with _unblocked(config):
        original = connection.settings_dict["NAME"]
        name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        connection.close()  # SQLite: the last connection folds the WAL into the file; PostgreSQL: a template
        # may have no sessions while it is copied
    config._slotwise_template = original
    os.environ[ENV] = name


def destroy(config) -> None:
    """Controller, at the end of the run: drop the template."""
    from django.db import connection

    original = getattr(config, "_slotwise_template", None)
    if original is None:
        return
    with _unblocked(config):
        connection.creation.destroy_test_db(original, verbosity=0)
    os.environ.pop(ENV, None)


def clone(config, template: str) -> str:
    """Worker: a copy of the template named after this worker (`..._gw0`); the connection now points at it."""
    from django.conf import settings
    from django.db import connection

    suffix = config.workerinput["workerid"]
    lock = Path(settings.DATA_DIR) / f".test-template-{Path(template).name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    connection.settings_dict["NAME"] = template
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # one copy at a time: PostgreSQL refuses a template in use
        connection.creation.clone_test_db(suffix=suffix, verbosity=0, keepdb=False)
    name = connection.creation.get_test_db_clone_settings(suffix)["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = name
    return name


def drop_clone(template: str) -> None:
    """Worker, at its end: drop its copy (destroy_test_db drops the database the connection points at)."""
    from django.db import connection

    connection.creation.destroy_test_db(template, verbosity=0)
