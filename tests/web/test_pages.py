"""Public pages through Django's test client: what is rendered, what is refused and how."""

import re
from datetime import UTC, date, datetime

import icalendar
import pytest

from slotwise.bookings import availability
from slotwise.bookings.models import Booking, Invitee, SingleUseLink
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.contacts.models import Contact, FunnelEvent
from slotwise.scheduling import selectors
from slotwise.scheduling.models import EventType
from tests import factories

pytestmark = pytest.mark.django_db

SLOT = re.compile(r'class="slot(?: night)?" href="[^"]*" data-start="([^"]+)"><span class="t">([^<]+)<')


def slots(resp):
    return [(start, label) for start, label in SLOT.findall(resp.content.decode())]


def engine_starts(event_type, day, zone, now, **kw):
    lo, hi = selectors.local_range(day, day, zone)
    result = availability.event_availability(event_type=event_type, start=lo, end=hi, viewer_zone=zone, now=now, **kw)
    return [s.isoformat() for s in result.days.get(day, [])]


def form(**over):
    data = {
        "start": "2026-03-03T09:00:00Z",
        "tz": "Europe/Berlin",
        "name": "Bo Li",
        "email": "bo@example.com",
        "browser_tz": "Europe/Berlin",
    }
    data.update(over)
    return data


def test_host_page_lists_active_public_event_types(client, acme, frozen):
    factories.event_type(acme["ana"], slug="secret", name="Secret one", secret=True)
    factories.event_type(acme["ana"], slug="off", name="Old one", active=False)
    resp = client.get("/acme/ana/")
    assert resp.status_code == 200
    text = resp.content.decode()
    assert 'href="/acme/ana/intro/"' in text and "Secret one" not in text and "Old one" not in text


def test_day_times_in_a_half_hour_zone_in_24h(client, acme, frozen):
    resp = client.get("/acme/ana/intro/?tz=Asia/Kolkata&date=2026-03-03&clock=24")
    got = slots(resp)
    assert [s for s, _ in got] == engine_starts(acme["intro"], date(2026, 3, 3), "Asia/Kolkata", frozen)
    assert [label for _, label in got][:3] == ["13:30", "14:00", "14:30"]  # 09:00 Berlin = 08:00 UTC
    assert [label for _, label in got][-1] == "21:00"
    assert "Now 13:30 in Asia/Kolkata" in resp.content.decode()


def test_the_times_fragment_of_a_picked_day_is_that_day_of_the_full_page_and_nothing_else(client, acme, frozen):
    """A day clicked in the calendar redraws #times only: the same times the full page lists for it."""
    url = "/acme/ana/intro/?tz=Asia/Kolkata&date=2026-03-03&clock=24"
    fragment = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="times")
    text = fragment.content.decode()
    assert text.lstrip().startswith('<div class="times" id="times"') and 'class="cal"' not in text
    assert slots(fragment) == slots(client.get(url))
    assert [s for s, _ in slots(fragment)] == engine_starts(acme["intro"], date(2026, 3, 3), "Asia/Kolkata", frozen)
    assert 'data-summary="16 times free on' in text
    # The calendar's days ask for that fragment; a change of zone or duration still redraws the picker.
    page = client.get("/acme/ana/intro/?tz=Asia/Kolkata").content.decode()
    assert 'hx-target="#times" hx-swap="outerHTML"' in page
    assert "<table" in client.get(url, HTTP_HX_REQUEST="true").content.decode()


def test_unknown_zone_falls_back_to_utc_not_the_hosts_zone_and_says_so(client, acme, frozen):
    resp = client.get("/acme/ana/intro/?tz=Mars/Olympus&date=2026-03-03")
    assert resp.status_code == 200
    assert "We do not know the time zone “Mars/Olympus”. Times are shown in UTC instead." in resp.content.decode()
    assert slots(resp)[0][1] == "8:00 AM"  # Ana's 09:00 Berlin, in UTC (the browser's zone is not known)


def test_duration_choice_offers_that_durations_times(client, acme, frozen):
    intro = acme["intro"]
    intro.duration_options = [60]
    intro.save()
    resp = client.get("/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-03&duration=60")
    got = slots(resp)
    assert [s for s, _ in got] == engine_starts(intro, date(2026, 3, 3), "Europe/Berlin", frozen, duration_minutes=60)
    assert got[-1][1] == "4:00 PM"
    assert 'name="duration" value="60" checked' in resp.content.decode()
    resp = client.post("/acme/ana/intro/", form(start="2026-03-03T15:00:00Z", duration="60", confirmed="1"))
    assert resp.status_code == 302
    booking = Booking.objects.get()
    assert (booking.duration_minutes, booking.end) == (60, datetime(2026, 3, 3, 16, 0, tzinfo=UTC))


def test_round_robin_page_lets_the_invitee_pick_anyone_or_one_host(client, frozen):
    org = factories.org("rr")
    early = factories.host(org, "early", tz="UTC", weekly={"tue": [["08:00", "10:00"]]})
    late = factories.host(org, "late", tz="UTC", weekly={"tue": [["14:00", "16:00"]]})
    team = factories.team(org, [early, late], slug="sales")
    demo = factories.event_type(
        team=team, slug="demo", kind=EventType.Kind.ROUND_ROBIN, duration_minutes=60, increment_minutes=60
    )
    factories.pool(demo, [early, late])
    anyone = client.get("/rr/team/sales/demo/?tz=UTC&date=2026-03-03&clock=24")
    assert [label for _, label in slots(anyone)] == ["08:00", "09:00", "14:00", "15:00"]
    assert '<option value="late"' in anyone.content.decode() and "Anyone available" in anyone.content.decode()
    only_late = client.get("/rr/team/sales/demo/?tz=UTC&date=2026-03-03&clock=24&host=late")
    assert [label for _, label in slots(only_late)] == ["14:00", "15:00"]
    resp = client.post("/rr/team/sales/demo/", form(start="2026-03-03T08:00:00Z", tz="UTC", browser_tz="UTC"))
    assert resp.status_code == 302 and Booking.objects.get().host == early


def test_form_errors_show_beside_the_field_and_keep_what_was_typed(client, acme, frozen):
    intro = acme["intro"]
    intro.questions = [
        {"key": "company", "label": "Company", "type": "text", "required": True, "options": []},
        {
            "key": "topics",
            "label": "Topics",
            "type": "multiple_choice",
            "required": False,
            "options": ["Pricing", "Support"],
        },
    ]
    intro.save()
    resp = client.post("/acme/ana/intro/", form(name="", email="bo@example", q_company="Initech", q_topics=["Support"]))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert '<div class="error" id="name-error">tell us your name</div>' in html
    assert 'value="bo@example"' in html and 'value="Initech"' in html and 'value="Support" checked' in html
    resp = client.post("/acme/ana/intro/", form(email="bo@example", q_company="Initech"))
    assert (
        '<div class="error" id="email-error">&#x27;bo@example&#x27; is not an email address</div>'
        in resp.content.decode()
    )
    resp = client.post("/acme/ana/intro/", form(q_company=""))
    assert '<div class="error">&#x27;Company&#x27; needs an answer</div>' in resp.content.decode()
    assert 'value="Bo Li"' in resp.content.decode()
    assert Booking.objects.count() == 0


def test_a_start_that_was_never_offered_is_refused_with_the_nearest_times(client, acme, frozen):
    resp = client.post("/acme/ana/intro/", form(start="2026-03-03T07:00:00Z", confirmed="1"))  # 08:00 Berlin
    assert resp.status_code == 409
    html = resp.content.decode()
    assert "that time was just taken" in html
    assert 'value="2026-03-03T08:00:00Z">Tue, Mar 3 · 9:00 AM</button>' in html
    assert 'value="Bo Li"' in html


def test_bad_start_is_a_400_page_not_a_500(client, acme, frozen):
    resp = client.post("/acme/ana/intro/", form(start="tomorrow"))
    assert resp.status_code == 400
    assert "is not an ISO 8601 instant" in resp.content.decode()
    assert client.get("/acme/ana/nope/").status_code == 404
    assert client.get("/booked/not-a-uuid/").status_code == 404


def test_confirmation_ics_and_calendar_links(client, acme, frozen):
    resp = client.post(
        "/acme/ana/intro/", form(tz="America/New_York", browser_tz="America/New_York", start="2026-03-03T14:00:00Z")
    )
    invitee = Invitee.objects.get()
    assert resp["Location"] == f"/booked/{invitee.uid}/"
    page = client.get(resp["Location"]).content.decode()
    assert "<strong>9:00 AM – 9:30 AM</strong>, Tuesday, March 3, 2026" in page
    assert "dates=20260303T140000Z%2F20260303T143000Z" in page
    assert "startdt=2026-03-03T14%3A00%3A00Z" in page
    assert (
        f'href="/cancel/{invitee.cancel_token}/"' in page and f'href="/reschedule/{invitee.reschedule_token}/"' in page
    )
    ics = client.get(f"/booked/{invitee.uid}/event.ics")
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
    assert str(event["summary"]) == "Intro call with Ana"


def test_night_start_is_not_booked_until_confirmed(client, acme, frozen):
    resp = client.post(
        "/acme/ana/intro/",
        form(tz="America/Los_Angeles", browser_tz="America/Los_Angeles", start="2026-03-03T11:00:00Z"),
    )
    assert resp.status_code == 200
    assert "This is 3:00 AM in America/Los_Angeles — is that right?" in resp.content.decode()
    assert Booking.objects.count() == 0
    resp = client.post(
        "/acme/ana/intro/",
        form(tz="America/Los_Angeles", browser_tz="America/Los_Angeles", start="2026-03-03T11:00:00Z", confirmed="1"),
    )
    assert resp.status_code == 302 and Booking.objects.count() == 1


def test_browser_zone_named_the_icu_way_is_not_a_mismatch(client, acme, frozen):
    resp = client.post(
        "/acme/ana/intro/", form(tz="Asia/Kolkata", browser_tz="Asia/Calcutta", start="2026-03-03T09:00:00Z")
    )  # 14:30 in Kolkata
    assert resp.status_code == 302


def test_single_use_link_after_use_is_a_clear_410(client, acme, frozen):
    link = SingleUseLink.objects.create(event_type=acme["intro"])
    assert client.get(f"/d/{link.token}/").status_code == 200
    assert client.post(f"/d/{link.token}/", form(confirmed="1")).status_code == 302
    used = client.get(f"/d/{link.token}/")
    assert used.status_code == 410 and "This link has been used" in used.content.decode()
    again = client.post(f"/d/{link.token}/", form(start="2026-03-03T10:00:00Z", confirmed="1"))
    assert again.status_code == 410
    assert Booking.objects.count() == 1
    assert client.get("/d/no-such-token/").status_code == 404


def test_cancel_link_twice_says_it_is_already_off(client, acme, frozen):
    invitee = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="Asia/Tokyo"),
    )
    page = client.get(f"/cancel/{invitee.cancel_token}/").content.decode()
    assert "<strong>6:00 PM – 6:30 PM</strong>, Tuesday, March 3, 2026" in page  # in the invitee's zone
    resp = client.post(f"/cancel/{invitee.cancel_token}/", {"reason": "x" * 1001})
    assert resp.status_code == 400 and "Reason must be at most 1000 characters" in resp.content.decode()
    assert client.post(f"/cancel/{invitee.cancel_token}/", {"reason": "Ill"}).status_code == 200
    again = client.post(f"/cancel/{invitee.cancel_token}/", {"reason": "Ill"})
    assert "This meeting is no longer on" in again.content.decode()
    assert Booking.objects.get().cancel_reason == "Ill"


def test_funnel_steps_are_recorded_for_the_visitor_and_attached_on_submit(client, acme, frozen):
    intro = acme["intro"]
    intro.questions = [
        {"key": "company", "label": "Company", "type": "text", "required": False, "options": []},
        {"key": "description", "label": "What about?", "type": "long_text", "required": False, "options": []},
    ]
    intro.save()
    client.get("/acme/ana/intro/?tz=Europe/Berlin")
    visitor = client.cookies["sw_vid"].value
    client.get("/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-03", HTTP_HX_REQUEST="true")
    client.get("/acme/ana/intro/?tz=Europe/Berlin&start=2026-03-03T09:00:00Z")
    assert FunnelEvent.objects.filter(visitor_id=visitor, contact=None).count() == 3
    client.post("/acme/ana/intro/", form(name="Bo van Li", q_company="Initech", q_description="Pricing"))
    contact = Contact.objects.get(email="bo@example.com")
    steps = list(FunnelEvent.objects.filter(contact=contact).values_list("name", "visitor_id"))
    assert steps == [
        ("calendar_1st_step", visitor),
        ("calendar_2nd_step", visitor),
        ("calendar_3rd_step", visitor),
        ("calendar_4th_step_submit", visitor),
    ]
    submit = FunnelEvent.objects.get(name="calendar_4th_step_submit").attributes
    assert {k: submit[k] for k in ("name", "last_name", "company", "email", "description")} == {
        "name": "Bo van Li",
        "last_name": "Li",
        "company": "Initech",
        "email": "bo@example.com",
        "description": "Pricing",
    }


def test_booking_pages_may_be_framed_and_post_without_csrf(acme, frozen):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    page = strict.get("/acme/ana/intro/?embed=1")
    assert "X-Frame-Options" not in page
    assert strict.post("/acme/ana/intro/", form(confirmed="1")).status_code == 302
    # The dashboard is not frameable (tests/web/test_security_headers.py covers frame-ancestors).
    assert strict.get("/login/")["X-Frame-Options"] == "DENY"


def test_polls_and_repeats_do_not_add_funnel_steps(client, acme, frozen):
    client.get("/acme/ana/intro/?tz=Europe/Berlin")
    client.get("/acme/ana/intro/?tz=Europe/Berlin")  # a reload
    client.get("/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-03", HTTP_HX_REQUEST="true")
    client.get("/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-03&clock=24", HTTP_HX_REQUEST="true")
    client.get("/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-03", HTTP_HX_REQUEST="true", HTTP_X_SLOTWISE_POLL="1")
    client.get("/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-04", HTTP_HX_REQUEST="true")
    assert list(FunnelEvent.objects.values_list("name", "attributes__date")) == [
        ("calendar_1st_step", None),
        ("calendar_2nd_step", "2026-03-03"),
        ("calendar_2nd_step", "2026-03-04"),
    ]


def test_bad_choices_in_the_address_are_named_not_500s(client, acme, frozen):
    html = client.get("/acme/ana/intro/?tz=UTC&month=March&duration=17&date=2026-02-30").content.decode()
    assert "month: &#x27;March&#x27; is not a month such as 2026-12" in html
    assert "duration: choose one of [30] minutes" in html
    assert "date: &#x27;2026-02-30&#x27; is not a date such as 2026-12-29 (2026-02 has no day 30)" in html


def test_a_host_without_hours_gets_a_page_saying_so(client, acme, frozen):
    from slotwise.scheduling.models import AvailabilitySchedule

    AvailabilitySchedule.objects.filter(owner=acme["ana"]).delete()
    resp = client.get("/acme/ana/intro/")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("text/html")
    assert "host ana has no availability schedule; add weekly hours first" in resp.content.decode()
