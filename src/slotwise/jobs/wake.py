"""Waking idle workers when a job is written. The Job table is the queue. A wake-up only cuts latency: one
that is lost costs at most one poll interval, never a job.

How a worker learns of new work, by `settings.SLOTWISE_JOBS_WAKE`:
- "database" (the default):
  - on PostgreSQL, `NOTIFY slotwise_jobs`, sent inside the enqueuing transaction, so PostgreSQL delivers
    it when that transaction commits and drops it on rollback. Each worker LISTENs on its own connection.
  - on SQLite, nothing is sent: workers poll every interval.
- "redis": after the commit, a push to a Redis list (`REDIS_URL`, key `SLOTWISE_JOBS_REDIS_KEY`). Each
  push wakes one of the workers blocked on the list, on any machine. Use it when workers run on several
  machines, or when the database is behind a pooler that cannot LISTEN (PgBouncer in transaction mode).

Whatever the mode, workers also poll every interval. That covers due times in the future, retries, lost
wake-ups and expired leases.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction

log = logging.getLogger(__name__)

CHANNEL = "slotwise_jobs"
MODES = ("database", "redis")
REDIS_KEEP = 1000  # wake-ups kept while no worker listens; one is enough, more wake more workers at once
# The longest a worker blocks without looking at its stop flag (SIGTERM is answered within this).
STOP_CHECK_SECONDS = 0.5


def mode() -> str:
    value = getattr(settings, "SLOTWISE_JOBS_WAKE", "database") or "database"
    if value not in MODES:
        raise ImproperlyConfigured(
            f"SLOTWISE_JOBS_WAKE is {value!r}; use 'database' (NOTIFY on PostgreSQL, polling on SQLite) or 'redis'"
        )
    return value


def announce() -> None:
    """Tell idle workers that a job was written. Call it inside the transaction that wrote the job. The
    workers hear of it only once that transaction commits, and never if it rolls back."""
    if mode() == "redis":
        transaction.on_commit(_push, robust=True)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL holds this until COMMIT, and sends it once however often it
            # was asked for. In autocommit it is sent at once.
            cursor.execute(f"NOTIFY {CHANNEL}")


def _push() -> None:
    try:
        client = _redis()
        key = _redis_key()
        with client.pipeline(transaction=False) as p:
            p.rpush(key, "1")
            p.ltrim(key, -REDIS_KEEP, -1)
            p.execute()
    except Exception:  # noqa: BLE001 - a wake-up that fails must not fail the request that committed
        log.warning(
            "could not wake the job workers through Redis; they will find the job on their next poll", exc_info=True
        )


def _redis():
    from slotwise.core.redis import client

    return client(settings.REDIS_URL or "redis://127.0.0.1:6379/0", socket_timeout=30)  # one per process


def _redis_key() -> str:
    return getattr(settings, "SLOTWISE_JOBS_REDIS_KEY", "") or "slotwise:jobs"


def clear_redis() -> None:
    """Forget the wake-ups waiting in Redis (tests, and the bench between runs)."""
    _redis().delete(_redis_key())


class Waiter:
    """How one worker waits: `wait()` returns True when woken, False when the timeout passed or `stop`
    was set. This base class only polls (SQLite)."""

    name = "polling"

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        stop.wait(timeout)
        return False

    def close(self) -> None:
        pass


class PostgresWaiter(Waiter):
    """LISTEN on a connection of its own (psycopg 3's `notifies()`), opened before the worker's first
    look at the queue. Notifications sent while the worker is busy wait in that connection."""

    name = "PostgreSQL LISTEN/NOTIFY"

    # OPTIONS keys that Django reads itself; everything else in OPTIONS is a libpq connection parameter.
    DJANGO_OPTIONS = {"isolation_level", "server_side_binding", "assume_role", "pool", "cursor_factory"}

    def __init__(self, alias: str = "default"):
        import psycopg

        s = connections[alias].settings_dict
        params = {
            "dbname": s.get("NAME"),
            "user": s.get("USER"),
            "password": s.get("PASSWORD"),
            "host": s.get("HOST"),
            "port": s.get("PORT"),
        }
        params = {k: str(v) for k, v in params.items() if v}
        params.update({k: v for k, v in (s.get("OPTIONS") or {}).items() if k not in self.DJANGO_OPTIONS})
        self.conn = psycopg.connect(**params, autocommit=True)
        self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if any(True for _ in self.conn.notifies(timeout=min(left, STOP_CHECK_SECONDS), stop_after=1)):
                # Take whatever else has already arrived: one look at the queue serves all of them.
                for _ in self.conn.notifies(timeout=0.001):
                    pass
                return True
        return False

    def close(self) -> None:
        self.conn.close()


class RedisWaiter(Waiter):
    """BLPOP on the wake-up list: each push wakes one blocked worker."""

    name = "Redis"

    def __init__(self):
        self.client = _redis()
        self.key = _redis_key()

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            # BLPOP takes whole or fractional seconds; at least 10 ms, or it would block forever.
            if self.client.blpop([self.key], timeout=max(0.01, min(left, STOP_CHECK_SECONDS))) is not None:
                return True
        return False


def waiter(alias: str = "default") -> Waiter:
    """The waiter for this deployment: Redis if configured, else LISTEN on PostgreSQL, else polling."""
    if mode() == "redis":
        return RedisWaiter()
    if connections[alias].vendor == "postgresql":
        return PostgresWaiter(alias)
    return Waiter()
