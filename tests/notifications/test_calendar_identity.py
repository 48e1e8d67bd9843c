"""Issue 10, "two calendar events for one booking": the .ics download and the iMIP email are one calendar
entry (one UID, one SEQUENCE), through a real SMTP server and the real download view."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from icalendar import Calendar

from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import EventType
from tests import factories as f

from .smtp import calendar_part

pytestmark = pytest.mark.django_db


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def book(et, start, now, *, email="ada@example.org", name="Ada Lovelace", tz="Europe/Berlin"):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name=name, email=email, timezone=tz)
    )


def emailed(msg):
    part = calendar_part(msg)
    assert part is not None, "no text/calendar part"
    cal = Calendar.from_ical(part.get_payload(decode=True))
    (ev,) = cal.walk("VEVENT")
    return str(cal["METHOD"]), ev


def downloaded(invitee):
    resp = Client().get(f"/booked/{invitee.uid}/event.ics")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "text/calendar; charset=utf-8"
    (ev,) = Calendar.from_ical(resp.content).walk("VEVENT")
    return ev


@pytest.fixture
def event_type(db):
    host = f.host(f.org(), "grace", email="grace@acme.example")
    return f.event_type(host, name="Support call", duration_minutes=30)


def test_two_calendar_events_for_one_booking_download_and_email_are_one_entry(event_type, smtp, now):
    invitee = book(event_type, utc(2026, 3, 2, 9), now)
    run_due(now)
    ((method, request),) = [emailed(m) for m in smtp.to("ada@example.org")]
    download = downloaded(invitee)

    assert method == "REQUEST"
    assert str(download["UID"]) == str(request["UID"])
    assert download["SEQUENCE"] == request["SEQUENCE"]
    assert download.decoded("DTSTART") == request.decoded("DTSTART")
    assert download["DTSTART"].params["TZID"] == request["DTSTART"].params["TZID"] == "Europe/Berlin"

    booking_cancel(booking=invitee.booking, now=now, reason="no longer needed")
    run_due(now)
    method, cancel = emailed(smtp.to("ada@example.org")[-1])
    assert method == "CANCEL"
    assert str(cancel["UID"]) == str(request["UID"])
    assert cancel["SEQUENCE"] > request["SEQUENCE"]
    # A download after the cancel says the same as the CANCEL, so it cannot bring the meeting back.
    after = downloaded(invitee)
    assert (str(after["UID"]), after["SEQUENCE"], str(after["STATUS"])) == (
        str(cancel["UID"]),
        cancel["SEQUENCE"],
        "CANCELLED",
    )


def test_two_calendar_events_for_one_booking_a_reschedule_moves_the_one_entry_both_doors_made(event_type, smtp, now):
    first = book(event_type, utc(2026, 3, 2, 9), now)
    run_due(now)
    before = downloaded(first)
    moved = booking_reschedule(invitee=first, new_start=utc(2026, 3, 3, 14), now=now)
    run_due(now)
    method, update = emailed(smtp.to("ada@example.org")[-1])
    assert method == "REQUEST"
    assert str(update["UID"]) == str(before["UID"])
    assert update["SEQUENCE"] == before["SEQUENCE"] + 1
    # The new confirmation page's download and the old one's (kept in a browser, a mail) agree with it.
    for invitee in (moved, first):
        ev = downloaded(invitee)
        assert (str(ev["UID"]), ev["SEQUENCE"], str(ev["STATUS"])) == (
            str(update["UID"]),
            update["SEQUENCE"],
            "CONFIRMED",
        )
        assert ev.decoded("DTSTART").astimezone(UTC) == utc(2026, 3, 3, 14)

    booking_cancel(booking=moved.booking, now=now)
    run_due(now)
    method, cancel = emailed(smtp.to("ada@example.org")[-1])
    assert (method, str(cancel["UID"])) == ("CANCEL", str(before["UID"]))
    assert cancel["SEQUENCE"] > update["SEQUENCE"]


def test_a_group_invitee_who_moves_to_another_session_loses_the_old_entry(db, smtp, now):
    host = f.host(f.org(), "grace", email="grace@acme.example")
    workshop = f.event_type(host, name="Workshop", kind=EventType.Kind.GROUP, seats=3, duration_minutes=60)
    ada = book(workshop, utc(2026, 3, 3, 10), now)
    bob = book(workshop, utc(2026, 3, 3, 10), now, email="bob@example.org", name="Bob")
    assert ada.booking_id == bob.booking_id
    run_due(now)
    _, joined = emailed(smtp.to("ada@example.org")[0])

    booking_reschedule(invitee=ada, new_start=utc(2026, 3, 4, 10), now=now)
    run_due(now)
    sent = {m: ev for m, ev in (emailed(m) for m in smtp.to("ada@example.org")[1:])}
    # The old session goes on for Bob under its UID; Ada's calendar drops it and holds the new session.
    assert str(sent["CANCEL"]["UID"]) == str(joined["UID"])
    assert sent["CANCEL"]["SEQUENCE"] > joined["SEQUENCE"]
    assert str(sent["REQUEST"]["UID"]) != str(joined["UID"])
    assert sent["REQUEST"].decoded("DTSTART").astimezone(UTC) == utc(2026, 3, 4, 10)
    assert str(downloaded(bob)["UID"]) == str(joined["UID"])
