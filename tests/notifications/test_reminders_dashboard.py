"""Reminders and follow-ups per event type in the dashboard: when, to whom, wording and a preview, through
the same service as load files; the reminder is then sent for bookings made afterwards."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.jobs.models import Job
from slotwise.notifications.models import Reminder
from tests import factories as f

pytestmark = pytest.mark.django_db
FORM = {
    "name": "Day before",
    "amount": "1",
    "unit": "days",
    "when": "before_start",
    "recipient": "invitee",
    "subject": "",
    "text": "",
    "active": "on",
}


@pytest.fixture
def host_et():
    org = f.org()
    host = f.host(org, "ana")
    return host, f.event_type(host, name="Support call", slug="support")


def _client(client, m):
    client.force_login(m.user)
    return client


def test_a_host_adds_a_reminder_and_bookings_made_afterwards_get_it(client, host_et, now):
    host, et = host_et
    c = _client(client, host)
    resp = c.post(f"/dashboard/event-types/{et.pk}/reminders/", FORM)
    assert resp.status_code == 302
    r = Reminder.objects.get()
    assert (r.event_type, r.offset_minutes, r.when, r.recipient) == (et, 24 * 60, "before_start", "invitee")
    page = c.get(f"/dashboard/event-types/{et.pk}/reminders/").content.decode()
    assert "To the invitee, 1 day before the meeting starts" in page
    booking_create(
        event_type=et,
        start=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
        now=now,
        invitee=InviteeInput(name="Cy", email="cy@example.org", timezone="UTC"),
    )
    due = Job.objects.get(kind="notify.reminder").due_at
    assert due == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_the_preview_shows_the_wording_being_written_and_saves_nothing(client, host_et):
    host, et = host_et
    resp = _client(client, host).post(
        f"/dashboard/event-types/{et.pk}/reminders/",
        {**FORM, "subject": "See you soon at {{ event_name }}", "preview": "1"},
    )
    assert resp.status_code == 200 and "See you soon at Support call" in resp.content.decode()
    assert not Reminder.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "0"}, "Send it between 1 minute and 60 days"),
        ({"amount": "61", "unit": "days"}, "Send it between 1 minute and 60 days"),
        ({"amount": "soon"}, "Send it between 1 minute and 60 days"),
        ({"subject": "{% if %}"}, "The subject has a template error"),
    ],
)
def test_bad_reminders_are_refused_in_words(client, host_et, change, message):
    host, et = host_et
    resp = _client(client, host).post(f"/dashboard/event-types/{et.pk}/reminders/", {**FORM, **change})
    assert resp.status_code == 400 and message in resp.content.decode()
    assert "offset_minutes" not in resp.content.decode()
    assert not Reminder.objects.exists()


def test_editing_and_deleting_a_reminder(client, host_et):
    host, et = host_et
    c = _client(client, host)
    c.post(f"/dashboard/event-types/{et.pk}/reminders/", FORM)
    r = Reminder.objects.get()
    c.post(
        f"/dashboard/event-types/{et.pk}/reminders/{r.pk}/",
        {**FORM, "amount": "2", "unit": "hours", "when": "after_end", "recipient": "host"},
    )
    r.refresh_from_db()
    assert (r.offset_minutes, r.when, r.recipient) == (120, "after_end", "host")
    c.post(f"/dashboard/event-types/{et.pk}/reminders/{r.pk}/delete/")
    assert not Reminder.objects.exists()


def test_another_hosts_event_type_reminders_are_not_theirs_to_change(client, host_et):
    host, et = host_et
    other = f.host(host.organization, "bo")
    assert _client(client, other).post(f"/dashboard/event-types/{et.pk}/reminders/", FORM).status_code == 403
    stranger = f.host(f.org(), "zed")
    assert _client(client, stranger).get(f"/dashboard/event-types/{et.pk}/reminders/").status_code == 404
    assert not Reminder.objects.exists()
