"""Requests waiting for approval, on the pages: the signed links in the host's email, the bookings page's
"waiting for you" list and the booking's buttons, the event type form, and a guest's decline link."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.bookings import approvals
from slotwise.bookings.models import Booking, Guest
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.clock import utc_now

pytestmark = pytest.mark.django_db


def next_weekday_10_utc() -> datetime:
    day = (utc_now() + timedelta(days=3)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def request_for(event_type, **kw) -> Booking:
    return booking_create(
        event_type=event_type,
        start=next_weekday_10_utc(),
        now=utc_now(),
        invitee=InviteeInput(name="Zoe Q", email="zoe@example.com", timezone="Europe/Berlin"),
        **kw,
    ).booking


@pytest.fixture
def intro(acme):
    acme["intro"].requires_confirmation = True
    acme["intro"].max_guests = 2
    acme["intro"].save()
    return acme["intro"]


def test_the_approve_link_asks_first_and_approves_on_post(intro):
    booking = request_for(intro)
    url = f"/approval/{approvals.token(booking, 'approve')}/"
    page = Client().get(url)
    assert page.status_code == 200 and b"Approve this request?" in page.content and b"Zoe Q" in page.content
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING  # a scanner following the link decides nothing
    done = Client().post(url)
    assert done.status_code == 200 and b"Approved" in done.content
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    again = Client().post(url)
    assert again.status_code == 409 and b"already approved" in again.content


def test_the_decline_link_takes_a_reason(intro):
    booking = request_for(intro)
    resp = Client().post(f"/approval/{approvals.token(booking, 'decline')}/", {"reason": "Fully booked that week"})
    assert resp.status_code == 200 and b"Declined" in resp.content
    booking.refresh_from_db()
    assert booking.approval == "declined" and booking.cancel_reason == "Fully booked that week"


def test_a_forged_approval_link_is_a_404_in_words(intro):
    resp = Client().get("/approval/not-a-signed-token/")
    assert resp.status_code == 404 and b"not valid" in resp.content


def test_the_bookings_page_lists_what_waits_for_the_host_and_approves_it(client, acme, intro):
    booking = request_for(intro)
    client.force_login(acme["ana"].user)
    page = client.get("/dashboard/bookings/")
    assert b"Waiting for you" in page.content and str(booking.uid).encode() in page.content
    resp = client.post(f"/dashboard/bookings/{booking.uid}/approve/", {"next": "/dashboard/bookings/"})
    assert resp.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert b"Waiting for you" not in client.get("/dashboard/bookings/").content


def test_the_booking_page_declines_and_the_history_says_so(client, acme, intro):
    booking = request_for(intro)
    client.force_login(acme["ana"].user)
    assert b"Waiting for your approval" in client.get(f"/dashboard/bookings/{booking.uid}/").content
    client.post(
        f"/dashboard/bookings/{booking.uid}/decline/",
        {"reason": "Not a fit", "next": f"/dashboard/bookings/{booking.uid}/"},
    )
    page = client.get(f"/dashboard/bookings/{booking.uid}/")
    assert b"Declined by" in page.content and b"Not a fit" in page.content


def test_the_event_type_form_switches_approval_on_with_a_hold(client, acme):
    client.force_login(acme["ana"].user)
    et = acme["intro"]
    form = client.get(f"/dashboard/event-types/{et.pk}/")
    assert b"Requires my approval" in form.content
    resp = client.post(
        f"/dashboard/event-types/{et.pk}/",
        {
            "name": et.name,
            "slug": et.slug,
            "kind": et.kind,
            "duration_minutes": 30,
            "increment_minutes": 30,
            "window_kind": "rolling",
            "window_days": 60,
            "location_kind": "video",
            "seats": 1,
            "active": "on",
            "requires_confirmation": "on",
            "confirmation_hold_hours": 6,
            "max_guests": 3,
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    et.refresh_from_db()
    assert (et.requires_confirmation, et.confirmation_hold_hours, et.max_guests) == (True, 6, 3)


def test_a_guest_declines_without_cancelling_and_the_host_sees_it(client, acme, intro):
    intro.requires_confirmation = False
    intro.save()
    booking = request_for(intro, guests=["Bo@Example.com"])
    guest = Guest.objects.get(booking=booking)
    assert guest.email == "bo@example.com"
    page = Client().get(f"/guest/{guest.decline_token}/decline/")
    assert b"Decline this meeting?" in page.content
    done = Client().post(f"/guest/{guest.decline_token}/decline/")
    assert b"You have declined" in done.content
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    client.force_login(acme["ana"].user)
    host_view = client.get(f"/dashboard/bookings/{booking.uid}/").content
    assert b"bo@example.com" in host_view and b"declined" in host_view


def test_the_booking_form_takes_guests_up_to_the_limit_and_says_when_there_are_too_many(client, acme, frozen):
    acme["intro"].max_guests = 1
    acme["intro"].save()
    data = {
        "start": "2026-03-03T09:00:00Z",
        "tz": "Europe/Berlin",
        "name": "Bo Li",
        "email": "bo@example.com",
        "browser_tz": "Europe/Berlin",
    }
    page = client.get("/acme/ana/intro/2026-03-03T09:00:00Z?tz=Europe/Berlin")
    assert b'name="guests"' in page.content
    too_many = client.post("/acme/ana/intro/", {**data, "guests": "a@example.com, b@example.com"})
    assert too_many.status_code == 400 and b"at most 1 guest" in too_many.content
    assert not Booking.objects.exists()
    ok = client.post("/acme/ana/intro/", {**data, "guests": "a@example.com"})
    assert ok.status_code == 302
    assert list(Guest.objects.values_list("email", flat=True)) == ["a@example.com"]
