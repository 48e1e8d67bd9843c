"""Several `slotwise worker` processes on one queue, with handlers slow enough that a worker's loop outlasts
the lease: every job still runs exactly once. Runs in both passes of the suite (SQLite and PostgreSQL)."""

import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.jobs.models import Job
from tests import factories as f
from tests.notifications.smtp import SmtpServer

from .process import start_worker, wait_started

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
            deadline = time.monotonic() + 120
            while Job.objects.filter(status__in=["pending", "running"]).exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2 * SEND_SECONDS)  # a duplicate still in flight arrives too
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            outs = [w.communicate(timeout=30)[0] for w in workers]

    assert [w.returncode for w in workers] == [0, 0], outs
    sent = Counter((str(m["To"]), str(m["Subject"]).strip()) for m in server.inbox.messages)
    assert len(sent) == owed, "an email was not sent"
    duplicates = {k: n for k, n in sent.items() if n > 1}
    assert duplicates == {}, f"{sum(sent.values())} messages for {owed} emails: {duplicates}"
    assert list(Job.objects.values_list("status", "attempts").distinct()) == [("done", 1)]
