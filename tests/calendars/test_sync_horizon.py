"""Issue 10, "busy time beyond the sync horizon": calendars are read as far as the longest bounded booking
window of the host's event types; past what was read (an unlimited window) a time is refused with
Reason.NOT_SYNCED, never offered as free. Through a real Radicale, the selectors, the engine and the
booking service."""

from datetime import UTC, date, datetime, timedelta

import pytest

from slotwise import engine
from slotwise.bookings import availability
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.calendars.services import calendars_choose, connection_add_caldav
from slotwise.calendars.sync import sync_connection
from slotwise.core.errors import SlotUnavailable
from slotwise.scheduling.models import BusyCoverage, EventType
from tests import factories as f

from .conftest import vevent

pytestmark = pytest.mark.django_db(transaction=True)


def weekday_after(now: datetime, days: int) -> datetime:
    d: date = (now + timedelta(days=days)).date()
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return datetime(d.year, d.month, d.day, 10, tzinfo=UTC)  # inside the host's 09-17 UTC hours


def offered(et, start: datetime, now) -> bool:
    res = availability.event_availability(
        event_type=et, start=start, end=start + timedelta(hours=1), viewer_zone="UTC", now=now
    )
    return start in res.starts()


def reasons(et, start: datetime, now) -> list:
    inputs = availability.host_inputs(et, [et.owner], start=start, end=start + timedelta(hours=1))
    return engine.explain(inputs.rules, inputs.hosts[0], now=now, start=start)


def book(et, start, now):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name="Ada", email="ada@example.org", timezone="UTC")
    )


def connected(dav, now, **event_kw):
    host = f.host(f.org())
    et = f.event_type(host, duration_minutes=60, increment_minutes=60, **event_kw)
    cal_url = dav.mkcalendar("work")
    conn = connection_add_caldav(membership=host, url=dav.base, username=dav.user, password="pw", now=now)
    calendars_choose(connection=conn, conflicts={conn.calendars.get().pk}, writeback=None)
    return host, et, conn, cal_url


def test_busy_time_beyond_the_sync_horizon_a_365_day_window_reads_the_calendar_that_far(dav, now):
    host, et, conn, cal_url = connected(dav, now, window_kind=EventType.WindowKind.ROLLING, window_days=365)
    far = weekday_after(now, 300)
    assert offered(et, far, now)  # before the calendar says anything

    stamp = far.strftime("%Y%m%dT%H%M%SZ")
    end = (far + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    dav.put(cal_url, "far.ics", vevent("far-away@example.org", f"DTSTART:{stamp}\nDTEND:{end}\nSUMMARY:Offsite"))
    assert sync_connection(connection=conn, now=now).ok

    coverage = BusyCoverage.objects.get(membership=host)
    assert coverage.known_until >= now + timedelta(days=365)
    assert not offered(et, far, now)
    assert reasons(et, far, now) == [engine.Reason.BUSY]
    with pytest.raises(SlotUnavailable, match="the host is busy then"):
        book(et, far, now)
    assert offered(et, far + timedelta(days=1), now)  # the next day is free and known to be


def test_busy_time_beyond_the_sync_horizon_an_unlimited_window_is_refused_past_what_was_read(dav, now):
    host, et, conn, cal_url = connected(dav, now, window_kind=EventType.WindowKind.UNLIMITED, window_days=None)
    assert sync_connection(connection=conn, now=now).ok
    known_until = BusyCoverage.objects.get(membership=host).known_until
    assert known_until == now + timedelta(days=180)  # SLOTWISE_CALENDAR_WINDOW_DAYS

    inside, beyond = weekday_after(now, 150), weekday_after(now, 300)
    assert offered(et, inside, now)
    assert not offered(et, beyond, now)
    assert reasons(et, beyond, now) == [engine.Reason.NOT_SYNCED]
    with pytest.raises(SlotUnavailable, match="calendar is not synced that far ahead"):
        book(et, beyond, now)
    assert book(et, inside, now).booking.start == inside

    # The edge: a meeting must end (with its buffer) by the horizon.
    last = known_until.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    assert engine.Reason.NOT_SYNCED not in reasons(et, last, now)
    assert engine.Reason.NOT_SYNCED in reasons(et, last + timedelta(hours=1), now)


def test_a_host_without_a_connected_calendar_has_no_horizon(db, now):
    host = f.host(f.org())
    et = f.event_type(
        host, duration_minutes=60, increment_minutes=60, window_kind=EventType.WindowKind.UNLIMITED, window_days=None
    )
    assert offered(et, weekday_after(now, 2000), now)


def test_the_sync_horizon_follows_the_longest_window_among_own_pooled_and_team_events(db, now, settings):
    from slotwise.calendars.models import CalendarConnection
    from slotwise.calendars.sync import horizon_days

    org = f.org()
    a, b = f.host(org, "a"), f.host(org, "b")
    conn = CalendarConnection.objects.create(organization=org, membership=a, kind="caldav")
    f.event_type(a, window_kind=EventType.WindowKind.ROLLING, window_days=60)
    f.event_type(a, window_kind=EventType.WindowKind.UNLIMITED)  # cannot be read to its end: refused past
    assert horizon_days(conn, now) == 180
    team = f.team(org, [a, b])
    rr = f.event_type(
        team=team, kind=EventType.Kind.ROUND_ROBIN, window_kind=EventType.WindowKind.ROLLING, window_days=365
    )
    f.pool(rr, [b])
    assert horizon_days(conn, now) == 180  # a pooled event without a: not a's calendar's business
    f.pool(rr, [a])
    assert horizon_days(conn, now) == 367
    f.event_type(
        team=team,
        kind=EventType.Kind.COLLECTIVE,
        window_kind=EventType.WindowKind.RANGE,
        window_start=now.date(),
        window_end=now.date() + timedelta(days=700),
    )  # no pool: the team
    assert horizon_days(conn, now) == 703
    f.event_type(a, window_kind=EventType.WindowKind.ROLLING, window_days=3650)
    settings.SLOTWISE_CALENDAR_MAX_WINDOW_DAYS = 1000
    assert horizon_days(conn, now) == 1000
