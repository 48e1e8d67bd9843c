"""Travel stays, seasonal (standard/daylight) hours and out of office: cases with exact UTC instants."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from slotwise.engine import (
    Away,
    EventRules,
    HostInput,
    Reason,
    Stay,
    TimeRange,
    WeeklyHours,
    available_slots,
    explain,
    is_daylight_day,
)

MIN = timedelta(minutes=1)
EARLY = datetime(2000, 1, 1, tzinfo=UTC)
HOUR = EventRules(duration=60 * MIN, increment=60 * MIN, clock_zone="UTC")


def U(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def hours(zone, start=time(9), end=time(17), *, weekdays=range(7), daylight=None, stays=()):
    week = {wd: (TimeRange(start, end),) for wd in weekdays}
    summer = None if daylight is None else {wd: (TimeRange(*daylight),) for wd in weekdays}
    return WeeklyHours(zone, week, daylight=summer, stays=stays)


def day_spans(host, start, end):
    """(first, last) offered start of each UTC-dated run of hourly slots."""
    got = available_slots(HOUR, [host], mode="one", now=EARLY, start=start, end=end, viewer_zone="UTC").starts()
    runs = {}
    for s in got:
        runs.setdefault(s.date(), []).append(s)
    return [(v[0], v[-1]) for v in runs.values()]


TOKYO_TRIP = Stay("Asia/Tokyo", date(2026, 3, 3), date(2026, 3, 20))

TRAVEL = [
    (
        "Berlin host in Tokyo 3-20 Mar: Monday 2 Mar is a whole Berlin day, 09-17 CET",
        hours("Europe/Berlin", weekdays=range(5), stays=(TOKYO_TRIP,)),
        U(2026, 3, 2),
        U(2026, 3, 3),
        [(U(2026, 3, 2, 8), U(2026, 3, 2, 15))],
    ),
    (
        "Tuesday 3 Mar: 09-17 JST is 00:00-08:00 UTC",
        hours("Europe/Berlin", weekdays=range(5), stays=(TOKYO_TRIP,)),
        U(2026, 3, 3),
        U(2026, 3, 4),
        [(U(2026, 3, 3, 0), U(2026, 3, 3, 7))],
    ),
    (
        "Friday 20 Mar, the last day in Tokyo (Berlin's 20 Mar gives nothing), then Monday 23 Mar in Berlin",
        hours("Europe/Berlin", weekdays=range(5), stays=(TOKYO_TRIP,)),
        U(2026, 3, 20),
        U(2026, 3, 24),
        [(U(2026, 3, 20, 0), U(2026, 3, 20, 7)), (U(2026, 3, 23, 8), U(2026, 3, 23, 15))],
    ),
    (
        "New York host in London 9-20 Mar 2026: between the US (8 Mar) and UK (29 Mar) changes",
        hours(
            "America/New_York", weekdays=range(5), stays=(Stay("Europe/London", date(2026, 3, 9), date(2026, 3, 20)),)
        ),
        U(2026, 3, 6),
        U(2026, 3, 24),
        # Fri 6 Mar EST 09:00 = 14:00 UTC; 9-20 Mar GMT 09:00 = 09:00 UTC; from 23 Mar EDT 09:00 = 13:00 UTC.
        [(U(2026, 3, 6, 14), U(2026, 3, 6, 21))]
        + [(U(2026, 3, d, 9), U(2026, 3, d, 16)) for d in (9, 10, 11, 12, 13, 16, 17, 18, 19, 20)]
        + [(U(2026, 3, 23, 13), U(2026, 3, 23, 20))],
    ),
]


@pytest.mark.parametrize("case, hours_, start, end, expected", TRAVEL, ids=[c[0] for c in TRAVEL])
def test_travel_cases(case, hours_, start, end, expected):
    assert day_spans(HostInput("h", hours_), start, end) == expected


# Standard 09-17, daylight 10-18 in New York: 14:00-22:00 UTC all year (seed 000's onboarding question).
NY_SEASONS = hours("America/New_York", time(9), time(17), daylight=(time(10), time(18)))
# Berlin and Sydney: standard 09-17, daylight 08-16.
BERLIN_SEASONS = hours("Europe/Berlin", daylight=(time(8), time(16)))
SYDNEY_SEASONS = hours("Australia/Sydney", daylight=(time(8), time(16)))

SEASONS = [
    ("NY Sat 7 Mar, standard time: 09:00 EST", NY_SEASONS, U(2026, 3, 7), [(U(2026, 3, 7, 14), U(2026, 3, 7, 21))]),
    (
        "NY Sun 8 Mar, spring forward: daylight hours, 10:00 EDT",
        NY_SEASONS,
        U(2026, 3, 8),
        [(U(2026, 3, 8, 14), U(2026, 3, 8, 21))],
    ),
    ("NY Sat 31 Oct, daylight: 10:00 EDT", NY_SEASONS, U(2026, 10, 31), [(U(2026, 10, 31, 14), U(2026, 10, 31, 21))]),
    (
        "NY Sun 1 Nov, fall back: standard hours, 09:00 EST",
        NY_SEASONS,
        U(2026, 11, 1),
        [(U(2026, 11, 1, 14), U(2026, 11, 1, 21))],
    ),
    (
        "Berlin Sat 28 Mar, standard: 09:00 CET",
        BERLIN_SEASONS,
        U(2026, 3, 28),
        [(U(2026, 3, 28, 8), U(2026, 3, 28, 15))],
    ),
    (
        "Berlin Sun 29 Mar, spring forward: 08:00 CEST",
        BERLIN_SEASONS,
        U(2026, 3, 29),
        [(U(2026, 3, 29, 6), U(2026, 3, 29, 13))],
    ),
    (
        "Berlin Sat 24 Oct, daylight: 08:00 CEST",
        BERLIN_SEASONS,
        U(2026, 10, 24),
        [(U(2026, 10, 24, 6), U(2026, 10, 24, 13))],
    ),
    (
        "Berlin Sun 25 Oct, fall back: 09:00 CET",
        BERLIN_SEASONS,
        U(2026, 10, 25),
        [(U(2026, 10, 25, 8), U(2026, 10, 25, 15))],
    ),
    # Southern hemisphere: daylight time is the southern summer.
    (
        "Sydney Sat 4 Apr, daylight (AEDT): 08:00 = 21:00 UTC the day before",
        SYDNEY_SEASONS,
        U(2026, 4, 3, 12),
        [(U(2026, 4, 3, 21), U(2026, 4, 4, 4))],
    ),
    (
        "Sydney Sun 5 Apr, daylight ends: 09:00 AEST = 23:00 UTC",
        SYDNEY_SEASONS,
        U(2026, 4, 4, 12),
        [(U(2026, 4, 4, 23), U(2026, 4, 5, 6))],
    ),
    (
        "Sydney Sat 3 Oct, standard: 09:00 AEST",
        SYDNEY_SEASONS,
        U(2026, 10, 2, 12),
        [(U(2026, 10, 2, 23), U(2026, 10, 3, 6))],
    ),
    (
        "Sydney Sun 4 Oct, daylight begins: 08:00 AEDT = 21:00 UTC",
        SYDNEY_SEASONS,
        U(2026, 10, 3, 12),
        [(U(2026, 10, 3, 21), U(2026, 10, 4, 4))],
    ),
]


@pytest.mark.parametrize("case, hours_, start, expected", SEASONS, ids=[c[0] for c in SEASONS])
def test_seasonal_hours_cases(case, hours_, start, expected):
    got = available_slots(
        HOUR,
        [HostInput("h", hours_)],
        mode="one",
        now=EARLY,
        start=start,
        end=start + timedelta(days=1),
        viewer_zone="UTC",
    ).starts()
    assert (got[0], got[-1]) == expected[0]
    assert len(got) == 8


def test_a_zone_without_daylight_time_always_uses_the_standard_hours():
    tokyo = hours("Asia/Tokyo", daylight=(time(6), time(7)))
    assert not any(is_daylight_day("Asia/Tokyo", n) for n in range(20454, 20454 + 365))
    assert day_spans(HostInput("h", tokyo), U(2026, 7, 1), U(2026, 7, 2))[0] == (U(2026, 7, 1, 0), U(2026, 7, 1, 7))


def test_a_stay_in_a_zone_with_daylight_time_reads_that_zones_seasons():
    # Berlin's hours (standard 09-17, daylight 08-16) while in New York 1-10 Mar: standard until the 8th (09:00 EST), then daylight (08:00 EDT).
    host = hours(
        "Europe/Berlin",
        daylight=(time(8), time(16)),
        stays=(Stay("America/New_York", date(2026, 3, 1), date(2026, 3, 10)),),
    )
    assert day_spans(HostInput("h", host), U(2026, 3, 7, 6), U(2026, 3, 8, 6)) == [
        (U(2026, 3, 7, 14), U(2026, 3, 7, 21))
    ]
    assert day_spans(HostInput("h", host), U(2026, 3, 9, 6), U(2026, 3, 10, 6)) == [
        (U(2026, 3, 9, 12), U(2026, 3, 9, 19))
    ]


def test_overlapping_stays_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        hours(
            "UTC",
            stays=(
                Stay("Asia/Tokyo", date(2026, 3, 1), date(2026, 3, 5)),
                Stay("Asia/Dubai", date(2026, 3, 5), date(2026, 3, 9)),
            ),
        )


# --- out of office -------------------------------------------------------------------------------------

BERLIN_AWAY = HostInput("h", hours("Europe/Berlin"), away=[Away(date(2026, 3, 27), date(2026, 3, 30))])


@pytest.mark.parametrize(
    "start, expected",
    [
        (U(2026, 3, 26, 15), []),  # Thu 16:00 CET, the last hour before
        (U(2026, 3, 27, 8), [Reason.OUT_OF_OFFICE]),  # Fri 09:00 CET
        (U(2026, 3, 29, 7), [Reason.OUT_OF_OFFICE]),  # Sun 09:00 CEST, spring forward
        (U(2026, 3, 30, 14), [Reason.OUT_OF_OFFICE]),  # Mon 16:00 CEST, the last hour away
        (U(2026, 3, 31, 7), []),  # Tue 09:00 CEST, back
    ],
)
def test_out_of_office_dates_are_host_local_days(start, expected):
    assert explain(HOUR, BERLIN_AWAY, now=EARLY, start=start) == expected


def test_a_meeting_running_into_an_away_day_is_not_offered():
    always = WeeklyHours("Europe/Berlin", {wd: (TimeRange(time(0)),) for wd in range(7)})
    host = HostInput("h", always, away=[Away(date(2026, 3, 27), date(2026, 3, 27))])
    # Thu 26 Mar 23:00 CET (22:00 UTC) would end at Fri 00:00: fine; 23:30 would run into Friday.
    half = EventRules(duration=60 * MIN, increment=30 * MIN, clock_zone="Europe/Berlin")
    assert explain(half, host, now=EARLY, start=U(2026, 3, 26, 22)) == []
    assert explain(half, host, now=EARLY, start=U(2026, 3, 26, 22, 30)) == [Reason.OUT_OF_OFFICE]
    # Back at Saturday 00:00 CET = Friday 23:00 UTC.
    assert day_spans(host, U(2026, 3, 26, 12), U(2026, 3, 28, 12)) == [
        (U(2026, 3, 26, 12), U(2026, 3, 26, 22)),
        (U(2026, 3, 27, 23), U(2026, 3, 27, 23)),
        (U(2026, 3, 28, 0), U(2026, 3, 28, 11)),
    ]
