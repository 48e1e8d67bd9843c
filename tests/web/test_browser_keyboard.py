"""A booking made with the keyboard alone (Tab, Enter and Space; no mouse, no arrow keys): every step is
reachable, the focus follows the invitee (a picked day moves it to that day's times) and is always visible."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.models import Booking

from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        const style = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className || '', date: el.dataset.date || '',
                start: el.dataset.start || '', text: (el.innerText || '').trim(),
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2}; }""")


def tab_to(page, wanted, *, limit=60) -> dict:
    """Press Tab until `wanted(focused element)`; every stop on the way must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        el = focused(page)
        if el["tag"] in ("a", "button", "input", "select", "textarea"):
            assert el["outline"], f"focus not visible on {el}"
        if wanted(el):
            return el
    raise AssertionError(f"Tab never reached the element; last focused: {focused(page)}")


def test_a_booking_with_the_keyboard_alone(live_server, open_page, acme, frozen):
    page = open_page("Europe/Berlin", width=1280, height=800)
    page.goto(f"{live_server.url}/acme/ana/intro/")
    page.wait_for_selector("#times")

    tab_to(page, lambda el: el["date"] == "2026-03-03" and "day" in el["cls"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#times a.slot")
    # The new times are announced and the focus is on their heading, not dropped to <body>.
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'times-heading'")
    assert "16 times" in page.inner_text("#picker-status")

    slot = tab_to(page, lambda el: "slot" in el["cls"])
    assert slot["start"] == "2026-03-03T08:00:00+00:00"  # the first time after the heading: 09:00 Berlin
    page.keyboard.press("Enter")
    page.wait_for_selector("#booking-form")

    tab_to(page, lambda el: el["id"] == "name")
    page.keyboard.type("Kim Lee")
    tab_to(page, lambda el: el["id"] == "email")
    page.keyboard.type("kim@example.com")
    tab_to(page, lambda el: el["id"] == "submit")
    shot(page, "keyboard-form-submit-focused")
    page.keyboard.press("Space")
    page.wait_for_selector("#when")

    booking = Booking.objects.get()
    assert booking.start == datetime(2026, 3, 3, 8, tzinfo=UTC)
    assert booking.invitees.get().email == "kim@example.com"
    # On the confirmation, the next steps are reachable too.
    tab_to(page, lambda el: el["id"] == "cancel-link")
