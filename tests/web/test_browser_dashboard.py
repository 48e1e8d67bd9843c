"""A host logs in, edits the weekly hours, and the booking page offers the new times; dashboard pages
are captured as screenshots."""

from datetime import date

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.scheduling.models import AvailabilitySchedule

from .conftest import shot
from .test_browser_booking import offered, pick_day, shown_times, twelve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, email="ana@acme.test"):
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "correct horse battery")
    page.click("#login")
    page.wait_for_url(f"{base}/dashboard/")


def test_host_changes_hours_and_the_booking_page_follows(live_server, open_page, acme, frozen):
    zone = "Europe/Berlin"
    invitee_page = open_page(zone)
    invitee_page.goto(f"{live_server.url}/acme/ana/intro/")
    pick_day(invitee_page, date(2026, 3, 3))
    assert shown_times(invitee_page)[0] == "9:00 AM" and len(shown_times(invitee_page)) == 16

    host = open_page(zone)
    login(host, live_server.url)
    shot(host, "dashboard-event-types")
    nav = host.locator("header nav").inner_html()
    assert all(f'href="/dashboard/{p}/"' in nav for p in ("webhooks", "calendars", "tokens"))
    assert 'href="/dashboard/jobs/"' not in nav and 'href="/dashboard/rules/"' not in nav  # admins only
    host.goto(f"{live_server.url}/dashboard/event-types/{acme['intro'].pk}/")
    shot(host, "dashboard-event-type-form")
    host.click("text=Availability")
    host.wait_for_selector("#week-preview")
    host.fill("#f_tue", "13:00-15:00, 16:00-18:30")
    host.fill("#f_overrides", "2026-03-04: off")
    host.click("#save-hours")
    host.wait_for_selector("text=Hours saved")
    shot(host, "dashboard-availability")
    schedule = AvailabilitySchedule.objects.get(owner=acme["ana"])
    assert schedule.weekly["tue"] == [["13:00", "15:00"], ["16:00", "18:30"]]

    invitee_page.reload()
    invitee_page.wait_for_selector("#times a.slot")
    expected = offered(acme["intro"], date(2026, 3, 3), zone, frozen)
    assert (
        shown_times(invitee_page)
        == [twelve(s, zone) for s in expected]
        == [
            "1:00 PM",
            "1:30 PM",
            "2:00 PM",
            "2:30 PM",
            "4:00 PM",
            "4:30 PM",
            "5:00 PM",
            "5:30 PM",
            "6:00 PM",
        ]
    )
    # The override took Wednesday off the calendar.
    assert invitee_page.locator("a.day[data-date='2026-03-04']").count() == 0
    assert invitee_page.locator("span.day[data-date='2026-03-04']").count() == 1


def test_week_preview_says_why_each_time_is_not_offered(live_server, open_page, acme, frozen):
    from datetime import UTC, datetime

    intro = acme["intro"]
    intro.buffer_after_minutes = 30
    intro.save()
    booking_create(
        event_type=intro,
        start=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Ivy", email="ivy@example.com", timezone="UTC"),
    )
    host = open_page("Europe/Berlin")
    login(host, live_server.url)
    host.goto(f"{live_server.url}/dashboard/availability/?week=2026-03-02")
    host.wait_for_selector("#week-preview")
    shot(host, "dashboard-week-preview")

    def cell(row, col):  # col 0 = Monday 2026-03-02
        return host.locator(f"#week-preview tbody tr:has(th.rowlabel:text-is('{row}')) td >> nth={col}").inner_text()

    assert cell("08:30", 1) == "hours"
    assert cell("08:30", 0) == "hours+notice"  # before 09:00, and before now (Mon 09:00 Berlin)
    assert cell("09:00", 0) == "open"
    assert cell("11:00", 1) == "busy"  # Ivy's 11:00-11:30 Berlin
    assert cell("11:30", 1) == "buffer"  # her 30-minute buffer after
    assert cell("10:30", 1) == "buffer"  # this meeting's own buffer would run into hers
    assert cell("12:00", 1) == "open"
    assert cell("09:00", 5) == "hours"  # Saturday


def test_dashboard_lists_bookings_cancels_and_marks_no_show(live_server, open_page, acme, frozen):
    from datetime import UTC, datetime

    past = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 2, 27, 8, 0, tzinfo=UTC),
        now=datetime(2026, 2, 26, tzinfo=UTC),
        invitee=InviteeInput(name="Pat Past", email="pat@example.com", timezone="UTC"),
    )
    soon = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Sue Soon", email="sue@example.com", timezone="UTC"),
    )
    host = open_page("Europe/Berlin")
    login(host, live_server.url)
    host.goto(f"{live_server.url}/dashboard/bookings/")
    assert "Sue Soon" in host.inner_text("#booking-list") and "Pat Past" not in host.inner_text("#booking-list")
    shot(host, "dashboard-bookings")
    host.click(f"li[data-booking='{soon.booking.uid}'] summary")
    host.fill(f"li[data-booking='{soon.booking.uid}'] input[name=reason]", "Sick today")
    host.click(f"li[data-booking='{soon.booking.uid}'] button:has-text('Cancel meeting')")
    host.wait_for_selector("text=Canceled Intro call")
    soon.booking.refresh_from_db()
    assert (soon.booking.status, soon.booking.cancel_reason, soon.booking.canceler_type) == (
        "canceled",
        "Sick today",
        "host",
    )
    host.goto(f"{live_server.url}/dashboard/bookings/?tab=past")
    host.click("button:has-text('Mark no-show')")
    host.wait_for_selector("button:has-text('Undo no-show')")
    past.refresh_from_db()
    assert past.no_show is True
    host.goto(f"{live_server.url}/dashboard/contacts/")
    host.click("text=Pat Past")
    host.wait_for_selector("#timeline")
    shot(host, "dashboard-contact")


def test_dashboard_at_phone_width(live_server, open_page, acme, frozen):
    host = open_page("Europe/Berlin", width=390, height=844)
    login(host, live_server.url)
    assert host.evaluate("document.documentElement.scrollWidth") <= 390
    shot(host, "dashboard-390")
