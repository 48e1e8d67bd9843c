"""Outlook's times: Windows time-zone names through CLDR's windowsZones (Babel), and Graph wall times as
exact instants through the one DST policy. Pure: no database, no fake."""

from datetime import UTC, datetime

import pytest

from slotwise.calendars.adapters.base import AdapterError
from slotwise.calendars.adapters.microsoft import graph_time, windows_zone


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(
    ("windows", "iana"),
    [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("India Standard Time", "Asia/Kolkata"),
        ("Nepal Standard Time", "Asia/Kathmandu"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("UTC", "Etc/UTC"),
        ("Europe/Paris", "Europe/Paris"),  # an IANA name passes through
    ],
)
def test_windows_zone_names_map_to_iana_through_cldr(windows, iana):
    assert windows_zone(windows).key == iana


@pytest.mark.parametrize(
    ("wall", "zone", "instant"),
    [
        ("2026-03-29T01:30:00.0000000", "W. Europe Standard Time", utc(2026, 3, 29, 0, 30)),  # before the jump
        ("2026-03-29T03:00:00.0000000", "W. Europe Standard Time", utc(2026, 3, 29, 1)),  # CEST from here
        ("2026-03-29T02:30:00.0000000", "W. Europe Standard Time", utc(2026, 3, 29, 1, 30)),  # in the gap
        ("2026-10-25T02:30:00.0000000", "W. Europe Standard Time", utc(2026, 10, 25, 0, 30)),  # fold: first
        ("2026-03-08T03:00:00.0000000", "Pacific Standard Time", utc(2026, 3, 8, 10)),
        ("2026-11-01T01:30:00.0000000", "Pacific Standard Time", utc(2026, 11, 1, 8, 30)),  # fold: PDT
        ("2026-11-01T02:00:00.0000000", "Pacific Standard Time", utc(2026, 11, 1, 10)),
        ("2026-03-29T09:00:00.0000000", "India Standard Time", utc(2026, 3, 29, 3, 30)),
        ("2026-03-29T09:00:00.0000000", "Nepal Standard Time", utc(2026, 3, 29, 3, 15)),
    ],
)
def test_graph_times_name_exact_instants_across_dst_changes(wall, zone, instant):
    assert graph_time({"dateTime": wall, "timeZone": zone}) == instant


def test_an_unknown_windows_zone_name_is_an_error_that_names_it():
    with pytest.raises(AdapterError, match="'Mid-Atlantic Standard Tim'"):
        windows_zone("Mid-Atlantic Standard Tim")
