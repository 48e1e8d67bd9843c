"""SIGKILL the worker in the middle of a delivery; a fresh worker delivers every event at least once."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.webhooks import services
from slotwise.webhooks.models import WebhookDelivery
from tests import factories
from tests.webhooks.receiver import Receiver

VENV_BIN = Path(sys.executable).parent


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker():
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SLOTWISE_JOBS_LEASE_SECONDS": "2",
        "SLOTWISE_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    return subprocess.Popen(
        [str(VENV_BIN / "slotwise"), "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_delivery_then_restart_delivers_every_event():
    now = datetime.now(UTC)
    monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(hour=9, minute=0, second=0, microsecond=0)
    org = factories.org("acme")
    host = factories.host(org, "alice", role="owner")
    et = factories.event_type(host, slug="intro")
    # The first POST hangs for 6 s: the worker is killed while it waits for the answer.
    with Receiver([("sleep", 6)]) as rec:
        services.subscription_create(
            organization=org, creator=host, url=rec.url, events=["invitee.created"], scope="organization", now=now
        )
        uids = []
        for i in range(4):
            inv = booking_create(
                event_type=et,
                start=monday + timedelta(hours=i),
                now=now,
                invitee=InviteeInput(name=f"P{i}", email=f"p{i}@example.com", timezone="UTC"),
            )
            uids.append(str(inv.uid))
        first = _worker()
        try:
            assert rec.first_request.wait(30), "the worker never started delivering"
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        assert WebhookDelivery.objects.filter(status="delivered").count() < 4
        second = _worker()
        try:
            assert _wait(lambda: WebhookDelivery.objects.filter(status="delivered").count() == 4, 60)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(15)
            except subprocess.TimeoutExpired:
                second.kill()
        received = [json.loads(r["body"])["payload"]["uri"].rsplit("/", 1)[1] for r in rec.requests]
    assert set(received) == set(uids)  # every event at least once
    assert len(received) >= 5  # the interrupted one was sent again
    assert received.count(received[0]) == 2
