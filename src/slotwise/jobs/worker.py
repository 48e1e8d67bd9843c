"""The worker loop behind `slotwise worker`: run every due Job, then wait for a wake-up (NOTIFY on
PostgreSQL, Redis at scale) or the poll interval, and again. Several threads or processes may run it;
claims keep them apart."""

import logging
import os
import socket
import threading
import time
from itertools import count

from django.conf import settings
from django.db import close_old_connections, connection

from slotwise.core.clock import utc_now

from . import wake
from .services import CLAIM_BATCH, beat, prune, run_due, worker_stopped

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
        self._beat_at = float("-inf")
        self._started_at = utc_now()
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

    def heartbeat(self, *, force: bool = False) -> None:
        """Say this worker is alive (the row /readyz reads), at most every SLOTWISE_WORKER_HEARTBEAT_SECONDS."""
        every = float(getattr(settings, "SLOTWISE_WORKER_HEARTBEAT_SECONDS", 10))
        if force or time.monotonic() - self._beat_at >= every:
            self._beat_at = time.monotonic()
            beat(worker_id=self.worker_id, started_at=self._started_at, now=utc_now(), jobs_done=self.ran)

    def run_once(self) -> int:
        """Run jobs until none is due. Between two batches of jobs, a stop request ends the run: SIGTERM
        finishes the jobs in hand, not the whole queue."""
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            pruned = prune(utc_now())
            if pruned:
                log.info("worker %s forgot %s finished job(s)", self.worker_id, pruned)
        n = 0
        while not self.stop.is_set():
            ran = run_due(limit=CLAIM_BATCH, stop=self.stop)
            if not ran:
                break
            n += ran
            self.ran += ran
            self.heartbeat()
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
                    self.heartbeat()
                    self.run_once()
                    if not self.stop.is_set():
                        self.wait()
                except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                    log.exception("worker %s: tick failed; retrying after the poll interval", self.worker_id)
                    self.stop.wait(self.interval)
        finally:
            self.close_waiter()
            try:
                worker_stopped(worker_id=self.worker_id)
            except Exception:  # noqa: BLE001 - a database gone at shutdown; prune forgets the row later
                log.warning("worker %s: could not remove its heartbeat", self.worker_id)
            connection.close()
            log.info("worker %s stopped after %s job(s)", self.worker_id, self.ran)
