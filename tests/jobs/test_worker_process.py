"""The worker as a process: clean exit on SIGTERM, and nothing lost when it is SIGKILLed mid-send."""

import asyncio
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.jobs.models import Job
from slotwise.jobs.services import CLAIM_BATCH, enqueue
from tests import factories as f
from tests.notifications.smtp import Inbox, SmtpServer

from .process import start_worker, wait_started, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_sigterm_stops_the_worker_cleanly():
    proc = start_worker(extra=["--concurrency", "2"])
    try:
        wait_started(proc)
        enqueue("test.nothing-handles-this", {}, max_attempts=1)
        wait_until(lambda: Job.objects.filter(status="failed").exists(), 30, "the worker to pick up a job")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "worker stopped after 1 job(s)" in out


class GateInbox(Inbox):
    """Holds the n-th message in DATA until the test has killed the sender, then accepts it anyway: the
    case where the server has the mail but the worker never heard "250"."""

    def __init__(self, hold: int):
        super().__init__()
        self.hold, self.seen, self.holding, self.killed = hold, 0, threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.seen += 1
        if self.seen == self.hold:
            self.holding.set()
            deadline = time.monotonic() + 30
            while not self.killed.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_killed_mid_send_loses_nothing(now):
    org = f.org()
    host = f.host(org, "kim", email="kim@example.com")
    et = f.event_type(host, name="Call")
    for i in range(6):
        booking_create(
            event_type=et,
            start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC) + timedelta(hours=i),
            now=now,
            invitee=InviteeInput(name=f"Person {i}", email=f"p{i}@example.org", timezone="UTC"),
        )
    owed = Job.objects.filter(kind__startswith="notify.").count()
    assert owed == 12

    server = SmtpServer()
    server.inbox = GateInbox(hold=5)
    server.controller.handler = server.inbox
    with server:
        first = start_worker(smtp_port=server.port, lease_seconds=2)
        try:
            assert server.inbox.holding.wait(90), "the worker never reached the fifth email"
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
            server.inbox.killed.set()
        # The dead worker still holds the rest of its claimed batch: the one in flight and those behind it.
        held = list(Job.objects.filter(status="running").order_by("due_at", "pk"))
        assert len(held) == min(CLAIM_BATCH, owed) - 4
        assert {j.attempts for j in held} == {1}

        second = start_worker(smtp_port=server.port, lease_seconds=2)
        try:
            wait_until(lambda: Job.objects.filter(status="done").count() == owed, 120, "every email to be sent")
            second.send_signal(signal.SIGTERM)
            second.communicate(timeout=15)
        finally:
            if second.poll() is None:
                second.kill()

    # Claimed by the dead worker, then again after its lease ran out.
    assert {j.attempts for j in Job.objects.filter(pk__in=[j.pk for j in held])} == {2}
    sent = Counter((str(m["To"]), str(m["Subject"]).strip()) for m in server.inbox.messages)
    assert len(sent) == owed  # every email arrived
    duplicates = {k: n for k, n in sent.items() if n > 1}
    assert len(duplicates) <= 1 and all(n == 2 for n in duplicates.values())  # only the one in flight, at most twice
