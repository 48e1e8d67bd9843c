"""A recurring booking in Outlook (the Graph fake, from Graph's documented recurrence shapes): one series
master with a weekly pattern in the host's zone; Graph has no EXDATE, so a canceled meeting is its
occurrence deleted, and cancelling the rest shortens the range."""

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.recurring import occurrence_cancel, recurring_booking_create
from slotwise.bookings.services import InviteeInput
from slotwise.calendars.models import CalendarEvent
from slotwise.calendars.services import calendars_choose
from slotwise.jobs.services import run_due
from slotwise.scheduling import services as scheduling

from .test_microsoft import PRIMARY, graph, setup  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = datetime(2026, 3, 17, 9, tzinfo=UTC)  # Tuesday 10:00 in Berlin; summer time from 29 March


def test_outlook_holds_the_series_as_a_pattern_and_deletes_a_canceled_occurrence(setup, graph, now):  # noqa: F811
    host, et, conn = setup
    primary = conn.calendars.get(remote_id=PRIMARY)
    calendars_choose(connection=conn, conflicts={primary.pk}, writeback=primary.pk)
    scheduling.event_type_update(event_type=et, values={"recurrence": "weekly", "recurrence_count": 4}, now=now)
    et.refresh_from_db()
    made = recurring_booking_create(
        event_type=et, start=FIRST, now=now, invitee=InviteeInput(name="Bob", email="bob@example.org", timezone="UTC")
    )
    run_due(now)
    ce = CalendarEvent.objects.get()
    ev = graph.calendars[PRIMARY]["events"][ce.href]
    assert ev["start"] == {"dateTime": "2026-03-17T10:00:00", "timeZone": "Europe/Berlin"}
    assert ev["end"] == {"dateTime": "2026-03-17T10:30:00", "timeZone": "Europe/Berlin"}
    assert ev["recurrence"] == {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"], "firstDayOfWeek": "monday"},
        "range": {
            "type": "numbered",
            "startDate": "2026-03-17",
            "numberOfOccurrences": 4,
            "recurrenceTimeZone": "Europe/Berlin",
        },
    }
    starts = [o["start"]["dateTime"][:16] for o in graph._occurrences(PRIMARY, ce.href)]
    assert starts == ["2026-03-17T09:00", "2026-03-24T09:00", "2026-03-31T08:00", "2026-04-07T08:00"]

    later = now + timedelta(minutes=5)
    occurrence_cancel(booking=made.invitees[2].booking, now=later)
    run_due(later)
    starts = [o["start"]["dateTime"][:16] for o in graph._occurrences(PRIMARY, ce.href)]
    assert starts == ["2026-03-17T09:00", "2026-03-24T09:00", "2026-04-07T08:00"]
    assert len(graph.calendars[PRIMARY]["events"]) == 1

    later += timedelta(minutes=5)
    occurrence_cancel(booking=made.invitees[1].booking, now=later, later=True)
    run_due(later)
    ev = graph.calendars[PRIMARY]["events"][ce.href]
    assert ev["recurrence"]["range"]["numberOfOccurrences"] == 1
    assert [o["start"]["dateTime"][:16] for o in graph._occurrences(PRIMARY, ce.href)] == ["2026-03-17T09:00"]

    occurrence_cancel(booking=made.first.booking, now=later)
    run_due(later)
    assert graph.calendars[PRIMARY]["events"] == {} and CalendarEvent.objects.count() == 0
