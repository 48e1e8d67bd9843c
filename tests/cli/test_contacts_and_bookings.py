"""`slotwise contacts list` (each contact's assigned user) and `slotwise bookings list --source import`."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from slotwise.bookings.imports import appointment_import
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.scheduling.services import external_event_type
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def run(*args) -> list:
    out = StringIO()
    call_command(*args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def org():
    org = f.org("sub-a")
    ana, bo = f.host(org, "ana", email="ana@sub-a.test"), f.host(org, "bo", email="bo@sub-a.test")
    booking_create(
        event_type=f.event_type(ana, name="Demo"),
        start=TUE_10,
        now=NOW,
        invitee=InviteeInput(name="Zoe", email="zoe@example.com", timezone="UTC"),
    )
    et = external_event_type(
        owner=bo, source="calendly", uri="https://api.calendly.com/event_types/A", name="Intro", duration_minutes=30
    )
    appointment_import(
        event_type=et,
        host=bo,
        start=TUE_10 + timedelta(days=1),
        end=TUE_10 + timedelta(days=1, minutes=30),
        timezone="UTC",
        location="",
        now=NOW,
        invitees=[{"name": "Zoe", "email": "zoe@example.com", "phone": "+1 555 0100"}],
    )
    return org


def test_contacts_list_shows_each_contacts_assigned_user_and_phone(org):
    (zoe,) = run("contacts", "list", "--org", "sub-a")
    assert (zoe["email"], zoe["assigned_user"], zoe["phone"], zoe["bookings_count"]) == (
        "zoe@example.com",
        "bo@sub-a.test",
        "+1 555 0100",
        2,
    )


def test_bookings_list_filters_imported_appointments(org):
    everything = run("bookings", "list", "--org", "sub-a")
    assert [(b["source"], b["event_type"], b["owner"]) for b in everything] == [
        ("page", "Demo", "ana@sub-a.test"),
        ("import", "Intro", "bo@sub-a.test"),
    ]
    assert [b["event_type"] for b in run("bookings", "list", "--org", "sub-a", "--source", "import")] == ["Intro"]


def test_an_unknown_organization_is_a_clear_error(org):
    with pytest.raises(CommandError, match="no organization 'nope'"):
        run("contacts", "list", "--org", "nope")
