from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.urls import path


def healthz(request):
    return JsonResponse({"status": "ok"})


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_migrations() -> str:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migrations not applied; run `slotwise migrate`")
    return "ok"


def check_redis() -> str:
    if not getattr(settings, "REDIS_URL", None):
        return "not configured"
    from slotwise.core.redis import client

    client(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    return "ok"


def check_worker() -> str:
    # Jobs hold a per-job lease with a heartbeat while running (jobs/services.py), but there is no
    # process-level worker heartbeat, so an idle healthy worker cannot be told from a dead one.
    return "unknown"


CHECKS = {"database": check_database, "migrations": check_migrations, "redis": check_redis, "worker": check_worker}


def readyz(request):
    """200 when every dependency answers, 503 naming each one that does not."""
    results, failing = {}, []
    for name, check in CHECKS.items():
        if name == "migrations" and "database" in failing:
            results[name] = "skipped: database unavailable"
            failing.append(name)
            continue
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; it is reported, not raised
            results[name] = f"failing: {exc.__class__.__name__}: {exc}"[:300]
            failing.append(name)
    body = {"status": "ok" if not failing else "unavailable", "checks": results}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


urlpatterns = [path("healthz", healthz, name="healthz"), path("readyz", readyz, name="readyz")]
