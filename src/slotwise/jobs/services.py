"""Durable jobs: enqueue inside the caller's transaction; workers claim due rows and run their handler.

Handlers are registered by kind with @handler("email.send"); they get (payload, job) and raise to retry.
Claiming: PostgreSQL uses SELECT ... FOR UPDATE SKIP LOCKED; SQLite serialises writers (BEGIN IMMEDIATE),
so a plain claim inside the transaction is exclusive there too. A claim holds a lease (`locked_until`): a
worker killed mid-job leaves a running row whose lease expires, and the next tick runs it again (at least
once delivery)."""

import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction

from .models import Job

log = logging.getLogger(__name__)
_handlers: dict[str, Callable] = {}

LEASE = timedelta(minutes=5)


def handler(kind: str):
    def register(fn):
        _handlers[kind] = fn
        return fn

    return register


def enqueue(kind: str, payload: dict, *, due_at: datetime | None = None, key: str = "", max_attempts: int = 8) -> Job:
    fields = {"kind": kind, "payload": payload, "key": key, "max_attempts": max_attempts}
    if due_at is not None:
        fields["due_at"] = due_at
    return Job.objects.create(**fields)


def cancel_pending(key: str, *, kinds: list[str] | None = None) -> int:
    qs = Job.objects.filter(key=key, status=Job.Status.PENDING)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.update(status=Job.Status.CANCELED)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 1 hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def claim(now: datetime, *, limit: int = 10, kinds: list[str] | None = None) -> list[Job]:
    with transaction.atomic():
        qs = Job.objects.filter(status=Job.Status.PENDING, due_at__lte=now)
        expired = Job.objects.filter(status=Job.Status.RUNNING, locked_until__lte=now)
        if kinds:
            qs, expired = qs.filter(kind__in=kinds), expired.filter(kind__in=kinds)
        qs = qs | expired
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        jobs = list(qs.order_by("due_at", "pk")[:limit])
        if jobs:
            Job.objects.filter(pk__in=[j.pk for j in jobs]).update(status=Job.Status.RUNNING, locked_until=now + LEASE)
        return jobs


def run_job(job: Job, now: datetime) -> bool:
    fn = _handlers.get(job.kind)
    job.attempts += 1
    try:
        if fn is None:
            raise LookupError(f"no handler registered for job kind {job.kind!r}")
        fn(job.payload, job)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        job.last_error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
        if job.attempts >= job.max_attempts:
            job.status = Job.Status.FAILED
            job.finished_at = now
        else:
            job.status = Job.Status.PENDING
            job.due_at = now + backoff(job.attempts)
        job.locked_until = None
        job.save(update_fields=["attempts", "last_error", "status", "finished_at", "due_at", "locked_until"])
        log.warning("job %s failed (attempt %s): %s", job, job.attempts, exc)
        return False
    job.status = Job.Status.DONE
    job.finished_at = now
    job.locked_until = None
    job.save(update_fields=["attempts", "status", "finished_at", "locked_until"])
    return True


def run_due(now: datetime, *, limit: int = 100, kinds: list[str] | None = None) -> int:
    """Run what is due at `now` (tests and the worker's tick). Returns how many ran."""
    done = 0
    while done < limit:
        jobs = claim(now, limit=min(10, limit - done), kinds=kinds)
        if not jobs:
            break
        for job in jobs:
            run_job(job, now)
            done += 1
    return done


def retry(job: Job, now: datetime) -> None:
    Job.objects.filter(pk=job.pk).update(status=Job.Status.PENDING, due_at=now, attempts=0, last_error="")
