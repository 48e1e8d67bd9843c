"""Invitations through a real SMTP server, parsed back with icalendar."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule, invitee_cancel
from slotwise.jobs.services import run_due
from slotwise.notifications.models import SentEmail
from tests import factories as f

from .smtp import calendar_part

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"


def book(event_type, start, *, tz=BERLIN, email="ada@example.org", name="Ada Lovelace", answers=None, now):
    return booking_create(
        event_type=event_type,
        start=start,
        now=now,
        invitee=InviteeInput(name=name, email=email, timezone=tz, answers=answers or {}),
    )


@pytest.fixture
def setup(db):
    org = f.org(name="Acme")
    host = f.host(org, "grace", email="grace@acme.example")
    host.user.name = "Grace Hopper"
    host.user.timezone = "America/New_York"
    host.user.save()
    et = f.event_type(
        host,
        name="Support call",
        duration_minutes=30,
        questions=[{"key": "topic", "label": "What do you need help with?", "type": "text", "required": True}],
    )
    return host, et


def subject(msg) -> str:
    # A long non-ASCII subject is folded onto a continuation line; readers unfold it.
    return str(msg["Subject"]).strip()


def parsed(msg):
    part = calendar_part(msg)
    assert part is not None, "no text/calendar part"
    cal = Calendar.from_ical(part.get_payload(decode=True))
    return part, cal, cal.walk("VEVENT")[0]


def test_new_booking_sends_an_imip_request_in_the_invitees_zone(setup, smtp, now):
    host, et = setup
    invitee = book(et, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), answers={"topic": "Runner stuck"}, now=now)
    assert run_due(now) == 2

    (mail,) = smtp.to("ada@example.org")
    part, cal, ev = parsed(mail)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(ev["UID"]) == f"{invitee.booking.uid}@book.example.com"  # the meeting's UID (calendar_object.py)
    assert ev["SEQUENCE"] == 0
    assert ev["DTSTART"].params["TZID"] == BERLIN
    assert ev.decoded("DTSTART") == datetime(2026, 3, 2, 10, 0, tzinfo=ev.decoded("DTSTART").tzinfo)
    assert ev.decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert ev.decoded("DTEND").astimezone(UTC) == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [BERLIN]
    assert str(ev["ORGANIZER"]) == "mailto:grace@acme.example"
    assert ev["ORGANIZER"].params["CN"] == "Grace Hopper"
    assert str(ev["ATTENDEE"]) == "mailto:ada@example.org"
    assert ev["ATTENDEE"].params["CN"] == "Ada Lovelace"
    assert str(ev["STATUS"]) == "CONFIRMED"
    location = invitee.booking.__class__.objects.get(pk=invitee.booking_id).location
    assert location.startswith("https://meet.jit.si/Slotwise-")
    assert str(ev["LOCATION"]) == location

    assert subject(mail) == "Confirmed: Support call with Grace Hopper on Mon, Mar 2, 2026, 10:00 AM (Europe/Berlin)"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "When: Monday, March 2, 2026, 10:00 AM – 10:30 AM (Europe/Berlin, GMT+01:00)" in text
    assert f"Where: {location}" in text
    assert f"Cancel: https://book.example.com/cancel/{invitee.cancel_token}/" in text
    assert f"Reschedule: https://book.example.com/reschedule/{invitee.reschedule_token}/" in text
    assert f'<a href="https://book.example.com/cancel/{invitee.cancel_token}/">Cancel</a>' in html
    assert f'<a href="{location}">' in html


def test_host_hears_of_every_new_call_with_the_answers_in_their_own_zone(setup, smtp, now):
    host, et = setup
    book(et, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), answers={"topic": "Runner <stuck>"}, now=now)
    run_due(now)
    (mail,) = smtp.to("grace@acme.example")
    assert (
        subject(mail)
        == "New call scheduled: Ada Lovelace — Support call on Mon, Mar 2, 2026, 4:00 AM (America/New_York)"
    )
    text = mail.get_body(("plain",)).get_content()
    assert "Invitee: Ada Lovelace <ada@example.org>" in text
    assert "When: Monday, March 2, 2026, 4:00 AM – 4:30 AM (America/New_York, GMT-05:00)" in text
    assert "- What do you need help with?: Runner <stuck>" in text
    assert "Runner &lt;stuck&gt;" in mail.get_body(("html",)).get_content()
    assert calendar_part(mail) is None


def test_cancel_sends_a_cancel_that_matches_the_request(setup, smtp, now):
    host, et = setup
    invitee = book(et, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), answers={"topic": "x"}, now=now)
    run_due(now)
    booking_cancel(
        booking=invitee.booking, now=now, reason="Fixed it myself", canceler_type="invitee", canceled_by="Ada Lovelace"
    )
    run_due(now)

    request, cancel = smtp.to("ada@example.org")
    _, _, req = parsed(request)
    part, cal, can = parsed(cancel)
    assert part.get_param("method") == "CANCEL"
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(can["UID"]) == str(req["UID"])
    assert can["SEQUENCE"] == 1 > req["SEQUENCE"]
    assert can.decoded("DTSTART") == req.decoded("DTSTART")
    assert can["DTSTART"].params["TZID"] == BERLIN
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [BERLIN]
    assert str(can["ORGANIZER"]) == str(req["ORGANIZER"])
    assert str(can["ATTENDEE"]) == str(req["ATTENDEE"])
    assert str(can["STATUS"]) == "CANCELLED"
    assert subject(cancel) == "Canceled: Support call with Grace Hopper on Mon, Mar 2, 2026, 10:00 AM (Europe/Berlin)"
    assert "Reason: Fixed it myself" in cancel.get_body(("plain",)).get_content()

    host_cancel = smtp.to("grace@acme.example")[-1]
    assert (
        subject(host_cancel) == "Canceled: Ada Lovelace — Support call on Mon, Mar 2, 2026, 4:00 AM (America/New_York)"
    )
    assert "has been canceled by Ada Lovelace" in host_cancel.get_body(("plain",)).get_content()


def test_reschedule_moves_the_same_calendar_entry_and_a_later_cancel_removes_it(setup, smtp, now):
    host, et = setup
    first = book(et, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), answers={"topic": "x"}, now=now)
    run_due(now)
    moved = booking_reschedule(invitee=first, new_start=datetime(2026, 3, 3, 14, 30, tzinfo=UTC), now=now)
    run_due(now)
    invitee_cancel(invitee=moved, now=now, reason="")
    run_due(now)

    mails = smtp.to("ada@example.org")
    assert [parsed(m)[1]["METHOD"] for m in mails] == ["REQUEST", "REQUEST", "CANCEL"]
    evs = [parsed(m)[2] for m in mails]
    assert {str(e["UID"]) for e in evs} == {f"{first.booking.uid}@book.example.com"}
    assert [e["SEQUENCE"] for e in evs] == [0, 1, 2]
    assert [e.decoded("DTSTART").astimezone(UTC) for e in evs] == [
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 3, 14, 30, tzinfo=UTC),
        datetime(2026, 3, 3, 14, 30, tzinfo=UTC),
    ]
    assert str(evs[1]["LOCATION"]) == str(evs[0]["LOCATION"])  # the same Jitsi room
    assert (
        subject(mails[1])
        == "Updated: Support call with Grace Hopper is now on Tue, Mar 3, 2026, 3:30 PM (Europe/Berlin)"
    )
    text = mails[1].get_body(("plain",)).get_content()
    assert "New time: Tuesday, March 3, 2026, 3:30 PM – 4:00 PM (Europe/Berlin, GMT+01:00)" in text
    assert "Was: Monday, March 2, 2026, 10:00 AM – 10:30 AM (Europe/Berlin, GMT+01:00)" in text
    assert f"https://book.example.com/reschedule/{moved.reschedule_token}/" in text

    host_mails = [subject(m) for m in smtp.to("grace@acme.example")]
    assert host_mails == [
        "New call scheduled: Ada Lovelace — Support call on Mon, Mar 2, 2026, 4:00 AM (America/New_York)",
        "Rescheduled: Ada Lovelace — Support call now on Tue, Mar 3, 2026, 9:30 AM (America/New_York)",
        "Canceled: Ada Lovelace — Support call on Tue, Mar 3, 2026, 9:30 AM (America/New_York)",
    ]
    assert list(SentEmail.objects.filter(to="ada@example.org").order_by("pk").values_list("method", "sequence")) == [
        ("REQUEST", 0),
        ("REQUEST", 1),
        ("CANCEL", 2),
    ]


def test_a_reschedule_before_the_confirmation_went_out_sends_only_the_update(setup, smtp, now):
    host, et = setup
    first = book(et, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), answers={"topic": "x"}, now=now)
    booking_reschedule(invitee=first, new_start=datetime(2026, 3, 2, 11, 0, tzinfo=UTC), now=now)
    run_due(now)
    (mail,) = smtp.to("ada@example.org")
    _, cal, ev = parsed(mail)
    assert (str(cal["METHOD"]), ev["SEQUENCE"]) == ("REQUEST", 1)
    assert ev.decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def test_an_invitee_in_utc_gets_utc_times_and_no_vtimezone(setup, smtp, now):
    host, et = setup
    book(et, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tz="UTC", answers={"topic": "x"}, now=now)
    run_due(now)
    _, cal, ev = parsed(smtp.to("ada@example.org")[0])
    assert ev["DTSTART"].to_ical() == b"20260302T090000Z"
    assert "TZID" not in ev["DTSTART"].params
    assert cal.walk("VTIMEZONE") == []


def test_a_dst_week_invitation_carries_both_offsets_in_its_vtimezone(setup, smtp, now):
    # New York springs forward on 2026-03-08; the VTIMEZONE must let a calendar place a 9 March meeting.
    host, et = setup
    book(et, datetime(2026, 3, 9, 14, 0, tzinfo=UTC), tz="America/New_York", answers={"topic": "x"}, now=now)
    run_due(now)
    _, cal, ev = parsed(smtp.to("ada@example.org")[0])
    assert ev["DTSTART"].params["TZID"] == "America/New_York"
    assert ev["DTSTART"].to_ical() == b"20260309T100000"
    (vtz,) = cal.walk("VTIMEZONE")
    offsets = {str(c.name): str(c["TZOFFSETTO"].to_ical()) for c in vtz.subcomponents}
    assert offsets == {"STANDARD": "-0500", "DAYLIGHT": "-0400"}


def test_imported_bookings_are_not_invited_again(setup, smtp, now):
    host, et = setup
    booking_create(
        event_type=et,
        start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        now=now,
        source="import",
        invitee=InviteeInput(name="Old", email="old@example.org", timezone=BERLIN, answers={"topic": "x"}),
    )
    run_due(now)
    assert smtp.messages == []
