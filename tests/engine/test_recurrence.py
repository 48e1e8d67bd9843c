"""Occurrences of a recurring meeting: the host's wall time kept, the UTC instant moved by DST changes."""

from datetime import UTC, datetime

import pytest

from slotwise import engine


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(
    "case, zone, first, interval, count, expected",
    [
        (
            "Berlin weekly Tuesday 10:00 across the spring change (Sun 2026-03-29)",
            "Europe/Berlin",
            utc(2026, 3, 17, 9, 0),
            1,
            4,
            [utc(2026, 3, 17, 9), utc(2026, 3, 24, 9), utc(2026, 3, 31, 8), utc(2026, 4, 7, 8)],
        ),
        (
            "Berlin weekly Tuesday 10:00 across the autumn change (Sun 2026-10-25)",
            "Europe/Berlin",
            utc(2026, 10, 13, 8, 0),
            1,
            4,
            [utc(2026, 10, 13, 8), utc(2026, 10, 20, 8), utc(2026, 10, 27, 9), utc(2026, 11, 3, 9)],
        ),
        (
            "New York weekly Monday 09:00 across the spring change (Sun 2026-03-08)",
            "America/New_York",
            utc(2026, 2, 23, 14, 0),
            1,
            4,
            [utc(2026, 2, 23, 14), utc(2026, 3, 2, 14), utc(2026, 3, 9, 13), utc(2026, 3, 16, 13)],
        ),
        (
            "New York every two weeks Monday 09:00 across the autumn change (Sun 2026-11-01)",
            "America/New_York",
            utc(2026, 10, 19, 13, 0),
            2,
            3,
            [utc(2026, 10, 19, 13), utc(2026, 11, 2, 14), utc(2026, 11, 16, 14)],
        ),
        (
            "New York Sunday 02:30: the spring-forward day skips it, so that occurrence has no instant",
            "America/New_York",
            utc(2026, 3, 1, 7, 30),
            1,
            3,
            [utc(2026, 3, 1, 7, 30), None, utc(2026, 3, 15, 6, 30)],
        ),
        (
            "New York Sunday 01:30: the fall-back day shows it twice; the series takes the earlier (EDT)",
            "America/New_York",
            utc(2026, 10, 25, 5, 30),
            1,
            3,
            [utc(2026, 10, 25, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 8, 6, 30)],
        ),
        (
            "Berlin Sunday 02:30 on the autumn change: the earlier of the two (CEST)",
            "Europe/Berlin",
            utc(2026, 10, 18, 0, 30),
            1,
            3,
            [utc(2026, 10, 18, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 11, 1, 1, 30)],
        ),
        (
            "A host in UTC: no change, one week apart exactly",
            "UTC",
            utc(2026, 3, 27, 9, 0),
            1,
            2,
            [utc(2026, 3, 27, 9), utc(2026, 4, 3, 9)],
        ),
    ],
)
def test_occurrences_keep_the_hosts_wall_time(case, zone, first, interval, count, expected):
    got = engine.occurrences(first_start=first, zone=zone, interval=interval, count=count)
    assert [o.start for o in got] == expected, case
    assert [o.index for o in got] == list(range(count))
    assert len({(o.wall.hour, o.wall.minute, o.wall.weekday()) for o in got}) == 1, case


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"first_start": datetime(2026, 3, 17, 9), "zone": "UTC", "interval": 1, "count": 2}, "aware"),  # noqa: DTZ001
        ({"first_start": utc(2026, 3, 17, 9), "zone": "UTC", "interval": 3, "count": 2}, "interval"),
        ({"first_start": utc(2026, 3, 17, 9), "zone": "UTC", "interval": 1, "count": 0}, "count"),
    ],
)
def test_occurrences_refuse_what_is_not_a_rule(kw, message):
    with pytest.raises(ValueError, match=message):
        engine.occurrences(**kw)
