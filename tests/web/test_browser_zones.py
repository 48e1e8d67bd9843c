"""The zone search in a real browser (Debian's Chromium): typing finds zones, an unknown one is said."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def search(page, text):
    page.fill("#tz", "")
    page.type("#tz", text)


def test_zone_search_finds_nepal_and_los_angeles_and_says_when_nothing_matches(live_server, open_page, acme, frozen):
    page = open_page("Europe/London", width=1280, height=800)
    page.goto(f"{live_server.url}/acme/ana/intro/?date=2026-03-03")
    expect(page.locator("#local-now")).to_contain_text("Europe/London")  # the browser's zone, not Berlin's

    search(page, "Nepal")
    option = page.locator("#zone-results [role=option][data-zone='Asia/Kathmandu']")
    expect(option).to_be_visible()
    expect(option).to_contain_text("Nepal Time")
    expect(option).to_contain_text("GMT+05:45")
    expect(page.locator("#tz")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#zone-status")).to_have_text("1 time zone found for “Nepal”")
    shot(page, "zone-search-desktop")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#tz")).to_have_attribute("aria-activedescendant", "zone-opt-0")
    page.keyboard.press("Enter")
    expect(page.locator("#zone-status")).to_have_text("Time zone Asia/Kathmandu chosen")
    expect(page.locator("#local-now")).to_contain_text("Asia/Kathmandu — Nepal Time")
    expect(page.locator("#times-zone")).to_contain_text("GMT+05:45")
    expect(page.locator("#times a.slot .t").first).to_have_text("1:45 PM")  # Ana's 09:00 Berlin

    search(page, "Los Angeles")
    la = page.locator("#zone-results [role=option][data-zone='America/Los_Angeles']")
    expect(la).to_be_visible()
    la.click()
    expect(page.locator("#local-now")).to_contain_text("America/Los_Angeles — Pacific Time")
    expect(page.locator("#tz")).to_have_value("America/Los_Angeles")
    expect(page.locator("#times a.slot.night").first).to_contain_text("night for you")  # 00:00 in LA

    search(page, "Mars/Olympus")
    expect(page.locator("#zone-results")).to_contain_text("No time zone matches “Mars/Olympus”")
    expect(page.locator("#zone-status")).to_have_text("No time zone matches “Mars/Olympus”")
    page.keyboard.press("Enter")  # sent anyway: the page says so and shows the browser's zone, not the host's
    expect(page.locator("#tz-error")).to_contain_text(
        "We do not know the time zone “Mars/Olympus”. Times are shown in your device's time zone, Europe/London instead."
    )
    expect(page.locator("#local-now")).to_contain_text("in Europe/London")
    expect(page.locator("#tz")).to_have_value("Mars/Olympus")  # what was typed stays, to be corrected
    shot(page, "zone-unknown-desktop")


def test_an_unknown_tz_in_the_link_falls_back_to_the_browsers_zone(live_server, open_page, acme, frozen):
    page = open_page("Asia/Tokyo")
    page.goto(f"{live_server.url}/acme/ana/intro/?tz=Mars/Olympus&date=2026-03-03")
    expect(page.locator("#tz-error")).to_contain_text("Times are shown in your device's time zone, Asia/Tokyo")
    expect(page.locator("#local-now")).to_contain_text("in Asia/Tokyo")


def test_on_a_phone_the_zone_sits_above_the_times_and_a_day_scrolls_to_them(live_server, open_page, acme, frozen):
    page = open_page("Asia/Kathmandu", width=390, height=844)
    page.goto(f"{live_server.url}/acme/ana/intro/")
    expect(page.locator("#local-now")).to_contain_text("Asia/Kathmandu")
    expect(page.locator("html")).not_to_have_class("tz-pending")
    page.locator("a.day[data-date='2026-03-04']").click()
    expect(page.locator("#times h3")).to_contain_text("March 4")
    expect(page.locator("#times-heading")).to_be_focused()
    expect(page.locator("#times-zone")).to_be_in_viewport()  # scrolled to the times, the zone right above them
    zone_box, times_box = page.locator("#zonebar").bounding_box(), page.locator("#times ul").first.bounding_box()
    assert zone_box["y"] < times_box["y"]
    expect(page.locator("#picker-status")).to_have_text("16 times free on Wednesday, March 4")
    shot(page, "booking-phone-day")
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, "booking-desktop-day")


def test_the_calendar_marks_today(live_server, open_page, acme, frozen):
    page = open_page("Europe/Berlin")
    page.goto(f"{live_server.url}/acme/ana/intro/")
    today = page.locator("[aria-current=date]")
    expect(today).to_have_attribute("data-date", date(2026, 3, 2).isoformat())
    expect(today).to_have_accessible_name(re.compile(r"^Monday, March 2, 2026 \(today\)$"))


def test_night_times_and_the_hosts_other_date_are_said_on_desktop_and_phone(live_server, open_page, acme, frozen):
    for name, width, height in (("desktop", 1280, 800), ("phone", 390, 844)):
        page = open_page("Asia/Tokyo", width=width, height=height)
        page.goto(f"{live_server.url}/acme/ana/intro/?date=2026-03-03")
        expect(page.locator("#local-now")).to_contain_text("Asia/Tokyo — Japan Time")
        # Tokyo's Tuesday begins with Ana's Monday afternoon in Berlin
        expect(page.locator(".day-note")).to_have_text(
            "Until 12:30 AM, your Tuesday is the host's Monday (Europe/Berlin)."
        )
        night = page.locator("#times a.slot.night")
        expect(night.first).to_have_text("12:00 AM☾ night for you")
        expect(page.locator("#times a.slot:not(.night)").first).to_have_text("5:00 PM")
        expect(page.locator("#times h4")).to_have_text(["Morning", "Afternoon", "Evening"])  # 00:00; 17:00; 18:00
        shot(page, f"booking-night-{name}")
