"""What /readyz checks: the database answers, every migration is applied, Redis answers (when configured), and
apps' own checks (jobs: a worker's heartbeat is recent), registered with `register(name, fn)` in their
AppConfig.ready() (core imports no app).

A check returns a short word ("ok", "not configured") or raises `NotReady` with what is wrong and the fix;
any other exception is reported with its class and text."""

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection


class NotReady(Exception):  # noqa: N818 - the answer of a failing check, said to an operator
    pass


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        raise NotReady(
            f"the database does not answer ({exc.__class__.__name__}: {exc}); "
            "check DATABASE_URL and that the database server is running"
        ) from exc
    return "ok"


def check_migrations() -> str:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5]) + (" ..." if len(plan) > 5 else "")
        raise NotReady(f"{len(plan)} migration(s) not applied ({names}); run `slotwise migrate`")
    return "ok"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def check_redis() -> str:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return "not configured"
    from .redis import client

    try:
        client(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        raise NotReady(
            f"Redis at {_without_password(url)} does not answer ({exc.__class__.__name__}: {exc}); "
            "check REDIS_URL and that Redis is running"
        ) from exc
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "migrations": check_migrations,
    "redis": check_redis,
}
NEEDS_DATABASE = {"migrations"}


def register(name: str, fn: Callable[[], str], *, needs_database: bool = True) -> None:
    CHECKS[name] = fn
    if needs_database:
        NEEDS_DATABASE.add(name)


def run() -> tuple[dict[str, str], list[str]]:
    """(what each check said, the names of those failing)."""
    results: dict[str, str] = {}
    failing: list[str] = []
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and "database" in failing:
            results[name] = "skipped: the database does not answer"
            failing.append(name)
            continue
        try:
            results[name] = check()
        except NotReady as exc:
            results[name] = f"failing: {exc}"[:500]
            failing.append(name)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; it is reported, not raised
            results[name] = f"failing: {exc.__class__.__name__}: {exc}"[:500]
            failing.append(name)
    return results, failing
