"""An invitee books through a real browser (headless Chromium) in several time zones; the times the page
shows are compared with the engine's (event_availability), formatted independently here."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from slotwise.bookings.models import Booking, Invitee, SingleUseLink
from slotwise.contacts.models import Contact, FunnelEvent
from slotwise.scheduling import selectors

from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def twelve(instant, zone):
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def offered(event_type, day, zone, now):
    lo, hi = selectors.local_range(day, day, zone)
    result = selectors.event_availability(event_type=event_type, start=lo, end=hi, viewer_zone=zone, now=now)
    return result.days.get(day, [])


def pick_day(page, day: date):
    page.click(f"a.day[data-date='{day.isoformat()}']")
    page.wait_for_selector(f"#times h3:has-text('{day:%B} {day.day}')")


def shown_times(page):
    return page.locator("#times a.slot").all_inner_texts()


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Asia/Kathmandu", date(2026, 3, 3)),  # UTC+05:45: Ana's 09:00 Berlin is 13:45
        ("America/Los_Angeles", date(2026, 3, 4)),  # UTC-08:00 (US DST starts 2026-03-08)
        ("Asia/Kolkata", date(2026, 3, 10)),  # UTC+05:30, after the US change, before the EU one
    ],
)
def test_book_in_the_browsers_zone_shows_the_engines_times(live_server, open_page, acme, frozen, zone, day):
    page = open_page(zone)
    page.goto(f"{live_server.url}/acme/ana/intro/")
    # The browser reports its zone; the server re-renders the calendar in it.
    page.wait_for_function(f"document.querySelector('#tz').value === '{zone}'")
    page.wait_for_selector(f"#local-now:has-text('{zone}')")
    pick_day(page, day)
    expected = offered(acme["intro"], day, zone, frozen)
    assert len(expected) == 16  # 09:00-17:00 Berlin, every 30 minutes
    assert shown_times(page) == [twelve(s, zone) for s in expected]
    if zone == "Asia/Kathmandu":
        shot(page, "booking-page-kathmandu")

    # A daytime start for the invitee (night-time starts ask for a confirmation: tested below).
    index = next(i for i, s in enumerate(expected) if 7 <= s.astimezone(ZoneInfo(zone)).hour < 22)
    first = expected[index]
    page.click(f"#times a.slot >> nth={index}")
    page.wait_for_selector("#booking-form")
    page.fill("#name", "Bo Li")
    page.fill("#email", "bo@example.com")
    page.click("#submit")
    page.wait_for_selector("#when")
    assert page.inner_text("#when").startswith(f"{twelve(first, zone)} – {twelve(first + timedelta(minutes=30), zone)}")
    assert page.inner_text("#zone") == zone
    booking = Booking.objects.get()
    assert (booking.start, booking.timezone, booking.status) == (first, zone, "confirmed")
    invitee = booking.invitees.get()
    assert (invitee.name, invitee.first_name, invitee.last_name) == ("Bo Li", "Bo", "Li")
    # The funnel: type chosen, date chosen, time chosen, submitted; all attached to the new contact.
    contact = Contact.objects.get(email="bo@example.com")
    steps = list(FunnelEvent.objects.filter(contact=contact).values_list("name", flat=True))
    assert steps[0] == "calendar_1st_step" and steps[-2:] == ["calendar_3rd_step", "calendar_4th_step_submit"]
    assert "calendar_2nd_step" in steps
    submit = FunnelEvent.objects.get(name="calendar_4th_step_submit")
    assert submit.attributes["email"] == "bo@example.com" and submit.attributes["last_name"] == "Li"
