"""iMIP invitations (RFC 6047 over RFC 5546): one VEVENT, METHOD REQUEST or CANCEL, with the start in the
reader's zone (TZID) and that zone's VTIMEZONE, so a calendar shows the wall time the invitee chose."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Slotwise//Slotwise Scheduling//EN"


@dataclass(frozen=True)
class Party:
    email: str
    name: str


def invitation(
    *,
    method: str,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    zone: str,
    summary: str,
    description: str,
    location: str,
    url: str,
    organizer: Party,
    attendees: list[Party],
    stamp: datetime,
) -> bytes:
    """The calendar object. `start`/`end` are UTC instants; `zone` is the IANA zone they are written in."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, not {method!r}")
    tz = ZoneInfo(zone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    ev = Event()
    ev.add("uid", uid)
    ev.add("sequence", sequence)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", start.astimezone(tz))
    ev.add("dtend", end.astimezone(tz))
    ev.add("summary", summary)
    if description:
        ev.add("description", description)
    if location:
        ev.add("location", location)
    if url:
        ev.add("url", url)
    ev.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    ev.add("organizer", _address(organizer))
    for a in attendees:
        addr = _address(a)
        addr.params["ROLE"] = vText("REQ-PARTICIPANT")
        addr.params["PARTSTAT"] = vText("ACCEPTED")
        addr.params["CUTYPE"] = vText("INDIVIDUAL")
        ev.add("attendee", addr, encode=0)
    cal.add_component(ev)
    # Only the years around the meeting: the whole 1970-2038 history would be kilobytes of transitions.
    cal.add_missing_timezones(first_date=date(start.year - 1, 1, 1), last_date=date(end.year + 2, 1, 1))
    return cal.to_ical()


def _address(p: Party) -> vCalAddress:
    addr = vCalAddress(f"mailto:{p.email}")
    if p.name:
        addr.params["CN"] = vText(p.name)
    return addr
