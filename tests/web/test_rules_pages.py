"""Limits, cut-offs, out of office, travel and seasonal hours on the pages: set on the dashboard, said on
the cancel and reschedule pages, and an away host's page handing invitees to a teammate."""

from datetime import UTC, date, datetime

import pytest

from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import AvailabilitySchedule, EventType, HostLimits, OutOfOffice, TravelStay
from tests import factories

pytestmark = pytest.mark.django_db


def book(event_type, start, now):
    return booking_create(
        event_type=event_type,
        start=start,
        now=now,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="Europe/Berlin"),
    )


@pytest.fixture
def ana_client(client, acme):
    client.force_login(acme["ana"].user)
    return client


def test_cancel_page_inside_the_cutoff_says_why_and_gives_the_hosts_email(client, acme, frozen):
    intro = acme["intro"]
    EventType.objects.filter(pk=intro.pk).update(cutoff_hours=48)
    invitee = book(intro, datetime(2026, 3, 3, 9, tzinfo=UTC), frozen)  # 25 hours after `frozen`
    page = client.get(f"/cancel/{invitee.cancel_token}/")
    text = page.content.decode()
    assert page.status_code == 403
    assert "This meeting starts in less than 48 hours, so it can no longer be canceled here." in text
    assert "write to the host at ana@acme.test" in text and 'id="confirm-cancel"' not in text
    assert client.post(f"/cancel/{invitee.cancel_token}/", {"reason": "x"}).status_code == 403
    resched = client.get(f"/reschedule/{invitee.reschedule_token}/")
    assert resched.status_code == 403 and "can no longer be rescheduled here" in resched.content.decode()
    assert Booking.objects.get().status == Booking.Status.CONFIRMED


def test_a_past_meeting_cannot_be_canceled_from_its_link(client, acme, frozen, monkeypatch):
    from slotwise.web import public

    invitee = book(acme["intro"], datetime(2026, 3, 3, 9, tzinfo=UTC), frozen)
    monkeypatch.setattr(public, "utc_now", lambda: datetime(2026, 3, 3, 9, 10, tzinfo=UTC))
    page = client.get(f"/cancel/{invitee.cancel_token}/")
    assert page.status_code == 403 and "This meeting has already started" in page.content.decode()


def test_an_away_host_with_a_teammate_sends_invitees_there_and_says_so(client, acme, frozen):
    ben = factories.host(acme["org"], "ben", tz="Europe/Berlin")
    factories.event_type(ben, slug="intro", name="Intro with Ben")
    scheduling.out_of_office_add(
        host=acme["ana"], first="2026-03-01", last="2026-03-06", reason="Holiday", redirect_to=ben
    )
    resp = client.get("/acme/ana/intro/")
    assert resp.status_code == 302 and resp["Location"] == "/acme/ben/intro/?away=ana"
    assert client.get("/acme/ana/")["Location"] == "/acme/ben/?away=ana"
    page = client.get("/acme/ben/intro/?away=ana").content.decode()
    assert "Ana is out of office until Friday, March 6, so Ben is taking their meetings." in page
    # ?away= naming someone who is not away (or sends invitees elsewhere) says nothing.
    assert "out of office" not in client.get("/acme/ben/intro/?away=ben").content.decode()


def test_an_away_host_without_a_teammate_keeps_the_page_and_says_so(client, acme, frozen):
    scheduling.out_of_office_add(host=acme["ana"], first="2026-03-02", last="2026-03-04", reason="Conference")
    resp = client.get("/acme/ana/intro/")
    assert resp.status_code == 200
    assert (
        "Ana is out of office until Wednesday, March 4 (Conference): those days have no times." in resp.content.decode()
    )


def test_event_type_form_saves_limits_and_cutoff(ana_client, acme, frozen):
    from tests.web.test_dashboard import EVENT_FORM

    form = {
        **EVENT_FORM,
        "weekly_limit": "5",
        "monthly_limit": "12",
        "daily_minutes_limit": "240",
        "weekly_minutes_limit": "",
        "cutoff_hours": "24",
    }
    assert ana_client.post("/dashboard/event-types/new/", form).status_code == 302
    et = EventType.objects.get(slug="deep-dive")
    assert (et.weekly_limit, et.monthly_limit, et.daily_minutes_limit, et.weekly_minutes_limit, et.cutoff_hours) == (
        5,
        12,
        240,
        None,
        24,
    )
    bad = ana_client.post(f"/dashboard/event-types/{et.pk}/", {**form, "weekly_limit": "0"})
    assert "Bookings a week must be a whole number of bookings from 1 to 5000" in bad.content.decode()


def test_availability_page_sets_host_limits_away_dates_travel_and_seasonal_hours(ana_client, acme, frozen):
    url = "/dashboard/availability/"
    assert (
        ana_client.post(url, {"action": "limits", "daily_limit": "4", "weekly_minutes_limit": "600"}).status_code == 302
    )
    limits = HostLimits.objects.get(membership=acme["ana"])
    assert (limits.daily_limit, limits.weekly_limit, limits.weekly_minutes_limit) == (4, None, 600)
    resp = ana_client.post(
        url, {"action": "away_add", "first": "2026-03-10", "last": "2026-03-12", "reason": "Trip"}, follow=True
    )
    assert "Out of office 10 Mar to 12 Mar 2026: those days offer no times." in resp.content.decode()
    assert OutOfOffice.objects.get().first == date(2026, 3, 10)
    bad = ana_client.post(url, {"action": "away_add", "first": "2026-03-12", "last": "2026-03-11"}, follow=True)
    assert "The last day is before the first" in bad.content.decode()
    resp = ana_client.post(
        url,
        {"action": "travel_add", "timezone": "Asia/Tokyo", "travel_first": "2026-03-16", "travel_last": "2026-03-20"},
        follow=True,
    )
    assert "Trip saved: 16 Mar to 20 Mar 2026 your hours are read in Asia/Tokyo time." in resp.content.decode()
    assert TravelStay.objects.get().timezone == "Asia/Tokyo"
    hours = {
        "timezone": "Europe/Berlin",
        "mon": "09:00-17:00",
        "tue": "",
        "wed": "",
        "thu": "",
        "fri": "",
        "sat": "",
        "sun": "",
        "overrides": "",
        "seasonal": "on",
        "dl_mon": "08:00-16:00",
    }
    assert ana_client.post(url, hours).status_code == 302
    schedule = AvailabilitySchedule.objects.get(owner=acme["ana"])
    assert schedule.weekly_daylight["mon"] == [["08:00", "16:00"]]
    page = ana_client.get(url).content.decode()
    assert 'id="f_seasonal" checked' in page and "working in Asia/Tokyo" in page


def test_week_preview_names_out_of_office_and_limits(ana_client, acme, frozen):
    scheduling.out_of_office_add(host=acme["ana"], first="2026-03-03", last="2026-03-03")
    page = ana_client.get("/dashboard/availability/").content.decode()
    assert "you are out of office" in page and "r-out_of_office" in page
