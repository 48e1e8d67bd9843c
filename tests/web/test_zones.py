"""Time zones no one can misread: the zone search endpoint, unknown zones said (never the host's zone),
night-time marks, and days whose clocks change or whose date is another one for the host."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from slotwise.bookings.services import InviteeInput, booking_create, booking_reschedule
from slotwise.web import booking as page
from tests import factories

SLOT = re.compile(
    r'class="slot( night)?" href="[^"]*" data-start="([^"]+)"><span class="t">([^<]+)</span>'
    r'(<span class="night-tag"><span aria-hidden="true">☾</span> night for you</span>)?'
)


def slots(resp):
    return [(start, label, bool(night)) for night, start, label, _ in SLOT.findall(resp.content.decode())]


def html(resp):
    return resp.content.decode()


# --- the search endpoint -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_zone_search_finds_nepal_with_its_name_offset_and_local_time(client, frozen):
    text = html(client.get("/zones/search?q=Nepal"))
    assert 'data-zone="Asia/Kathmandu"' in text
    assert "Nepal Time" in text and "Kathmandu, Nepal" in text and "GMT+05:45 · now 1:45 PM" in text  # 08:00 UTC
    assert 'data-summary="1 time zone found for “Nepal”"' in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "zone"),
    [
        ("Los Angeles", "America/Los_Angeles"),
        ("Pacific Time", "America/Los_Angeles"),
        ("IST", "Asia/Kolkata"),
        ("GMT+5:45", "Asia/Kathmandu"),
        ("Kathmandu", "Asia/Kathmandu"),
    ],
)
def test_zone_search_finds_what_people_type(client, frozen, query, zone):
    assert f'data-zone="{zone}"' in html(client.get("/zones/search", {"q": query}))


@pytest.mark.django_db
def test_zone_search_speaks_the_pages_language_and_clock(client, frozen):
    text = html(client.get("/zones/search", {"q": "Los Angeles", "hl": "de", "clock": "24"}))
    assert "Nordamerikanische Westküstenzeit" in text and "now 00:00" in text


@pytest.mark.django_db
def test_zone_search_says_when_nothing_matches(client, frozen):
    text = html(client.get("/zones/search", {"q": "Mars/Olympus"}))
    assert "No time zone matches “Mars/Olympus”" in text and "data-zone" not in text


@pytest.mark.django_db
def test_the_booking_page_carries_no_list_of_zones(client, acme, frozen):
    text = html(client.get("/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-03"))
    assert "<datalist" not in text and "Asia/Kathmandu" not in text and 'data-search="/zones/search"' in text


# --- the zone the page shows -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_chosen_zone_shows_with_its_name_offset_and_local_time_beside_the_times(client, acme, frozen):
    text = html(client.get("/acme/ana/intro/?tz=Asia/Kathmandu&date=2026-03-03"))
    assert "Now 1:45 PM in Asia/Kathmandu — Nepal Time (Kathmandu, Nepal), GMT+05:45" in text
    assert 'id="times-zone">In Nepal Time, GMT+05:45 · now 1:45 PM' in text


@pytest.mark.django_db
def test_an_unknown_zone_falls_back_to_the_browsers_zone_and_says_so(client, acme, frozen):
    resp = client.get("/acme/ana/intro/?tz=Mars/Olympus&bz=Asia/Tokyo&date=2026-03-03")
    assert (
        "We do not know the time zone “Mars/Olympus”. Times are shown in your device&#x27;s time zone, "
        "Asia/Tokyo instead." in html(resp)
    )
    assert slots(resp)[0][1] == "12:00 AM"  # Tokyo's Tuesday starts with Ana's Monday 16:00


@pytest.mark.django_db
def test_a_typed_name_that_finds_one_zone_uses_it_and_says_which(client, acme, frozen):
    resp = client.get("/acme/ana/intro/?tz=Nepal&date=2026-03-03")
    assert "Showing times for “Nepal”: Nepal Time (Asia/Kathmandu)." in html(resp)
    assert slots(resp)[0][1] == "1:45 PM"


@pytest.mark.django_db
def test_a_typed_name_that_finds_several_zones_offers_them_and_shows_utc_meanwhile(client, acme, frozen):
    text = html(client.get("/acme/ana/intro/?tz=Pacific+Time&date=2026-03-03"))
    assert "“Pacific Time” matches several time zones; pick one below. Times are shown in UTC meanwhile." in text
    assert re.search(
        r'<a href="/acme/ana/intro/\?tz=America%2FLos_Angeles[^"]*"[^>]*>Pacific Time \(Los Angeles, '
        r"United States\), GMT-08:00, now 12:00 AM</a>",
        text,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("legacy", "zone"),
    [("Asia/Calcutta", "Asia/Kolkata"), ("US/Pacific", "America/Los_Angeles"), ("Asia/Katmandu", "Asia/Kathmandu")],
)
def test_legacy_and_icu_zone_ids_show_the_canonical_zone(client, acme, frozen, legacy, zone):
    assert f"in {zone} — " in html(client.get("/acme/ana/intro/", {"tz": legacy, "date": "2026-03-03"}))


@pytest.mark.django_db
def test_the_browsers_zone_remembered_in_a_cookie_draws_the_first_page_in_it(client, acme, frozen):
    client.cookies["sw_bz"] = "Asia/Calcutta"
    text = html(client.get("/acme/ana/intro/?date=2026-03-03"))
    assert "Now 1:30 PM in Asia/Kolkata" in text  # not the host's Berlin, not even for a moment
    assert 'data-browser="Asia/Calcutta"' in text  # so tzboot.js does not ask again


@pytest.mark.django_db
def test_rescheduling_keeps_the_booked_zone_over_the_browser_cookie(client, acme, frozen):
    invitee = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Bo Li", email="bo@example.com", timezone="America/New_York"),
    )
    client.cookies["sw_bz"] = "Asia/Tokyo"
    assert "in America/New_York — " in html(client.get(f"/reschedule/{invitee.reschedule_token}/"))


# --- night-time and the day's notes: exact instants ---------------------------------------------------


def _at(*args):
    return datetime(*args, tzinfo=UTC)


def test_night_time_is_22_00_to_06_59_for_the_invitee():
    tokyo = [_at(2026, 3, 3, 12, 30), _at(2026, 3, 3, 13, 0), _at(2026, 3, 3, 21, 30), _at(2026, 3, 3, 22, 0)]
    [group] = page.day_times(tokyo, "Asia/Tokyo", "24", "en", lambda s: "#")
    assert [(t["label"], t["night"]) for t in group["times"]] == [
        ("21:30", False),
        ("22:00", True),
        ("06:30", True),
        ("07:00", False),
    ]


@pytest.mark.django_db
def test_night_time_slots_are_marked_in_the_list_with_text(client, acme, frozen):
    got = slots(client.get("/acme/ana/intro/?tz=Asia/Tokyo&date=2026-03-03&clock=24"))
    assert [(label, night) for _, label, night in got if label in ("00:00", "17:00", "21:30", "22:00", "23:30")] == [
        ("00:00", True),
        ("17:00", False),
        ("21:30", False),
        ("22:00", True),
        ("23:30", True),
    ]


def test_a_long_day_is_grouped_into_morning_afternoon_and_evening():
    starts = [_at(2026, 3, 3, 8, 0) + timedelta(minutes=30 * i) for i in range(16)]  # 09:00-16:30 Berlin
    groups = page.day_times(starts, "Europe/Berlin", "24", "en", lambda s: "#")
    assert [(g["label"], g["times"][0]["label"], len(g["times"])) for g in groups] == [
        ("Morning", "09:00", 6),
        ("Afternoon", "12:00", 10),
    ]
    short = page.day_times(starts[:4], "Europe/Berlin", "24", "en", lambda s: "#")
    assert [g["label"] for g in short] == [""]


@pytest.mark.parametrize(
    ("zone", "day", "note"),
    [
        (
            "Europe/Berlin",
            date(2026, 3, 29),
            "This day has only 23 hours in Europe/Berlin: at 2:00 AM the clocks go forward 1 hour, to 3:00 AM.",
        ),
        (
            "America/New_York",
            date(2026, 11, 1),
            "This day has 25 hours in America/New_York: at 2:00 AM the clocks go back 1 hour, to 1:00 AM.",
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 4, 5),
            "This day has 24.5 hours in Australia/Lord_Howe: at 2:00 AM the clocks go back 30 minutes, to 1:30 AM.",
        ),
    ],
)
def test_a_day_whose_clocks_change_says_so(zone, day, note):
    assert page.day_notes(day, [], zone=zone, host_zone=None, clock="12", locale="en") == [note]


def test_the_hosts_clock_change_on_the_times_shown_says_so_too():
    # Tokyo keeps its clocks; Berlin's Sunday 2026-03-29 has 23 hours (10:00 CEST = 08:00 UTC = 17:00 Tokyo)
    assert page.day_notes(
        date(2026, 3, 29),
        [_at(2026, 3, 29, 8, 0)],
        zone="Asia/Tokyo",
        host_zone="Europe/Berlin",
        clock="24",
        locale="en",
    ) == [
        "For the host, Sunday, March 29 has only 23 hours in Europe/Berlin: at 02:00 the clocks go forward 1 hour, "
        "to 03:00."
    ]


def test_an_ordinary_day_has_no_note():
    assert (
        page.day_notes(
            date(2026, 3, 3),
            [_at(2026, 3, 3, 8, 0)],
            zone="Europe/Berlin",
            host_zone="Europe/Berlin",
            clock="12",
            locale="en",
        )
        == []
    )


def test_your_monday_is_the_hosts_tuesday():
    # Honolulu's Monday 22:00-23:30 is Berlin's Tuesday 09:00-10:30
    starts = [_at(2026, 3, 3, 8, 0), _at(2026, 3, 3, 8, 30), _at(2026, 3, 3, 9, 0), _at(2026, 3, 3, 9, 30)]
    assert page.day_notes(
        date(2026, 3, 2), starts, zone="Pacific/Honolulu", host_zone="Europe/Berlin", clock="12", locale="en"
    ) == ["Your Monday is the host's Tuesday: these times are on Tuesday, March 3 in Europe/Berlin."]
    assert page.day_notes(
        date(2026, 3, 2), starts, zone="Pacific/Honolulu", host_zone="Europe/Berlin", clock="24", locale="de"
    ) == ["Your Montag is the host's Dienstag: these times are on Dienstag, 3. März in Europe/Berlin."]


def test_part_of_a_day_on_another_date_for_the_host_says_from_when():
    # Honolulu's Monday: 05:30 is Berlin's Monday 16:30; 22:00 is Berlin's Tuesday 09:00
    starts = [_at(2026, 3, 2, 15, 30), _at(2026, 3, 3, 8, 0), _at(2026, 3, 3, 8, 30)]
    assert page.day_notes(
        date(2026, 3, 2), starts, zone="Pacific/Honolulu", host_zone="Europe/Berlin", clock="12", locale="en"
    ) == ["From 10:00 PM, your Monday is the host's Tuesday (Europe/Berlin)."]
    # Kiritimati's Tuesday: 00:00 is Berlin's Monday 11:00
    starts = [_at(2026, 3, 2, 10, 0), _at(2026, 3, 3, 8, 0)]
    assert page.day_notes(
        date(2026, 3, 3), starts, zone="Pacific/Kiritimati", host_zone="Europe/Berlin", clock="12", locale="en"
    ) == ["Until 12:00 AM, your Tuesday is the host's Monday (Europe/Berlin)."]


@pytest.mark.django_db
def test_the_booking_page_shows_the_hosts_date_note(client, frozen):
    org = factories.org("far")
    la = factories.host(org, "lou", tz="America/Los_Angeles", weekly={"mon": [["09:00", "12:00"]]})
    factories.event_type(la, slug="chat", duration_minutes=30, increment_minutes=30)
    text = html(client.get("/far/lou/chat/?tz=Pacific/Kiritimati&date=2026-03-03"))  # LA's Monday 09:00 = 07:00 Tue
    assert "Your Tuesday is the host&#x27;s Monday: these times are on Monday, March 2 in America/Los_Angeles." in text


# --- after a cancel, after a reschedule --------------------------------------------------------------


@pytest.mark.django_db
def test_a_cancel_offers_to_book_another_time(client, acme, frozen):
    invitee = booking_create(
        event_type=acme["intro"],
        start=_at(2026, 3, 3, 8, 0),
        now=frozen,
        invitee=InviteeInput(name="Bo Li", email="bo@example.com", timezone="Europe/Berlin"),
    )
    resp = client.post(f"/cancel/{invitee.cancel_token}/", {"reason": ""})
    assert '<a class="btn secondary" id="book-again" href="/acme/ana/intro/">Book another time</a>' in html(resp)


@pytest.mark.django_db
def test_the_rescheduled_confirmation_shows_the_old_and_the_new_time(client, acme, frozen):
    invitee = booking_create(
        event_type=acme["intro"],
        start=_at(2026, 3, 3, 8, 0),
        now=frozen,
        invitee=InviteeInput(name="Bo Li", email="bo@example.com", timezone="Europe/Berlin"),
    )
    moved = booking_reschedule(invitee=invitee, new_start=_at(2026, 3, 4, 10, 0), now=frozen)
    text = html(client.get(f"/booked/{moved.uid}/"))
    assert "Was: <del>9:00 AM – 9:30 AM, Tuesday, March 3, 2026</del>" in text
    assert "<strong>11:00 AM – 11:30 AM</strong>, Wednesday, March 4, 2026" in text
