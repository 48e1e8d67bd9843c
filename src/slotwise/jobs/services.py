"""Durable jobs: enqueue inside the caller's transaction; workers claim due rows and run their handler.

The Job table is the queue. Writing a job also wakes idle workers once the transaction commits (see
`wake.py`: NOTIFY on PostgreSQL, a Redis push at scale, nothing on SQLite). A lost wake-up costs latency,
never work: workers also poll every interval.

Handlers are registered by kind with @handler("email.send"); they get (payload, job) and raise to retry;
`job.now` is the instant the job was claimed at (use it rather than reading the clock).
`Defer(seconds)` reschedules without spending an attempt (e.g. an invitation waiting for its Zoom link).

Claiming: PostgreSQL uses SELECT ... FOR UPDATE SKIP LOCKED, so several workers take disjoint rows without
waiting on each other; SQLite serialises writers (BEGIN IMMEDIATE), so a plain claim inside the transaction
is exclusive there too. A claim takes a batch of due jobs (CLAIM_BATCH, one transaction) and holds a lease
(`locked_until`) on each that runs from the moment of the claim; the process's lease keeper renews it while
the job waits in its batch or runs. A worker killed mid-job leaves a running row whose lease
expires, and the next claim runs it again (at-least-once delivery). Each claim counts an attempt, and the
attempt number is the claim's token: a worker whose lease was taken over can no longer renew or finish
the row."""

import functools
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F

from slotwise.core import logs, metrics
from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, NotFound

from . import wake
from .models import Job, WorkerHeartbeat

log = logging.getLogger(__name__)
_handlers: dict[str, Callable] = {}

# Long enough for any one email or HTTP call; short enough that a crashed worker's job is soon retried.
LEASE = timedelta(seconds=float(os.environ.get("SLOTWISE_JOBS_LEASE_SECONDS", "300")))
# Jobs taken per claim. One claim per job cost a write transaction per job (9 jobs/s under load, issue 14);
# a batch shares it. A worker that dies holds at most this many (each runs again when its lease ends), and a
# stop hands back the ones it has not started.
CLAIM_BATCH = max(1, int(os.environ.get("SLOTWISE_JOBS_CLAIM_BATCH", "10")))


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
    """Write the job in the caller's transaction; idle workers are woken once that transaction commits."""
    fields = {
        "kind": kind,
        "payload": payload,
        "key": key,
        "max_attempts": max_attempts,
        "organization_id": organization_id,
    }
    if due_at is not None:
        fields["due_at"] = due_at
    job = Job.objects.create(**fields)
    wake.announce()
    return job


def cancel_pending(key: str, *, kinds: list[str] | None = None) -> int:
    qs = Job.objects.filter(key=key, status=Job.Status.PENDING)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.update(status=Job.Status.CANCELED)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 30 s, 1 min, 2 min, 4 min ... capped at 1 hour.
    The one retry schedule: failed jobs, webhook deliveries (which also stop after 24 hours), Zoom."""
    return timedelta(seconds=min(3600, 30 * 2 ** min(max(0, attempts - 1), 12)))


POISON_ERROR = "the worker stopped (crash or kill) while running this job on every attempt"


def claim(now: datetime, *, limit: int = CLAIM_BATCH, kinds: list[str] | None = None) -> list[Job]:
    """Take up to `limit` due jobs (pending and due, or running with an expired lease) for this worker.

    `now` is the current time, read just before the call (run_due reads it for every claim): what is due
    and which leases have expired are judged at `now`, and the new lease runs to `now + LEASE`. A `now`
    from earlier (the start of a long loop) would hand out leases that have already expired, and another
    worker would take the job while this one runs it.
    The attempt is counted here, at the claim, so a job that kills its worker still runs out of attempts:
    an expired job that has used them all is poison, and the claim fails it instead of handing it out.

    One statement, `UPDATE ... WHERE id IN (the oldest due rows) RETURNING` (SQLite >= 3.35, PostgreSQL):
    it is its own transaction, so SQLite's single writer makes it exclusive, and on PostgreSQL the rows are
    chosen with FOR UPDATE SKIP LOCKED. Four statements in a transaction, one of them the poison UPDATE
    run on every claim, cost a quarter of a job's time (issue 14)."""
    jobs = list(Job.objects.raw(_claim_sql(connection.vendor, len(kinds or [])), _claim_params(now, limit, kinds)))
    claimed = sorted((j for j in jobs if j.status == Job.Status.RUNNING), key=lambda j: (j.due_at, j.pk))
    for j in claimed:
        j.token = j.attempts  # this claim's token: the next claim of the row moves the count past it
    return claimed


def _claim_params(now: datetime, limit: int, kinds: list[str] | None) -> dict:
    kind_params = {f"kind{i}": kind for i, kind in enumerate(kinds or [])}
    # As the ORM writes instants (on SQLite: naive UTC text), so that raw and ORM comparisons of the stored
    # text agree, equal instants included.
    instant = connection.ops.adapt_datetimefield_value
    return {
        "now": instant(now),
        "until": instant(now + LEASE),
        "limit": limit,
        "pending": Job.Status.PENDING.value,
        "running": Job.Status.RUNNING.value,
        "failed": Job.Status.FAILED.value,
        "poison_error": POISON_ERROR,
        **kind_params,
    }


@functools.cache
def _claim_sql(vendor: str, kinds: int) -> str:
    """The claim statement for this database and this many `kinds`. The CASEs read the row as it was before
    the UPDATE; every running row the subquery picks has an expired lease, so running + attempts used up
    is poison."""
    q = connection.ops.quote_name
    table = q(Job._meta.db_table)
    columns = ", ".join(q(f.column or f.attname) for f in Job._meta.concrete_fields)
    only_kinds = f"AND kind IN ({', '.join(f'%(kind{i})s' for i in range(kinds))})" if kinds else ""
    skip_locked = "FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    poison = "status = %(running)s AND attempts >= max_attempts"
    return f"""
        UPDATE {table} SET
            status = CASE WHEN {poison} THEN %(failed)s ELSE %(running)s END,
            locked_until = CASE WHEN {poison} THEN NULL ELSE %(until)s END,
            attempts = CASE WHEN {poison} THEN attempts ELSE attempts + 1 END,
            finished_at = CASE WHEN {poison} THEN %(now)s ELSE finished_at END,
            last_error = CASE WHEN {poison} THEN %(poison_error)s ELSE last_error END
        WHERE id IN (
            SELECT id FROM {table}
            WHERE ((status = %(pending)s AND due_at <= %(now)s) OR (status = %(running)s AND locked_until <= %(now)s))
                {only_kinds}
            ORDER BY due_at, id
            LIMIT %(limit)s
            {skip_locked}
        )
        RETURNING {columns}"""  # noqa: S608 - names from the model, every value a parameter


def run_job(job: Job, now: datetime) -> bool:
    fn = _handlers.get(job.kind)
    job.now = now  # handlers read the claim's instant from here, so tests can run them at a chosen time
    _leases.hold([job])
    try:
        if fn is None:
            raise LookupError(f"no handler registered for job kind {job.kind!r}")
        with logs.bound(logs.job_id, str(job.pk)):  # every line the handler logs names its job
            fn(job.payload, job)
    except Defer as d:
        _leases.release(job)
        job.attempts -= 1
        _finish(job, status=Job.Status.PENDING, due_at=now + timedelta(seconds=d.seconds), last_error=str(d))
        return False
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        _leases.release(job)
        metrics.JOB_FAILURES.labels(job.kind).inc()
        error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
        if job.attempts >= job.max_attempts:
            _finish(job, status=Job.Status.FAILED, finished_at=now, last_error=error)
        else:
            _finish(job, status=Job.Status.PENDING, due_at=now + backoff(job.attempts), last_error=error)
        log.warning("job %s failed (attempt %s of %s): %s", job, job.attempts, job.max_attempts, exc)
        return False
    _leases.release(job)
    _finish(job, status=Job.Status.DONE, finished_at=now)
    return True


class _LeaseKeeper:
    """Renews the lease of each job this process holds (claimed, waiting in its batch or running) every half
    lease, from the current time, so no other worker takes over a job that runs long (a big calendar sync)
    while this one is alive. One thread per process, not one per job: starting a thread per job was a third
    of a job's cost. It ends when nothing is held and closes its connection after each round; a killed
    worker's keeper dies with it. Renewals happen under the lock that `release` takes, so once a job is
    released no beat can land after it is finished."""

    def __init__(self):
        self.changed = threading.Condition()
        self.held: dict[int, tuple[int, float]] = {}  # job id -> (the claim's token, when to renew, monotonic)
        self.thread: threading.Thread | None = None

    def hold(self, jobs: list[Job]) -> None:
        renew_at = time.monotonic() + LEASE.total_seconds() / 2
        with self.changed:
            for job in jobs:
                if job.pk not in self.held:
                    self.held[job.pk] = (job.token, renew_at)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, daemon=True, name="job-leases")
                self.thread.start()
            self.changed.notify()

    def release(self, job: Job) -> None:
        with self.changed:
            self.held.pop(job.pk, None)

    def _run(self) -> None:
        with self.changed:
            while self.held:
                wait = min(at for _, at in self.held.values()) - time.monotonic()
                if wait > 0:
                    self.changed.wait(wait)
                    continue
                self._renew_due()
            self.thread = None

    def _renew_due(self) -> None:
        now, half = time.monotonic(), LEASE.total_seconds() / 2
        try:
            until = utc_now() + LEASE
            for job_id, (token, at) in list(self.held.items()):
                if at <= now:
                    self.held[job_id] = (token, now + half)
                    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=token).update(locked_until=until)
        except Exception:  # noqa: BLE001 - a database hiccup: try the rest again in a second
            log.exception("could not renew job leases")
            for job_id, (token, at) in list(self.held.items()):
                if at <= now:
                    self.held[job_id] = (token, now + 1)
        finally:
            connection.close()


_leases = _LeaseKeeper()


def _finish(job: Job, **fields) -> None:
    fields.setdefault("locked_until", None)
    fields["attempts"] = job.attempts
    for name, value in fields.items():
        setattr(job, name, value)
    # Only while we still hold it: a job whose lease ran out may have been taken over by another worker
    # (whose claim moved the attempt count past our token).
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.token).update(**fields)


def run_due(
    now: datetime | None = None,
    *,
    limit: int = 100,
    kinds: list[str] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Claim due jobs in batches (CLAIM_BATCH) and run them one after another, up to `limit`. Returns how many
    ran. A `stop` set between two jobs ends the run; the claimed jobs not yet started go back to the queue.

    Without `now` (the worker), every claim is made at the current time, and a job that waited in its batch
    long enough to have used a third of its lease has it renewed from the current time before it starts. With
    `now` (tests, and runs "as of" a chosen instant), every claim is made at that instant."""
    done = 0
    while done < limit:
        at = utc_now() if now is None else now
        jobs = claim(at, limit=min(CLAIM_BATCH, limit - done), kinds=kinds)
        if not jobs:
            break
        _leases.hold(jobs)
        for i, job in enumerate(jobs):
            if stop is not None and stop.is_set():
                _unclaim(jobs[i:])
                return done
            if now is None:
                at = utc_now()
                if job.locked_until is None or job.locked_until - at < LEASE * 2 / 3:
                    _renew(job, at)
            run_job(job, at)
            done += 1
    return done


def _renew(job: Job, at: datetime) -> None:
    job.locked_until = at + LEASE
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.token).update(locked_until=job.locked_until)


def _unclaim(jobs: list[Job]) -> None:
    """Hand back claimed jobs that never started: pending again, their attempt not spent."""
    for job in jobs:
        _leases.release(job)
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.token).update(
            status=Job.Status.PENDING, attempts=F("attempts") - 1, locked_until=None
        )


@handler("jobs.noop")
def noop(payload: dict, job: Job) -> None:
    """Does nothing: `slotwise bench jobs` measures the queue itself with it (claim, run, finish)."""


def beat(*, worker_id: str, started_at: datetime, now: datetime, jobs_done: int) -> None:
    """The worker `worker_id` is alive and looping at `now` (jobs/worker.py beats every few seconds)."""
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(beat_at=now, jobs_done=jobs_done)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id, defaults={"started_at": started_at, "beat_at": now, "jobs_done": jobs_done}
        )


def worker_stopped(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def retry(job: Job, now: datetime) -> Job:
    """An admin sends failed (or canceled) work round again, with a fresh set of attempts."""
    if job.status not in (Job.Status.FAILED, Job.Status.CANCELED):
        raise InvalidInput(f"job {job.pk} is {job.status}; only failed or canceled jobs can be retried", field="job")
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.PENDING, due_at=now, attempts=0, last_error="", finished_at=None, locked_until=None
        )
        wake.announce()
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
    canceled, _ = Job.objects.filter(
        status=Job.Status.CANCELED, finished_at__isnull=True, due_at__lt=now - keep
    ).delete()
    # Workers killed without a chance to say goodbye (SIGKILL, a lost machine) leave their last beat behind.
    WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()
    return deleted + canceled
