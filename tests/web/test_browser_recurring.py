"""An invitee books a 4-week series in Chromium, at desktop and phone sizes: the meetings are listed in
their zone before booking, the confirmation lists the series, and both pages are axe-clean."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.models import Booking, RecurringSeries
from slotwise.scheduling import services as scheduling

from .test_browser_accessibility import DESKTOP, PHONE, assert_accessible, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "size, start, day",
    [
        (DESKTOP, datetime(2026, 3, 17, 9, tzinfo=UTC), "Tuesday, March 17, 2026"),
        (PHONE, datetime(2026, 3, 18, 9, tzinfo=UTC), "Wednesday, March 18, 2026"),
    ],
)
def test_book_a_four_week_recurring_series(browser, live_server, acme, frozen, size, start, day):
    scheduling.event_type_update(
        event_type=acme["intro"], now=frozen, values={"recurrence": "weekly", "recurrence_count": 4}
    )
    ctx, page = visit(browser, live_server, size, zone="Europe/Berlin")
    try:
        page.goto(f"{live_server.url}/acme/ana/intro/?tz=Europe/Berlin&start={start:%Y-%m-%dT%H:%M:%SZ}")
        page.wait_for_selector("#series")
        rows = page.locator("#series li").all_inner_texts()
        assert len(rows) == 4 and all(r.startswith("Free") for r in rows), rows
        assert day in rows[0] and "10:00 AM" in rows[0]
        assert "10:00 AM" in rows[3]  # the same wall time after Berlin's change to summer time (29 March)
        name = f"recurring-form-{size[0]}x{size[1]}"
        assert_accessible(page, name)
        page.fill("#name", "Bo Li")
        page.fill("#email", "bo@example.com")
        page.click("#submit")
        page.wait_for_selector("#series-dates")
        assert len(page.locator("#series-dates li").all_inner_texts()) == 4
        assert_accessible(page, f"recurring-booked-{size[0]}x{size[1]}")
    finally:
        ctx.close()
    series = RecurringSeries.objects.get()
    assert series.count == 4 and series.first_start == start
    assert Booking.objects.filter(series=series, status="confirmed").count() == 4
