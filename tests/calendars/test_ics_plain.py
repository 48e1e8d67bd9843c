"""The plain-event reader (calendars/ics_plain.py) gives exactly the busy time of the full icalendar path,
on generated feeds and on the DST cases it must hand over."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.calendars.ics import busy_from_ics

WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Custom/Zone"]
# Near the DST changes of 2026 (Berlin 29 Mar / 25 Oct, New York 8 Mar / 1 Nov), and elsewhere.
DAYS = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1), date(2026, 6, 10)]
DAYS += [date(2026, 2, 28), date(2026, 3, 1), date(2026, 11, 30), date(2026, 12, 2)]  # the window's ends


def both(text, host_zone="Europe/Berlin"):
    kw = {"window_start": WINDOW[0], "window_end": WINDOW[1], "host_zone": host_zone}
    return busy_from_ics(text, **kw), busy_from_ics(text, read_plain=False, **kw)


def key(result):
    busy = sorted((b.uid, b.recurrence_id, b.start, b.end, b.summary, b.all_day) for b in result.busy)
    return busy, result.free, result.series


@st.composite
def when(draw, *, all_day):
    day = draw(st.sampled_from(DAYS)) + timedelta(days=draw(st.integers(-1, 1)))
    if all_day:
        return f"DTSTART;VALUE=DATE:{day:%Y%m%d}" if draw(st.booleans()) else f"DTSTART:{day:%Y%m%d}", day
    clock = draw(st.sampled_from(["000000", "013000", "020000", "023000", "030000", "100000", "233000"]))
    form = draw(st.sampled_from(["tzid", "utc"]))
    if form == "utc":
        return f"DTSTART:{day:%Y%m%d}T{clock}Z", day
    return f"DTSTART;TZID={draw(st.sampled_from(ZONES))}:{day:%Y%m%d}T{clock}", day


@st.composite
def event(draw, n):
    all_day = draw(st.booleans())
    start, day = draw(when(all_day=all_day))
    lines = ["BEGIN:VEVENT", f"UID:{draw(st.sampled_from([f'e{n}', 'shared']))}", "DTSTAMP:20260101T000000Z", start]
    zone = start.partition("TZID=")[2].partition(":")[0]
    end = draw(st.sampled_from(["dtend", "duration", "none"]))
    if end == "dtend" and all_day:
        lines.append(f"DTEND;VALUE=DATE:{day + timedelta(days=draw(st.integers(0, 3))):%Y%m%d}")
    elif end == "dtend":
        stop = day + timedelta(days=draw(st.integers(0, 1)))
        clock = draw(st.sampled_from(["003000", "023000", "031500", "110000"]))
        lines.append(f"DTEND;TZID={zone}:{stop:%Y%m%d}T{clock}" if zone else f"DTEND:{stop:%Y%m%d}T{clock}Z")
    elif end == "duration":
        lines.append("DURATION:" + draw(st.sampled_from(["PT1H", "PT30M", "P1D", "PT90M", "P1W", "PT0S"])))
    lines.append(f"SUMMARY:{draw(st.sampled_from(['Standup', 'Lunch, with Ana', 'Café', 'a' * 90]))}")
    for extra in draw(
        st.lists(
            st.sampled_from(
                [
                    "TRANSP:TRANSPARENT",
                    "TRANSP:OPAQUE",
                    "STATUS:CANCELLED",
                    "STATUS:CONFIRMED",
                    "RRULE:FREQ=WEEKLY;COUNT=3",
                    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
                    "LOCATION:Room 1",
                ]
            ),
            max_size=2,
            unique=True,
        )
    ):
        lines.append(extra)
    if draw(st.booleans()):
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "DURATION:PT5M", "END:VALARM"]
    lines.append("END:VEVENT")
    return lines


def fold(line, width):
    """RFC 5545 folding: continuation lines start with one space."""
    parts = [line[:width]] + [" " + line[i : i + width - 1] for i in range(width, len(line), width - 1)]
    return parts


@st.composite
def feed(draw):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    if draw(st.booleans()):
        lines.append(f"X-WR-TIMEZONE:{draw(st.sampled_from(['Europe/Berlin', 'America/New_York']))}")
    if draw(st.booleans()):
        lines += ["BEGIN:VTIMEZONE", "TZID:Custom/Zone", "BEGIN:STANDARD", "DTSTART:19700101T000000",
                  "TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD", "END:VTIMEZONE"]  # fmt: skip
    for n in range(draw(st.integers(1, 8))):
        lines += draw(event(n))
    lines.append("END:VCALENDAR")
    width = draw(st.sampled_from([0, 20, 75]))
    if width:
        lines = [part for line in lines for part in fold(line, width)]
    return draw(st.sampled_from(["\r\n", "\n"])).join(lines) + "\r\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=feed(), host_zone=st.sampled_from(["Europe/Berlin", "Pacific/Kiritimati", "America/Los_Angeles"]))
def test_plain_reader_gives_the_busy_time_of_the_full_path(text, host_zone):
    fast, full = both(text, host_zone)
    assert key(fast) == key(full)


def feed_of(*events):
    body = [line for e in events for line in ["BEGIN:VEVENT", *e, "END:VEVENT"]]
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *body, "END:VCALENDAR"]) + "\r\n"


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def test_dst_cases_read_by_the_policy_or_handed_over():
    text = feed_of(
        # Berlin, 25 Oct 2026: 02:30 happens twice; the earlier instant (CEST) is the one read.
        ["UID:fold", "DTSTART;TZID=Europe/Berlin:20261025T023000", "DTEND;TZID=Europe/Berlin:20261025T033000"],
        # Berlin, 29 Mar 2026: 02:30 does not exist; the full path decides.
        ["UID:gap", "DTSTART;TZID=Europe/Berlin:20260329T023000", "DTEND;TZID=Europe/Berlin:20260329T040000"],
        # DURATION is added on the wall clock: 01:30 + 1 h ends at 02:30, in the fold, so at its earlier instant.
        ["UID:across", "DTSTART;TZID=Europe/Berlin:20261025T013000", "DURATION:PT1H"],
    )
    fast, full = both(text)
    assert key(fast) == key(full)
    assert {b.uid: (b.start, b.end) for b in fast.busy} == {
        "fold": (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30)),
        "gap": (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2)),
        "across": (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 30)),
    }


def test_a_utc_event_of_nominal_days_under_x_wr_timezone_lasts_that_zones_days():
    """Found by the property test: P1D from 00:00Z on Berlin's spring-forward day, in a calendar whose
    X-WR-TIMEZONE is Berlin, ends at 23:00Z (one wall-clock day there), not 24 hours later."""
    text = feed_of(["UID:day", "DTSTAMP:20260101T000000Z", "DTSTART:20260329T000000Z", "DURATION:P1D"]).replace(
        "VERSION:2.0\r\n", "VERSION:2.0\r\nX-WR-TIMEZONE:Europe/Berlin\r\n"
    )
    fast, full = both(text, "Europe/Berlin")
    assert key(fast) == key(full)
    assert [(b.start, b.end) for b in fast.busy] == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))]
