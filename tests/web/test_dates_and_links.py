"""Booking pages and the dashboard with dates from outside, and the links we hand out landing somewhere:
the API's scheduling_url opens the form for that time; the calendar copies' Manage link opens the booking."""

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.api.tokens import token_create
from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.scheduling.models import AvailabilitySchedule
from tests import factories

pytestmark = pytest.mark.django_db

ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "month=9999-12",
            "month: '9999-12' is not a month such as 2026-12 (Slotwise schedules in the years 0002 to 9997)",
        ),
        (
            "month=0001-01",
            "month: '0001-01' is not a month such as 2026-12 (Slotwise schedules in the years 0002 to 9997)",
        ),
        ("month=9997-12", ""),  # the last month shown: its "next month" link must not overflow
        ("month=0002-01", ""),
        ("date=9999-12-31", "date: '9999-12-31' is not a date such as 2026-12-29 (Slotwise schedules in the years"),
        ("date=9997-12-31", ""),
        ("date=2026-02-30", "date: '2026-02-30' is not a date such as 2026-12-29 (2026-02 has no day 30)"),
        ("month=2026-13", "(there is no month 13)"),
        ("start=9999-12-31T10:00:00Z", "start: '9999-12-31T10:00:00Z' is not an ISO 8601 instant"),
        ("start=9997-12-31T23:00:00-14:00", "in UTC it falls outside the years 0002 to 9997"),
        ("start=2026-03-03T10:00:00", "it has no UTC offset"),
    ],
)
def test_booking_pages_answer_months_dates_and_starts_out_of_range_with_a_message_not_a_500(
    client, acme, frozen, query, message
):
    """?month=9999-12, ?month=0001-01, ?date=9999-12-31 and a start in year 9999 were 500s (date arithmetic
    overflowed past year 9999 or before year 1)."""
    factories.team(acme["org"], [acme["ana"]], slug="sales")
    team_et = factories.event_type(team=acme["org"].teams.get(), slug="demo", name="Demo")
    factories.pool(team_et, [acme["ana"]])
    for page in ("/acme/ana/intro/", "/acme/team/sales/demo/"):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            resp = client.get(f"{page}?{query}", **headers)
            assert resp.status_code == 200, (page, query, resp.status_code)
            if message:
                assert message.replace("'", "&#x27;") in resp.content.decode(), (page, query)
            else:
                assert 'role="alert"' not in resp.content.decode()


def test_booking_form_posted_with_a_start_in_year_9999_is_a_400_that_says_why(client, acme, frozen):
    resp = client.post(
        "/acme/ana/intro/", {"start": "9999-12-31T10:00:00Z", "name": "Bo", "email": "bo@example.com", "tz": "UTC"}
    )
    assert resp.status_code == 400
    assert "Slotwise schedules in the years 0002 to 9997" in resp.content.decode()
    assert not Booking.objects.exists()


def test_month_ends_and_leap_days_show_their_times(client, acme, frozen):
    AvailabilitySchedule.objects.filter(owner=acme["ana"]).update(weekly=ALL_DAY)
    for day in ("2026-03-31", "2026-04-30", "2026-12-29", "2026-12-31", "2028-02-29"):
        resp = client.get(f"/acme/ana/intro/?date={day}&tz=Pacific/Kiritimati")
        assert resp.status_code == 200 and 'class="slot"' in resp.content.decode(), day


def _scheduling_urls(et, owner, now, start, end):
    from django.test import Client

    _, secret = token_create(membership=owner, scope="read", now=now)
    r = Client().get(
        "/api/v2/event_type_available_times",
        {"event_type": f"http://testserver/api/v2/event_types/{et.uuid}", "start_time": start, "end_time": end},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert r.status_code == 200, r.content
    return [(t["start_time"], t["scheduling_url"]) for t in r.json()["collection"]]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "UTC"])
def test_api_scheduling_url_lands_on_the_booking_form_for_that_time(client, acme, frozen, settings, monkeypatch, zone):
    """The scheduling_url of an available time (`/<event>/<ISO time>?month=…&date=…`) was a 404."""
    import slotwise.api.base

    monkeypatch.setattr(slotwise.api.base, "utc_now", lambda: frozen)
    AvailabilitySchedule.objects.filter(owner=acme["ana"]).update(timezone=zone, weekly=ALL_DAY)
    team = factories.team(acme["org"], [acme["ana"]], slug="sales")
    demo = factories.event_type(team=team, slug="demo", name="Demo", duration_minutes=30, increment_minutes=60)
    factories.pool(demo, [acme["ana"]])
    for et in (acme["intro"], demo):
        listed = _scheduling_urls(et, acme["ana"], frozen, "2026-12-30T20:00:00Z", "2026-12-31T02:00:00Z")
        assert listed
        for start_time, url in listed:
            assert url.startswith(settings.BASE_URL + et.path)
            resp = client.get(url.removeprefix(settings.BASE_URL))
            assert resp.status_code == 200, (url, resp.status_code)
            html = resp.content.decode()
            start = datetime.fromisoformat(start_time)
            assert 'id="booking-form"' in html
            assert f'name="start" value="{start:%Y-%m-%dT%H:%M:%SZ}"' in html
    # A time in the path that is not an instant falls back to the calendar and says why, never a 500.
    resp = client.get("/acme/ana/intro/2026-02-30T09:00:00+01:00")
    assert resp.status_code == 200 and "2026-02 has no day 30" in resp.content.decode()


# --- the booking detail page --------------------------------------------------------------------------


def _book(et, start, now, *, email="bo@example.com", name="Bo Li", tz="America/New_York", answers=None):
    return booking_create(
        event_type=et,
        start=start,
        now=now,
        invitee=InviteeInput(name=name, email=email, timezone=tz, answers=answers or {}),
    )


def test_manage_link_in_calendar_copies_opens_the_booking_detail_page(client, acme, frozen):
    """The calendar copies' "Manage" link (/dashboard/bookings/<uid>/) was a 404."""
    intro = acme["intro"]
    intro.questions = [{"key": "topic", "label": "What is it about?", "type": "text", "required": True, "options": []}]
    intro.save()
    inv = _book(intro, datetime(2026, 3, 3, 9, 0, tzinfo=UTC), frozen, answers={"topic": "Compilers"})
    path = f"/dashboard/bookings/{inv.booking.uid}/"
    anonymous = client.get(path)
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/login/?next={path}")
    client.force_login(acme["ana"].user)
    resp = client.get(path)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Tuesday, March 3, 2026</strong>, 10:00–10:30" in html and "Europe/Berlin" in html  # the host's zone
    assert "Tuesday, March 3, 2026</strong>, 04:00–04:30" in html and "America/New_York" in html  # the invitee's
    assert "Bo Li" in html and "bo@example.com" in html
    assert "What is it about?" in html and "Compilers" in html
    assert "Ana" in html and "ana@acme.test" in html
    assert f'action="/dashboard/bookings/{inv.booking.uid}/cancel/"' in html
    assert "Booked through page" in html
    listing = client.get("/dashboard/bookings/").content.decode()
    assert f'href="{path}"' in listing


def test_booking_detail_is_not_found_for_another_organizations_host(client, acme, frozen):
    inv = _book(acme["intro"], datetime(2026, 3, 3, 9, 0, tzinfo=UTC), frozen)
    other = factories.host(factories.org("globex"), "hank")
    client.force_login(other.user)
    assert client.get(f"/dashboard/bookings/{inv.booking.uid}/").status_code == 404
    colleague = factories.host(acme["org"], "carl")  # same organization, neither host nor admin
    client.force_login(colleague.user)
    assert client.get(f"/dashboard/bookings/{inv.booking.uid}/").status_code == 404


def test_booking_detail_cancels_through_the_booking_service_and_shows_the_history(client, acme, frozen):
    inv = _book(acme["intro"], datetime(2026, 3, 3, 9, 0, tzinfo=UTC), frozen)
    client.force_login(acme["ana"].user)
    path = f"/dashboard/bookings/{inv.booking.uid}/"
    resp = client.post(f"{path}cancel/", {"reason": "Ill today", "next": path})
    assert (resp.status_code, resp["Location"]) == (302, path)
    inv.booking.refresh_from_db()
    assert (inv.booking.status, inv.booking.cancel_reason, inv.booking.canceler_type) == (
        "canceled",
        "Ill today",
        "host",
    )
    html = client.get(path).content.decode()
    assert "Canceled by Ana: Ill today" in html and 'id="booking-status">canceled' in html
    assert "Cancel meeting" not in html


def test_booking_detail_links_a_reschedule_both_ways(client, acme, frozen):
    inv = _book(acme["intro"], datetime(2026, 3, 3, 9, 0, tzinfo=UTC), frozen)
    new = booking_reschedule(invitee=inv, new_start=datetime(2026, 3, 4, 10, 0, tzinfo=UTC), now=frozen, reason="Clash")
    client.force_login(acme["ana"].user)
    old_html = client.get(f"/dashboard/bookings/{inv.booking.uid}/").content.decode()
    assert (
        f'Rescheduled to <a href="/dashboard/bookings/{new.booking.uid}/">Wednesday, March 4, 2026, 11:00–11:30'
        in old_html
    )
    assert "Rescheduled by Bo Li: Clash" in old_html
    new_html = client.get(f"/dashboard/bookings/{new.booking.uid}/").content.decode()
    assert (
        f'Rescheduled from <a href="/dashboard/bookings/{inv.booking.uid}/">Tuesday, March 3, 2026, 10:00–10:30'
        in new_html
    )
    booking_cancel(booking=new.booking, now=frozen + timedelta(minutes=1), reason="", canceled_by="Ana")
    assert "Canceled by Ana" in client.get(f"/dashboard/bookings/{new.booking.uid}/").content.decode()
