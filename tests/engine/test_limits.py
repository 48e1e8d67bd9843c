"""Limits, counted in the host's local calendar: cases with exact UTC instants, across DST changes and zones."""

from datetime import UTC, datetime, time, timedelta

import pytest

from slotwise.engine import (
    EventRules,
    HostInput,
    Limit,
    Meeting,
    Reason,
    TimeRange,
    WeeklyHours,
    available_slots,
    explain,
)

MIN = timedelta(minutes=1)
EARLY = datetime(2000, 1, 1, tzinfo=UTC)


def U(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def every_day(zone, start=time(9), end=time(17)):
    return WeeklyHours(zone, {wd: (TimeRange(start, end),) for wd in range(7)})


def hour_meeting(start, this_event=True, minutes=60):
    return Meeting(start, start + minutes * MIN, this_event=this_event)


def rules(zone, *limits, duration=60, week_start=0):
    return EventRules(
        duration=duration * MIN, increment=60 * MIN, clock_zone=zone, limits=limits, week_start=week_start
    )


def offered(rules_, host, start, end):
    return available_slots(rules_, [host], mode="one", now=EARLY, start=start, end=end, viewer_zone="UTC").starts()


def first_per_day(starts):
    out = {}
    for s in starts:
        out.setdefault(s.date(), s)
    return sorted(out.values())


# (case, rules, host, start to explain, expected reasons)
CASES = [
    (
        "Berlin week Mon 23-Sun 29 Mar 2026 holds 2: the spring-forward Sunday is still that week",
        rules("Europe/Berlin", Limit("week", 2)),
        HostInput(
            "h", every_day("Europe/Berlin"), meetings=[hour_meeting(U(2026, 3, 23, 8)), hour_meeting(U(2026, 3, 24, 8))]
        ),
        U(2026, 3, 29, 14),  # Sunday 16:00 CEST, the last start of the week
        [Reason.WEEKLY_LIMIT],
    ),
    (
        "Berlin: Monday 30 Mar 09:00 CEST starts a new week",
        rules("Europe/Berlin", Limit("week", 2)),
        HostInput(
            "h", every_day("Europe/Berlin"), meetings=[hour_meeting(U(2026, 3, 23, 8)), hour_meeting(U(2026, 3, 24, 8))]
        ),
        U(2026, 3, 30, 7),
        [],
    ),
    (
        "weeks starting Sunday: Sunday 29 Mar is a new week",
        rules("Europe/Berlin", Limit("week", 2), week_start=6),
        HostInput(
            "h", every_day("Europe/Berlin"), meetings=[hour_meeting(U(2026, 3, 23, 8)), hour_meeting(U(2026, 3, 24, 8))]
        ),
        U(2026, 3, 29, 7),
        [],
    ),
    (
        "New York: 23:00 EST on fall-back Sunday 1 Nov is 04:00 UTC Monday, and counts for Sunday's week",
        rules("America/New_York", Limit("week", 1)),
        HostInput("h", every_day("America/New_York"), meetings=[hour_meeting(U(2026, 11, 2, 4))]),
        U(2026, 11, 1, 14),  # Sunday 09:00 EST
        [Reason.WEEKLY_LIMIT],
    ),
    (
        "New York: Monday 2 Nov 09:00 EST is free of that Sunday-night meeting",
        rules("America/New_York", Limit("week", 1)),
        HostInput("h", every_day("America/New_York"), meetings=[hour_meeting(U(2026, 11, 2, 4))]),
        U(2026, 11, 2, 14),
        [],
    ),
    (
        "Tokyo: a host-wide daily limit counts JST days, not UTC days (23:30 UTC 1 Jun is 2 Jun 08:30 JST)",
        rules("Asia/Tokyo"),
        HostInput(
            "h",
            every_day("Asia/Tokyo"),
            meetings=[hour_meeting(U(2026, 6, 1, 23, 30), this_event=False)],
            limits=[Limit("day", 1)],
        ),
        U(2026, 6, 2, 0),  # 2 Jun 09:00 JST
        [Reason.HOST_DAILY_LIMIT],
    ),
    (
        "Tokyo: 1 Jun 09:00 JST has no meeting, though UTC 1 Jun holds one",
        rules("Asia/Tokyo"),
        HostInput(
            "h",
            every_day("Asia/Tokyo"),
            meetings=[hour_meeting(U(2026, 6, 1, 23, 30), this_event=False)],
            limits=[Limit("day", 1)],
        ),
        U(2026, 6, 1, 0),
        [],
    ),
    (
        "another event type's meeting counts for the host's limit only",
        rules("UTC", Limit("day", 1)),
        HostInput("h", every_day("UTC"), meetings=[hour_meeting(U(2026, 6, 1, 9), this_event=False)]),
        U(2026, 6, 1, 11),
        [],
    ),
    (
        "both the event's and the host's daily limit",
        rules("UTC", Limit("day", 1)),
        HostInput("h", every_day("UTC"), meetings=[hour_meeting(U(2026, 6, 1, 9))], limits=[Limit("day", 1)]),
        U(2026, 6, 1, 11),
        [Reason.DAILY_LIMIT, Reason.HOST_DAILY_LIMIT],
    ),
    (
        "Berlin month: 31 Mar 23:30 CEST (21:30 UTC) counts for March",
        rules("Europe/Berlin", Limit("month", 1)),
        HostInput("h", every_day("Europe/Berlin"), meetings=[hour_meeting(U(2026, 3, 31, 21, 30))]),
        U(2026, 3, 2, 8),  # 2 Mar 09:00 CET
        [Reason.MONTHLY_LIMIT],
    ),
    (
        "Berlin month: 1 Apr 09:00 CEST is April",
        rules("Europe/Berlin", Limit("month", 1)),
        HostInput("h", every_day("Europe/Berlin"), meetings=[hour_meeting(U(2026, 3, 31, 21, 30))]),
        U(2026, 4, 1, 7),
        [],
    ),
    (
        "90 minutes a day: 60 booked leaves no room for another hour",
        rules("UTC", Limit("day", 90, "minutes")),
        HostInput("h", every_day("UTC"), meetings=[hour_meeting(U(2026, 6, 1, 9))]),
        U(2026, 6, 1, 12),
        [Reason.DAILY_MINUTES],
    ),
    (
        "90 minutes a day: 60 booked leaves room for exactly 30",
        rules("UTC", Limit("day", 90, "minutes"), duration=30),
        HostInput("h", every_day("UTC"), meetings=[hour_meeting(U(2026, 6, 1, 9))]),
        U(2026, 6, 1, 12),
        [],
    ),
    (
        "a meeting longer than the daily minutes is never offered",
        rules("UTC", duration=120),
        HostInput("h", every_day("UTC"), limits=[Limit("day", 90, "minutes")]),
        U(2026, 6, 1, 12),
        [Reason.HOST_DAILY_MINUTES],
    ),
    (
        "Sydney week across the end of daylight time (Sun 5 Apr 2026): 3 h a week, 3 h booked Mon 30 Mar",
        rules("Australia/Sydney"),
        HostInput(
            "h",
            every_day("Australia/Sydney"),
            meetings=[hour_meeting(U(2026, 3, 29, 22), False, 180)],
            limits=[Limit("week", 180, "minutes")],
        ),
        U(2026, 4, 4, 23),  # Sunday 5 Apr 09:00 AEST
        [Reason.HOST_WEEKLY_MINUTES],
    ),
    (
        "Sydney: Monday 6 Apr 09:00 AEST is the next week",
        rules("Australia/Sydney"),
        HostInput(
            "h",
            every_day("Australia/Sydney"),
            meetings=[hour_meeting(U(2026, 3, 29, 22), False, 180)],
            limits=[Limit("week", 180, "minutes")],
        ),
        U(2026, 4, 5, 23),
        [],
    ),
    (
        "a limit of 0 offers nothing",
        rules("UTC", Limit("week", 0)),
        HostInput("h", every_day("UTC")),
        U(2026, 6, 1, 12),
        [Reason.WEEKLY_LIMIT],
    ),
]


@pytest.mark.parametrize("case, rules_, host, start, expected", CASES, ids=[c[0] for c in CASES])
def test_limit_cases(case, rules_, host, start, expected):
    assert explain(rules_, host, now=EARLY, start=start) == expected
    listed = offered(rules_, host, start - timedelta(hours=1), start + timedelta(hours=1))
    assert (start in listed) == (expected == [])


def test_a_full_berlin_week_offers_nothing_until_monday_across_spring_forward():
    host = HostInput(
        "h", every_day("Europe/Berlin"), meetings=[hour_meeting(U(2026, 3, 23, 8)), hour_meeting(U(2026, 3, 24, 8))]
    )
    got = offered(rules("Europe/Berlin", Limit("week", 2)), host, U(2026, 3, 27), U(2026, 4, 1))
    # Nothing on Fri 27 - Sun 29 Mar; Monday 30 and Tuesday 31 at 09:00 CEST = 07:00 UTC.
    assert first_per_day(got) == [U(2026, 3, 30, 7), U(2026, 3, 31, 7)]


def test_a_daily_limit_frees_the_next_local_day_at_its_first_hour_in_new_york():
    host = HostInput(
        "h", every_day("America/New_York"), meetings=[hour_meeting(U(2026, 3, 7, 14)), hour_meeting(U(2026, 3, 8, 13))]
    )
    got = offered(rules("America/New_York", Limit("day", 1)), host, U(2026, 3, 7), U(2026, 3, 10))
    # Sat 7 (EST) and Sun 8 (spring forward) are full; Monday 9 Mar 09:00 EDT = 13:00 UTC onwards.
    assert got == [U(2026, 3, 9, h) for h in range(13, 21)]


def test_minutes_per_month_and_a_ninth_weekday_are_refused():
    with pytest.raises(ValueError, match="minutes are limited per day or week"):
        Limit("month", 60, "minutes")
    with pytest.raises(ValueError, match="week_start"):
        EventRules(duration=MIN, clock_zone="UTC", week_start=7)
