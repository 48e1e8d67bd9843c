import os
import threading
from unittest import mock

import pytest
from django.test import Client

from slotwise.api.v2 import api
from slotwise.core import redis as core_redis
from slotwise.core import urls as core_urls

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


def test_readyz_is_200_when_every_dependency_answers(db, settings):
    settings.REDIS_URL = REDIS_URL or ""
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"] == checks["migrations"] == "ok"
    assert checks["redis"] == ("ok" if REDIS_URL else "not configured")
    assert checks["worker"] == "unknown"


def test_readyz_is_503_naming_a_database_that_does_not_answer(db, settings):
    settings.REDIS_URL = ""
    with mock.patch.object(core_urls.connection, "cursor", side_effect=OSError("connection refused")):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "migrations"]


def test_readyz_is_503_naming_unapplied_migrations(db, settings):
    settings.REDIS_URL = ""
    with mock.patch("django.db.migrations.executor.MigrationExecutor.migration_plan", return_value=[("m", False)]):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert "slotwise migrate" in response.json()["checks"]["migrations"]


def test_readyz_is_503_naming_redis_on_a_closed_port(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"]
