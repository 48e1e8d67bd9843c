"""An invitee books through a real browser (headless Chromium) in several time zones; the times the page
shows are compared with the engine's (event_availability), formatted independently here."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from slotwise.bookings import availability
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
    result = availability.event_availability(event_type=event_type, start=lo, end=hi, viewer_zone=zone, now=now)
    return result.days.get(day, [])


def pick_day(page, day: date):
    page.click(f"a.day[data-date='{day.isoformat()}']")
    page.wait_for_selector(f"#times h3:has-text('{day:%B} {day.day}')")


def shown_times(page):
    return page.locator("#times a.slot .t").all_inner_texts()


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
    # (expect() polls without eval, which the pages' Content-Security-Policy forbids)
    expect(page.locator("#tz")).to_have_value(zone)
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


def book_through_page(page, url, day, index, *, name="Bo Li", email="bo@example.com"):
    page.goto(url)
    pick_day(page, day)
    page.click(f"#times a.slot >> nth={index}")
    page.wait_for_selector("#booking-form")
    page.fill("#name", name)
    page.fill("#email", email)
    page.click("#submit")
    page.wait_for_selector("#when")


def test_cancel_and_reschedule_through_the_confirmation_links(live_server, open_page, acme, frozen):
    zone = "America/New_York"
    intro = acme["intro"]
    intro.questions = [{"key": "company", "label": "Company", "type": "text", "required": True, "options": []}]
    intro.save()
    page = open_page(zone)
    page.goto(f"{live_server.url}/acme/ana/intro/?tz={zone}")
    pick_day(page, date(2026, 3, 5))
    page.click("#times a.slot >> nth=2")  # 10:00 Berlin = 09:00 UTC = 04:00 EST: a night-time start
    page.fill("#name", "Cy Ode")
    page.fill("#email", "cy@example.com")
    page.fill("#q_company", "Initech")
    page.click("#submit")
    page.click("#confirm-night")
    page.wait_for_selector("#reschedule-link")
    shot(page, "confirmation")
    old = Invitee.objects.get()
    assert page.get_attribute("#ics", "href") == f"/booked/{old.uid}/event.ics"
    assert "calendar.google.com" in page.get_attribute("#google", "href")
    assert "outlook.live.com" in page.get_attribute("#outlook", "href")

    # Reschedule from the confirmation's link: the same rules, the answers kept.
    page.click("#reschedule-link")
    page.wait_for_selector("#picker-form")
    new_day = date(2026, 3, 6)
    pick_day(page, new_day)
    expected = offered(intro, new_day, zone, frozen)
    assert shown_times(page) == [twelve(s, zone) for s in expected]
    page.click("#times a.slot >> nth=12")  # 15:00 Berlin = 09:00 EST
    page.click("#submit")
    page.wait_for_selector("#when")
    assert page.inner_text("#when").startswith(f"{twelve(expected[12], zone)} – ")
    old.refresh_from_db()
    new = Invitee.objects.exclude(pk=old.pk).get()
    assert (old.status, old.booking.status) == ("canceled", "rescheduled")
    assert (new.booking.start, new.booking.rescheduled_from_id) == (expected[12], old.booking_id)
    assert new.answers == [{"key": "company", "question": "Company", "answer": "Initech"}]
    # The old reschedule link now says the meeting moved.
    page.goto(f"{live_server.url}/reschedule/{old.reschedule_token}/")
    assert "can no longer be changed" in page.inner_text("#closed")

    # Cancel from the new confirmation's link.
    page.goto(f"{live_server.url}/booked/{new.uid}/")
    page.click("#cancel-link")
    page.fill("#reason", "Found another slot")
    page.click("#confirm-cancel")
    page.wait_for_selector("#cancel-done")
    new.booking.refresh_from_db()
    assert (new.booking.status, new.booking.cancel_reason, new.booking.canceler_type) == (
        "canceled",
        "Found another slot",
        "invitee",
    )
    # The time is free again on the booking page.
    page.goto(f"{live_server.url}/acme/ana/intro/?tz={zone}")
    pick_day(page, new_day)
    assert twelve(expected[12], zone) in shown_times(page)


def test_single_use_link_books_once_then_says_it_was_used(live_server, open_page, acme, frozen):
    link = SingleUseLink.objects.create(event_type=acme["intro"])
    page = open_page("Europe/Berlin")
    url = f"{live_server.url}/d/{link.token}/"
    book_through_page(page, url, date(2026, 3, 3), 0)
    booking = Booking.objects.get()
    assert (booking.source, booking.start.isoformat()) == ("single_use", "2026-03-03T08:00:00+00:00")
    page.goto(url)
    assert page.inner_text("h1") == "This link has been used"
    # A second tab that opened the form before the first booking is refused on submit too.
    link2 = SingleUseLink.objects.create(event_type=acme["intro"])
    first, second = open_page("Europe/Berlin"), open_page("Europe/Berlin")
    for p in (first, second):
        p.goto(f"{live_server.url}/d/{link2.token}/")
        pick_day(p, date(2026, 3, 4))
    first.click("#times a.slot >> nth=0")
    second.click("#times a.slot >> nth=1")
    for p in (first, second):
        p.fill("#name", "Di Ana")
        p.fill("#email", "di@example.com")
    first.click("#submit")
    first.wait_for_selector("#when")
    second.click("#submit")
    second.wait_for_selector("#link-used")
    assert Booking.objects.filter(source="single_use").count() == 2
    shot(second, "single-use-used")


def test_night_time_start_asks_before_booking(live_server, open_page, acme, frozen):
    zone = "Asia/Tokyo"
    page = open_page(zone)
    page.goto(f"{live_server.url}/acme/ana/intro/")
    page.wait_for_selector(f"#local-now:has-text('{zone}')")
    pick_day(page, date(2026, 3, 3))
    page.click("[data-clock='24']")
    page.wait_for_selector("#times a.slot:has-text('22:00')")
    page.click("#times a.slot:has-text('22:00')")  # 13:00 UTC, 14:00 in Berlin
    page.fill("#name", "Ed Night")
    page.fill("#email", "ed@example.com")
    page.click("#submit")
    assert page.inner_text("#night-check strong") == "This is 22:00 in Asia/Tokyo — is that right?"
    assert Booking.objects.count() == 0
    assert page.input_value("#name") == "Ed Night"
    shot(page, "night-check")
    page.click("#confirm-night")
    page.wait_for_selector("#when")
    assert Booking.objects.get().start.isoformat() == "2026-03-03T13:00:00+00:00"


def test_page_zone_other_than_the_browsers_asks_before_booking(live_server, open_page, acme, frozen):
    page = open_page("Europe/London")
    page.goto(f"{live_server.url}/acme/ana/intro/")
    page.wait_for_selector("#local-now:has-text('Europe/London')")
    page.fill("#tz", "America/Chicago")
    page.dispatch_event("#tz", "change")
    page.wait_for_selector("#local-now:has-text('America/Chicago')")
    pick_day(page, date(2026, 3, 4))
    page.click("#times a.slot:has-text('8:00 AM')")  # 14:00 UTC
    page.fill("#name", "Fay Far")
    page.fill("#email", "fay@example.com")
    page.click("#submit")
    text = page.inner_text("#night-check")
    assert "This is 8:00 AM in America/Chicago — is that right?" in text
    assert "Your device is set to Europe/London, where this is 2:00 PM" in text
    page.click("#confirm-night")
    page.wait_for_selector("#when")
    assert Booking.objects.get().timezone == "America/Chicago"


def test_a_time_taken_meanwhile_offers_the_nearest_and_keeps_what_was_typed(live_server, open_page, acme, frozen):
    from slotwise.bookings.services import InviteeInput, booking_create

    page = open_page("Europe/Berlin")
    page.goto(f"{live_server.url}/acme/ana/intro/")
    pick_day(page, date(2026, 3, 4))
    page.click("#times a.slot:has-text('11:00 AM')")
    page.fill("#name", "Gus Late")
    page.fill("#email", "gus@example.com")
    # Someone else books 11:00 while Gus types.
    booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Quick", email="quick@example.com", timezone="UTC"),
    )
    page.click("#submit")
    assert "that time was just taken" in page.inner_text("#taken")
    alternatives = page.locator("#taken .alt-times button").all_inner_texts()
    assert alternatives == [
        "Wed, Mar 4 · 9:30 AM",
        "Wed, Mar 4 · 10:00 AM",
        "Wed, Mar 4 · 10:30 AM",
        "Wed, Mar 4 · 11:30 AM",
        "Wed, Mar 4 · 12:00 PM",
        "Wed, Mar 4 · 12:30 PM",
    ]
    assert (page.input_value("#name"), page.input_value("#email")) == ("Gus Late", "gus@example.com")
    shot(page, "slot-taken")
    page.click("#taken .alt-times button:has-text('11:30 AM')")
    page.wait_for_selector("#when")
    gus = Invitee.objects.get(email="gus@example.com")
    assert gus.booking.start == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def test_booking_page_works_at_phone_width(live_server, open_page, acme, frozen):
    page = open_page("Europe/Berlin", width=390, height=844)
    page.goto(f"{live_server.url}/acme/ana/intro/")
    pick_day(page, date(2026, 3, 3))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "booking-page-390")
    page.click("#times a.slot >> nth=0")
    page.wait_for_selector("#booking-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "booking-form-390")


def other_origin(live_server, host: str) -> str:
    """The live server under another host name: another origin on this machine."""
    return re.sub(r"//[^:/]+", f"//{host}", live_server.url, count=1)


def partner_site(page, origin, live_server, settings, path="/acme/ana/intro/"):
    """Open a page of another site (at `origin`, tests/web/partner_urls.py) that embeds `path`."""
    from urllib.parse import urlencode

    settings.ROOT_URLCONF = "tests.web.partner_urls"
    query = urlencode({"embed": f"{live_server.url}{path}", "script": f"{live_server.url}/static/web/embed.js"})
    page.goto(f"{origin}/partner-site/?{query}")


def test_embedded_page_sizes_its_iframe(live_server, open_page, acme, frozen, settings):
    partner = other_origin(live_server, "127.0.0.1")
    acme["org"].embed_origins = [partner]  # the site the organization allows to frame it
    acme["org"].save()
    page = open_page("Europe/Berlin", width=390)
    partner_site(page, partner, live_server, settings)
    frame = page.frame_locator("iframe")
    frame.locator("#picker-form").wait_for()
    frame.locator("a.day[data-date='2026-03-03']").click()
    frame.locator("#times a.slot >> nth=0").wait_for()
    expect(page.locator("iframe")).not_to_have_attribute("style", re.compile(r"height: 700px"))
    page.wait_for_timeout(300)  # the last resize message after the times were swapped in
    inner = page.frames[1].evaluate("document.documentElement.offsetHeight")
    assert inner > 1200  # a phone-width calendar and a day of times
    assert page.evaluate("document.querySelector('iframe').style.height") == f"{inner}px"
    assert "Powered by Slotwise" not in page.frames[1].content()  # embed=1: no footer
    shot(page, "embedded")


def test_a_time_booked_elsewhere_vanishes_from_the_open_page(live_server, open_page, acme, frozen, settings):
    from slotwise.bookings.services import InviteeInput, booking_create

    settings.SLOTWISE_WEB_POLL_SECONDS = 1
    page = open_page("Europe/Berlin")
    page.goto(f"{live_server.url}/acme/ana/intro/")
    pick_day(page, date(2026, 3, 4))
    assert "11:00 AM" in shown_times(page)
    booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Quick", email="quick@example.com", timezone="UTC"),
    )
    page.wait_for_selector("#times a.slot:has-text('11:00 AM')", state="detached")
    assert shown_times(page)[3:5] == ["10:30 AM", "11:30 AM"]


def test_round_robin_invitee_picks_anyone_or_one_host(live_server, open_page, frozen):
    from slotwise.scheduling.models import EventType
    from tests import factories

    org = factories.org("rr")
    early = factories.host(org, "early", tz="Asia/Kolkata", weekly={"tue": [["09:00", "11:00"]]})
    late = factories.host(org, "late", tz="America/New_York", weekly={"tue": [["09:00", "10:00"]]})
    team = factories.team(org, [early, late], slug="sales", tz="UTC")
    demo = factories.event_type(
        team=team, slug="demo", name="Demo", kind=EventType.Kind.ROUND_ROBIN, duration_minutes=60, increment_minutes=30
    )
    factories.pool(demo, [early, late])
    page = open_page("Europe/London")
    page.goto(f"{live_server.url}/rr/team/sales/demo/")
    page.wait_for_selector("#local-now:has-text('Europe/London')")
    assert page.inner_text(".about .host") == "One of Early, Late"
    pick_day(page, date(2026, 3, 3))
    # Kolkata 09:00-11:00 is 03:30-05:30 London; New York 09:00-10:00 is 14:00-15:00 London.
    assert shown_times(page) == ["3:30 AM", "4:00 AM", "4:30 AM", "2:00 PM"]
    page.select_option("#host", "late")
    page.wait_for_selector("#times a.slot >> nth=0 >> text='2:00 PM'")
    assert shown_times(page) == ["2:00 PM"]
    page.click("#times a.slot >> nth=0")
    page.fill("#name", "Rae Robin")
    page.fill("#email", "rae@example.com")
    page.click("#submit")
    page.wait_for_selector("#when")
    booking = Booking.objects.get()
    assert (booking.host, booking.start) == (late, datetime(2026, 3, 3, 14, 0, tzinfo=UTC))


def _emailed_path(kind, to, since=0):
    """The /cancel/ or /reschedule/ path from the newest email to `to` (sent by the notifications jobs)."""
    import re

    from django.core import mail

    for message in reversed(mail.outbox[since:]):
        if to in message.to:
            bodies = [message.body] + [alt[0] for alt in getattr(message, "alternatives", [])]
            for body in bodies:
                found = re.search(rf"https?://[^/\s]+(/{kind}/[A-Za-z0-9_-]+/)", body)
                if found:
                    return found.group(1)
    raise AssertionError(f"no {kind} link emailed to {to}")


def test_reschedule_then_cancel_through_the_emailed_links(live_server, open_page, acme, frozen):
    from django.core import mail

    from slotwise.jobs.services import run_due

    zone = "Asia/Kolkata"
    page = open_page(zone)
    page.goto(f"{live_server.url}/acme/ana/intro/?tz={zone}")
    pick_day(page, date(2026, 3, 5))
    page.click("#times a.slot >> nth=0")  # 09:00 Berlin = 13:30 Kolkata
    page.fill("#name", "Em Ail")
    page.fill("#email", "em@example.com")
    page.click("#submit")
    page.wait_for_selector("#when")
    run_due(frozen + timedelta(minutes=1))
    sent = len(mail.outbox)
    page.goto(live_server.url + _emailed_path("reschedule", "em@example.com"))
    pick_day(page, date(2026, 3, 6))
    assert page.input_value("#tz") == zone  # rescheduling starts in the zone the invitee booked in
    page.click("#times a.slot >> nth=1")  # 14:00 Kolkata
    page.click("#submit")
    page.wait_for_selector("#when")
    assert page.inner_text("#when").startswith("2:00 PM – 2:30 PM, Friday, March 6, 2026")
    run_due(frozen + timedelta(minutes=2))
    page.goto(live_server.url + _emailed_path("cancel", "em@example.com", since=sent))
    assert "2:00 PM – 2:30 PM" in page.inner_text("main")
    page.click("#confirm-cancel")
    page.wait_for_selector("#cancel-done")
    statuses = sorted(Booking.objects.values_list("start", "status"))
    assert statuses == [
        (datetime(2026, 3, 5, 8, 0, tzinfo=UTC), "rescheduled"),
        (datetime(2026, 3, 6, 8, 30, tzinfo=UTC), "canceled"),
    ]
