"""Durable jobs: enqueue inside the caller's transaction; workers claim due rows and run their handler.

The Job row is the source of truth. Django's task API is only the door that wakes a worker: after the
transaction that wrote a job commits, `kick()` enqueues the `tick` task on the configured backend (the
database backend by default, Redis at scale), and the worker runs `run_due(now)`. A tick that is lost
costs latency, never work: the worker also ticks on its own every poll interval.

Handlers are registered by kind with @handler("email.send"); they get (payload, job) and raise to retry;
`job.now` is the instant the tick runs at (use it rather than reading the clock).
`Defer(seconds)` reschedules without spending an attempt (e.g. an invitation waiting for its Zoom link).

Claiming: PostgreSQL uses SELECT ... FOR UPDATE SKIP LOCKED, so several workers take disjoint rows without
waiting on each other; SQLite serialises writers (BEGIN IMMEDIATE), so a plain claim inside the transaction
is exclusive there too. A claim holds a lease (`locked_until`): a worker killed mid-job leaves a running
row whose lease expires, and the next tick runs it again (at-least-once delivery)."""

import logging
import os
import threading
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q

from slotwise.core.errors import InvalidInput, NotFound

from .models import Job

log = logging.getLogger(__name__)
_handlers: dict[str, Callable] = {}

# Long enough for any one email or HTTP call; short enough that a crashed worker's job is soon retried.
LEASE = timedelta(seconds=int(os.environ.get("SLOTWISE_JOBS_LEASE_SECONDS", "300")))
# One at a time: a worker that dies holds only the job it was running, and busy workers share fairly.
CLAIM_BATCH = 1


class Defer(Exception):  # noqa: N818 - a control signal, not an error
    """Raised by a handler that cannot run yet: the job is due again in `seconds`, without spending an attempt."""

    def __init__(self, seconds: "float | timedelta", why: str = ""):
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        super().__init__(why or f"deferred {seconds}s")
        self.seconds = seconds


def handler(kind: str):
    def register(fn):
        _handlers[kind] = fn
        return fn

    return register


def enqueue(
    kind: str,
    payload: dict,
    *,
    due_at: datetime | None = None,
    key: str = "",
    max_attempts: int = 8,
    organization_id: int | None = None,
) -> Job:
    """Write the job in the caller's transaction; a worker is woken once that transaction commits."""
    fields = {
        "kind": kind, "payload": payload, "key": key, "max_attempts": max_attempts, "organization_id": organization_id,
    }
    if due_at is not None:
        fields["due_at"] = due_at
    job = Job.objects.create(**fields)
    _kick_after_commit()
    return job


def _kick_after_commit() -> None:
    conn = transaction.get_connection()
    # One kick per transaction, however many jobs it wrote (a rolled-back savepoint drops its own kick).
    if conn.in_atomic_block and any(fn is kick for _, fn, *_ in conn.run_on_commit):
        return
    transaction.on_commit(kick)


def kick() -> None:
    """Wake a worker through Django's task API. Never raises: the worker's own poll is the fallback."""
    from .tasks import tick

    try:
        if _tick_already_waiting(tick):
            return
        tick.enqueue()
    except Exception:  # noqa: BLE001 - a wake-up that fails must not fail the request that committed
        log.warning("could not enqueue the jobs tick; the worker will pick the job up on its next poll", exc_info=True)


def _tick_already_waiting(tick) -> bool:
    """On the database backend, a tick nobody has taken yet will run everything due: don't write another
    (on SQLite every write takes the one write lock that bookings need too)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = tick.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False

    return DBTaskResult.objects.ready().filter(backend_name=backend.alias, task_path=tick.module_path).exists()


def cancel_pending(key: str, *, kinds: list[str] | None = None) -> int:
    qs = Job.objects.filter(key=key, status=Job.Status.PENDING)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.update(status=Job.Status.CANCELED)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 1 hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def claim(now: datetime, *, limit: int = CLAIM_BATCH, kinds: list[str] | None = None) -> list[Job]:
    """Take up to `limit` due jobs (pending and due, or running with an expired lease) for this worker.
    The attempt is counted here, at the claim, so a job that kills its worker still runs out of attempts."""
    with transaction.atomic():
        expired = Q(status=Job.Status.RUNNING, locked_until__lte=now)
        # A job whose workers died with it max_attempts times is poison: stop handing it out.
        Job.objects.filter(expired, attempts__gte=F("max_attempts")).update(
            status=Job.Status.FAILED, finished_at=now, locked_until=None,
            last_error="the worker stopped (crash or kill) while running this job on every attempt",
        )
        qs = Job.objects.filter(Q(status=Job.Status.PENDING, due_at__lte=now) | expired)
        if kinds:
            qs = qs.filter(kind__in=kinds)
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        jobs = list(qs.order_by("due_at", "pk")[:limit])
        if jobs:
            Job.objects.filter(pk__in=[j.pk for j in jobs]).update(
                status=Job.Status.RUNNING, locked_until=now + LEASE, attempts=F("attempts") + 1
            )
            for j in jobs:
                j.status, j.locked_until, j.attempts = Job.Status.RUNNING, now + LEASE, j.attempts + 1
        return jobs


def run_job(job: Job, now: datetime) -> bool:
    fn = _handlers.get(job.kind)
    job.now = now  # handlers read the tick's clock from here, so tests can run them at a chosen instant
    heartbeat = _Heartbeat(job.pk)
    heartbeat.start()
    try:
        if fn is None:
            raise LookupError(f"no handler registered for job kind {job.kind!r}")
        fn(job.payload, job)
    except Defer as d:
        heartbeat.done.set()
        job.attempts -= 1
        _finish(job, status=Job.Status.PENDING, due_at=now + timedelta(seconds=d.seconds), last_error=str(d))
        return False
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        heartbeat.done.set()
        error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
        if job.attempts >= job.max_attempts:
            _finish(job, status=Job.Status.FAILED, finished_at=now, last_error=error)
        else:
            _finish(job, status=Job.Status.PENDING, due_at=now + backoff(job.attempts), last_error=error)
        log.warning("job %s failed (attempt %s of %s): %s", job, job.attempts, job.max_attempts, exc)
        return False
    heartbeat.done.set()
    _finish(job, status=Job.Status.DONE, finished_at=now)
    return True


class _Heartbeat(threading.Thread):
    """Renews the lease of a job that runs longer than half of it (a big calendar sync), so no other worker
    takes it over while this one is alive. A killed worker's heartbeat dies with it."""

    def __init__(self, job_id: int):
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self.job_id = job_id
        self.done = threading.Event()

    def run(self) -> None:
        from slotwise.core.clock import utc_now

        try:
            while not self.done.wait(LEASE.total_seconds() / 2):
                Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(locked_until=utc_now() + LEASE)
        finally:
            connection.close()


def _finish(job: Job, **fields) -> None:
    fields.setdefault("locked_until", None)
    fields["attempts"] = job.attempts
    for name, value in fields.items():
        setattr(job, name, value)
    # Only while we still hold it: a job whose lease ran out may have been taken over by another worker.
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(**fields)


def run_due(now: datetime, *, limit: int = 100, kinds: list[str] | None = None) -> int:
    """Run what is due at `now` (tests and the worker's tick). Returns how many ran."""
    done = 0
    while done < limit:
        jobs = claim(now, limit=min(CLAIM_BATCH, limit - done), kinds=kinds)
        if not jobs:
            break
        for job in jobs:
            run_job(job, now)
            done += 1
    return done


def retry(job: Job, now: datetime) -> Job:
    """An admin sends failed (or canceled) work round again, with a fresh set of attempts."""
    if job.status not in (Job.Status.FAILED, Job.Status.CANCELED):
        raise InvalidInput(f"job {job.pk} is {job.status}; only failed or canceled jobs can be retried", field="job")
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.PENDING, due_at=now, attempts=0, last_error="", finished_at=None, locked_until=None
        )
        _kick_after_commit()
    job.refresh_from_db()
    return job


def retry_for_member(*, job_id: int, membership, now: datetime) -> Job:
    """Retry from the dashboard: an admin may only touch their own organization's jobs."""
    job = Job.objects.filter(pk=job_id, organization_id=membership.organization_id).first()
    if job is None:
        raise NotFound(f"job {job_id} does not exist in {membership.organization.slug}")
    return retry(job, now)


def prune(now: datetime, *, keep: timedelta = timedelta(days=7)) -> int:
    """Forget finished work after `keep`; failed jobs stay until an admin retries or deletes them."""
    deleted, _ = Job.objects.filter(
        status__in=[Job.Status.DONE, Job.Status.CANCELED], finished_at__lt=now - keep
    ).delete()
    canceled, _ = Job.objects.filter(status=Job.Status.CANCELED, finished_at__isnull=True, due_at__lt=now - keep).delete()
    return deleted + canceled
