"""Several `slotwise worker` processes on one queue, with handlers slow enough that a worker's loop outlasts
the lease: every job still runs exactly once. Runs in both passes of the suite (SQLite and PostgreSQL)."""

import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.clock import utc_now
from slotwise.jobs.models import Job
from slotwise.jobs.services import enqueue
from tests import factories as f
from tests.notifications.smtp import SmtpServer

from .process import start_worker, wait_started, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BOOKINGS = 16  # two emails each: 32 jobs
SEND_SECONDS = 0.3  # the SMTP server takes this long to accept each message, so each job is slow
LEASE_SECONDS = 2  # one worker's run through the queue (about 32 x 0.3 s / 4) takes longer than this


def test_jobs_run_twice_when_several_workers_outlast_the_lease(now):
    org = f.org()
    et = f.event_type(f.host(org, "ines", email="ines@example.com"), name="Call")
    for i in range(BOOKINGS):
        booking_create(
            event_type=et,
            start=datetime(2026, 3, 3 + i // 6, 9, 0, tzinfo=UTC) + timedelta(hours=i % 6),
            now=now,
            invitee=InviteeInput(name=f"Person {i}", email=f"p{i}@example.org", timezone="UTC"),
        )
    owed = Job.objects.filter(status="pending").count()
    assert owed == 2 * BOOKINGS

    with SmtpServer(delay=SEND_SECONDS) as server:
        # Two processes, two threads each: four workers racing for the same rows.
        workers = [
            start_worker(smtp_port=server.port, lease_seconds=LEASE_SECONDS, extra=["--concurrency", "2"])
            for _ in range(2)
        ]
        try:
            for w in workers:
                wait_started(w)
            wait_until(lambda: not Job.objects.filter(status__in=["pending", "running"]).exists(), 120, "the jobs")
        finally:
            # SIGTERM lets each worker finish the job in hand: a duplicate still in flight arrives before it exits.
            for w in workers:
                w.send_signal(signal.SIGTERM)
            outs = [w.communicate(timeout=30)[0] for w in workers]

    assert [w.returncode for w in workers] == [0, 0], outs
    sent = Counter((str(m["To"]), str(m["Subject"]).strip()) for m in server.inbox.messages)
    assert len(sent) == owed, "an email was not sent"
    duplicates = {k: n for k, n in sent.items() if n > 1}
    assert duplicates == {}, f"{sum(sent.values())} messages for {owed} emails: {duplicates}"
    assert list(Job.objects.values_list("status", "attempts").distinct()) == [("done", 1)]


# A `slotwise worker` whose handler for "test.append" writes the job's id to a file: every run of a job is a
# line, so a job run twice shows twice and a lost one not at all.
RECORDING_WORKER = """
import os, sys, django
django.setup()
from slotwise.jobs.services import handler

@handler("test.append")
def append(payload, job):
    with open(os.environ["RUNS_FILE"], "a") as f:
        f.write(f"{job.pk} {os.getpid()}\\n")

from django.core.management import call_command
call_command("worker", "--interval", "0.2")
"""


def test_three_worker_processes_on_one_queue_run_300_jobs_each_exactly_once(tmp_path):
    runs = tmp_path / "runs.txt"
    workers = [
        start_worker(
            lease_seconds=30,
            command=["-c", RECORDING_WORKER],
            env={"RUNS_FILE": str(runs), "DJANGO_SETTINGS_MODULE": "slotwise.config.settings"},
        )
        for _ in range(3)
    ]
    try:
        for w in workers:
            wait_started(w)
        at = utc_now()
        ids = [enqueue("test.append", {"n": n}, due_at=at).pk for n in range(300)]
        wait_until(lambda: not Job.objects.exclude(status="done").exists(), 120, "the jobs")
    finally:
        # SIGTERM lets each worker finish the job in hand: a duplicate still in flight is written before it exits.
        for w in workers:
            w.send_signal(signal.SIGTERM)
        outs = [w.communicate(timeout=30)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outs
    lines = [line.split() for line in runs.read_text().splitlines()]
    ran = Counter(int(job_id) for job_id, _ in lines)
    assert sorted(ran) == sorted(ids), "a job was lost"
    assert {n for n in ran.values()} == {1}, {j: n for j, n in ran.items() if n > 1}
    assert list(Job.objects.values_list("status", "attempts").distinct()) == [("done", 1)]
    # The work was shared, not done by one process while the others idled.
    assert len({pid for _, pid in lines}) >= 2
