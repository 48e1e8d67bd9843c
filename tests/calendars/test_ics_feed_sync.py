"""ICS feed URLs: conditional fetches, size cap, timeout, errors shown to the host, window roll-forward."""

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from slotwise.calendars.models import CalendarConnection
from slotwise.calendars.services import calendars_choose, connection_add_ics
from slotwise.calendars.sync import sync_connection
from slotwise.core.errors import InvalidInput
from slotwise.scheduling.models import BusyBlock
from tests import factories as f

from .test_ics_import import cal

pytestmark = pytest.mark.django_db


def utc(*a):
    return datetime(*a, tzinfo=UTC)


class Feed:
    def __init__(self):
        self.body = b""
        self.etag = '"v1"'
        self.last_modified = "Sun, 01 Mar 2026 10:00:00 GMT"
        self.status = 200
        self.delay = 0.0
        self.requests: list[dict] = []


@pytest.fixture
def feed_server():
    feed = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            feed.requests.append(dict(self.headers))
            if feed.delay:
                time.sleep(feed.delay)
            if feed.status != 200:
                self.send_response(feed.status)
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == feed.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            if feed.etag:
                self.send_header("ETag", feed.etag)
            if feed.last_modified:
                self.send_header("Last-Modified", feed.last_modified)
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed.url = f"http://127.0.0.1:{server.server_port}/private/basic.ics"
    yield feed
    server.shutdown()
    server.server_close()


@pytest.fixture
def host(db):
    return f.host(f.org(), tz="Europe/Berlin")


def blocks(conn):
    return sorted(BusyBlock.objects.filter(source=conn.busy_source).values_list("start", "end"))


def test_a_feed_is_fetched_then_only_refetched_when_it_changed(feed_server, host, now):
    feed_server.body = cal("UID:a\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z").encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, name="Holidays", now=now)
    assert sync_connection(connection=conn, now=now).ok
    assert blocks(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]
    assert "If-None-Match" not in feed_server.requests[0]

    second = sync_connection(connection=conn, now=now + timedelta(minutes=15))
    assert feed_server.requests[1]["If-None-Match"] == '"v1"'
    assert feed_server.requests[1]["If-Modified-Since"] == "Sun, 01 Mar 2026 10:00:00 GMT"
    assert (second.changed, second.busy_written) == (0, 0)
    assert blocks(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]

    feed_server.body = cal("UID:a\r\nDTSTART:20260304T090000Z\r\nDTEND:20260304T100000Z").encode()
    feed_server.etag = '"v2"'
    third = sync_connection(connection=conn, now=now + timedelta(minutes=30))
    assert third.changed == 1
    assert blocks(conn) == [(utc(2026, 3, 4, 9), utc(2026, 3, 4, 10))]


def test_a_server_without_etag_sending_the_same_bytes_is_not_read_again(feed_server, host, now):
    """Many feed hosts answer every GET with 200 and no validators: the same body is recognised by its hash,
    and only a different body is read again."""
    feed_server.etag = feed_server.last_modified = ""
    feed_server.body = cal("UID:a\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z").encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    assert sync_connection(connection=conn, now=now).busy_written == 1
    ids = list(BusyBlock.objects.filter(source=conn.busy_source).values_list("pk", flat=True))

    again = sync_connection(connection=conn, now=now + timedelta(minutes=15))
    assert "If-None-Match" not in feed_server.requests[1]
    assert (again.ok, again.changed, again.busy_written) == (True, 0, 0)
    assert list(BusyBlock.objects.filter(source=conn.busy_source).values_list("pk", flat=True)) == ids

    feed_server.body = cal("UID:a\r\nDTSTART:20260305T090000Z\r\nDTEND:20260305T100000Z").encode()
    changed = sync_connection(connection=conn, now=now + timedelta(minutes=30))
    assert changed.changed == 1
    assert blocks(conn) == [(utc(2026, 3, 5, 9), utc(2026, 3, 5, 10))]


def test_the_window_rolls_forward_without_refetching(feed_server, host, now, settings):
    settings.SLOTWISE_CALENDAR_WINDOW_DAYS = 7
    feed_server.body = cal("UID:w\r\nDTSTART:20260302T120000Z\r\nDTEND:20260302T130000Z\r\nRRULE:FREQ=WEEKLY").encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    sync_connection(connection=conn, now=now)
    assert blocks(conn) == [(utc(2026, 3, 2, 12), utc(2026, 3, 2, 13))]
    a_day_later = now + timedelta(days=1)
    sync_connection(connection=conn, now=a_day_later)  # 304, but the stored feed is expanded again
    assert blocks(conn) == [(utc(2026, 3, 2, 12), utc(2026, 3, 2, 13)), (utc(2026, 3, 9, 12), utc(2026, 3, 9, 13))]


def test_import_problems_are_kept_for_the_host_to_see(feed_server, host, now):
    feed_server.body = cal(
        "UID:ok\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z",
        "UID:bad\r\nDTSTART:20260301T000000Z\r\nDTEND:20260301T000001Z\r\nRRULE:FREQ=MINUTELY",
    ).encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    sync_connection(connection=conn, now=now)
    conn.refresh_from_db()
    assert conn.last_error == ""
    assert conn.import_report == ["event 'bad': ValueError: MINUTELY recurrence is not supported for busy time"]
    assert blocks(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda s, feed: setattr(feed, "status", 404), "HTTP 404"),
        (lambda s, feed: setattr(s, "SLOTWISE_CALENDAR_MAX_BYTES", 1000), "larger than"),
        (
            lambda s, feed: (setattr(s, "SLOTWISE_CALENDAR_HTTP_TIMEOUT", 0.3), setattr(feed, "delay", 1.0)),
            "could not reach",
        ),
    ],
    ids=["not-found", "too-big", "timeout"],
)
def test_a_feed_that_fails_is_recorded_not_raised(feed_server, host, now, settings, setup, error):
    feed_server.body = cal(
        *[f"UID:e{i}\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z" for i in range(40)]
    ).encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    setup(settings, feed_server)
    result = sync_connection(connection=conn, now=now)
    conn.refresh_from_db()
    assert not result.ok
    assert error in conn.last_error
    assert conn.failures == 1
    # the host chose nothing: unreachable means busy by default, for the whole window
    assert blocks(conn) == [(now, now + timedelta(days=180))]


def test_bad_feed_urls_are_refused_with_a_reason(host, now):
    with pytest.raises(InvalidInput, match="is not an http"):
        connection_add_ics(membership=host, url="file:///etc/passwd", now=now)
    with pytest.raises(InvalidInput, match="is not an http"):
        connection_add_ics(membership=host, url="calendar.example.com/feed.ics", now=now)


def test_webcal_urls_are_fetched_over_https(host, now):
    conn = connection_add_ics(membership=host, url="webcal://calendar.example.com/feed.ics", now=now)
    assert conn.url == "https://calendar.example.com/feed.ics"


def test_an_ics_feed_cannot_be_the_write_back_target(feed_server, host, now):
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    with pytest.raises(InvalidInput, match="read-only"):
        calendars_choose(connection=conn, conflicts=set(), writeback=conn.calendars.get().pk)
    assert CalendarConnection.objects.count() == 1


def test_a_moved_feed_is_followed(feed_server, host, now):
    feed_server.body = cal("UID:a\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z").encode()
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Moved(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(301)
            self.send_header("Location", feed_server.url)
            self.end_headers()

        def log_message(self, *a):
            pass

    old = ThreadingHTTPServer(("127.0.0.1", 0), Moved)
    threading.Thread(target=old.serve_forever, daemon=True).start()
    try:
        conn = connection_add_ics(membership=host, url=f"http://127.0.0.1:{old.server_port}/old.ics", now=now)
        assert sync_connection(connection=conn, now=now).ok
        assert blocks(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]
    finally:
        old.shutdown()
        old.server_close()


def test_in_production_a_feed_cannot_reach_the_servers_own_network(feed_server, host, now, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    feed_server.body = cal("UID:a\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z").encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    result = sync_connection(connection=conn, now=now)
    conn.refresh_from_db()
    assert not result.ok
    assert conn.last_error.startswith(
        "Calendar feed: 127.0.0.1 is a loopback address; Slotwise connects only to public addresses"
    )
    assert feed_server.requests == []


def test_an_html_page_served_with_200_does_not_wipe_the_busy_time(feed_server, host, now):
    feed_server.body = cal("UID:a\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z").encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    sync_connection(connection=conn, now=now)
    feed_server.body = b"<html><body>Please log in</body></html>"
    feed_server.etag = '"login"'
    result = sync_connection(connection=conn, now=now + timedelta(minutes=15))
    conn.refresh_from_db()
    assert not result.ok
    assert conn.last_error.endswith("the answer is not an iCalendar feed (no BEGIN:VCALENDAR)")
    assert blocks(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10))]


def test_the_calendars_sync_command_reports_each_connection(feed_server, host, now, capsys, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setattr("slotwise.calendars.management.commands.calendars_sync.utc_now", lambda: now)
    feed_server.body = cal("UID:a\r\nDTSTART:20260303T090000Z\r\nDTEND:20260303T100000Z").encode()
    conn = connection_add_ics(membership=host, url=feed_server.url, now=now)
    call_command("calendars_sync", connection=[conn.pk])
    out = capsys.readouterr().out
    assert out == f"{conn.pk:>5} ics    ok     changed 1 deleted 0 busy 1\n"
