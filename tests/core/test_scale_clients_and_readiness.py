import os
import re
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from slotwise.api.v2 import api
from slotwise.core import readiness
from slotwise.core import redis as core_redis
from slotwise.core.clock import utc_now
from slotwise.jobs.services import beat

REDIS_URL = os.environ.get("SLOTWISE_TEST_REDIS_URL")


def test_openapi_document_is_built_once_per_process_and_equals_a_fresh_build(db):
    api.__dict__.pop("_openapi_cache", None)
    with mock.patch("ninja.main.get_schema", wraps=__import__("ninja.main").main.get_schema) as build:
        first = Client().get("/api/v2/openapi.json")
        second = Client().get("/api/v2/openapi.json")
    assert first.status_code == second.status_code == 200
    assert build.call_count == 1
    assert first.json() == second.json()
    fresh = Client().get("/api/v2/openapi.json").json()
    api.__dict__.pop("_openapi_cache", None)
    assert Client().get("/api/v2/openapi.json").json() == fresh


@pytest.mark.skipif(not REDIS_URL, reason="set SLOTWISE_TEST_REDIS_URL to a real Redis")
def test_racing_first_use_of_the_redis_client_makes_one_client_and_no_errors(settings):
    from slotwise.core.ratelimit import _count_redis

    settings.REDIS_URL = REDIS_URL
    core_redis._clients.clear()
    barrier, errors, seen = threading.Barrier(32), [], []

    def use():
        try:
            barrier.wait()
            seen.append(id(core_redis.client(REDIS_URL)))
            for _ in range(20):
                _count_redis("race-test", 0, 60)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(seen)) == 1
    assert len([k for k in core_redis._clients if k[0] == REDIS_URL]) == 1


@pytest.fixture
def worker_beating(db):
    """A job worker that beat just now, as `slotwise worker` does every few seconds."""
    at = utc_now()
    beat(worker_id="box-1:4242:1", started_at=at - timedelta(minutes=5), now=at, jobs_done=3)


def test_readyz_is_200_when_every_dependency_answers(worker_beating, settings):
    settings.REDIS_URL = REDIS_URL or ""
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"] == checks["migrations"] == "ok"
    assert checks["redis"] == ("ok" if REDIS_URL else "not configured")
    assert checks["worker"].startswith("ok (1 worker(s), last beat ")


def test_healthz_stays_200_while_readyz_is_503(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert Client().get("/readyz").status_code == 503
    assert Client().get("/healthz").status_code == 200


def _unreachable_database():
    """A real connection to a database that is not there: PostgreSQL on a closed port, SQLite in a folder
    that does not exist."""
    params = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        params.update(HOST="127.0.0.1", PORT="1")
    else:
        params["NAME"] = "/nonexistent-folder/slotwise.sqlite3"
    return type(connections["default"])(params, alias="unreachable")


def test_readyz_is_503_naming_a_database_that_does_not_answer_and_the_fix(worker_beating, settings, monkeypatch):
    settings.REDIS_URL = ""
    down = _unreachable_database()
    monkeypatch.setattr(readiness, "connection", down)
    try:
        response = Client().get("/readyz")
    finally:
        down.close()
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database", "migrations", "worker"]
    assert body["checks"]["database"].startswith("failing: the database does not answer (OperationalError")
    assert "check DATABASE_URL and that the database server is running" in body["checks"]["database"]
    assert body["checks"]["migrations"] == "skipped: the database does not answer"


def test_readyz_is_503_naming_an_unapplied_migration_and_the_fix(worker_beating, settings):
    settings.REDIS_URL = ""
    # The database forgets it applied the newest jobs migration, as on a box whose code is newer than its
    # schema (inside the test's transaction, rolled back after).
    latest = max(name for app, name in MigrationRecorder(connection).applied_migrations() if app == "jobs")
    MigrationRecorder.Migration.objects.filter(app="jobs", name=latest).delete()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == (
        f"failing: 1 migration(s) not applied (jobs.{latest}); run `slotwise migrate`"
    )


def test_readyz_is_503_naming_redis_on_a_closed_port_and_the_fix(worker_beating, settings):
    settings.REDIS_URL = "redis://:hunter2@127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"]
    said = response.json()["checks"]["redis"]
    assert said.startswith("failing: Redis at redis://:***@127.0.0.1:1/0 does not answer (ConnectionError")
    assert said.endswith("check REDIS_URL and that Redis is running")
    assert "hunter2" not in said


def test_readyz_is_503_when_no_worker_ever_reported(db, settings):
    settings.REDIS_URL = ""
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
    assert response.json()["checks"]["worker"] == (
        "failing: no job worker has reported; start one: `slotwise worker` (or `slotwise serve`, which runs one)"
    )


def test_readyz_is_503_naming_a_stale_worker_heartbeat_and_the_fix(db, settings):
    settings.REDIS_URL, settings.SLOTWISE_WORKER_STALE_SECONDS = "", 60
    at = utc_now()
    beat(worker_id="box-1:4242:1", started_at=at - timedelta(hours=1), now=at - timedelta(seconds=600), jobs_done=9)
    beat(worker_id="box-2:77:1", started_at=at - timedelta(hours=1), now=at - timedelta(seconds=300), jobs_done=9)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
    said = response.json()["checks"]["worker"]
    assert re.fullmatch(
        r"failing: the newest job worker heartbeat \(box-2:77:1\) is 30\d s old \(limit 60 s\): no worker is "
        r"working the queue; start or restart `slotwise worker`",
        said,
    ), said
