"""At scale: several worker processes woken through Redis share the queue without doing anything twice."""

import re
import signal
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.jobs.models import Job
from tests import factories as f
from tests.notifications.smtp import SmtpServer

from .process import start_worker, wait_started

pytestmark = pytest.mark.django_db(transaction=True)


def test_three_workers_woken_through_redis_send_every_email_once(redis_wake, now):
    org = f.org()
    et = f.event_type(f.host(org, "ola", email="ola@example.com"), name="Call")
    with SmtpServer() as server:
        workers = [start_worker(smtp_port=server.port, env=redis_wake, extra=["--interval", "5"]) for _ in range(3)]
        try:
            for w in workers:
                wait_started(w)
            for i in range(8):
                booking_create(
                    event_type=et,
                    start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC) + timedelta(hours=i),
                    now=now,
                    invitee=InviteeInput(name=f"P{i}", email=f"p{i}@example.org", timezone="UTC"),
                )
            server.inbox.wait_for(16, timeout=60)
        finally:
            # SIGTERM lets each worker finish the job in hand: a duplicate still in flight arrives before it exits.
            for w in workers:
                w.send_signal(signal.SIGTERM)
            outs = [w.communicate(timeout=20)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outs
    ran = [int(re.search(r"worker stopped after (\d+) job", o).group(1)) for o in outs]
    assert sum(ran) == 16
    assert len(server.inbox.received) == 16
    assert sorted({tuple(r) for _, r, _ in server.inbox.received}) == sorted(
        [(f"p{i}@example.org",) for i in range(8)] + [("ola@example.com",)]
    )
    assert list(Job.objects.values_list("status", "attempts").distinct()) == [("done", 1)]
