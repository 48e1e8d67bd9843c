"""The worker loop behind `slotwise worker`: wait for a wake-up from the task backend (or the poll
interval), then run every due Job. Several threads or processes may run it; claims keep them apart."""

import logging
import threading
import time

from django.db import close_old_connections, connection
from django_tasks import task_backends
from django_tasks.utils import get_random_id
from django_tasks_db.backend import DatabaseBackend

from slotwise.core.clock import utc_now

from .redis_backend import RedisBackend
from .services import prune, run_due
from .tasks import tick

log = logging.getLogger("slotwise.worker")
PRUNE_EVERY_SECONDS = 600


class Worker:
    def __init__(self, *, backend_alias: str = "default", interval: float = 1.0, stop: threading.Event | None = None):
        self.backend = task_backends[backend_alias]
        self.interval = interval
        self.stop = stop or threading.Event()
        self.worker_id = get_random_id()
        self.ran = 0
        self._pruned_at = 0.0

    def wait(self) -> None:
        """Return when woken by a task-backend message, or after the poll interval (the periodic tick)."""
        if isinstance(self.backend, RedisBackend):
            message = self.backend.pop(timeout=self.interval)
            if message is not None and message["task"] != tick.module_path:
                self.backend.run(message)
            return
        if isinstance(self.backend, DatabaseBackend):
            deadline = time.monotonic() + self.interval
            while not self.stop.is_set() and time.monotonic() < deadline:
                if self._take_db_tasks():
                    return
                self.stop.wait(min(0.05, self.interval))
            return
        self.stop.wait(self.interval)

    def _take_db_tasks(self) -> bool:
        """Consume pending ticks (one run_due serves them all) and run any other task that is waiting."""
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult
        from django_tasks_db.utils import exclusive_transaction

        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend.alias)
        ticks = list(ready.filter(task_path=tick.module_path).values_list("pk", flat=True)[:500])
        if ticks:
            # A tick carries nothing worth keeping; consuming it is deleting it, so the table does not grow.
            DBTaskResult.objects.filter(pk__in=ticks, status=TaskResultStatus.READY).delete()
        other = None
        others = ready.exclude(task_path=tick.module_path)
        if not others.exists():  # a plain read first: the exclusive transaction below blocks writers on SQLite
            return bool(ticks)
        with exclusive_transaction(ready.db):
            other = others.get_locked()
            if other is not None:
                other.claim(self.worker_id)
        if other is not None:
            from django_tasks_db.management.commands.db_worker import Worker as DBWorker

            DBWorker(
                queue_names=["*"], interval=0, batch=True, backend_name=self.backend.alias, startup_delay=False,
                max_tasks=None, worker_id=self.worker_id, excluded_queue_names=[],
            ).run_task(other)
        return bool(ticks) or other is not None

    def run_once(self) -> int:
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            pruned = prune(utc_now())
            if pruned:
                log.info("worker %s forgot %s finished job(s)", self.worker_id, pruned)
        n = 0
        while not self.stop.is_set():
            ran = run_due(utc_now())
            n += ran
            if ran < 100:
                break
        self.ran += n
        if n:
            log.info("worker %s ran %s job(s)", self.worker_id, n)
        return n

    def loop(self) -> None:
        log.info("worker %s started (backend %s, poll every %ss)", self.worker_id, self.backend.alias, self.interval)
        try:
            while not self.stop.is_set():
                close_old_connections()
                try:
                    self.run_once()
                    if not self.stop.is_set():
                        self.wait()
                except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                    log.exception("worker %s: tick failed; retrying after the poll interval", self.worker_id)
                    self.stop.wait(self.interval)
        finally:
            connection.close()
            log.info("worker %s stopped after %s job(s)", self.worker_id, self.ran)


def command_line(*, concurrency: int = 1, interval: float = 0.5) -> list[str]:
    """How `slotwise serve` starts its worker: a child process with the server's environment, stopped with
    SIGTERM when the server stops (it finishes the job in hand, then exits 0)."""
    import sys

    return [sys.executable, "-m", "slotwise", "worker", "--concurrency", str(concurrency), "--interval", str(interval)]
