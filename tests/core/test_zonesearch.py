"""The zone search: what people type, and the zone they mean (CLDR names via Babel, tzdata's zones)."""

from datetime import UTC, datetime

import pytest

from slotwise.core import zonesearch

WINTER = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # US and EU on standard time
SUMMER = datetime(2026, 7, 6, 8, 0, tzinfo=UTC)


def ids(query, *, locale="en", now=WINTER):
    return [h.id for h in zonesearch.search(query, locale=locale, now=now)]


@pytest.mark.parametrize(
    ("query", "zone"),
    [
        ("Nepal", "Asia/Kathmandu"),  # a country
        ("Kathmandu", "Asia/Kathmandu"),  # a city
        ("kathmandu", "Asia/Kathmandu"),
        ("Los Angeles", "America/Los_Angeles"),
        ("los_angeles", "America/Los_Angeles"),
        ("Pacific Time", "America/Los_Angeles"),  # a common (metazone) name
        ("PST", "America/Los_Angeles"),  # an abbreviation
        ("IST", "Asia/Kolkata"),
        ("GMT+5:45", "Asia/Kathmandu"),  # an offset, as it is now
        ("UTC+05:45", "Asia/Kathmandu"),
        ("+0545", "Asia/Kathmandu"),
        ("Sao Paulo", "America/Sao_Paulo"),  # accents do not matter either way
        ("São Paulo", "America/Sao_Paulo"),
        ("Asia/Calcutta", "Asia/Kolkata"),  # legacy and ICU ids go to today's
        ("US/Pacific", "America/Los_Angeles"),
        ("Asia/Katmandu", "Asia/Kathmandu"),
        ("utc", "UTC"),
    ],
)
def test_finds_the_zone_people_mean(query, zone):
    assert zone in ids(query)[:4], ids(query)


def test_country_and_city_find_exactly_their_zone_first():
    assert ids("Nepal") == ["Asia/Kathmandu"]
    assert ids("Los Angeles")[0] == "America/Los_Angeles"


def test_an_abbreviation_used_by_several_countries_lists_them_all():
    found = ids("IST")
    assert {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"} <= set(found)  # India, Irish summer, Israel


def test_an_offset_matches_the_zones_at_that_offset_now():
    assert "America/Los_Angeles" in ids("GMT-8", now=WINTER)
    assert "America/Los_Angeles" not in ids("GMT-8", now=SUMMER)  # PDT is GMT-7
    assert "America/Los_Angeles" in ids("GMT-7", now=SUMMER)
    assert ids("GMT+15") == [] and ids("GMT+5:75") == []


def test_an_unknown_zone_finds_nothing():
    assert ids("Mars/Olympus") == []
    assert ids("Xyzzy") == []
    assert ids("") == []


def test_each_hit_has_its_name_in_the_readers_language_the_offset_and_local_time_now():
    [hit] = zonesearch.search("Nepal", locale="en", now=WINTER)
    assert (hit.id, hit.name, hit.place, hit.offset, hit.local_time) == (
        "Asia/Kathmandu",
        "Nepal Time",
        "Kathmandu, Nepal",
        "GMT+05:45",
        "1:45 PM",
    )
    la = zonesearch.search("Los Angeles", locale="de", now=WINTER)[0]
    assert (la.name, la.place, la.local_time) == (
        "Nordamerikanische Westküstenzeit",
        "Los Angeles, Vereinigte Staaten",
        "00:00",
    )
    la = zonesearch.search("Los Angeles", locale="ja", now=SUMMER)[0]
    assert (la.name, la.offset, la.local_time) == ("アメリカ太平洋時間", "GMT-07:00", "1:00")


def test_names_in_the_pages_language_and_in_english_both_find_it():
    assert ids("Deutschland", locale="de")[0] == "Europe/Berlin"
    assert ids("Germany", locale="de")[0] == "Europe/Berlin"
    assert ids("ネパール", locale="ja") == ["Asia/Kathmandu"]


@pytest.mark.parametrize(
    ("legacy", "canonical"),
    [
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Asia/Katmandu", "Asia/Kathmandu"),
        ("US/Pacific", "America/Los_Angeles"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("Etc/UTC", "UTC"),
        ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
        # a tzdata link across a border is not followed: Norway keeps its own zone
        ("Europe/Oslo", "Europe/Oslo"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("Mars/Olympus", "Mars/Olympus"),
    ],
)
def test_legacy_and_icu_ids_map_to_todays_ids(legacy, canonical):
    assert zonesearch.canonical_zone(legacy) == canonical


def test_the_zones_offered_are_tzdatas_places_not_every_link():
    zones = zonesearch.canonical_zones()
    assert "Asia/Kathmandu" in zones and "UTC" in zones and "Europe/Oslo" in zones
    assert "US/Pacific" not in zones and "Asia/Calcutta" not in zones and "EST5EDT" not in zones


def test_among_equal_matches_the_zones_most_people_live_in_come_first():
    assert ids("Pacific")[:3] == ["America/Los_Angeles", "America/Tijuana", "America/Vancouver"]  # before Pacific/*
    assert {"America/New_York", "America/Chicago", "America/Denver"} <= set(ids("United States")[:6])
    assert ids("China")[0] == "Asia/Shanghai"
    assert ids("GMT+1")[0] == "Europe/Berlin"
