"""available_slots / free_hosts / is_offered / explain on real situations, with exact UTC instants."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from slotwise.engine import (
    Busy,
    EventRules,
    HostInput,
    Meeting,
    Reason,
    Session,
    SlotResult,
    TimeRange,
    WeeklyHours,
    Window,
    available_slots,
    explain,
    free_hosts,
    is_offered,
    seats_left,
)

MIN = timedelta(minutes=1)
EARLY = datetime(2000, 1, 1, tzinfo=UTC)  # a `now` long before every case, so notice never interferes


def U(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def hours(zone, *ranges, weekdays=range(7), overrides=None):
    return WeeklyHours(
        zone,
        {wd: tuple(TimeRange(*r) for r in ranges) for wd in weekdays},
        {d: tuple(TimeRange(*r) for r in rs) for d, rs in (overrides or {}).items()},
    )


def rules(zone, duration=60, increment=None, **kw):
    return EventRules(
        duration=duration * MIN,
        increment=(increment if increment is not None else duration) * MIN,
        clock_zone=zone,
        **kw,
    )


def slots(rules_, host_or_hosts, start, end, *, mode="one", now=EARLY, viewer="UTC"):
    hosts = host_or_hosts if isinstance(host_or_hosts, list) else [host_or_hosts]
    return available_slots(rules_, hosts, mode=mode, now=now, start=start, end=end, viewer_zone=viewer)


def hourly(y, mo, d, *hs):
    return [U(y, mo, d, h) for h in hs]


# --- DST and odd zones -------------------------------------------------------------------------------


NY_9_17 = hours("America/New_York", (time(9), time(17)))
NY_1_330 = hours("America/New_York", (time(1), time(3, 30)))


@pytest.mark.parametrize(
    "case, rules_, host, start, end, expected",
    [
        (
            "NY 09-17 across spring forward",
            rules("America/New_York"),
            NY_9_17,
            U(2026, 3, 7),
            U(2026, 3, 10),
            hourly(2026, 3, 7, *range(14, 22))
            + hourly(2026, 3, 8, *range(13, 21))
            + hourly(2026, 3, 9, *range(13, 21)),
        ),
        (
            "NY 09-17 across fall back",
            rules("America/New_York"),
            NY_9_17,
            U(2026, 10, 31),
            U(2026, 11, 3),
            hourly(2026, 10, 31, *range(13, 21))
            + hourly(2026, 11, 1, *range(14, 22))
            + hourly(2026, 11, 2, *range(14, 22)),
        ),
        # 01:00 EST, 01:30 EST, [02:00, 02:30 do not exist], 03:00 EDT
        (
            "NY 01:00-03:30 spring forward",
            rules("America/New_York", 30),
            NY_1_330,
            U(2026, 3, 8),
            U(2026, 3, 9),
            [U(2026, 3, 8, 6), U(2026, 3, 8, 6, 30), U(2026, 3, 8, 7)],
        ),
        # an hour from 01:30 EST ends at 03:30 EDT: all of it lies in the working wall range
        (
            "NY 01:00-03:30 spring forward, 60 min",
            rules("America/New_York", 60, 30),
            NY_1_330,
            U(2026, 3, 8),
            U(2026, 3, 9),
            [U(2026, 3, 8, 6), U(2026, 3, 8, 6, 30)],
        ),
        # 01:00 EDT, 01:30 EDT, 01:00 EST, 01:30 EST, 02:00, 02:30, 03:00 EST
        (
            "NY 01:00-03:30 fall back",
            rules("America/New_York", 30),
            NY_1_330,
            U(2026, 11, 1),
            U(2026, 11, 2),
            [
                U(2026, 11, 1, 5),
                U(2026, 11, 1, 5, 30),
                U(2026, 11, 1, 6),
                U(2026, 11, 1, 6, 30),
                U(2026, 11, 1, 7),
                U(2026, 11, 1, 7, 30),
                U(2026, 11, 1, 8),
            ],
        ),
        # Lord Howe, +11 -> +10:30: 01:00, 01:30 (+11), 01:30 (+10:30), 02:00, 02:30
        (
            "Lord Howe fall back",
            rules("Australia/Lord_Howe", 30),
            hours("Australia/Lord_Howe", (time(1), time(3))),
            U(2026, 4, 4, 12),
            U(2026, 4, 5, 12),
            [
                U(2026, 4, 4, 14),
                U(2026, 4, 4, 14, 30),
                U(2026, 4, 4, 15),
                U(2026, 4, 4, 15, 30),
                U(2026, 4, 4, 16),
            ],
        ),
        # Lord Howe, +10:30 -> +11: 01:00, 01:30, [02:00 does not exist], 02:30
        (
            "Lord Howe spring forward",
            rules("Australia/Lord_Howe", 30),
            hours("Australia/Lord_Howe", (time(1), time(3))),
            U(2026, 10, 3, 12),
            U(2026, 10, 4, 12),
            [U(2026, 10, 3, 14, 30), U(2026, 10, 3, 15), U(2026, 10, 3, 15, 30)],
        ),
        (
            "Kathmandu +05:45 grid",
            rules("Asia/Kathmandu", 30),
            hours("Asia/Kathmandu", (time(9), time(12))),
            U(2026, 6, 1),
            U(2026, 6, 2),
            [
                U(2026, 6, 1, 3, 15),
                U(2026, 6, 1, 3, 45),
                U(2026, 6, 1, 4, 15),
                U(2026, 6, 1, 4, 45),
                U(2026, 6, 1, 5, 15),
                U(2026, 6, 1, 5, 45),
            ],
        ),
        # the grid belongs to the clock zone: a Kolkata (+05:30) team grid over a Kathmandu host
        (
            "Kathmandu host on a Kolkata grid",
            rules("Asia/Kolkata", 30),
            hours("Asia/Kathmandu", (time(9), time(12))),
            U(2026, 6, 1),
            U(2026, 6, 2),
            [
                U(2026, 6, 1, 3, 30),
                U(2026, 6, 1, 4),
                U(2026, 6, 1, 4, 30),
                U(2026, 6, 1, 5),
                U(2026, 6, 1, 5, 30),
            ],
        ),
        # 2011-12-30 never happened in Samoa
        (
            "Apia skipped day",
            rules("Pacific/Apia"),
            hours("Pacific/Apia", (time(9), time(17))),
            U(2011, 12, 29, 12),
            U(2011, 12, 31, 12),
            hourly(2011, 12, 29, *range(19, 24))
            + hourly(2011, 12, 30, 0, 1, 2)
            + hourly(2011, 12, 30, *range(19, 24))
            + hourly(2011, 12, 31, 0, 1, 2),
        ),
    ],
)
def test_dst_and_zone_cases(case, rules_, host, start, end, expected):
    result = slots(rules_, HostInput("h", host), start, end)
    assert result.starts() == expected, case


def test_apia_viewer_sees_no_2011_12_30():
    result = slots(
        rules("Pacific/Apia"),
        HostInput("h", hours("Pacific/Apia", (time(9), time(17)))),
        U(2011, 12, 29, 12),
        U(2011, 12, 31, 12),
        viewer="Pacific/Apia",
    )
    assert result.timezone == "Pacific/Apia"
    assert result.days == {
        date(2011, 12, 29): hourly(2011, 12, 29, *range(19, 24)) + hourly(2011, 12, 30, 0, 1, 2),
        date(2011, 12, 31): hourly(2011, 12, 30, *range(19, 24)) + hourly(2011, 12, 31, 0, 1, 2),
    }


def test_kiritimati_host_seen_from_pago_pago_lands_on_the_previous_day():
    # Monday 2026-06-01 09:00-11:00 at +14 is Sunday 2026-05-31 08:00-10:00 at -11.
    host = HostInput("kiri", hours("Pacific/Kiritimati", (time(9), time(11)), weekdays=[0]))
    result = slots(rules("Pacific/Kiritimati"), host, U(2026, 5, 30), U(2026, 6, 3), viewer="Pacific/Pago_Pago")
    assert result.days == {date(2026, 5, 31): [U(2026, 5, 31, 19), U(2026, 5, 31, 20)]}
    utc_view = slots(rules("Pacific/Kiritimati"), host, U(2026, 5, 30), U(2026, 6, 3), viewer="UTC")
    assert list(utc_view.days) == [date(2026, 5, 31)]
    kiri_view = slots(rules("Pacific/Kiritimati"), host, U(2026, 5, 30), U(2026, 6, 3), viewer="Pacific/Kiritimati")
    assert list(kiri_view.days) == [date(2026, 6, 1)]


def test_result_days_are_grouped_by_viewer_date():
    host = HostInput("h", hours("UTC", (time(22), time(23, 59)), weekdays=[0, 1]))
    result = slots(rules("UTC", 60), host, U(2026, 6, 1), U(2026, 6, 3), viewer="Europe/Berlin")
    # 22:00 UTC is 00:00 the next day in Berlin (+02:00)
    assert result.days == {
        date(2026, 6, 2): [U(2026, 6, 1, 22)],
        date(2026, 6, 3): [U(2026, 6, 2, 22)],
    }
    assert isinstance(result, SlotResult)


# --- grid --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "duration, increment, ranges, expected",
    [
        # a 60-minute meeting on a 30-minute grid may start at :30
        (60, 30, [(time(9), time(11))], [U(2026, 6, 1, 9), U(2026, 6, 1, 9, 30), U(2026, 6, 1, 10)]),
        # 30-minute meetings every 45 minutes, counted from local midnight
        (
            30,
            45,
            [(time(9), time(12))],
            [U(2026, 6, 1, 9), U(2026, 6, 1, 9, 45), U(2026, 6, 1, 10, 30), U(2026, 6, 1, 11, 15)],
        ),
        # 25 does not divide a day: the grid restarts at each local midnight (23:45 then 00:00),
        # and a meeting may cross midnight when the hours touch there
        (
            25,
            25,
            [(time(23), None), (time(0), time(1))],
            [U(2026, 6, 1, 23, 20), U(2026, 6, 1, 23, 45), U(2026, 6, 2, 0, 0), U(2026, 6, 2, 0, 25)],
        ),
    ],
)
def test_increment_is_independent_of_duration(duration, increment, ranges, expected):
    host = HostInput("h", hours("UTC", *ranges, weekdays=[0] if ranges[0][1] else [0, 1]))
    if ranges[0][1] is None:  # the midnight case: 23:00-24:00 Monday, 00:00-01:00 Tuesday only
        host = HostInput(
            "h",
            hours("UTC", weekdays=[], overrides={date(2026, 6, 1): [ranges[0]], date(2026, 6, 2): [ranges[1]]}),
        )
    result = slots(rules("UTC", duration, increment), host, U(2026, 6, 1), U(2026, 6, 3))
    assert result.starts() == expected


def test_range_bounds_are_start_inclusive_end_exclusive():
    host = HostInput("h", hours("UTC", (time(9), time(12))))
    assert slots(rules("UTC"), host, U(2026, 6, 1, 10), U(2026, 6, 1, 11)).starts() == [U(2026, 6, 1, 10)]
    assert slots(rules("UTC"), host, U(2026, 6, 1, 10, 1), U(2026, 6, 1, 11)).starts() == []


# --- busy, buffers, notice, windows, limits, overrides -----------------------------------------------

UTC_9_17 = hours("UTC", (time(9), time(17)))
BUFFERED = rules("UTC", 30, buffer_before=15 * MIN, buffer_after=15 * MIN)
BUSY_HOST = HostInput(
    "h",
    UTC_9_17,
    busy=[
        Busy(U(2026, 6, 1, 12), U(2026, 6, 1, 13), label="lunch"),
        # an existing booking with its own 30-minute after-buffer: blocks 15:00-16:00
        Busy(U(2026, 6, 1, 15), U(2026, 6, 1, 15, 30), after=30 * MIN, label="booking"),
    ],
)


def test_buffers_and_busy():
    assert slots(BUFFERED, BUSY_HOST, U(2026, 6, 1), U(2026, 6, 2)).starts() == [
        U(2026, 6, 1, 9),
        U(2026, 6, 1, 9, 30),
        U(2026, 6, 1, 10),
        U(2026, 6, 1, 10, 30),
        U(2026, 6, 1, 11),
        U(2026, 6, 1, 13, 30),
        U(2026, 6, 1, 14),
        U(2026, 6, 1, 16, 30),
    ]


@pytest.mark.parametrize(
    "start, reasons",
    [
        (U(2026, 6, 1, 11), []),
        (U(2026, 6, 1, 11, 30), [Reason.BUFFER]),  # our after-buffer runs into lunch
        (U(2026, 6, 1, 12), [Reason.BUSY]),
        (U(2026, 6, 1, 12, 30), [Reason.BUSY]),
        (U(2026, 6, 1, 13), [Reason.BUFFER]),  # our before-buffer overlaps lunch
        (U(2026, 6, 1, 13, 30), []),
        (U(2026, 6, 1, 14, 30), [Reason.BUFFER]),
        (U(2026, 6, 1, 15), [Reason.BUSY]),
        (U(2026, 6, 1, 15, 30), [Reason.BUFFER]),  # the booking's own after-buffer
        (U(2026, 6, 1, 16), [Reason.BUFFER]),
        (U(2026, 6, 1, 16, 30), []),
        (U(2026, 6, 1, 16, 45), [Reason.OFF_GRID, Reason.OUTSIDE_HOURS]),
        (U(2026, 6, 1, 8, 30), [Reason.OUTSIDE_HOURS]),
        (
            U(
                2026,
                6,
                1,
                9,
                0,
            )
            + timedelta(seconds=1),
            [Reason.OFF_GRID],
        ),
    ],
)
def test_explain_busy_and_buffer(start, reasons):
    assert explain(BUFFERED, BUSY_HOST, now=EARLY, start=start) == reasons
    assert is_offered(BUFFERED, [BUSY_HOST], mode="one", now=EARLY, start=start) is (reasons == [])


# The same host with lunch given as a plain epoch pair (how external calendar busy time arrives).
PAIRS_HOST = HostInput(
    "h",
    UTC_9_17,
    busy=[Busy(U(2026, 6, 1, 15), U(2026, 6, 1, 15, 30), after=30 * MIN, label="booking")],
    busy_pairs=[(int(U(2026, 6, 1, 12).timestamp()), int(U(2026, 6, 1, 13).timestamp()))],
)


def test_busy_pairs_block_exactly_like_busy_values():
    assert (
        slots(BUFFERED, PAIRS_HOST, U(2026, 6, 1), U(2026, 6, 2)).starts()
        == slots(BUFFERED, BUSY_HOST, U(2026, 6, 1), U(2026, 6, 2)).starts()
    )
    for minute in range(8 * 60, 17 * 60, 15):
        start = U(2026, 6, 1) + timedelta(minutes=minute)
        assert explain(BUFFERED, PAIRS_HOST, now=EARLY, start=start) == explain(
            BUFFERED, BUSY_HOST, now=EARLY, start=start
        ), start


@pytest.mark.parametrize("pair", [(10, 10), (20, 10), (1.5, 3), ("1", "2")])
def test_busy_pairs_validate(pair):
    with pytest.raises(ValueError):
        HostInput("h", UTC_9_17, busy_pairs=[pair])


def test_min_notice():
    host = HostInput("h", hours("UTC", (time(9), time(12))))
    r = rules("UTC", 30, min_notice=timedelta(hours=2))
    now = U(2026, 6, 1, 8)
    assert slots(r, host, U(2026, 6, 1), U(2026, 6, 2), now=now).starts() == [
        U(2026, 6, 1, 10),
        U(2026, 6, 1, 10, 30),
        U(2026, 6, 1, 11),
        U(2026, 6, 1, 11, 30),
    ]
    assert explain(r, host, now=now, start=U(2026, 6, 1, 9, 30)) == [Reason.NOTICE]
    assert explain(r, host, now=now, start=U(2026, 6, 1, 10)) == []


def test_past_starts_are_never_offered():
    host = HostInput("h", hours("UTC", (time(9), time(12))))
    now = U(2026, 6, 1, 10, 10)
    assert slots(rules("UTC", 30), host, U(2026, 6, 1), U(2026, 6, 2), now=now).starts() == [
        U(2026, 6, 1, 10, 30),
        U(2026, 6, 1, 11),
        U(2026, 6, 1, 11, 30),
    ]


def test_rolling_window():
    host = HostInput("h", hours("UTC", (time(9), time(12))))
    r = rules("UTC", 30, window=Window("rolling", days=1))
    now = U(2026, 6, 1, 10, 10)
    assert slots(r, host, U(2026, 6, 1), U(2026, 6, 4), now=now).starts() == [
        U(2026, 6, 1, 10, 30),
        U(2026, 6, 1, 11),
        U(2026, 6, 1, 11, 30),
        U(2026, 6, 2, 9),
        U(2026, 6, 2, 9, 30),
        U(2026, 6, 2, 10),
    ]
    assert explain(r, host, now=now, start=U(2026, 6, 2, 10, 30)) == [Reason.WINDOW]
    assert explain(r, host, now=now, start=U(2026, 6, 2, 10)) == []


def test_busy_time_beyond_the_sync_horizon_is_not_offered_and_explained():
    # Calendars read until 11:15: a meeting (with its 15-minute buffer after) must end by then.
    host = HostInput("h", hours("UTC", (time(9), time(12))), known_until=U(2026, 6, 1, 11, 15))
    r = rules("UTC", 30, buffer_after=timedelta(minutes=15))
    got = slots(r, host, U(2026, 6, 1), U(2026, 6, 3), now=EARLY).starts()
    assert got == [U(2026, 6, 1, 9), U(2026, 6, 1, 9, 30), U(2026, 6, 1, 10), U(2026, 6, 1, 10, 30)]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 10, 30)) == []
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 11)) == [Reason.NOT_SYNCED]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 2, 9)) == [Reason.NOT_SYNCED]
    assert free_hosts(r, [host], now=EARLY, start=U(2026, 6, 2, 9)) == []


def test_range_window_uses_clock_zone_dates():
    # The window is the Auckland (+12) date 2026-06-02: [06-01 12:00 UTC, 06-02 12:00 UTC).
    host = HostInput("h", hours("UTC", (time(0), None)))
    r = rules("Pacific/Auckland", 60, 360, window=Window("range", first=date(2026, 6, 2), last=date(2026, 6, 2)))
    assert slots(r, host, U(2026, 6, 1), U(2026, 6, 3)).starts() == [
        U(2026, 6, 1, 12),
        U(2026, 6, 1, 18),
        U(2026, 6, 2, 0),
        U(2026, 6, 2, 6),
    ]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 2, 12)) == [Reason.WINDOW]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 6)) == [Reason.WINDOW]


def test_daily_limit_counts_host_local_days():
    host = HostInput(
        "h",
        NY_9_17,
        # 2026-06-02 03:00 UTC is 2026-06-01 23:00 in New York: it counts for Monday
        meetings=[Meeting(d, d + timedelta(hours=1)) for d in [U(2026, 6, 1, 13), U(2026, 6, 2, 3), U(2026, 6, 2, 14)]],
    )
    r = rules("America/New_York", 60, daily_limit=2)
    # Monday is full; Tuesday has one booking of two
    assert slots(r, host, U(2026, 6, 1, 12), U(2026, 6, 2, 16)).starts() == hourly(2026, 6, 2, 13, 14, 15)
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 13)) == [Reason.DAILY_LIMIT]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 2, 13)) == []


def test_overrides_other_hours_and_day_off():
    host = HostInput(
        "h",
        hours(
            "Europe/Berlin",
            (time(9), time(12)),
            weekdays=[0, 1],
            overrides={
                date(2026, 6, 1): [(time(15), time(16)), (time(10), time(11))],  # Monday: other hours
                date(2026, 6, 6): [(time(10), time(12))],  # Saturday: works although not a weekday
                date(2026, 6, 8): [],  # Monday: off
            },
        ),
    )
    r = rules("Europe/Berlin", 60)
    assert slots(r, host, U(2026, 6, 1), U(2026, 6, 10)).starts() == (
        hourly(2026, 6, 1, 8, 13) + hourly(2026, 6, 2, 7, 8, 9) + hourly(2026, 6, 6, 8, 9) + hourly(2026, 6, 9, 7, 8, 9)
    )
    assert explain(r, host, now=EARLY, start=U(2026, 6, 8, 7)) == [Reason.OUTSIDE_HOURS]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 7)) == [Reason.OUTSIDE_HOURS]


def test_several_intervals_a_day_and_a_meeting_cannot_straddle_a_break():
    host = HostInput("h", hours("UTC", (time(13), time(15)), (time(9), time(11)), (time(10), time(12))))
    r = rules("UTC", 60, 30)
    assert slots(r, host, U(2026, 6, 1), U(2026, 6, 2)).starts() == [
        U(2026, 6, 1, 9),
        U(2026, 6, 1, 9, 30),
        U(2026, 6, 1, 10),
        U(2026, 6, 1, 10, 30),
        U(2026, 6, 1, 11),
        U(2026, 6, 1, 13),
        U(2026, 6, 1, 13, 30),
        U(2026, 6, 1, 14),
    ]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 11, 30)) == [Reason.OUTSIDE_HOURS]


# --- teams ---------------------------------------------------------------------------------------------

A = HostInput("a", hours("UTC", (time(9), time(12))))
B = HostInput("b", hours("Europe/London", (time(12), time(15))))  # 11:00-14:00 UTC in June


def test_round_robin_any_versus_collective_all():
    r = rules("UTC")
    assert slots(r, [A, B], U(2026, 6, 1), U(2026, 6, 2), mode="any").starts() == hourly(2026, 6, 1, 9, 10, 11, 12, 13)
    assert slots(r, [A, B], U(2026, 6, 1), U(2026, 6, 2), mode="all").starts() == hourly(2026, 6, 1, 11)


@pytest.mark.parametrize(
    "start, free, any_, all_",
    [
        (U(2026, 6, 1, 9), ["a"], True, False),
        (U(2026, 6, 1, 11), ["a", "b"], True, True),
        (U(2026, 6, 1, 13), ["b"], True, False),
        (U(2026, 6, 1, 15), [], False, False),
        (U(2026, 6, 1, 11, 30), [], False, False),  # off the grid
    ],
)
def test_free_hosts_and_is_offered(start, free, any_, all_):
    r = rules("UTC")
    assert free_hosts(r, [A, B], now=EARLY, start=start) == free
    assert is_offered(r, [A, B], mode="any", now=EARLY, start=start) is any_
    assert is_offered(r, [A, B], mode="all", now=EARLY, start=start) is all_


def test_mode_one_takes_exactly_one_host():
    with pytest.raises(ValueError):
        slots(rules("UTC"), [A, B], U(2026, 6, 1), U(2026, 6, 2), mode="one")
    with pytest.raises(ValueError):
        slots(rules("UTC"), [], U(2026, 6, 1), U(2026, 6, 2), mode="any")


# --- group events --------------------------------------------------------------------------------------

GROUP = rules("UTC", 60, 30, seats=3)
GROUP_HOST = HostInput(
    "g",
    hours("UTC", (time(9), time(13))),
    busy=[
        Busy(U(2026, 6, 1, 10), U(2026, 6, 1, 11), label="session 1"),
        Busy(U(2026, 6, 1, 12), U(2026, 6, 1, 13), label="session 2"),
    ],
    sessions=[
        Session(U(2026, 6, 1, 10), U(2026, 6, 1, 11), seats_taken=2),
        Session(U(2026, 6, 1, 12), U(2026, 6, 1, 13), seats_taken=3),
    ],
)


def test_group_session_with_seats_left_is_offered_at_its_own_start_only():
    assert slots(GROUP, GROUP_HOST, U(2026, 6, 1), U(2026, 6, 2)).starts() == hourly(2026, 6, 1, 9, 10, 11)


@pytest.mark.parametrize(
    "start, reasons",
    [
        (U(2026, 6, 1, 10), []),
        (U(2026, 6, 1, 9, 30), [Reason.BUSY]),
        (U(2026, 6, 1, 10, 30), [Reason.BUSY]),
        (U(2026, 6, 1, 11, 30), [Reason.BUSY]),
        (U(2026, 6, 1, 12), [Reason.BUSY, Reason.FULL]),
    ],
)
def test_explain_group(start, reasons):
    assert explain(GROUP, GROUP_HOST, now=EARLY, start=start) == reasons
    assert free_hosts(GROUP, [GROUP_HOST], now=EARLY, start=start) == ([] if reasons else ["g"])


def test_seats_left_per_host_at_each_start():
    free = HostInput("h", hours("UTC", (time(9), time(13))))
    starts = [U(2026, 6, 1, 9), U(2026, 6, 1, 10), U(2026, 6, 1, 10, 30), U(2026, 6, 1, 12), U(2026, 6, 1, 13)]
    assert seats_left(GROUP, [GROUP_HOST, free], now=EARLY, starts=starts) == {
        U(2026, 6, 1, 9): {"g": 3, "h": 3},
        U(2026, 6, 1, 10): {"g": 1, "h": 3},  # g's session has two of three seats taken
        U(2026, 6, 1, 10, 30): {"h": 3},  # g is in that session
        U(2026, 6, 1, 12): {"h": 3},  # g's session there is full
        U(2026, 6, 1, 13): {},  # after everyone's hours
    }


def test_seats_left_agrees_with_what_is_offered():
    starts = slots(GROUP, GROUP_HOST, U(2026, 6, 1), U(2026, 6, 2)).starts()
    left = seats_left(GROUP, [GROUP_HOST], now=U(2026, 6, 1, 9, 1), starts=starts + [U(2026, 6, 1, 9, 15)])
    # At 09:01 the 09:00 start is past, and 09:15 is off the 30-minute grid: neither can be taken.
    assert left == {
        U(2026, 6, 1, 9): {},
        U(2026, 6, 1, 10): {"g": 1},
        U(2026, 6, 1, 11): {"g": 3},
        U(2026, 6, 1, 9, 15): {},
    }
    assert seats_left(rules("UTC", 60, 30), [GROUP_HOST], now=EARLY, starts=[U(2026, 6, 1, 9)]) == {
        U(2026, 6, 1, 9): {"g": 1}
    }


def test_daily_limit_counts_meetings_so_a_full_day_still_fills_its_open_session():
    # Two sessions that day and a limit of 2: no third session, but the open one takes its third seat.
    r = rules("UTC", 60, 30, seats=3, daily_limit=2)
    host = HostInput(
        "g",
        GROUP_HOST.hours,
        busy=GROUP_HOST.busy,
        sessions=GROUP_HOST.sessions,
        meetings=[Meeting(d, d + timedelta(hours=1)) for d in [U(2026, 6, 1, 10), U(2026, 6, 1, 12)]],
    )
    assert slots(r, host, U(2026, 6, 1), U(2026, 6, 2)).starts() == [U(2026, 6, 1, 10)]
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 10)) == []
    assert explain(r, host, now=EARLY, start=U(2026, 6, 1, 9)) == [Reason.DAILY_LIMIT]


def test_open_session_still_obeys_the_other_rules():
    r = rules("UTC", 60, 30, seats=3, min_notice=timedelta(hours=1))
    now = U(2026, 6, 1, 9)
    assert slots(r, GROUP_HOST, U(2026, 6, 1), U(2026, 6, 2), now=now).starts() == hourly(2026, 6, 1, 10, 11)
    late = U(2026, 6, 1, 9, 1)
    assert slots(r, GROUP_HOST, U(2026, 6, 1), U(2026, 6, 2), now=late).starts() == hourly(2026, 6, 1, 11)
    assert explain(r, GROUP_HOST, now=late, start=U(2026, 6, 1, 10)) == [Reason.NOTICE]


def test_sessions_are_ignored_for_one_seat_events():
    r = rules("UTC", 60, 30)
    assert slots(r, GROUP_HOST, U(2026, 6, 1), U(2026, 6, 2)).starts() == hourly(2026, 6, 1, 9, 11)


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {"duration": timedelta(0)},
        {"increment": timedelta(0)},
        {"buffer_before": -MIN},
        {"duration": timedelta(seconds=1.5)},
        {"clock_zone": "Nowhere/Special"},
        {"seats": 0},
    ],
)
def test_event_rules_validate(kw):
    base = {"duration": 30 * MIN, "clock_zone": "UTC"}
    with pytest.raises(ValueError):
        EventRules(**(base | kw))


def test_busy_validates():
    with pytest.raises(ValueError):
        Busy(U(2026, 6, 1, 10), U(2026, 6, 1, 10))
    with pytest.raises(ValueError):
        Busy(datetime(2026, 6, 1, 10), datetime(2026, 6, 1, 11))  # noqa: DTZ001 - naive on purpose
