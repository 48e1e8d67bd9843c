"""What a booking page shows: the month calendar, the day's times in the viewer's zone, the chosen time.

Pure presentation over `bookings.availability.event_availability` (the one read path for slots): no writes,
no clock (`now` is passed in by the view).
"""

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from slotwise.accounts.models import Membership
from slotwise.bookings import availability
from slotwise.core import zonesearch
from slotwise.core.datefmt import DEFAULT_LOCALE, default_clock, format_day, format_instant
from slotwise.core.errors import InvalidInput
from slotwise.core.instants import parse_date, parse_month
from slotwise.engine import local_day_bounds
from slotwise.scheduling import selectors
from slotwise.scheduling.models import EventType

NIGHT_FROM, NIGHT_TO = 22, 7  # 22:00-06:59 local: ask the invitee to confirm before booking
NEAREST = 6


def _page_locale(locale: str | None) -> str:
    """The locale given, else the page's language (web/middleware.py LanguageMiddleware)."""
    return locale or get_language() or DEFAULT_LOCALE


def fmt_time(instant: datetime, zone: str, clock: str, locale: str | None = None) -> str:
    return format_instant(instant, zone, _page_locale(locale), form="time", clock=clock)


def fmt_day(instant: datetime, zone: str, locale: str | None = None) -> str:
    return format_instant(instant, zone, _page_locale(locale), form="date")


def fmt_short_day(instant: datetime, zone: str, locale: str | None = None) -> str:
    return format_instant(instant, zone, _page_locale(locale), form="short_day")


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
    zone_typed: str = ""  # what ?tz= said when it named no zone: the field keeps it, to be corrected
    zone_found: str = ""  # "“Nepal”: Nepal Time (Asia/Kathmandu)" when a typed name found one zone
    zone_suggestions: list = field(default_factory=list)  # zonesearch.ZoneHit, when it found several

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
        return "&".join(_query_pair(k, v) for k, v in params.items() if v not in ("", None))


@lru_cache(maxsize=4096)
def _query_pair(key: str, value) -> str:
    # A month page links ~70 days and times that share all but one parameter: each pair is encoded once.
    return urlencode({key: value})


def read_choice(
    params,
    event_type: EventType,
    hosts: list[Membership],
    *,
    default_zone: str,
    now: datetime,
    duration: int | None = None,
    browser_zone: str = "",
    locale: str = DEFAULT_LOCALE,
) -> Choice:
    """`browser_zone`: what the browser reported on an earlier page (a cookie); ?bz= wins over it."""
    errors = {}
    bz = _known_zone(params.get("bz") or browser_zone)
    zone, zone_note, suggestions = _read_zone(
        params.get("tz") or "", default=bz or default_zone, browser_zone=bz, now=now, locale=locale
    )
    if zone_note and zone_note[0] == "error":
        errors["tz"] = zone_note[1]
    # 12 or 24 h: the invitee's choice, else their language's habit (CLDR: en 12 h; de, fr, ja 24 h)
    clock = params.get("clock") if params.get("clock") in ("12", "24") else default_clock(locale)
    choice = Choice(zone=zone, clock=clock, errors=errors)
    choice.zone_typed = (params.get("tz") or "").strip()[:64] if errors.get("tz") else ""
    choice.browser_zone = bz
    choice.zone_found = zone_note[1] if zone_note and zone_note[0] == "found" else ""
    choice.zone_suggestions = suggestions
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


def _known_zone(name: str) -> str:
    """The canonical id of a zone name the browser or a link gave, or "" when it is not a zone."""
    name = zonesearch.canonical_zone((name or "").strip()[:64])
    return name if zonesearch.is_zone(name) else ""


def _read_zone(text: str, *, default: str, browser_zone: str, now: datetime, locale: str):
    """(zone, note, suggestions) for what ?tz= or the zone field says.

    A zone id (or a legacy one) is used as is; a name that finds exactly one zone ("Kathmandu", "Nepal")
    uses that zone and says so; anything else is never replaced silently: the page says it does not know
    the zone and shows the browser's zone if known, else UTC (never the host's: that is how a customer
    books 3 AM their time)."""
    text = text.strip()[:64]
    if not text:
        return default, None, []
    zone = _known_zone(text)
    if zone:
        return zone, None, []
    hits = zonesearch.search(text, locale=locale, now=now)
    if len(hits) == 1:
        return (
            hits[0].id,
            ("found", _("“%(text)s”: %(name)s (%(zone)s)") % {"text": text, "name": hits[0].name, "zone": hits[0].id}),
            [],
        )
    fallback = browser_zone or zonesearch.UTC
    instead = _("your device's time zone, %(zone)s") % {"zone": fallback} if browser_zone else "UTC"
    if hits:
        return (
            fallback,
            (
                "error",
                _("“%(text)s” matches several time zones; pick one below. Times are shown in %(instead)s meanwhile.")
                % {"text": text, "instead": instead},
            ),
            hits,
        )
    return (
        fallback,
        (
            "error",
            _("We do not know the time zone “%(text)s”. Times are shown in %(instead)s instead.")
            % {"text": text, "instead": instead},
        ),
        [],
    )


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
    days = _days(event_type, choice, max(first, today), last, now=now, host=host) if last >= today else {}
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append(
            [
                {
                    "date": d,
                    "in_month": d.month == first.month,
                    "free": bool(days.get(d)) and d.month == first.month,
                    "past": d < today,
                    "today": d == today,
                }
                for d in week
            ]
        )
    prev = (first - timedelta(days=1)).replace(day=1)
    month = Month(
        first=first,
        weeks=weeks,
        prev=prev if prev >= today.replace(day=1) else None,
        next=(last + timedelta(days=1)),
        free_days={d for d, s in days.items() if s},
    )
    return month, days


def day_starts(event_type: EventType, choice: Choice, *, now: datetime, host: Membership | None = None) -> list:
    """The offered starts of choice.day in the viewer's zone: the same list as that day of month_view, for
    the times fragment, which redraws one day and so works out one day, not the month."""
    assert choice.day is not None  # noqa: S101 - for the type checker: callers ask only with a day chosen
    return _days(event_type, choice, choice.day, choice.day, now=now, host=host).get(choice.day, [])


def _days(
    event_type: EventType, choice: Choice, first: date, last: date, *, now: datetime, host: Membership | None
) -> dict[date, list[datetime]]:
    """The offered starts of the viewer's local dates first..last from `now` on, by date."""
    lo, hi = selectors.local_range(first, last, choice.zone)
    if hi <= max(lo, now):
        return {}
    return availability.event_availability(
        event_type=event_type,
        start=max(lo, now),
        end=hi,
        viewer_zone=choice.zone,
        now=now,
        host=host,
        duration_minutes=choice.duration,
    ).days


def nearest_free(
    event_type: EventType, *, start: datetime, zone: str, now: datetime, host: Membership | None, duration: int | None
) -> list[datetime]:
    """The offered starts closest to `start` (the one that was just taken), for a second try."""
    lo = max(now, start - timedelta(days=2))
    result = availability.event_availability(
        event_type=event_type,
        start=lo,
        end=start + timedelta(days=14),
        viewer_zone=zone,
        now=now,
        host=host,
        duration_minutes=duration,
    )
    starts = [s for s in result.starts() if s != start]
    return sorted(sorted(starts, key=lambda s: abs(s - start))[:NEAREST])


GROUP_FROM = 9  # a day with this many times or more is split into morning, afternoon and evening
PARTS = (
    ("morning", gettext_noop("Morning"), 0),
    ("afternoon", gettext_noop("Afternoon"), 12),
    ("evening", gettext_noop("Evening"), 18),
)


def day_times(starts: list[datetime], zone: str, clock: str, locale: str, href) -> list[dict]:
    """The day's times as the list shows them, each marked when it is at night for the invitee, in groups
    (morning, afternoon, evening) when the day is long; one unnamed group otherwise."""
    times = [
        {"start": s, "label": fmt_time(s, zone, clock, locale), "href": href(s), "night": is_night(s, zone)}
        for s in starts
    ]
    if len(times) < GROUP_FROM:
        return [{"key": "all", "label": "", "times": times}] if times else []
    groups = []
    for i, (key, label, from_hour) in enumerate(PARTS):
        until = PARTS[i + 1][2] if i + 1 < len(PARTS) else 24
        part = [t for t in times if from_hour <= t["start"].astimezone(ZoneInfo(zone)).hour < until]
        if part:
            groups.append({"key": key, "label": _(label), "times": part})
    return groups


def day_notes(
    day: date, starts: list[datetime], *, zone: str, host_zone: str | None, clock: str, locale: str
) -> list[str]:
    """What is unusual about `day` for the invitee: its clocks change (a 23- or 25-hour day), or the host's
    date is another one for some or all of its times ("Your Monday is the host's Tuesday")."""
    notes = []
    change = _clock_change(day, zone, clock, locale)
    if change:
        notes.append(change)
    if host_zone and host_zone != zone and starts:
        notes.extend(_host_date_notes(day, starts, zone=zone, host_zone=host_zone, clock=clock, locale=locale))
        host_tz = ZoneInfo(host_zone)
        for host_day in sorted({s.astimezone(host_tz).date() for s in starts}):
            change = _clock_change(
                host_day, host_zone, clock, locale, host_day=format_day(host_day, locale, form="day")
            )
            if change:
                notes.append(change)
    return notes


def _clock_change(day: date, zone: str, clock: str, locale: str, *, host_day: str | None = None) -> str:
    """ "This day has only 23 hours in Europe/Berlin: at 2:00 AM ..." (or "For the host, `host_day` has ...")
    when `day` is not 24 hours long in `zone`, else ""."""
    bounds = local_day_bounds(zone, day)
    length = sum(((b.end - b.start) for b in bounds), timedelta())
    if not bounds or length == timedelta(days=1):
        return ""
    return _clock_change_note(bounds[0].start, bounds[-1].end, zone, length, clock, locale, host_day)


def _clock_change_note(
    lo: datetime, hi: datetime, zone: str, length: timedelta, clock: str, locale: str, host_day: str | None
) -> str:
    tz = ZoneInfo(zone)
    before, t = lo.astimezone(tz).utcoffset(), lo
    while t < hi and t.astimezone(tz).utcoffset() == before:
        t += timedelta(minutes=15)  # tzdata's changes fall on quarter hours
    after = t.astimezone(tz).utcoffset()

    def wall(offset):  # the wall clock just before and at the change, though one of them never shows
        return format_instant((t + offset).replace(tzinfo=UTC), "UTC", locale, form="time", clock=clock)

    minutes = int(abs(after - before).total_seconds() // 60)
    amount = (
        ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        if minutes % 60
        else ngettext("%(n)d hour", "%(n)d hours", minutes // 60) % {"n": minutes // 60}
    )
    facts = {
        "hours": f"{length.total_seconds() / 3600:g}",
        "zone": zone,
        "before": wall(before),
        "after": wall(after),
        "amount": amount,
        "day": host_day,
    }
    if host_day is None:
        if after > before:
            return (
                _(
                    "This day has only %(hours)s hours in %(zone)s: at %(before)s the clocks go forward "
                    "%(amount)s, to %(after)s."
                )
                % facts
            )
        return (
            _("This day has %(hours)s hours in %(zone)s: at %(before)s the clocks go back %(amount)s, to %(after)s.")
            % facts
        )
    if after > before:
        return (
            _(
                "For the host, %(day)s has only %(hours)s hours in %(zone)s: at %(before)s the clocks go "
                "forward %(amount)s, to %(after)s."
            )
            % facts
        )
    return (
        _(
            "For the host, %(day)s has %(hours)s hours in %(zone)s: at %(before)s the clocks go back "
            "%(amount)s, to %(after)s."
        )
        % facts
    )


def _host_date_notes(
    day: date, starts: list[datetime], *, zone: str, host_zone: str, clock: str, locale: str
) -> list[str]:
    host_tz = ZoneInfo(host_zone)
    other = [s for s in starts if s.astimezone(host_tz).date() != day]
    if not other:
        return []
    yours = format_day(day, locale, form="weekday")
    if len(other) == len(starts) and len({s.astimezone(host_tz).date() for s in starts}) == 1:
        theirs = format_instant(starts[0], host_zone, locale, form="weekday")
        return [
            _("Your %(yours)s is the host's %(theirs)s: these times are on %(day)s in %(zone)s.")
            % {
                "yours": yours,
                "theirs": theirs,
                "day": format_instant(starts[0], host_zone, locale, form="day"),
                "zone": host_zone,
            }
        ]
    notes = []
    for host_day in sorted({s.astimezone(host_tz).date() for s in other}):
        these = [s for s in other if s.astimezone(host_tz).date() == host_day]
        theirs = format_instant(these[0], host_zone, locale, form="weekday")
        facts = {"yours": yours, "theirs": theirs, "zone": host_zone}
        if host_day > day:
            notes.append(
                _("From %(time)s, your %(yours)s is the host's %(theirs)s (%(zone)s).")
                % {**facts, "time": fmt_time(these[0], zone, clock, locale)}
            )
        else:
            notes.append(
                _("Until %(time)s, your %(yours)s is the host's %(theirs)s (%(zone)s).")
                % {**facts, "time": fmt_time(these[-1], zone, clock, locale)}
            )
    return notes


def google_link(*, title: str, start: datetime, end: datetime, details: str, location: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    return "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": title,
            "dates": f"{start:{fmt}}/{end:{fmt}}",
            "details": details,
            "location": location,
        }
    )


def outlook_link(*, title: str, start: datetime, end: datetime, details: str, location: str) -> str:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": title,
            "startdt": f"{start:{fmt}}",
            "enddt": f"{end:{fmt}}",
            "body": details,
            "location": location,
        }
    )
