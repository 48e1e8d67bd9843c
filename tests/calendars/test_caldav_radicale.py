"""Against a real Radicale: busy time in, bookings out, incremental sync."""

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest

from slotwise.bookings.availability import event_availability
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.calendars.models import CalendarConnection, CalendarEvent
from slotwise.calendars.services import calendars_choose, connection_add_caldav
from slotwise.calendars.sync import sync_connection
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import BusyBlock
from tests import factories as f

from .conftest import vevent

pytestmark = pytest.mark.django_db(transaction=True)


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def slots_on(et, day: date, now):
    res = event_availability(
        event_type=et,
        start=utc(day.year, day.month, day.day),
        end=utc(day.year, day.month, day.day) + timedelta(days=1),
        viewer_zone="UTC",
        now=now,
    )
    return [s.strftime("%H:%M") for s in res.days.get(day, [])]


@pytest.fixture
def berlin(db):
    org = f.org()
    host = f.host(org, tz="Europe/Berlin")
    et = f.event_type(
        host,
        duration_minutes=60,
        increment_minutes=60,
        location_value="https://meet.example.org/abc",
        location_kind="link",
    )
    return org, host, et


def connect(dav, host, now, *names):
    for n in names:
        dav.mkcalendar(n)
    conn = connection_add_caldav(membership=host, url=dav.base, username=dav.user, password="pw", now=now)
    return conn


WEEKLY_BERLIN = """
DTSTART;TZID=Europe/Berlin:20260310T100000
DTEND;TZID=Europe/Berlin:20260310T110000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=Europe/Berlin:20260324T100000
SUMMARY:Weekly team sync
---
RECURRENCE-ID;TZID=Europe/Berlin:20260317T100000
DTSTART;TZID=Europe/Berlin:20260317T140000
DTEND;TZID=Europe/Berlin:20260317T150000
SUMMARY:Weekly team sync (moved)
"""


def test_weekly_busy_event_with_moved_and_excluded_instance_across_dst_removes_exactly_its_slots(dav, berlin, now):
    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    dav.put(dav.base + f"{dav.user}/work/", "weekly.ics", vevent("weekly-1", WEEKLY_BERLIN))
    result = sync_connection(connection=conn, now=now)
    assert result.ok, result.errors

    # Host hours 09:00-17:00 Berlin: 08:00-16:00 UTC in winter (CET), 07:00-15:00 UTC from 29 March (CEST).
    assert slots_on(et, date(2026, 3, 9), now) == [
        "08:00",
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "13:00",
        "14:00",
        "15:00",
    ]
    # 10:00 CET = 09:00 UTC is busy
    assert slots_on(et, date(2026, 3, 10), now) == ["08:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]
    # moved to 14:00 CET = 13:00 UTC: 09:00 UTC is free again
    assert slots_on(et, date(2026, 3, 17), now) == ["08:00", "09:00", "10:00", "11:00", "12:00", "14:00", "15:00"]
    # excluded: the whole day is free
    assert slots_on(et, date(2026, 3, 24), now) == [
        "08:00",
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "13:00",
        "14:00",
        "15:00",
    ]
    # after the DST change 10:00 CEST = 08:00 UTC
    assert slots_on(et, date(2026, 3, 31), now) == ["07:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00"]
    assert slots_on(et, date(2026, 4, 14), now) == ["07:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00"]
    # COUNT=6 ended with 14 April
    assert slots_on(et, date(2026, 4, 21), now) == [
        "07:00",
        "08:00",
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "13:00",
        "14:00",
    ]

    blocks = sorted(BusyBlock.objects.filter(source=f"calendar:{conn.pk}").values_list("start", "end"))
    assert blocks == [
        (utc(2026, 3, 10, 9), utc(2026, 3, 10, 10)),
        (utc(2026, 3, 17, 13), utc(2026, 3, 17, 14)),
        (utc(2026, 3, 31, 8), utc(2026, 3, 31, 9)),
        (utc(2026, 4, 7, 8), utc(2026, 4, 7, 9)),
        (utc(2026, 4, 14, 8), utc(2026, 4, 14, 9)),
    ]


def test_incremental_sync_picks_up_an_edit_and_a_delete(dav, berlin, now):
    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    cal = dav.base + f"{dav.user}/work/"
    dav.put(cal, "a.ics", vevent("a", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z\nSUMMARY:A"))
    dav.put(cal, "b.ics", vevent("b", "DTSTART:20260304T120000Z\nDTEND:20260304T130000Z\nSUMMARY:B"))
    first = sync_connection(connection=conn, now=now)
    assert (first.ok, first.changed, first.busy_written) == (True, 2, 2)
    token = conn.calendars.get().sync_token
    assert token

    dav.put(cal, "a.ics", vevent("a", "DTSTART:20260303T140000Z\nDTEND:20260303T150000Z\nSUMMARY:A moved"))
    dav.delete(cal, "b.ics")
    later = now + timedelta(minutes=15)
    second = sync_connection(connection=conn, now=later)
    assert (second.ok, second.changed, second.deleted) == (True, 1, 1)
    assert conn.calendars.get().sync_token != token
    assert list(BusyBlock.objects.filter(source=f"calendar:{conn.pk}").values_list("start", "end", "label")) == [
        (utc(2026, 3, 3, 14), utc(2026, 3, 3, 15), "A moved")
    ]
    assert slots_on(et, date(2026, 3, 3), later) == ["08:00", "09:00", "10:00", "11:00", "12:00", "13:00", "15:00"]
    assert slots_on(et, date(2026, 3, 4), later) == [
        "08:00",
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "13:00",
        "14:00",
        "15:00",
    ]

    # Nothing changed: nothing re-fetched, nothing rewritten.
    third = sync_connection(connection=conn, now=later + timedelta(minutes=15))
    assert (third.changed, third.deleted, third.busy_written) == (0, 0, 0)


def test_a_forgotten_sync_token_means_a_full_sync(dav, berlin, now):
    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    cal = dav.base + f"{dav.user}/work/"
    dav.put(cal, "a.ics", vevent("a", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z"))
    sync_connection(connection=conn, now=now)
    conn.calendars.update(sync_token="http://radicale.org/ns/sync/not-a-token")
    dav.put(cal, "c.ics", vevent("c", "DTSTART:20260305T090000Z\nDTEND:20260305T100000Z"))
    result = sync_connection(connection=conn, now=now)
    assert result.ok
    assert sorted(BusyBlock.objects.filter(source=f"calendar:{conn.pk}").values_list("start", flat=True)) == [
        utc(2026, 3, 3, 9),
        utc(2026, 3, 5, 9),
    ]


def test_only_the_chosen_conflict_calendars_block(dav, berlin, now):
    org, host, et = berlin
    conn = connect(dav, host, now, "work", "birthdays")
    work = conn.calendars.get(remote_id__endswith="/work/")
    dav.put(dav.base + f"{dav.user}/work/", "w.ics", vevent("w", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z"))
    dav.put(
        dav.base + f"{dav.user}/birthdays/", "b.ics", vevent("b", "DTSTART:20260303T110000Z\nDTEND:20260303T120000Z")
    )
    sync_connection(connection=conn, now=now)
    assert BusyBlock.objects.filter(source=f"calendar:{conn.pk}").count() == 2
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=None)
    sync_connection(connection=conn, now=now)
    assert list(BusyBlock.objects.filter(source=f"calendar:{conn.pk}").values_list("start", flat=True)) == [
        utc(2026, 3, 3, 9)
    ]


def _only_event(dav, cal_url):
    objs = dav.objects(cal_url)
    assert len(objs) == 1, objs
    href, text = next(iter(objs.items()))
    return href, next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))


def test_a_booking_appears_in_the_write_back_calendar_moves_on_reschedule_and_disappears_on_cancel(
    dav, berlin, now, monkeypatch
):
    clock = [now]
    monkeypatch.setattr("slotwise.calendars.tasks.utc_now", lambda: clock[0])
    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    work = conn.calendars.get()
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=work.pk)
    cal_url = work.remote_id

    invitee = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Ada Lovelace", email="ada@example.org", timezone="Europe/London"),
        now=now,
    )
    assert run_due(now) >= 1
    href, ev = _only_event(dav, cal_url)
    assert ev["DTSTART"].dt == utc(2026, 3, 3, 10)
    assert ev["DTEND"].dt == utc(2026, 3, 3, 11)
    assert str(ev["LOCATION"]) == "https://meet.example.org/abc"
    assert "https://meet.example.org/abc" in str(ev["DESCRIPTION"])
    attendee = ev["ATTENDEE"]
    assert str(attendee) == "mailto:ada@example.org"
    assert attendee.params["CN"] == "Ada Lovelace"
    assert attendee.params["SCHEDULE-AGENT"] == "CLIENT"
    assert str(ev["ORGANIZER"]) == f"mailto:{host.user.email}"

    # Syncing the calendar back does not count our own copy twice (the booking already blocks that hour).
    sync_connection(connection=conn, now=now)
    assert BusyBlock.objects.filter(source=f"calendar:{conn.pk}").count() == 0

    clock[0] = now + timedelta(minutes=5)
    moved = booking_reschedule(invitee=invitee, new_start=utc(2026, 3, 5, 13), now=clock[0])
    run_due(clock[0])
    href2, ev2 = _only_event(dav, cal_url)
    assert href2 == href  # moved, not deleted and recreated
    assert ev2["SEQUENCE"] == ev["SEQUENCE"] + 1  # newer, so calendar apps take the move
    assert ev2["DTSTART"].dt == utc(2026, 3, 5, 13)
    assert CalendarEvent.objects.get().booking_id == moved.booking_id

    booking_cancel(booking=moved.booking, now=now + timedelta(minutes=6), reason="ill")
    run_due(now + timedelta(minutes=6))
    assert dav.objects(cal_url) == {}
    assert CalendarEvent.objects.count() == 0


def test_no_write_back_target_no_job(dav, berlin, now):
    from slotwise.jobs.models import Job

    org, host, et = berlin
    connect(dav, host, now, "work")
    booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Ada", email="ada@example.org", timezone="UTC"),
        now=now,
    )
    assert not Job.objects.filter(kind="calendars.writeback").exists()


def test_an_unreachable_calendar_is_busy_or_free_as_the_host_chose(dav, berlin, now):
    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    dav.put(dav.base + f"{dav.user}/work/", "a.ics", vevent("a", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z"))
    sync_connection(connection=conn, now=now)
    from tests.calendars.conftest import free_port

    CalendarConnection.objects.filter(pk=conn.pk).update(url=f"http://127.0.0.1:{free_port()}/")
    conn.refresh_from_db()

    soon = now + timedelta(minutes=15)
    result = sync_connection(connection=conn, now=soon)
    conn.refresh_from_db()
    assert not result.ok
    assert "could not reach the server" in conn.last_error
    assert "pw" not in conn.last_error
    assert (conn.failures, conn.last_sync_at, conn.last_success_at) == (1, soon, now)
    # one failed poll: what we hold is 15 minutes old and still counts, nothing more is blocked
    assert slots_on(et, date(2026, 3, 3), soon) == ["08:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]

    later = now + timedelta(minutes=30)
    sync_connection(connection=conn, now=later)
    assert slots_on(et, date(2026, 3, 3), later) == []  # busy: nothing offered while we cannot see the calendar

    conn.refresh_from_db()
    conn.unreachable = CalendarConnection.Unreachable.FREE
    conn.save()
    sync_connection(connection=conn, now=later)
    # free: the busy time last synced still counts, the rest is offered
    assert slots_on(et, date(2026, 3, 3), later) == ["08:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]


def test_time_range_report_returns_only_events_in_the_window(dav, berlin, now):
    """The fallback for servers without sync-collection: a calendar-query with a time-range."""
    from slotwise.calendars.adapters.caldav import CalDAV

    cal = dav.mkcalendar("work")
    dav.put(cal, "in.ics", vevent("in", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z"))
    dav.put(cal, "out.ics", vevent("out", "DTSTART:20270303T090000Z\nDTEND:20270303T100000Z"))
    dav.put(cal, "weekly.ics", vevent("weekly", "DTSTART:20250106T090000Z\nDTEND:20250106T100000Z\nRRULE:FREQ=WEEKLY"))
    changes = CalDAV(dav.base, dav.user, "pw")._time_range(cal, (now, now + timedelta(days=30)))
    assert changes.full is True
    assert sorted(r.href.rsplit("/", 1)[1] for r in changes.upserts) == ["in.ics", "weekly.ics"]


def test_a_round_robin_reschedule_to_another_host_moves_the_event_between_their_calendars(radicale_server, now):
    from slotwise.scheduling.models import EventType

    from .conftest import Dav

    org = f.org()
    a, b = f.host(org, "alice"), f.host(org, "bob")
    team = f.team(org, [a, b])
    rr = f.event_type(team=team, name="Support call", kind=EventType.Kind.ROUND_ROBIN, duration_minutes=30)
    f.pool(rr, [a, b])
    cals = {}
    for m in (a, b):
        d = Dav(radicale_server)
        url = d.mkcalendar("work")
        conn = connection_add_caldav(membership=m, url=d.base, username=d.user, password="pw", now=now)
        target = conn.calendars.get()
        calendars_choose(connection=conn, conflicts={target.pk}, writeback=target.pk)
        cals[m.pk] = (d, url)
    inv = booking_create(
        event_type=rr,
        start=utc(2026, 3, 3, 9),
        host=a,
        invitee=InviteeInput(name="Ada", email="ada@example.org", timezone="UTC"),
        now=now,
    )
    run_due(now)
    assert len(cals[a.pk][0].objects(cals[a.pk][1])) == 1
    assert cals[b.pk][0].objects(cals[b.pk][1]) == {}
    booking_reschedule(invitee=inv, new_start=utc(2026, 3, 4, 9), host=b, now=now)
    run_due(now)
    assert cals[a.pk][0].objects(cals[a.pk][1]) == {}
    href, ev = _only_event(cals[b.pk][0], cals[b.pk][1])
    assert ev["DTSTART"].dt == utc(2026, 3, 4, 9)


def test_the_sync_job_syncs_and_schedules_the_next_poll(dav, berlin, now, monkeypatch):
    from slotwise.jobs.models import Job

    monkeypatch.setattr("slotwise.calendars.tasks.utc_now", lambda: now)
    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    dav.put(dav.base + f"{dav.user}/work/", "a.ics", vevent("a", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z"))
    assert run_due(now, kinds=["calendars.sync"]) == 1
    conn.refresh_from_db()
    assert conn.last_success_at == now
    assert BusyBlock.objects.filter(source=conn.busy_source).count() == 1
    nxt = Job.objects.get(kind="calendars.sync", status="pending")
    assert nxt.due_at == now + timedelta(minutes=15)
    assert run_due(now, kinds=["calendars.sync"]) == 0  # nothing due before the next poll


def test_a_zoom_booking_waits_for_its_link_before_writing_the_event(dav, berlin, now):
    from slotwise.bookings.models import Booking
    from slotwise.calendars.writeback import writeback_reconcile

    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    work = conn.calendars.get()
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=work.pk)
    inv = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Ada", email="ada@example.org", timezone="UTC"),
        now=now,
    )
    Booking.objects.filter(pk=inv.booking_id).update(location_kind="zoom", location="")
    with pytest.raises(LookupError, match="no Zoom link yet"):
        writeback_reconcile(booking_id=inv.booking_id, now=now)
    Booking.objects.filter(pk=inv.booking_id).update(location="https://zoom.us/j/123")
    writeback_reconcile(booking_id=inv.booking_id, now=now)
    href, ev = _only_event(dav, work.remote_id)
    assert str(ev["LOCATION"]) == "https://zoom.us/j/123"


def test_cancel_racing_the_create_deletes_the_event_by_its_known_name_not_the_calendar(dav, berlin, now):
    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    work = conn.calendars.get()
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=work.pk)
    inv = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Ada", email="ada@example.org", timezone="UTC"),
        now=now,
    )
    run_due(now)
    CalendarEvent.objects.update(href="")  # as if the create's answer was never recorded
    booking_cancel(booking=inv.booking, now=now)
    run_due(now)
    assert dav.objects(work.remote_id) == {}
    assert dav.s.request("PROPFIND", work.remote_id, headers={"Depth": "0"}).status_code == 207  # still there


def test_discovery_through_a_well_known_redirect_keeps_the_propfind(dav, berlin, now):
    """Most servers answer /.well-known/caldav with a 301 to the DAV root; the PROPFIND must survive it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = []

    class Front(BaseHTTPRequestHandler):
        def _any(self):
            seen.append((self.command, self.path))
            self.send_response(301)
            self.send_header("Location", dav.base)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_PROPFIND = do_GET = _any

        def log_message(self, *a):
            pass

    front = ThreadingHTTPServer(("127.0.0.1", 0), Front)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        org, host, et = berlin
        dav.mkcalendar("work")
        conn = connection_add_caldav(
            membership=host,
            url=f"http://127.0.0.1:{front.server_port}/.well-known/caldav",
            username=dav.user,
            password="pw",
            now=now,
        )
        assert [c.remote_id for c in conn.calendars.all()] == [f"{dav.base}{dav.user}/work/"]
        assert seen[0] == ("PROPFIND", "/.well-known/caldav/")
    finally:
        front.shutdown()
        front.server_close()


def test_a_group_event_lists_every_seated_invitee_and_drops_one_who_leaves(dav, now):
    from slotwise.bookings.services import invitee_cancel
    from slotwise.scheduling.models import EventType

    org = f.org()
    host = f.host(org)
    et = f.event_type(host, name="Workshop", kind=EventType.Kind.GROUP, seats=3, duration_minutes=60)
    conn = connect(dav, host, now, "work")
    work = conn.calendars.get()
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=work.pk)
    ada = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Ada", email="ada@example.org", timezone="UTC"),
        now=now,
    )
    run_due(now)
    sync_connection(connection=conn, now=now)  # our copy comes back from the server: it must not take the seat
    bob = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Bob", email="bob@example.org", timezone="UTC"),
        now=now,
    )
    assert bob.booking_id == ada.booking_id
    run_due(now)

    def attendees():
        href, ev = _only_event(dav, work.remote_id)
        found = ev.get("ATTENDEE")
        return sorted(str(a) for a in (found if isinstance(found, list) else [found]))

    assert attendees() == ["mailto:ada@example.org", "mailto:bob@example.org"]
    invitee_cancel(invitee=ada, now=now)
    run_due(now)
    assert attendees() == ["mailto:bob@example.org"]
    bob.refresh_from_db()
    invitee_cancel(invitee=bob, now=now)
    run_due(now)
    assert dav.objects(work.remote_id) == {}


def test_free_busy_report_from_radicale(dav, now):
    from slotwise.calendars.adapters.caldav import CalDAV

    cal = dav.mkcalendar("work")
    dav.put(cal, "w.ics", vevent("w", "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3"))
    dav.put(cal, "t.ics", vevent("t", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z\nTRANSP:TRANSPARENT"))
    periods = CalDAV(dav.base, dav.user, "pw").free_busy(cal, (now, now + timedelta(days=30)))
    assert periods == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        (utc(2026, 3, 9, 9), utc(2026, 3, 9, 10)),
        (utc(2026, 3, 16, 9), utc(2026, 3, 16, 10)),
    ]


def test_a_calendar_shared_as_free_busy_only_is_read_with_the_free_busy_report(dav, berlin, now, monkeypatch):
    from slotwise.calendars.adapters.base import AdapterError
    from slotwise.calendars.adapters.caldav import CalDAV

    org, host, et = berlin
    conn = connect(dav, host, now, "work")
    dav.put(dav.base + f"{dav.user}/work/", "w.ics", vevent("w", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z"))

    def refuse(self, calendar_id, token, window=None):  # what a server says for a free/busy-only share
        raise AdapterError(f"REPORT calendar-query {calendar_id}: HTTP 403", status=403)

    monkeypatch.setattr(CalDAV, "changes", refuse)
    assert sync_connection(connection=conn, now=now).ok
    assert blocks_of(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]
    assert slots_on(et, date(2026, 3, 3), now) == ["08:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]


def blocks_of(conn):
    return sorted(BusyBlock.objects.filter(source=conn.busy_source).values_list("start", "end"))


def test_a_calendar_deleted_on_the_server_stops_blocking_and_the_host_is_told(dav, berlin, now):
    org, host, et = berlin
    conn = connect(dav, host, now, "work", "old-project")
    old = dav.base + f"{dav.user}/old-project/"
    dav.put(old, "a.ics", vevent("a", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z"))
    sync_connection(connection=conn, now=now)
    assert blocks_of(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]
    assert dav.s.delete(old).status_code in (200, 204)
    assert sync_connection(connection=conn, now=now).ok
    conn.refresh_from_db()
    assert blocks_of(conn) == []
    assert [c.name for c in conn.calendars.all()] == [f"{dav.user}/work"]
    assert conn.import_report == [
        f"calendar '{dav.user}/old-project' no longer exists on the server; it was removed here"
    ]
