"""What the contact pages show, in words and in the viewer's zone: the funnel steps of seed 002 ("Chose
Intro call", "Picked Wed 3 Dec", "Chose 15:00", "Booked"), with the raw step names kept for a tooltip,
interleaved with what happened to the contact's bookings (booked, rescheduled, cancelled); and the CSV
export of the contact list."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from slotwise.bookings.models import Booking
from slotwise.scheduling.models import EventType

from . import booking as page


def _day(value: str, zone: str) -> str:
    try:
        d = date.fromisoformat(value)
    except (TypeError, ValueError):
        return value or "a day"
    return page.fmt_short_day(datetime(d.year, d.month, d.day, 12, tzinfo=ZoneInfo(zone)), zone)


def _step_words(ev, zone: str, names: dict[str, str]) -> str:
    a = ev.attributes or {}
    if ev.name == "calendar_1st_step":
        return f"Chose \u201c{names.get(a.get('event_type', ''), a.get('event_type') or 'an event')}\u201d"
    if ev.name == "calendar_2nd_step":
        return f"Picked {_day(a.get('date', ''), zone)}"
    if ev.name == "calendar_3rd_step":
        try:
            start = datetime.fromisoformat(a["start"])
        except (KeyError, TypeError, ValueError):
            return "Chose a time"
        return f"Chose {page.fmt_short_day(start, zone)}, {page.fmt_time(start, zone, '24')}"
    if ev.name == "calendar_4th_step_submit":
        return "Booked"
    return ev.name


def timeline(*, contact, events, invitees, zone: str) -> list[dict]:
    """Funnel steps and booking changes, oldest first, each {at, local, words, raw}."""
    tz = ZoneInfo(zone)
    slugs = {(e.attributes or {}).get("event_type") for e in events if e.name == "calendar_1st_step"}
    names = dict(
        EventType.objects.filter(organization_id=contact.organization_id, slug__in=[s for s in slugs if s]).values_list(
            "slug", "name"
        )
    )
    items = [
        {"at": e.created_at, "words": _step_words(e, zone, names), "raw": e.name, "kind": "funnel"} for e in events
    ]
    for inv in invitees:
        b = inv.booking
        when = f"{page.fmt_short_day(b.start, zone)}, {page.fmt_time(b.start, zone, '24')}"
        items.append(
            {
                "at": inv.created_at,
                "kind": "booking",
                "raw": "booking.created",
                "uid": b.uid,
                "words": f"Booked \u201c{b.event_type.name}\u201d for {when} with {b.host.user}",
            }
        )
        if b.canceled_at and b.status == Booking.Status.CANCELED:
            by = f" by {b.canceled_by}" if b.canceled_by else ""
            items.append(
                {
                    "at": b.canceled_at,
                    "kind": "booking",
                    "raw": "booking.canceled",
                    "uid": b.uid,
                    "words": f"Cancelled \u201c{b.event_type.name}\u201d of {when}{by}"
                    + (f": {b.cancel_reason}" if b.cancel_reason else ""),
                }
            )
        elif b.canceled_at and b.status == Booking.Status.RESCHEDULED:
            items.append(
                {
                    "at": b.canceled_at,
                    "kind": "booking",
                    "raw": "booking.rescheduled",
                    "uid": b.uid,
                    "words": f"Moved \u201c{b.event_type.name}\u201d from {when}",
                }
            )
    items.sort(key=lambda i: i["at"])
    for i in items:
        local = i["at"].astimezone(tz)
        i["local"] = f"{page.fmt_short_day(i['at'], zone)}, {local:%H:%M}"
    return items


def _cell(value) -> str:
    """A spreadsheet opens =, +, - and @ as formulas: such cells are written as text (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def contacts_csv(rows) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "name",
            "email",
            "time zone",
            "assigned to",
            "assigned to email",
            "bookings",
            "first seen (UTC)",
            "last booked (UTC)",
        ]
    )
    for c in rows:
        owner = c.owner.user if c.owner_id else None
        w.writerow(
            [
                _cell(v)
                for v in (
                    c.name,
                    c.email,
                    c.timezone,
                    owner.name if owner else "",
                    owner.email if owner else "",
                    c.bookings_count,
                    f"{c.first_seen_at:%Y-%m-%dT%H:%M:%SZ}" if c.first_seen_at else "",
                    f"{c.last_booked_at:%Y-%m-%dT%H:%M:%SZ}" if c.last_booked_at else "",
                )
            ]
        )
    return out.getvalue()
