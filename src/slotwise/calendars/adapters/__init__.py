"""Remote calendars behind one small protocol (base.Adapter): CalDAV, ICS feeds (read-only), Google."""
