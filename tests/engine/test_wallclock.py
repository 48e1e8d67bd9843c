"""Wall clock -> instants under the documented DST policy, on real edge days."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from slotwise.engine import (
    Interval,
    TimeRange,
    WeeklyHours,
    local_day_bounds,
    wall_to_instants,
    working_intervals,
)
from slotwise.engine.wallclock import segments


def U(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def wall(y, mo, d, h=0, mi=0, us=0):
    """A local wall-clock time: naive by design, the zone is given beside it."""
    return datetime(y, mo, d, h, mi, 0, us)  # noqa: DTZ001


@pytest.mark.parametrize(
    "zone, local, expected",
    [
        # plain day
        ("America/New_York", wall(2026, 6, 1, 9, 0), [U(2026, 6, 1, 13)]),
        # spring-forward gap: 02:00-03:00 does not exist
        ("America/New_York", wall(2026, 3, 8, 2, 30), []),
        ("America/New_York", wall(2026, 3, 8, 1, 59), [U(2026, 3, 8, 6, 59)]),
        ("America/New_York", wall(2026, 3, 8, 3, 0), [U(2026, 3, 8, 7)]),
        # fall-back fold: 01:00-02:00 happens twice, EDT then EST
        ("America/New_York", wall(2026, 11, 1, 1, 30), [U(2026, 11, 1, 5, 30), U(2026, 11, 1, 6, 30)]),
        ("America/New_York", wall(2026, 11, 1, 2, 0), [U(2026, 11, 1, 7)]),
        # Lord Howe moves by 30 minutes: +11 -> +10:30 at 02:00 on 2026-04-05, back at 02:00 on 2026-10-04
        ("Australia/Lord_Howe", wall(2026, 4, 5, 1, 45), [U(2026, 4, 4, 14, 45), U(2026, 4, 4, 15, 15)]),
        ("Australia/Lord_Howe", wall(2026, 10, 4, 2, 15), []),
        ("Australia/Lord_Howe", wall(2026, 10, 4, 2, 30), [U(2026, 10, 3, 15, 30)]),
        ("Asia/Kathmandu", wall(2026, 6, 1, 9, 0), [U(2026, 6, 1, 3, 15)]),
        # Samoa skipped 2011-12-30 entirely (UTC-10 -> UTC+14)
        ("Pacific/Apia", wall(2011, 12, 30, 12, 0), []),
        ("Pacific/Apia", wall(2011, 12, 29, 23, 59), [U(2011, 12, 30, 9, 59)]),
        ("Pacific/Apia", wall(2011, 12, 31, 0, 0), [U(2011, 12, 30, 10)]),
        # sub-second wall times keep their fraction
        ("UTC", wall(2026, 1, 1, 0, 0, 250000), [U(2026, 1, 1) + timedelta(microseconds=250000)]),
    ],
)
def test_wall_to_instants(zone, local, expected):
    assert wall_to_instants(zone, local) == expected


def test_wall_to_instants_rejects_aware():
    with pytest.raises(ValueError):
        wall_to_instants("UTC", U(2026, 1, 1))


@pytest.mark.parametrize(
    "zone, day, expected",
    [
        ("America/New_York", date(2026, 3, 8), [(U(2026, 3, 8, 5), U(2026, 3, 9, 4))]),  # 23 h
        ("America/New_York", date(2026, 11, 1), [(U(2026, 11, 1, 4), U(2026, 11, 2, 5))]),  # 25 h
        ("Australia/Lord_Howe", date(2026, 4, 5), [(U(2026, 4, 4, 13), U(2026, 4, 5, 13, 30))]),  # 24.5 h
        ("Australia/Lord_Howe", date(2026, 10, 4), [(U(2026, 10, 3, 13, 30), U(2026, 10, 4, 13))]),  # 23.5 h
        ("Pacific/Apia", date(2011, 12, 29), [(U(2011, 12, 29, 10), U(2011, 12, 30, 10))]),
        ("Pacific/Apia", date(2011, 12, 30), []),
        ("Pacific/Apia", date(2011, 12, 31), [(U(2011, 12, 30, 10), U(2011, 12, 31, 10))]),
        ("Pacific/Kiritimati", date(2026, 6, 1), [(U(2026, 5, 31, 10), U(2026, 6, 1, 10))]),
    ],
)
def test_local_day_bounds(zone, day, expected):
    assert local_day_bounds(zone, day) == [Interval(s, e) for s, e in expected]


@pytest.mark.parametrize(
    "zone, year, expected",
    [
        ("America/New_York", 2026, [U(2026, 3, 8, 7), U(2026, 11, 1, 6)]),
        ("Europe/Berlin", 2026, [U(2026, 3, 29, 1), U(2026, 10, 25, 1)]),
        ("Australia/Lord_Howe", 2026, [U(2026, 4, 4, 15), U(2026, 10, 3, 15, 30)]),
        ("Asia/Kathmandu", 2026, []),
    ],
)
def test_transitions_found_to_the_second(zone, year, expected):
    lo = int(U(year, 1, 1).timestamp())
    segs = segments(zone, lo + 86400 * 2, lo + 86400 * 3)
    inside = [t for t in segs.starts if U(year, 1, 1).timestamp() < t < U(year + 1, 1, 1).timestamp()]
    assert [datetime.fromtimestamp(t, UTC) for t in inside] == expected


def _hours(zone, *ranges, weekdays=range(7)):
    return WeeklyHours(zone, {wd: tuple(TimeRange(*r) for r in ranges) for wd in weekdays})


@pytest.mark.parametrize(
    "zone, ranges, start, end, expected",
    [
        # 09:00-17:00 stays 09:00-17:00 local across both 2026 US changes
        (
            "America/New_York",
            [(time(9), time(17))],
            U(2026, 3, 7),
            U(2026, 3, 10),
            [
                (U(2026, 3, 7, 14), U(2026, 3, 7, 22)),
                (U(2026, 3, 8, 13), U(2026, 3, 8, 21)),
                (U(2026, 3, 9, 13), U(2026, 3, 9, 21)),
            ],
        ),
        (
            "America/New_York",
            [(time(9), time(17))],
            U(2026, 10, 31),
            U(2026, 11, 3),
            [
                (U(2026, 10, 31, 13), U(2026, 10, 31, 21)),
                (U(2026, 11, 1, 14), U(2026, 11, 1, 22)),
                (U(2026, 11, 2, 14), U(2026, 11, 2, 22)),
            ],
        ),
        # 01:00-03:30 over the gap is 1.5 h of instants, over the fold 3.5 h
        (
            "America/New_York",
            [(time(1), time(3, 30))],
            U(2026, 3, 8),
            U(2026, 3, 9),
            [(U(2026, 3, 8, 6), U(2026, 3, 8, 7, 30))],
        ),
        (
            "America/New_York",
            [(time(1), time(3, 30))],
            U(2026, 11, 1),
            U(2026, 11, 2),
            [(U(2026, 11, 1, 5), U(2026, 11, 1, 8, 30))],
        ),
        # clipping to [start, end) and 24:00 joining the next day's 00:00
        (
            "UTC",
            [(time(22), None), (time(0), time(2))],
            U(2026, 6, 1, 23),
            U(2026, 6, 2, 1),
            [(U(2026, 6, 1, 23), U(2026, 6, 2, 1))],
        ),
        # Apia: 12-29 (UTC-10) and 12-31 (UTC+14) work, 12-30 never happened
        (
            "Pacific/Apia",
            [(time(9), time(17))],
            U(2011, 12, 29, 12),
            U(2011, 12, 31, 12),
            [(U(2011, 12, 29, 19), U(2011, 12, 30, 3)), (U(2011, 12, 30, 19), U(2011, 12, 31, 3))],
        ),
    ],
)
def test_working_intervals(zone, ranges, start, end, expected):
    assert working_intervals(_hours(zone, *ranges), start, end) == [Interval(s, e) for s, e in expected]


def test_override_replaces_the_day_and_empty_means_off():
    hours = WeeklyHours(
        "Europe/Berlin",
        {0: (TimeRange(time(9), time(12)),), 1: (TimeRange(time(9), time(12)),)},
        {
            date(2026, 6, 1): (TimeRange(time(15), time(16)), TimeRange(time(10), time(11))),
            date(2026, 6, 2): (),
        },
    )
    assert working_intervals(hours, U(2026, 6, 1), U(2026, 6, 10)) == [
        Interval(U(2026, 6, 1, 8), U(2026, 6, 1, 9)),
        Interval(U(2026, 6, 1, 13), U(2026, 6, 1, 14)),
        Interval(U(2026, 6, 8, 7), U(2026, 6, 8, 10)),
        Interval(U(2026, 6, 9, 7), U(2026, 6, 9, 10)),
    ]


@pytest.mark.parametrize(
    "args",
    [(time(10), time(9)), (time(10), time(10))],
)
def test_time_range_validates(args):
    with pytest.raises(ValueError):
        TimeRange(*args)


def test_time_range_midnight_end_is_end_of_day():
    assert TimeRange(time(20), time(0)) == TimeRange(time(20), None)


def test_weekly_hours_rejects_unknown_zone_and_bad_weekday():
    with pytest.raises(ValueError):
        WeeklyHours("Mars/Olympus", {})
    with pytest.raises(ValueError):
        WeeklyHours("UTC", {7: ()})
