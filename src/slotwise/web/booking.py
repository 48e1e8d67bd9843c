"""What a booking page shows: the month calendar, the day's times in the viewer's zone, the chosen time.

Pure presentation over `bookings.availability.event_availability` (the one read path for slots): no writes,
no clock (`now` is passed in by the view).
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.utils.html import escape
from django.utils.safestring import mark_safe

from slotwise.accounts.models import Membership
from slotwise.bookings import availability
from slotwise.core.errors import InvalidInput
from slotwise.core.instants import parse_date, parse_month
from slotwise.core.timezones import all_zones, validate_zone
from slotwise.scheduling import selectors
from slotwise.scheduling.models import EventType

NIGHT_FROM, NIGHT_TO = 22, 7  # 22:00-06:59 local: ask the invitee to confirm before booking
NEAREST = 6


# Browsers report ICU's zone ids, which keep some names tzdata has since renamed (Chromium says
# Asia/Calcutta and Asia/Katmandu). The page speaks the current IANA names.
ICU_LEGACY = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "America/Godthab": "America/Nuuk",
    "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Catamarca": "America/Argentina/Catamarca",
    "America/Cordoba": "America/Argentina/Cordoba",
    "America/Jujuy": "America/Argentina/Jujuy",
    "America/Mendoza": "America/Argentina/Mendoza",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Louisville": "America/Kentucky/Louisville",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar",
    "Asia/Thimbu": "Asia/Thimphu",
    "Asia/Dacca": "Asia/Dhaka",
    "Africa/Asmera": "Africa/Asmara",
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC",
}


@lru_cache(maxsize=1)
def zone_options() -> str:
    """The <option>s of the zone picker's datalist, rendered once: ~430 zones on every page view add up."""
    return mark_safe("".join(f'<option value="{escape(z)}">' for z in all_zones()))  # noqa: S308 - each zone escaped


def canonical_zone(name: str) -> str:
    return ICU_LEGACY.get(name, name)


def fmt_time(instant: datetime, zone: str, clock: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    if clock == "24":
        return f"{local:%H:%M}"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def fmt_day(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A}, {local:%B} {local.day}, {local.year}"


def fmt_short_day(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a}, {local:%b} {local.day}"


def is_night(instant: datetime, zone: str) -> bool:
    hour = instant.astimezone(ZoneInfo(zone)).hour
    return hour >= NIGHT_FROM or hour < NIGHT_TO


@dataclass
class Choice:
    """The viewer's choices, read from the query string; anything invalid falls back and is reported."""

    zone: str
    clock: str = "12"
    month: date | None = None  # first of the month shown
    day: date | None = None
    duration: int | None = None
    host: Membership | None = None
    browser_zone: str = ""
    errors: dict = field(default_factory=dict)

    def query(self, **over) -> str:
        params = {
            "tz": self.zone,
            "clock": self.clock,
            "month": f"{self.month:%Y-%m}" if self.month else "",
            "date": self.day.isoformat() if self.day else "",
            "duration": self.duration or "",
            "host": self.host.slug if self.host else "",
            "bz": self.browser_zone,
        }
        params.update(over)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def read_choice(params, event_type: EventType, hosts: list[Membership], *, default_zone: str, now: datetime,
                duration: int | None = None) -> Choice:
    errors = {}
    zone = canonical_zone(params.get("tz") or default_zone)
    try:
        zone = validate_zone(zone, field="tz")
    except InvalidInput as exc:
        errors["tz"] = exc.message
        zone = default_zone
    choice = Choice(zone=zone, clock="24" if params.get("clock") == "24" else "12", errors=errors)
    bz = canonical_zone(params.get("bz") or "")
    choice.browser_zone = bz if len(bz) < 64 else ""
    # A month or date the page cannot show falls back to this month, with the reason above the calendar.
    try:
        if params.get("month"):
            choice.month = parse_month(params["month"], field="month")
    except InvalidInput as exc:
        errors["month"] = exc.message
    try:
        if params.get("date"):
            choice.day = parse_date(params["date"], field="date")
            choice.month = choice.day.replace(day=1)
    except InvalidInput as exc:
        errors["date"] = exc.message
    if choice.month is None:
        choice.month = now.astimezone(ZoneInfo(zone)).date().replace(day=1)
    allowed = sorted({event_type.duration_minutes, *(event_type.duration_options or [])})
    if duration is not None:
        choice.duration = duration
    elif params.get("duration"):
        try:
            d = int(params["duration"])
        except ValueError:
            d = None
        if d in allowed:
            choice.duration = d
        else:
            errors["duration"] = f"duration: choose one of {allowed} minutes"
    slug = params.get("host") or ""
    if slug and can_pick_host(event_type):
        choice.host = next((h for h in hosts if h.slug == slug), None)
        if choice.host is None:
            errors["host"] = f"host: {slug!r} does not host this event; choose anyone or one of the hosts listed"
    return choice


def can_pick_host(event_type: EventType) -> bool:
    return event_type.kind == EventType.Kind.ROUND_ROBIN and event_type.invitee_picks_host


@dataclass
class Month:
    first: date
    weeks: list  # [[{"date", "in_month", "free", "past"} or None]]
    prev: date | None
    next: date
    free_days: set


def month_view(event_type: EventType, choice: Choice, *, now: datetime, host: Membership | None = None) -> tuple:
    """The calendar for choice.month and the slots of its days, in the viewer's zone."""
    first = choice.month
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    today = now.astimezone(ZoneInfo(choice.zone)).date()
    lo, hi = selectors.local_range(max(first, today), last, choice.zone) if last >= today else (now, now)
    if hi > lo:
        result = availability.event_availability(
            event_type=event_type, start=max(lo, now), end=hi, viewer_zone=choice.zone, now=now,
            host=host, duration_minutes=choice.duration,
        )
        days = result.days
    else:
        days = {}
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([
            {"date": d, "in_month": d.month == first.month, "free": bool(days.get(d)) and d.month == first.month,
             "past": d < today}
            for d in week
        ])
    prev = (first - timedelta(days=1)).replace(day=1)
    month = Month(
        first=first, weeks=weeks, prev=prev if prev >= today.replace(day=1) else None,
        next=(last + timedelta(days=1)), free_days={d for d, s in days.items() if s},
    )
    return month, days


def nearest_free(event_type: EventType, *, start: datetime, zone: str, now: datetime, host: Membership | None,
                 duration: int | None) -> list[datetime]:
    """The offered starts closest to `start` (the one that was just taken), for a second try."""
    lo = max(now, start - timedelta(days=2))
    result = availability.event_availability(
        event_type=event_type, start=lo, end=start + timedelta(days=14), viewer_zone=zone, now=now, host=host,
        duration_minutes=duration,
    )
    starts = [s for s in result.starts() if s != start]
    return sorted(sorted(starts, key=lambda s: abs(s - start))[:NEAREST])


def google_link(*, title: str, start: datetime, end: datetime, details: str, location: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    return "https://calendar.google.com/calendar/render?" + urlencode({
        "action": "TEMPLATE", "text": title, "dates": f"{start:{fmt}}/{end:{fmt}}", "details": details,
        "location": location,
    })


def outlook_link(*, title: str, start: datetime, end: datetime, details: str, location: str) -> str:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode({
        "path": "/calendar/action/compose", "rru": "addevent", "subject": title, "startdt": f"{start:{fmt}}",
        "enddt": f"{end:{fmt}}", "body": details, "location": location,
    })
