"""Durable jobs: enqueue inside the caller's transaction; workers claim due rows and run their handler.

The Job table is the queue. Writing a job also wakes idle workers once the transaction commits (see
`wake.py`: NOTIFY on PostgreSQL, a Redis push at scale, nothing on SQLite). A lost wake-up costs latency,
never work: workers also poll every interval.

Handlers are registered by kind with @handler("email.send"); they get (payload, job) and raise to retry;
`job.now` is the instant the job was claimed at (use it rather than reading the clock).
`Defer(seconds)` reschedules without spending an attempt (e.g. an invitation waiting for its Zoom link).

Claiming: PostgreSQL uses SELECT ... FOR UPDATE SKIP LOCKED, so several workers take disjoint rows without
waiting on each other; SQLite serialises writers (BEGIN IMMEDIATE), so a plain claim inside the transaction
is exclusive there too. A claim holds a lease (`locked_until`) that runs from the moment of the claim, and
a heartbeat renews it while the handler runs. A worker killed mid-job leaves a running row whose lease
expires, and the next claim runs it again (at-least-once delivery). Each claim counts an attempt, and the
attempt number is the claim's token: a worker whose lease was taken over can no longer renew or finish
the row."""

import logging
import os
import threading
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q

from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, NotFound

from . import wake
from .models import Job

log = logging.getLogger(__name__)
_handlers: dict[str, Callable] = {}

# Long enough for any one email or HTTP call; short enough that a crashed worker's job is soon retried.
LEASE = timedelta(seconds=float(os.environ.get("SLOTWISE_JOBS_LEASE_SECONDS", "300")))
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


def claim(now: datetime, *, limit: int = CLAIM_BATCH, kinds: list[str] | None = None) -> list[Job]:
    """Take up to `limit` due jobs (pending and due, or running with an expired lease) for this worker.

    `now` is the current time, read just before the call (run_due reads it for every claim): what is due
    and which leases have expired are judged at `now`, and the new lease runs to `now + LEASE`. A `now`
    from earlier (the start of a long loop) would hand out leases that have already expired, and another
    worker would take the job while this one runs it.
    The attempt is counted here, at the claim, so a job that kills its worker still runs out of attempts."""
    with transaction.atomic():
        expired = Q(status=Job.Status.RUNNING, locked_until__lte=now)
        # A job whose workers died with it max_attempts times is poison: stop handing it out.
        Job.objects.filter(expired, attempts__gte=F("max_attempts")).update(
            status=Job.Status.FAILED,
            finished_at=now,
            locked_until=None,
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
                j.token = j.attempts  # this claim's token: the next claim of the row moves the count past it
        return jobs


def run_job(job: Job, now: datetime) -> bool:
    fn = _handlers.get(job.kind)
    job.now = now  # handlers read the claim's instant from here, so tests can run them at a chosen time
    heartbeat = _Heartbeat(job.pk, job.token)
    heartbeat.start()
    try:
        if fn is None:
            raise LookupError(f"no handler registered for job kind {job.kind!r}")
        fn(job.payload, job)
    except Defer as d:
        heartbeat.stop()
        job.attempts -= 1
        _finish(job, status=Job.Status.PENDING, due_at=now + timedelta(seconds=d.seconds), last_error=str(d))
        return False
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        heartbeat.stop()
        error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
        if job.attempts >= job.max_attempts:
            _finish(job, status=Job.Status.FAILED, finished_at=now, last_error=error)
        else:
            _finish(job, status=Job.Status.PENDING, due_at=now + backoff(job.attempts), last_error=error)
        log.warning("job %s failed (attempt %s of %s): %s", job, job.attempts, job.max_attempts, exc)
        return False
    heartbeat.stop()
    _finish(job, status=Job.Status.DONE, finished_at=now)
    return True


class _Heartbeat(threading.Thread):
    """Renews the lease of a job that runs longer than half of it (a big calendar sync), from the current
    time at each beat, so no other worker takes it over while this one is alive. A killed worker's
    heartbeat dies with it."""

    def __init__(self, job_id: int, token: int):
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self.job_id, self.token = job_id, token
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while not self.done.wait(LEASE.total_seconds() / 2):
                Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING, attempts=self.token).update(
                    locked_until=utc_now() + LEASE
                )
        finally:
            connection.close()

    def stop(self) -> None:
        """Stop beating before the row is finished, so a last beat cannot land after it."""
        self.done.set()
        self.join()


def _finish(job: Job, **fields) -> None:
    fields.setdefault("locked_until", None)
    fields["attempts"] = job.attempts
    for name, value in fields.items():
        setattr(job, name, value)
    # Only while we still hold it: a job whose lease ran out may have been taken over by another worker
    # (whose claim moved the attempt count past our token).
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.token).update(**fields)


def run_due(now: datetime | None = None, *, limit: int = 100, kinds: list[str] | None = None) -> int:
    """Claim and run due jobs one at a time, up to `limit`. Returns how many ran.

    Without `now` (the worker), every claim is made at the current time, so each job's lease starts when
    that job is claimed. With `now` (tests, and runs "as of" a chosen instant), every claim is made at that
    instant."""
    done = 0
    while done < limit:
        at = utc_now() if now is None else now
        jobs = claim(at, limit=min(CLAIM_BATCH, limit - done), kinds=kinds)
        if not jobs:
            break
        for job in jobs:
            run_job(job, at)
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
    return deleted + canceled
