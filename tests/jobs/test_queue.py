"""The durable queue: due times, attempts and backoff, leases, deferral, retry, and the wake-up after commit."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from slotwise.core.clock import utc_now
from slotwise.jobs import services, wake
from slotwise.jobs.models import Job
from slotwise.jobs.services import LEASE, Defer, backoff, claim, enqueue, handler, retry, run_due, run_job
from slotwise.jobs.worker import Worker

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
calls: list[dict] = []


@handler("test.record")
def _record(payload, job):
    calls.append(payload)
    if payload.get("fail"):
        raise RuntimeError("the remote end said no")
    if payload.get("defer"):
        raise Defer(5, "not yet")


@pytest.fixture(autouse=True)
def _clear():
    calls.clear()


def states():
    return list(Job.objects.order_by("pk").values_list("status", "attempts", "due_at"))


@pytest.mark.django_db
def test_a_due_job_runs_once_and_a_future_one_waits():
    enqueue("test.record", {"n": 1}, due_at=T0)
    enqueue("test.record", {"n": 2}, due_at=T0 + timedelta(hours=1))
    assert run_due(T0) == 1
    assert run_due(T0) == 0
    assert calls == [{"n": 1}]
    assert states() == [("done", 1, T0), ("pending", 0, T0 + timedelta(hours=1))]
    assert run_due(T0 + timedelta(hours=1)) == 1
    assert calls == [{"n": 1}, {"n": 2}]


@pytest.mark.parametrize("attempts, delay", [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (20, 3600)])
def test_backoff_doubles_from_thirty_seconds_up_to_an_hour(attempts, delay):
    assert backoff(attempts) == timedelta(seconds=delay)


@pytest.mark.django_db
def test_failures_back_off_then_fail_and_an_admin_retry_starts_over():
    job = enqueue("test.record", {"fail": True}, due_at=T0, max_attempts=3)
    run_due(T0)
    assert states() == [("pending", 1, T0 + timedelta(seconds=30))]
    assert "RuntimeError: the remote end said no" in Job.objects.get().last_error
    assert run_due(T0 + timedelta(seconds=29)) == 0
    run_due(T0 + timedelta(seconds=30))
    assert states() == [("pending", 2, T0 + timedelta(seconds=90))]
    run_due(T0 + timedelta(seconds=90))
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at) == ("failed", 3, T0 + timedelta(seconds=90))
    assert run_due(T0 + timedelta(days=1)) == 0

    retry(job, T0 + timedelta(days=1))
    assert states() == [("pending", 0, T0 + timedelta(days=1))]
    assert Job.objects.get().last_error == ""


@pytest.mark.django_db
def test_only_failed_or_canceled_jobs_can_be_retried():
    from slotwise.core.errors import InvalidInput

    job = enqueue("test.record", {}, due_at=T0)
    with pytest.raises(InvalidInput, match="only failed or canceled jobs can be retried"):
        retry(job, T0)


@pytest.mark.django_db
def test_defer_waits_without_spending_an_attempt():
    enqueue("test.record", {"defer": True}, due_at=T0, max_attempts=1)
    run_due(T0)
    assert states() == [("pending", 0, T0 + timedelta(seconds=5))]


@pytest.mark.django_db
def test_an_unknown_kind_fails_with_a_message_that_names_it():
    enqueue("nobody.handles.this", {}, due_at=T0, max_attempts=1)
    run_due(T0)
    job = Job.objects.get()
    assert job.status == "failed"
    assert "no handler registered for job kind 'nobody.handles.this'" in job.last_error


@pytest.mark.django_db
def test_a_claimed_job_whose_worker_died_is_claimed_again_when_its_lease_expires():
    job = enqueue("test.record", {"n": 1}, due_at=T0)
    (claimed,) = claim(T0)
    assert claimed.pk == job.pk
    assert Job.objects.get().status == "running"
    # The worker is SIGKILLed here: nothing marks the row done.
    assert claim(T0 + LEASE - timedelta(seconds=1)) == []
    (again,) = claim(T0 + LEASE)
    assert again.pk == job.pk
    assert (again.attempts, Job.objects.get().locked_until) == (2, T0 + LEASE + LEASE)


@pytest.mark.django_db
@pytest.mark.parametrize("micro", [0, 1, 500_000, 999_999])
def test_a_job_is_due_at_the_very_instant_it_is_due_and_not_a_microsecond_before(micro):
    due = T0 + timedelta(microseconds=micro)
    enqueue("test.record", {"n": 1}, due_at=due)
    assert claim(due - timedelta(microseconds=1)) == []
    (claimed,) = claim(due)
    assert claimed.locked_until == due + LEASE
    assert claim(due + LEASE - timedelta(microseconds=1)) == []
    assert [j.attempts for j in claim(due + LEASE)] == [2]


@pytest.mark.django_db
def test_claims_take_the_oldest_due_first():
    for minute in (5, 1, 3):
        enqueue("test.record", {"m": minute}, due_at=T0 - timedelta(minutes=minute))
    assert [j.payload["m"] for j in claim(T0, limit=2)] == [5, 3]


@pytest.mark.django_db
def test_a_claim_for_some_kinds_leaves_the_others_due():
    enqueue("test.record", {"n": 1}, due_at=T0)
    enqueue("test.other", {"n": 2}, due_at=T0)
    enqueue("test.third", {"n": 3}, due_at=T0)
    assert sorted(j.kind for j in claim(T0, kinds=["test.record", "test.third"])) == ["test.record", "test.third"]
    assert list(Job.objects.filter(status="pending").values_list("kind", flat=True)) == ["test.other"]


def redis_waiting(settings) -> int:
    return wake._redis().llen(settings.SLOTWISE_JOBS_REDIS_KEY)


@pytest.mark.django_db(transaction=True)
def test_redis_wake_ups_are_sent_after_the_commit_not_before(redis_wake, settings):
    with transaction.atomic():
        for n in range(3):
            enqueue("test.record", {"n": n}, due_at=T0)
        assert redis_waiting(settings) == 0
    assert redis_waiting(settings) == 3  # one per job: as many idle workers wake as there are jobs


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_neither_job_nor_redis_wake_up(redis_wake, settings):
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            enqueue("test.record", {"n": 1}, due_at=T0)
            raise ZeroDivisionError("the booking failed after its job was written")
    assert Job.objects.count() == 0
    assert redis_waiting(settings) == 0


@pytest.mark.django_db(transaction=True)
def test_redis_wakes_a_waiting_worker(redis_wake, settings):
    worker = Worker(interval=30)
    woken = []
    waiter = threading.Thread(target=lambda: woken.append(worker.wait()))
    waiter.start()
    with transaction.atomic():
        enqueue("test.record", {"n": 1}, due_at=T0)
        enqueue("test.record", {"n": 2}, due_at=T0)
    waiter.join(timeout=5)
    assert not waiter.is_alive(), "the worker slept through the wake-up"
    assert woken == [True] and redis_waiting(settings) == 1  # the other wake-up is for another worker
    assert worker.run_once() == 2
    assert sorted(c["n"] for c in calls) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_a_lost_wake_up_costs_latency_not_work(redis_wake):
    enqueue("test.record", {"n": 1}, due_at=T0)
    wake.clear_redis()  # the wake-up is lost (Redis restarted, say)
    worker = Worker(interval=0.05)
    assert worker.wait() is False
    assert worker.run_once() == 1


@pytest.mark.django_db(transaction=True)
def test_on_sqlite_and_postgres_alike_an_idle_worker_polls():
    worker = Worker(interval=0.2)
    worker.run_once()
    enqueue("test.record", {"n": 1}, due_at=T0)
    worker.wait()  # woken or not, it looks again after the interval
    assert worker.run_once() == 1
    worker.close_waiter()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_notifies_listening_workers_on_commit_and_never_on_rollback():
    listener, stop = wake.PostgresWaiter(), threading.Event()
    try:
        with pytest.raises(ZeroDivisionError):
            with transaction.atomic():
                enqueue("test.record", {"n": 1}, due_at=T0)
                raise ZeroDivisionError("the booking failed after its job was written")
        assert listener.wait(0.5, stop) is False
        with transaction.atomic():
            enqueue("test.record", {"n": 2}, due_at=T0)
            enqueue("test.record", {"n": 3}, due_at=T0)
            assert listener.wait(0.5, stop) is False  # not before the commit
        assert listener.wait(5, stop) is True
        assert listener.wait(0.2, stop) is False  # one transaction, one notification
    finally:
        listener.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_wakes_an_idle_worker_long_before_its_poll_interval():
    interval = 20.0
    worker = Worker(interval=interval)
    waiting, listen = threading.Event(), worker.waiter.wait

    def wait(timeout, stop):
        waiting.set()
        return listen(timeout, stop)

    worker.waiter.wait = wait
    thread = threading.Thread(target=worker.loop)
    thread.start()
    try:
        assert waiting.wait(30), "the worker never got to waiting"  # it has looked at the empty queue
        with transaction.atomic():
            enqueue("test.record", {"n": 1}, due_at=T0)
        committed = time.monotonic()
        while not calls and time.monotonic() - committed < interval:
            time.sleep(0.01)
        latency = time.monotonic() - committed
    finally:
        worker.stop.set()
        thread.join(10)
    print(f"commit -> job run on an idle PostgreSQL worker: {latency * 1000:.0f} ms (poll interval {interval:.0f} s)")
    assert calls == [{"n": 1}]
    assert latency < interval / 4, f"the job ran {latency:.1f}s after the commit: woken by the poll, not by NOTIFY"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_claims_skip_rows_another_worker_has_locked():
    first = enqueue("test.record", {"n": 1}, due_at=T0)
    second = enqueue("test.record", {"n": 2}, due_at=T0)
    locked, release, got = threading.Event(), threading.Event(), []

    def other_worker():
        with transaction.atomic():
            list(Job.objects.select_for_update().filter(pk=first.pk))
            locked.set()
            release.wait(10)
        connection.close()

    t = threading.Thread(target=other_worker)
    t.start()
    assert locked.wait(5)
    try:
        got = claim(T0)  # does not wait for the other transaction
    finally:
        release.set()
        t.join()
    assert [j.pk for j in got] == [second.pk]


@pytest.mark.django_db
def test_a_job_that_kills_its_worker_every_time_is_failed_not_handed_out_forever():
    enqueue("test.record", {}, due_at=T0, max_attempts=2)
    assert len(claim(T0)) == 1  # worker dies
    assert len(claim(T0 + LEASE)) == 1  # and the next one too
    assert claim(T0 + 2 * LEASE) == []
    job = Job.objects.get()
    assert (job.status, job.attempts) == ("failed", 2)
    assert "the worker stopped (crash or kill) while running this job on every attempt" == job.last_error


@pytest.mark.django_db
def test_finished_work_is_forgotten_after_a_week_but_failures_are_kept():
    from slotwise.jobs.services import cancel_pending, prune

    enqueue("test.record", {}, due_at=T0)
    enqueue("test.record", {"fail": True}, due_at=T0, max_attempts=1)
    enqueue("test.record", {}, due_at=T0 + timedelta(days=1), key="k")
    run_due(T0)
    cancel_pending("k")
    assert prune(T0 + timedelta(days=7)) == 0
    assert prune(T0 + timedelta(days=8, seconds=1)) == 2
    assert list(Job.objects.values_list("status", flat=True)) == ["failed"]


@pytest.mark.django_db(transaction=True)
def test_a_job_running_longer_than_half_its_lease_keeps_renewing_it(monkeypatch):
    monkeypatch.setattr(services, "LEASE", timedelta(seconds=0.4))
    seen = []

    @handler("test.slow")
    def _slow(payload, job):
        # The job runs until its lease has been renewed past the first one (or gives up after 30 s).
        deadline = time.monotonic() + 30
        while Job.objects.get(pk=job.pk).locked_until <= first_lease_end and time.monotonic() < deadline:
            time.sleep(0.02)
        seen.append(Job.objects.get(pk=job.pk).locked_until)

    start = utc_now()
    first_lease_end = start + timedelta(seconds=0.4)
    enqueue("test.slow", {}, due_at=start)
    run_due(start)
    assert seen[0] > first_lease_end  # renewed at least once past the first lease
    job = Job.objects.get()
    assert (job.status, job.locked_until) == ("done", None)


@pytest.mark.django_db(transaction=True)
def test_a_job_claimed_late_in_a_long_run_holds_a_lease_that_starts_when_it_is_claimed(monkeypatch):
    """The bug behind jobs running twice: one `now` for a whole run made later claims hand out leases that
    had already expired, free for another worker to take."""
    monkeypatch.setattr(services, "LEASE", timedelta(seconds=0.6))
    clock = [T0]  # the worker's clock: each job takes 0.25 s of it
    monkeypatch.setattr(services, "utc_now", lambda: clock[0])
    seen = []

    @handler("test.slow-and-watched")
    def _slow(payload, job):
        seen.append(Job.objects.get(pk=job.pk).locked_until - clock[0])
        clock[0] += timedelta(seconds=0.25)

    for n in range(5):  # 1.25 s of work: the run outlasts the lease twice over
        enqueue("test.slow-and-watched", {"n": n}, due_at=T0)
    assert run_due() == 5
    assert len(seen) == 5
    assert all(left > timedelta(seconds=0.3) for left in seen), seen


@pytest.mark.django_db
def test_a_worker_whose_lease_was_taken_over_cannot_finish_the_job():
    job = enqueue("test.record", {"fail": True}, due_at=T0)
    (stale,) = claim(T0)  # this worker stalls past its lease ...
    (current,) = claim(T0 + LEASE)  # ... and another takes the job over
    run_job(stale, T0 + LEASE)  # the stale one fails and would schedule a retry
    job.refresh_from_db()
    assert (job.status, job.attempts, job.locked_until) == ("running", 2, T0 + 2 * LEASE)
    calls.clear()
    current.payload = {}
    run_job(current, T0 + LEASE)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
