"""Imports raced on real parallel connections (both passes: SQLite's BEGIN IMMEDIATE + trigger, PostgreSQL's row
locks, unique constraints and exclusion constraint): one remote event is one appointment however many doors
bring it at once, and an import and a native booking for one time give one booking."""

import json
from datetime import timedelta

import pytest

from slotwise.bookings.imports import appointment_import
from slotwise.bookings.models import Booking, BookingHost, Invitee
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import SlotUnavailable
from slotwise.imports.models import ImportedEvent, ImportedInvitee
from slotwise.imports.sync import handle_webhook, sync_connection
from slotwise.scheduling.services import external_event_type
from tests import factories as f
from tests.bookings.test_concurrency import race
from tests.imports.calendly_fake import FakeCalendly
from tests.imports.test_sync import MEET, T0, book, connect, world  # noqa: F401 - the world fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fake():
    with FakeCalendly(now=T0) as fk:
        yield fk


def test_one_event_by_four_webhooks_and_two_polls_at_once_is_one_appointment(fake, world):  # noqa: F811
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, world["intro"])
    payload = json.loads(fake.outbox[0].body)
    hook = lambda: handle_webhook(connection=conn, payload=payload, now=fake.now)  # noqa: E731
    poll = lambda: sync_connection(connection=conn, now=fake.now)  # noqa: E731
    oks, errors = race([hook, hook, poll, hook, poll, hook])
    assert errors == []
    assert Booking.objects.filter(source=Booking.Source.IMPORT).count() == 1
    assert (ImportedEvent.objects.count(), ImportedInvitee.objects.count(), Invitee.objects.count()) == (1, 1, 1)


def test_an_import_and_a_native_booking_for_one_time_give_one_booking():
    org = f.org()
    ana = f.host(org, "ana")
    native_type = f.event_type(ana, duration_minutes=30)
    remote_type = external_event_type(
        owner=ana, source="calendly", uri="https://api.calendly.com/event_types/X", name="Intro", duration_minutes=30
    )
    start = MEET.replace(hour=10)

    def native(n):
        return lambda: booking_create(
            event_type=native_type,
            start=start,
            now=T0,
            invitee=InviteeInput(name=f"Native {n}", email=f"native{n}@example.com", timezone="UTC"),
        )

    def imported(n):
        return lambda: appointment_import(
            event_type=remote_type,
            host=ana,
            start=start + timedelta(minutes=15),
            end=start + timedelta(minutes=45),
            timezone="UTC",
            location="",
            now=T0,
            invitees=[{"name": f"Remote {n}", "email": f"remote{n}@example.com"}],
        )

    oks, errors = race([native(1), imported(1), native(2), imported(2), native(3), imported(3)])
    assert len(oks) == 1
    assert len(errors) == 5 and all(isinstance(e, SlotUnavailable) for e in errors), {type(e) for e in errors}
    assert BookingHost.objects.filter(active=True).count() == 1
