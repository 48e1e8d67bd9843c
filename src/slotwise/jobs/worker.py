"""The worker loop behind `slotwise worker`: run every due Job, then wait for a wake-up (NOTIFY on
PostgreSQL, Redis at scale) or the poll interval, and again. Several threads or processes may run it;
claims keep them apart."""

import logging
import os
import socket
import threading
import time
from itertools import count

from django.db import close_old_connections, connection

from slotwise.core.clock import utc_now

from . import wake
from .services import prune, run_due

log = logging.getLogger("slotwise.worker")
PRUNE_EVERY_SECONDS = 600
_numbers = count(1)


class Worker:
    def __init__(self, *, interval: float = 1.0, stop: threading.Event | None = None):
        self.interval = interval
        self.stop = stop or threading.Event()
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{next(_numbers)}"
        self.ran = 0
        self._pruned_at = 0.0
        self._waiter: wake.Waiter | None = None

    @property
    def waiter(self) -> wake.Waiter:
        if self._waiter is None:
            self._waiter = wake.waiter()
        return self._waiter

    def wait(self) -> bool:
        """Return when woken (True), or after the poll interval or a stop (False)."""
        try:
            return self.waiter.wait(self.interval, self.stop)
        except Exception:
            # A broken LISTEN connection or an unreachable Redis: start afresh at the next wait.
            self.close_waiter()
            raise

    def close_waiter(self) -> None:
        if self._waiter is not None:
            try:
                self._waiter.close()
            finally:
                self._waiter = None

    def run_once(self) -> int:
        """Run jobs until none is due. Between two jobs, a stop request ends the run: SIGTERM finishes the
        job in hand, not the whole queue."""
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            pruned = prune(utc_now())
            if pruned:
                log.info("worker %s forgot %s finished job(s)", self.worker_id, pruned)
        n = 0
        while not self.stop.is_set() and run_due(limit=1):
            n += 1
        self.ran += n
        if n:
            log.info("worker %s ran %s job(s)", self.worker_id, n)
        return n

    def loop(self) -> None:
        try:
            # Listen before the first look at the queue, so that nothing written in between goes unheard.
            name = self.waiter.name
        except Exception:  # noqa: BLE001 - the worker still works by polling; the next wait tries again
            log.exception("worker %s: could not set up its wake-up; polling until it can", self.worker_id)
            name = "polling"
        log.info("worker %s started (wake-up: %s, poll every %ss)", self.worker_id, name, self.interval)
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
            self.close_waiter()
            connection.close()
            log.info("worker %s stopped after %s job(s)", self.worker_id, self.ran)
