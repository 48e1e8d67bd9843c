"""Connected calendars: busy time in, bookings out, a shared team calendar, private feeds out.

    adapters/   caldav.py (RFC 4791/6578 over HTTP), ics_feed.py (conditional GET), google.py (API v3 +
                OAuth); one small protocol (base.Adapter); http.py: timeouts, size cap, redirects, and in
                production no URLs into the server's own network
    ics.py      iCalendar -> busy intervals in a bounded window (pure; the decisions are documented there)
    sync.py     remote -> scheduling.BusyBlock (source "calendar:<connection id>"), incremental, per UID
    writeback.py booking events -> durable jobs -> the hosts' write-back calendars; "copy_to_calendar"
    feeds.py    /feeds/<token>.ics per host and per team, rotation revokes the old URL
    services.py connect (CalDAV, ICS, Google), choose conflict calendars / write-back target / unreachable
    tasks.py    job handlers: calendars.sync (re-polls itself), calendars.writeback

Secrets at rest: CalDAV passwords and Google tokens are Fernet-encrypted (core/secrets.py, key from
SLOTWISE_CALENDAR_KEY or SECRET_KEY); errors stored or logged carry status codes and URLs, never secrets;
the admin hides them.
"""
