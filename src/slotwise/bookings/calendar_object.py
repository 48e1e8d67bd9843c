"""Every calendar object Slotwise emits for a booking is built here: the iMIP email (REQUEST/CANCEL), the
`.ics` download, the write-back and team-calendar copies (CalDAV, Google) and the private ICS feeds.

One identity per meeting, so a calendar that sees the same meeting through two doors holds one entry:

- UID: `Booking.ical_uid`, fixed when the meeting is first booked (`<booking uid>@<site host>`) and handed
  to the booking a reschedule creates, so the entry moves instead of a second one appearing. The host's
  copies and the invitees' copies share it, as iTIP intends (an organizer's event and its attendees'
  replies are one UID); a group session is one meeting, one UID, whoever is seated.
- SEQUENCE: `Booking.ical_sequence`, 0 when booked; one higher on each change a calendar must take over
  the copy it holds (a reschedule, a cancel, an invitee leaving a group session, a tzdata change that moved
  the wall time). Every emitter reads the stored value, so the download and the email agree, and a CANCEL
  always carries a higher number than the REQUEST it removes.

A recurring booking (bookings/recurring.py) is one meeting to calendars: every occurrence carries the
series' UID and SEQUENCE, and its VEVENT is the series: DTSTART the first occurrence in the host's zone
(TZID and VTIMEZONE: the rule repeats that wall time), RRULE FREQ=WEEKLY;INTERVAL=1|2;COUNT=N, and an
EXDATE for each occurrence skipped at booking or canceled since. Cancelling an occurrence is therefore an
update (REQUEST, SEQUENCE + 1, one more EXDATE), not a CANCEL; only a series with nothing left is cancelled.

Times are UTC instants; `zone` only chooses how they are written (TZID and a VTIMEZONE for the reader's
zone), so one instant is one instant whichever door it came through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings

from .models import Booking, RecurringSeries

PRODID = "-//Slotwise//Slotwise Scheduling//EN"
METHODS = ("REQUEST", "CANCEL", "PUBLISH", "")


@dataclass(frozen=True)
class Party:
    email: str
    name: str = ""
    # Extra iCalendar parameters, e.g. {"SCHEDULE-AGENT": "CLIENT"} for copies a CalDAV server must not
    # turn into invitations of its own.
    params: dict = field(default_factory=dict)


def uid_domain() -> str:
    host = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "slotwise.localhost"


def new_uid(booking: Booking) -> str:
    """The UID of a meeting booked for the first time (a reschedule inherits its predecessor's)."""
    return f"{booking.uid}@{uid_domain()}"


def identity(booking: Booking) -> tuple[str, int]:
    """(UID, SEQUENCE) of the meeting, as every emitter writes them."""
    return booking.ical_uid or new_uid(booking), booking.ical_sequence


def event(
    booking: Booking,
    *,
    cancelled: bool = False,
    zone: str = "UTC",
    summary: str,
    description: str = "",
    location: str = "",
    url: str = "",
    organizer: Party | None = None,
    attendees: Sequence[Party] = (),
    stamp: datetime,
    sequence: int | None = None,
) -> icalendar.Event:
    """One VEVENT for `booking`. `sequence` overrides the stored one only for an email job that was owed
    an earlier revision (its payload fixed it in the booking's transaction)."""
    uid, seq = identity(booking)
    ev = icalendar.Event()
    ev.add("uid", uid)
    ev.add("sequence", seq if sequence is None else sequence)
    ev.add("dtstamp", stamp.astimezone(UTC))
    series = booking.series if booking.series_id else None
    if series is not None:
        cancelled = cancelled and not series_live(series)
        _add_rule(ev, booking, series)
    elif zone == "UTC":
        ev.add("dtstart", booking.start.astimezone(UTC))
        ev.add("dtend", booking.end.astimezone(UTC))
    else:
        tz = ZoneInfo(zone)
        ev.add("dtstart", booking.start.astimezone(tz))
        ev.add("dtend", booking.end.astimezone(tz))
    ev.add("summary", summary)
    if description:
        ev.add("description", description)
    if location:
        ev.add("location", location)
    if url:
        ev.add("url", url)
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    if organizer is not None:
        ev.add("organizer", _address(organizer))
    for a in attendees:
        addr = _address(a)
        for key, default in (("ROLE", "REQ-PARTICIPANT"), ("PARTSTAT", "ACCEPTED"), ("CUTYPE", "INDIVIDUAL")):
            if key not in a.params:  # a guest says its own role and answer
                addr.params[key] = icalendar.vText(default)
        ev.add("attendee", addr, encode=0)
    return ev


def calendar(events: Iterable[icalendar.Event], *, method: str = "", extra: dict | None = None) -> bytes:
    """The VCALENDAR around `events`, with the VTIMEZONEs their TZIDs name (only the years around them)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    for name, value in (extra or {}).items():
        cal.add(name, value)
    years = []
    for ev in events:
        cal.add_component(ev)
        years += [ev.decoded("dtstart").year, ev.decoded("dtend").year]
    if years:
        # The whole 1970-2038 history would be kilobytes of transitions per zone.
        cal.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1))
    return cal.to_ical()


def single(booking: Booking, *, method: str = "", **kw) -> bytes:
    """A calendar object with one meeting: emails, the download, write-back copies."""
    return calendar([event(booking, **kw)], method=series_method(booking, method))


def series_live(series: RecurringSeries) -> bool:
    """Some occurrence still stands (confirmed or waiting for approval)."""
    return series.occurrences.filter(status__in=[Booking.Status.CONFIRMED, Booking.Status.PENDING]).exists()


def series_method(booking: Booking, method: str) -> str:
    """The iTIP method an email about `booking` carries: a cancelled occurrence of a series that goes on is
    an update of the series (its EXDATE grew), so CANCEL becomes REQUEST until nothing is left."""
    if method == "CANCEL" and booking.series_id and series_live(booking.series):
        return "REQUEST"
    return method


def series_exdates(series: RecurringSeries) -> list[datetime]:
    """The wall times (naive, host zone) the rule names but the series does not hold: skipped when booked,
    or canceled since (those past a shortened COUNT are gone from the rule already)."""
    walls = [datetime.fromisoformat(w) for w in series.skipped or []]
    tz = ZoneInfo(series.host_timezone)
    canceled = series.occurrences.filter(
        status__in=[Booking.Status.CANCELED, Booking.Status.RESCHEDULED], series_index__lt=series.count
    ).values_list("start", flat=True)
    walls += [s.astimezone(tz).replace(tzinfo=None) for s in canceled]
    return sorted(w for w in set(walls) if _index_of(series, w) < series.count)


def _index_of(series: RecurringSeries, wall: datetime) -> int:
    first = series.first_start.astimezone(ZoneInfo(series.host_timezone)).replace(tzinfo=None)
    return (wall - first).days // (7 * series.interval)


def _add_rule(ev: icalendar.Event, booking: Booking, series: RecurringSeries) -> None:
    tz = ZoneInfo(series.host_timezone)
    first = series.first_start.astimezone(tz)
    ev.add("dtstart", first)
    # DTEND in the same zone: the duration is kept in wall time across the rule, as RFC 5545 expands it.
    ev.add("dtend", (series.first_start + (booking.end - booking.start)).astimezone(tz))
    ev.add("rrule", {"freq": "weekly", "interval": series.interval, "count": max(series.count, 1)})
    exdates = series_exdates(series)
    if exdates:
        ev.add("exdate", [w.replace(tzinfo=tz) for w in exdates])


def _address(p: Party) -> icalendar.vCalAddress:
    addr = icalendar.vCalAddress(f"mailto:{p.email}")
    if p.name:
        addr.params["CN"] = icalendar.vText(p.name)
    for k, v in p.params.items():
        addr.params[k] = icalendar.vText(v)
    return addr
