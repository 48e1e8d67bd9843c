"""A recurring booking in the hosts' calendars: one event with the series' rule (Radicale for CalDAV, the
Google fake from its documented shapes), an EXDATE when one meeting is canceled, a shorter COUNT when the
rest are, and nothing left when every meeting is canceled."""

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.models import Booking
from slotwise.bookings.recurring import occurrence_cancel, recurring_booking_create
from slotwise.bookings.services import InviteeInput
from slotwise.calendars.models import CalendarEvent
from slotwise.calendars.services import calendars_choose
from slotwise.calendars.sync import sync_connection
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import BusyBlock
from tests import factories as f

from .test_caldav_radicale import _only_event, connect
from .test_google import google, setup  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

ADA = InviteeInput(name="Ada Lovelace", email="ada@example.org", timezone="Europe/London")
FIRST = datetime(2026, 3, 17, 9, tzinfo=UTC)  # Tuesday 10:00 in Berlin; summer time from 29 March


def berlin_wall(*a):
    from zoneinfo import ZoneInfo

    return datetime(*a, tzinfo=ZoneInfo("Europe/Berlin"))


def series(et, now, count=4):
    scheduling.event_type_update(event_type=et, values={"recurrence": "weekly", "recurrence_count": count}, now=now)
    et.refresh_from_db()
    return recurring_booking_create(event_type=et, start=FIRST, invitee=ADA, now=now)


def test_caldav_holds_one_event_with_the_rule_an_exdate_then_a_shorter_count_then_none(dav, now):
    host = f.host(f.org(), tz="Europe/Berlin")
    et = f.event_type(host, duration_minutes=30)
    conn = connect(dav, host, now, "work")
    work = conn.calendars.get()
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=work.pk)
    made = series(et, now)
    # One job for the whole series, not one per meeting.
    assert Job.objects.filter(kind="calendars.writeback").count() == 1
    run_due(now)
    href, ev = _only_event(dav, work.remote_id)
    assert ev["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4;INTERVAL=1"
    assert ev["DTSTART"].dt == berlin_wall(2026, 3, 17, 10) and ev["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert "EXDATE" not in ev and ev["SEQUENCE"] == 0
    # Syncing the calendar back does not turn our own series into busy time.
    sync_connection(connection=conn, now=now)
    assert BusyBlock.objects.filter(source=f"calendar:{conn.pk}").count() == 0

    later = now + timedelta(minutes=5)
    occurrence_cancel(booking=made.invitees[2].booking, now=later)
    run_due(later)
    href2, ev = _only_event(dav, work.remote_id)
    assert href2 == href and ev["SEQUENCE"] == 1
    assert [d.dt for d in ev["EXDATE"].dts] == [berlin_wall(2026, 3, 31, 10)]

    later += timedelta(minutes=5)
    occurrence_cancel(booking=made.invitees[1].booking, now=later, later=True)
    run_due(later)
    _, ev = _only_event(dav, work.remote_id)
    assert ev["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=1;INTERVAL=1" and ev["SEQUENCE"] == 2
    assert "EXDATE" not in ev  # the canceled third meeting is past the new COUNT

    later += timedelta(minutes=5)
    occurrence_cancel(booking=made.first.booking, now=later)
    run_due(later)
    assert dav.objects(work.remote_id) == {}
    assert CalendarEvent.objects.count() == 0
    assert not Booking.objects.filter(status="confirmed").exists()


def test_google_gets_the_series_as_recurrence_lines_in_the_hosts_zone(setup, google, now):  # noqa: F811
    host, et, conn = setup
    primary = conn.calendars.get(remote_id="ada@example.com")
    calendars_choose(connection=conn, conflicts={primary.pk}, writeback=primary.pk)
    made = series(et, now)
    run_due(now)
    ce = CalendarEvent.objects.get()
    assert ce.booking_id == made.first.booking.pk
    ev = google.calendars["ada@example.com"]["events"][ce.href]
    assert ev["start"] == {"dateTime": "2026-03-17T10:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert ev["end"] == {"dateTime": "2026-03-17T10:30:00+01:00", "timeZone": "Europe/Berlin"}
    assert ev["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4;INTERVAL=1"]

    occurrence_cancel(booking=made.invitees[3].booking, now=now)
    run_due(now)
    ev = google.calendars["ada@example.com"]["events"][ce.href]
    assert ev["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4;INTERVAL=1", "EXDATE;TZID=Europe/Berlin:20260407T100000"]
    assert len(google.calendars["ada@example.com"]["events"]) == 1
