"""Delivery edge cases: SMTP down, rolled-back bookings, group events."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from icalendar import Calendar

from slotwise.bookings.services import InviteeInput, booking_create, invitee_cancel
from slotwise.core.errors import SlotUnavailable
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from tests import factories as f
from tests.notifications.smtp import SmtpServer, calendar_part, free_port

pytestmark = pytest.mark.django_db
NINE = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def et(db):
    return f.event_type(f.host(f.org(), "eve", email="eve@example.com"), name="Workshop", seats=3)


def book(et, now, email, start=NINE):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name=email.split("@")[0], email=email, timezone="UTC")
    )


def test_smtp_down_is_retried_with_backoff_and_delivered_when_it_is_back(et, settings, now):
    port = free_port()  # nothing listens here yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    book(et, now, "a@example.org")
    run_due(now)
    jobs = list(Job.objects.filter(kind__startswith="notify.").order_by("pk"))
    assert [(j.status, j.attempts, j.due_at) for j in jobs] == [("pending", 1, now + timedelta(seconds=30))] * 2
    assert "ConnectionRefusedError" in jobs[0].last_error
    server = SmtpServer()
    server.port = port
    server.controller.port = port
    with server:
        settings.EMAIL_PORT = port  # reconnect on the next send
        assert run_due(now + timedelta(seconds=30)) == 2
        assert sorted(m["To"] for m in server.inbox.messages) == ["a@example.org", "eve@example.com"]


def test_a_booking_that_fails_leaves_no_email_behind(et, now):
    book(et, now, "a@example.org")
    other = f.event_type(et.owner, name="Other")
    with pytest.raises(SlotUnavailable):
        book(other, now, "b@example.org")
    assert Job.objects.filter(payload__invitee_id__isnull=False).count() == 2  # only the first booking's


def test_one_invitee_leaving_a_group_event_gets_a_cancel_and_the_others_keep_theirs(et, smtp, now):
    a = book(et, now, "a@example.org")
    b = book(et, now, "b@example.org")
    run_due(now)
    invitee_cancel(invitee=a, now=now, reason="can't make it")
    run_due(now)
    methods = {
        addr: [Calendar.from_ical(calendar_part(m).get_payload(decode=True))["METHOD"] for m in smtp.to(addr)]
        for addr in ("a@example.org", "b@example.org")
    }
    assert methods == {"a@example.org": ["REQUEST", "CANCEL"], "b@example.org": ["REQUEST"]}
    assert b.booking_id == a.booking_id


def test_worker_once_runs_what_is_due(et, smtp, now, capsys):
    book(et, now, "a@example.org")
    call_command("worker", "--once")
    assert capsys.readouterr().out.strip() == "ran 2 job(s)"
    assert len(smtp.messages) == 2
