"""Recurring bookings on the public pages: the series' meetings listed before booking (free or not, and
why, in the invitee's zone), all or nothing refused in words, and the cancel page's two choices."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.models import Booking, RecurringSeries
from slotwise.scheduling.models import BusyBlock

pytestmark = pytest.mark.django_db

FIRST = "2026-03-17T09:00:00Z"  # Tuesday 10:00 in Berlin, Ana's zone


@pytest.fixture
def series_intro(acme):
    intro = acme["intro"]
    intro.recurrence, intro.recurrence_count = "weekly", 4
    intro.save()
    return intro


def form(**over):
    # confirmed: 05:00 in New York is night there, which the page asks about once (tested elsewhere)
    data = {"start": FIRST, "tz": "America/New_York", "name": "Bo Li", "email": "bo@example.com", "confirmed": "1"}
    data["browser_tz"] = data["tz"]
    data.update(over)
    return data


def busy_third_week(acme):
    BusyBlock.objects.create(
        organization=acme["org"],
        membership=acme["ana"],
        start=datetime(2026, 3, 31, 8, tzinfo=UTC),
        end=datetime(2026, 3, 31, 9, tzinfo=UTC),
    )


def test_the_form_lists_each_meeting_of_the_series_in_the_invitees_zone(client, acme, series_intro, frozen):
    busy_third_week(acme)
    html = client.get(f"/acme/ana/intro/?tz=America/New_York&start={FIRST}").content.decode()
    assert "Every week, 4 meetings" in html and "The series is booked only if every meeting is free." in html
    # 10:00 Berlin is 05:00 in New York before the US change (8 March), 05:00 after it until Berlin's (29
    # March) brings it to 04:00.
    assert html.count('data-free="1"') == 3 and html.count('data-free="0"') == 1
    assert "Tuesday, March 17, 2026 · 5:00 AM – 5:30 AM" in html
    assert "Tuesday, March 31, 2026 · 4:00 AM – 4:30 AM" in html
    assert "(the host is busy then)" in html


def test_booking_a_series_that_is_not_all_free_is_refused_in_words_and_writes_nothing(
    client, acme, series_intro, frozen
):
    busy_third_week(acme)
    resp = client.post("/acme/ana/intro/", form())
    assert resp.status_code == 409
    assert "1 of the 4 meetings cannot be booked" in resp.content.decode()
    assert not Booking.objects.exists() and not RecurringSeries.objects.exists()


def test_booking_a_free_series_books_four_weeks_and_the_cancel_page_offers_one_or_the_rest(
    client, acme, series_intro, frozen
):
    resp = client.post("/acme/ana/intro/", form())
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert Booking.objects.filter(status="confirmed").count() == 4
    confirmation = client.get(resp["Location"]).content.decode()
    assert "A series of 4 meetings:" in confirmation
    # A meeting of a series is not moved on its own (the calendars hold one rule): no reschedule button.
    assert 'id="reschedule-link"' not in confirmation and 'id="cancel-link"' in confirmation
    second = Booking.objects.get(series_index=1).invitees.get()
    page = client.get(f"/cancel/{second.cancel_token}/").content.decode()
    assert "Cancel this meeting only" in page and "Cancel this meeting and all 2 later ones" in page
    done = client.post(f"/cancel/{second.cancel_token}/", {"scope": "later"})
    assert done.status_code == 200 and 'id="cancel-done"' in done.content.decode()
    assert list(Booking.objects.order_by("series_index").values_list("status", flat=True)) == [
        "confirmed",
        "canceled",
        "canceled",
        "canceled",
    ]
    assert RecurringSeries.objects.get().count == 1


def test_cancelling_one_meeting_of_a_series_leaves_the_others(client, acme, series_intro, frozen):
    client.post("/acme/ana/intro/", form())
    third = Booking.objects.get(series_index=2).invitees.get()
    client.post(f"/cancel/{third.cancel_token}/", {"scope": "this"})
    assert list(Booking.objects.order_by("series_index").values_list("status", flat=True)) == [
        "confirmed",
        "confirmed",
        "canceled",
        "confirmed",
    ]
