"""ICS import over a corpus of real files, and the hostile cases: forever, year 5000, huge, malformed."""

import signal
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slotwise.calendars.ics import busy_from_ics

CORPUS = Path(__file__).parent / "corpus"


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@contextmanager
def must_finish(seconds=20):
    """A hang guard, not a timing: a broken guard rail would otherwise stall the whole suite."""

    def boom(*_):
        raise TimeoutError("the import did not finish")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def load(name, start, end, zone="Europe/Berlin"):
    return busy_from_ics((CORPUS / name).read_bytes(), window_start=start, window_end=end, host_zone=zone)


def spans(result):
    return [(b.start, b.end) for b in sorted(result.busy, key=lambda b: (b.start, b.uid))]


def test_thunderbird_daily_series_with_moved_instances():
    r = load("recurring_events_moved.ics", utc(2019, 3, 1), utc(2019, 3, 30))
    assert r.errors == []
    assert spans(r) == [
        (utc(2019, 3, 7, 1), utc(2019, 3, 7, 2)),
        (utc(2019, 3, 8, 0), utc(2019, 3, 8, 1)),  # moved an hour earlier
        (utc(2019, 3, 9, 2), utc(2019, 3, 9, 3)),  # moved an hour later
        (utc(2019, 3, 10, 1), utc(2019, 3, 10, 2)),
        (utc(2019, 3, 18, 3), utc(2019, 3, 18, 4)),
        (utc(2019, 3, 19, 3), utc(2019, 3, 19, 4)),
        (utc(2019, 3, 20, 3), utc(2019, 3, 20, 4)),
    ]
    assert {b.recurrence_id for b in r.busy if b.start == utc(2019, 3, 8, 0)} == {"20190308T010000Z"}


def test_thunderbird_cancelled_instance_does_not_block():
    r = load("issue_18_cancel_status.ics", utc(2020, 1, 1), utc(2020, 2, 1))
    assert spans(r) == [(utc(2020, 1, 28, 21), utc(2020, 1, 28, 22)), (utc(2020, 1, 30, 21), utc(2020, 1, 30, 22))]
    assert r.free == 1


def test_google_x_wr_timezone_feed():
    r = load("x_wr_timezone_simple_events_issue_59.ics", utc(2021, 12, 1), utc(2022, 1, 1), zone="Asia/Tokyo")
    assert spans(r) == [(utc(2021, 12, 22, 17), utc(2021, 12, 22, 18)), (utc(2021, 12, 23, 2), utc(2021, 12, 23, 3))]


def test_google_transparent_series_never_blocks():
    r = load("issue_62_moved_event.ics", utc(2021, 11, 1), utc(2022, 2, 1))
    assert (r.busy, r.errors, r.free) == ([], [], 3)


def test_google_weekly_series_keeps_its_wall_clock_across_the_dst_change():
    r = load("daylight_saving_time.ics", utc(2019, 3, 25), utc(2019, 4, 5))
    school = sorted(b.start for b in r.busy if b.summary == "Montessori Schulklasse" and b.uid.startswith("7g6502"))
    assert school == [utc(2019, 3, 28, 7, 30), utc(2019, 4, 4, 6, 30)]  # 08:30 CET, then 08:30 CEST
    assert len(r.busy) == 11
    assert r.errors == []


def test_google_chicago_feed_with_exdates():
    r = load("issue_48_dst.ics", utc(2020, 11, 23), utc(2020, 11, 28), zone="America/Chicago")
    event1 = sorted(b.start for b in r.busy if b.summary.strip() == "Event#1")
    # Mon, Tue, (Thu 26 and Fri 27 excluded): 08:15 CST = 14:15 UTC
    assert event1 == [utc(2020, 11, 23, 14, 15), utc(2020, 11, 24, 14, 15)]


@pytest.mark.parametrize(
    ("zone", "good_friday"),
    [
        ("Europe/Berlin", (utc(2019, 4, 18, 22), utc(2019, 4, 19, 22))),
        ("America/New_York", (utc(2019, 4, 19, 4), utc(2019, 4, 20, 4))),
        ("Asia/Kolkata", (utc(2019, 4, 18, 18, 30), utc(2019, 4, 19, 18, 30))),
    ],
)
def test_outlook_all_day_events_block_the_hosts_local_day(zone, good_friday):
    r = load("Germany.ics", utc(2019, 4, 15), utc(2019, 4, 25), zone=zone)
    assert r.errors == []
    by_name = {b.summary.strip(): (b.start, b.end) for b in r.busy}
    assert by_name["Germany: Good Friday"] == good_friday
    assert all(b.all_day for b in r.busy)
    assert sorted(by_name) == ["Germany: Easter Monday", "Germany: Good Friday"]


def test_outlook_whole_file_of_holidays_in_a_year():
    r = load("Germany.ics", utc(2019, 1, 1), utc(2020, 1, 1))
    assert (len(r.busy), r.errors) == (13, [])


def test_exchange_transparent_all_day_series_with_windows_zone_names_never_block():
    r = load("issue_28_rrule_with_UTC_endinginZ.ics", utc(2020, 3, 1), utc(2020, 10, 1), zone="Europe/London")
    assert r.busy == []
    assert r.free == 24


def test_exchange_rrule_with_spaces_in_its_day_list_is_read_as_meant():
    """Exchange writes BYDAY=MO, TU, WE, TH, FR (folded over two lines): a daily stand-up on weekdays, 10:00 in
    a custom "GMT +0100 / +0200" VTIMEZONE, until 22 July."""
    r = load("issue_165_missing_event.ics", utc(2015, 7, 1), utc(2015, 7, 30))
    assert r.errors == []
    days = [3, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 21, 22]
    assert spans(r) == [(utc(2015, 7, d, 8), utc(2015, 7, d, 8, 30)) for d in days]


def test_a_malformed_rrule_is_reported_not_raised():
    r = busy_from_ics(
        cal(
            "UID:bad\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=XX",
            "UID:good\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z",
        ),
        **WINDOW,
    )
    assert [b.uid for b in r.busy] == ["good"]
    assert len(r.errors) == 1 and r.errors[0].startswith("event 'bad': ")


def test_one_broken_series_beside_a_good_one_keeps_the_good_one():
    r = load("parsing_error.ics", utc(2008, 3, 1), utc(2008, 3, 6))
    assert spans(r) == [
        (utc(2008, 3, 2, 23), utc(2008, 3, 3, 23)),
        (utc(2008, 3, 3, 23), utc(2008, 3, 4, 23)),
        (utc(2008, 3, 4, 23), utc(2008, 3, 5, 23)),
    ]
    assert len(r.errors) == 1 and "EXDATE" in r.errors[0]


# --- hostile input -------------------------------------------------------------------------------------------


def cal(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


WINDOW = {"window_start": utc(2026, 3, 1), "window_end": utc(2026, 3, 8), "host_zone": "UTC"}


def test_a_daily_rule_forever_yields_only_the_window():
    with must_finish():
        r = busy_from_ics(
            cal("UID:f\r\nDTSTART:20200101T090000Z\r\nDTEND:20200101T100000Z\r\nRRULE:FREQ=DAILY"), **WINDOW
        )
    assert [b.start for b in r.busy] == [utc(2026, 3, d, 9) for d in range(1, 8)]


def test_until_year_5000():
    with must_finish():
        r = busy_from_ics(
            cal("UID:y\r\nDTSTART:20260302T090000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY;UNTIL=50001231T000000Z"),
            **WINDOW,
        )
    assert [(b.start, b.end) for b in r.busy] == [(utc(2026, 3, 2, 9), utc(2026, 3, 2, 9, 30))]


def test_sub_hourly_and_ancient_rules_are_refused_and_reported():
    with must_finish():
        r = busy_from_ics(
            cal(
                "UID:sec\r\nDTSTART:20260301T000000Z\r\nDTEND:20260301T000001Z\r\nRRULE:FREQ=SECONDLY",
                "UID:old\r\nDTSTART:00010101T090000Z\r\nDTEND:00010101T100000Z\r\nRRULE:FREQ=HOURLY",
                "UID:ok\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z",
            ),
            **WINDOW,
        )
    assert [b.uid for b in r.busy] == ["ok"]
    assert len(r.errors) == 2
    assert "SECONDLY recurrence is not supported" in r.errors[0]
    assert "repetitions before today" in r.errors[1]


def test_occurrences_per_series_are_capped():
    r = busy_from_ics(
        cal("UID:h\r\nDTSTART:20260301T000000Z\r\nDTEND:20260301T003000Z\r\nRRULE:FREQ=HOURLY"),
        max_occurrences=100,
        **WINDOW,
    )
    assert len(r.busy) == 100
    assert r.errors == ["event 'h': only the first 100 occurrences in the window imported"]


def test_a_huge_feed_imports_up_to_the_series_limit_and_says_so():
    events = [f"UID:e{i}\r\nDTSTART:20260302T{i % 24:02d}0000Z\r\nDURATION:PT15M" for i in range(3000)]
    with must_finish(60):
        r = busy_from_ics(cal(*events), max_series=1000, **WINDOW)
    assert len(r.busy) == 1000
    assert r.errors == ["2000 more event series not imported: the feed has over 1000"]


def test_garbage_between_events_is_reported_and_the_events_kept():
    text = (
        cal("UID:a\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z")
        + "this is not iCalendar\r\n\x00\x01"
        + "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z\r\nEND:VEVENT\r\n"
    )
    r = busy_from_ics(text, **WINDOW)
    assert sorted(b.uid for b in r.busy) == ["a", "b"]
    assert "read event by event" in r.errors[0]


@pytest.mark.parametrize("text", ["", "not a calendar", b"\xff\xfe\x00garbage", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"])
def test_nothing_usable_is_an_empty_result_not_an_exception(text):
    r = busy_from_ics(text, **WINDOW)
    assert r.busy == []


def test_floating_times_are_read_in_the_feeds_x_wr_timezone_else_the_hosts_zone():
    event = "UID:fl\r\nDTSTART:20260302T090000\r\nDTEND:20260302T100000"
    with_wr = cal(event).replace("PRODID:-//test//EN", "PRODID:-//test//EN\r\nX-WR-TIMEZONE:America/New_York")
    assert [b.start for b in busy_from_ics(with_wr, **{**WINDOW, "host_zone": "Europe/Berlin"}).busy] == [
        utc(2026, 3, 2, 14)
    ]
    assert [b.start for b in busy_from_ics(cal(event), **{**WINDOW, "host_zone": "Europe/Berlin"}).busy] == [
        utc(2026, 3, 2, 8)
    ]


def test_all_day_event_on_a_dst_day_blocks_the_whole_23_hour_local_day():
    r = busy_from_ics(
        cal("UID:d\r\nDTSTART;VALUE=DATE:20260329\r\nDTEND;VALUE=DATE:20260330"),
        window_start=utc(2026, 3, 20),
        window_end=utc(2026, 4, 5),
        host_zone="Europe/Berlin",
    )
    assert [(b.start, b.end) for b in r.busy] == [(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))]
