"""Guests an invitee adds get the invitation (and its cancellation) with a decline link, and appear as
optional ATTENDEEs in every copy of the meeting; a guest who declined is marked DECLINED, not removed."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from slotwise.bookings.models import Guest
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, guest_decline
from slotwise.jobs.services import run_due
from tests import factories as f

from .smtp import calendar_part

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def attendees(msg) -> dict[str, str]:
    (ev,) = Calendar.from_ical(calendar_part(msg).get_payload(decode=True)).walk("VEVENT")
    found = ev.get("attendee")
    found = found if isinstance(found, list) else [found]
    return {
        str(a).removeprefix("mailto:"): str(a.params.get("ROLE")) + "/" + str(a.params.get("PARTSTAT")) for a in found
    }


@pytest.fixture
def booking(now):
    host = f.host(f.org(), "grace", email="grace@acme.example")
    et = f.event_type(host, name="Planning", duration_minutes=30, max_guests=2)
    return booking_create(
        event_type=et,
        start=START,
        now=now,
        guests=["bo@example.com", "cy@example.com"],
        invitee=InviteeInput(name="Ada L", email="ada@example.org", timezone="Europe/Berlin"),
    ).booking


def test_guests_get_the_invitation_with_a_decline_link_and_are_attendees(booking, smtp, now):
    run_due(now)
    (to_guest,) = smtp.to("bo@example.com")
    guest = Guest.objects.get(email="bo@example.com")
    assert f"/guest/{guest.decline_token}/decline/" in to_guest.get_body(("plain",)).get_content()
    assert attendees(to_guest)["bo@example.com"] == "OPT-PARTICIPANT/NEEDS-ACTION"
    (to_invitee,) = smtp.to("ada@example.org")
    assert attendees(to_invitee) == {
        "ada@example.org": "REQ-PARTICIPANT/ACCEPTED",
        "bo@example.com": "OPT-PARTICIPANT/NEEDS-ACTION",
        "cy@example.com": "OPT-PARTICIPANT/NEEDS-ACTION",
    }


def test_a_guest_who_declined_is_not_told_of_the_cancel_and_shows_as_declined(booking, smtp, now):
    run_due(now)
    guest_decline(guest=Guest.objects.get(email="bo@example.com"), now=now)
    booking_cancel(booking=booking, now=now, reason="Moved online")
    run_due(now)
    assert len(smtp.to("bo@example.com")) == 1
    (cy_invite, cy_cancel) = smtp.to("cy@example.com")
    assert "Canceled" in cy_cancel["Subject"]
    assert attendees(smtp.to("ada@example.org")[-1])["bo@example.com"] == "OPT-PARTICIPANT/DECLINED"


def test_a_reschedule_takes_the_guests_who_did_not_decline_along(booking, now):
    from datetime import timedelta

    from slotwise.bookings.services import booking_reschedule

    guest_decline(guest=Guest.objects.get(email="bo@example.com"), now=now)
    moved = booking_reschedule(invitee=booking.invitees.get(), new_start=START + timedelta(hours=2), now=now).booking
    assert list(moved.guests.values_list("email", flat=True)) == ["cy@example.com"]
