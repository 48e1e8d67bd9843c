"""iCalendar text -> busy intervals inside a bounded window. Pure: no Django, no I/O, no clock.

Decisions (the issue asks us to decide and document):
* The expansion window is always bounded ([window_start, window_end), both passed in), so rules that run
  "forever" or "until year 5000" cost only the occurrences inside it.
* An all-day event (DTSTART;VALUE=DATE) blocks the HOST's local day(s) in the host's schedule zone, not
  the feed's: "I am off on the 24th" means the host's 24th, wherever the feed was produced.
* Floating times (no TZID, no Z) are read in X-WR-TIMEZONE when the feed has one, else in the host zone.
* TRANSP:TRANSPARENT and STATUS:CANCELLED (event or single instance) never block.
* Errors are per series (one UID): a broken series is reported and skipped, the rest is imported. Text that
  icalendar cannot parse as a whole is cut into its VEVENT blocks, each parsed on its own.
* Guard rails: at most `max_series` series and `max_occurrences` busy intervals per series; sub-hourly
  rules and rules whose first instance lies so far back that reaching the window would take more than
  `max_steps` iterations are refused (dateutil walks a rule from DTSTART), so an import never hangs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone

from slotwise.engine import local_day_bounds

from . import ics_plain

MAX_SERIES = 50_000
MAX_OCCURRENCES = 5_000
MAX_STEPS = 200_000

_FREQ_SECONDS = {"HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400, "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}
_BLOCK = re.compile(r"BEGIN:(VEVENT|VTIMEZONE)\r?\n.*?END:\1", re.S | re.I)


@dataclass(frozen=True)
class BusyTime:
    """One blocking occurrence, [start, end) in UTC, named by its UID and, for an instance of a series, its
    recurrence id (the instance's original start, "20260309T090000Z", or "20260309" for all-day series)."""

    uid: str
    recurrence_id: str
    start: datetime
    end: datetime
    summary: str = ""
    all_day: bool = False


@dataclass
class ParseResult:
    busy: list[BusyTime] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    series: int = 0  # how many UIDs were looked at
    free: int = 0  # occurrences that did not block (transparent or cancelled)


def busy_from_ics(
    text: bytes | str,
    *,
    window_start: datetime,
    window_end: datetime,
    host_zone: str,
    max_series: int = MAX_SERIES,
    max_occurrences: int = MAX_OCCURRENCES,
    max_steps: int = MAX_STEPS,
    skip_uids: frozenset | set = frozenset(),
    read_plain: bool = True,
) -> ParseResult:
    """The blocking occurrences of every VEVENT in `text` that overlap [window_start, window_end).

    Plain one-off events are read straight from the text (ics_plain), the rest through icalendar;
    `read_plain=False` reads every event through icalendar (the reference the plain reader is tested against)."""
    result = ParseResult()
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if read_plain and max_occurrences >= 1:
        plain, text = ics_plain.split_plain(
            _tolerate(text), max_series=max_series, accept=lambda e: _plain_fits(e, host_zone, window_start, window_end)
        )
        for event in plain:
            if event.uid not in skip_uids:
                _add_plain(event, host_zone, window_start, window_end, result)
    timezones, groups, default_zone = _split(text, result)
    zone = default_zone or host_zone
    for n, (uid, events) in enumerate(groups.items()):
        if uid in skip_uids:
            continue
        if n >= max_series:
            result.errors.append(
                f"{len(groups) - max_series} more event series not imported: the feed has over {max_series}"
            )
            break
        result.series += 1
        try:
            _expand(
                uid, events, timezones, zone, host_zone, window_start, window_end, max_occurrences, max_steps, result
            )
        except Exception as exc:  # noqa: BLE001 - one broken series must not stop the others
            result.errors.append(f"event {uid!r}: {exc.__class__.__name__}: {exc}"[:500])
    return result


# An all-day event this near the window's ends is matched to the window by recurring-ical-events' rules.
_EDGE = timedelta(days=2)


def _plain_span(event: ics_plain.Plain, host_zone: str) -> tuple[datetime, datetime]:
    if isinstance(event.start, datetime):
        return event.start, event.end  # type: ignore[return-value]
    return _local_days(event.start, max(event.end, event.start + timedelta(days=1)), host_zone)


def _plain_fits(event: ics_plain.Plain, host_zone: str, window_start: datetime, window_end: datetime) -> bool:
    """Whether the plain reader may take this event: all-day events near the window's ends go to the full path."""
    if isinstance(event.start, datetime):
        return True
    first, last = _plain_span(event, host_zone)
    outside = last <= window_start - _EDGE or first >= window_end + _EDGE
    return outside or (first >= window_start + _EDGE and last <= window_end - _EDGE)


def _add_plain(event: ics_plain.Plain, host_zone: str, window_start: datetime, window_end: datetime, result) -> None:
    """Record one plain event as `_expand` records the one occurrence of an event that does not repeat."""
    all_day = not isinstance(event.start, datetime)
    first, last = _plain_span(event, host_zone)
    result.series += 1
    if all_day and (last <= window_start or first >= window_end):
        return  # outside the window recurring-ical-events does not list it, free or not
    if not event.blocks:
        result.free += 1
    elif window_start < last and first < window_end and first < last:
        result.busy.append(
            BusyTime(uid=event.uid, recurrence_id="", start=first, end=last, summary=event.summary, all_day=all_day)
        )


def _split(text: str, result: ParseResult):
    """(VTIMEZONE components, {uid: [VEVENT, ...]}, X-WR-TIMEZONE or None)."""
    calendars = []
    text = _tolerate(text)
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # noqa: BLE001 - fall back to block by block
        result.errors.append(f"the feed is not valid iCalendar as a whole ({exc}); read event by event")
        calendars = _salvage(text, result)
    timezones, seen_tz, groups, default_zone = [], set(), defaultdict(list), None
    for cal in calendars:
        wr = cal.get("X-WR-TIMEZONE")
        if wr:
            name = str(wr).strip()
            try:
                ZoneInfo(name)
                # Google writes UTC times and names the calendar's zone here: a weekly 10:00 must stay 10:00
                # local across DST, so the times are converted to that zone before expansion.
                cal = x_wr_timezone.to_standard(cal)
                default_zone = default_zone or name
            except Exception:  # noqa: BLE001
                result.errors.append(f"X-WR-TIMEZONE {name!r} is not a known zone; floating times use the host's")
        for comp in cal.walk():
            if comp.name == "VTIMEZONE":
                tzid = str(comp.get("TZID", ""))
                if tzid not in seen_tz:  # every CalDAV object repeats its zones; one copy is enough
                    seen_tz.add(tzid)
                    timezones.append(comp)
            elif comp.name == "VEVENT":
                uid = str(comp.get("UID") or f"no-uid-{len(groups)}")
                groups[uid].append(comp)
    return timezones, groups, default_zone


_FOLD = re.compile(r"\r?\n[ \t]")
_RRULE_LINE = re.compile(r"^((?:RRULE|EXRULE)[;:].*)$", re.M | re.I)


def _tolerate(text: str) -> str:
    """Known producer quirks fixed before parsing: Exchange writes "BYDAY=MO, TU, WE" (spaces in lists)."""
    text = _FOLD.sub("", text)  # RFC 5545 unfolding, so a quirk split over two lines is seen whole
    return _RRULE_LINE.sub(lambda m: re.sub(r",\s+", ",", m.group(1)), text)


def _salvage(text: str, result: ParseResult) -> list:
    header = re.search(r"X-WR-TIMEZONE:[^\r\n]*", text)
    cals = []
    for m in _BLOCK.finditer(text):
        body = m.group(0)
        wrapped = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//salvage//EN\r\n"
        if header:
            wrapped += header.group(0) + "\r\n"
        wrapped += body + "\r\nEND:VCALENDAR\r\n"
        try:
            cals.append(icalendar.Calendar.from_ical(wrapped))
        except Exception as exc:  # noqa: BLE001
            uid = re.search(r"^UID:(.*)$", body, re.M)
            result.errors.append(f"event {uid.group(1).strip() if uid else '?'!r} skipped: {exc}"[:500])
    return cals


def _check_rule(uid: str, event, window_start: datetime, max_steps: int) -> None:
    rule = event.get("RRULE")
    if rule is None:
        return
    rules = rule if isinstance(rule, list) else [rule]
    start = event.get("DTSTART")
    first = start.dt if start is not None else None
    for r in rules:
        freq = (r.get("FREQ") or [""])[0].upper()
        if freq in ("SECONDLY", "MINUTELY"):
            raise ValueError(f"{freq} recurrence is not supported for busy time")
        interval = int((r.get("INTERVAL") or [1])[0])
        if first is None or freq not in _FREQ_SECONDS:
            continue
        begin = first if isinstance(first, datetime) else datetime(first.year, first.month, first.day, tzinfo=UTC)
        if begin.tzinfo is None:
            begin = begin.replace(tzinfo=UTC)
        steps = (window_start - begin).total_seconds() / (_FREQ_SECONDS[freq] * interval)
        if steps > max_steps:
            raise ValueError(
                f"the rule starts {begin:%Y-%m-%d} and repeats {freq.lower()}: over {max_steps} repetitions "
                "before today; shorten the series in your calendar"
            )


def _occurrences(cal, start: datetime, end: datetime):
    """(component, start, end) of every occurrence in [start, end). recurring-ical-events copies a whole
    component per occurrence in its public API; its Occurrence objects carry what we need without that copy
    (a third of an import's time), so use them when this version has them."""
    query = recurring_ical_events.of(cal)
    between = getattr(query, "_occurrences_between", None)
    if between is None:
        for comp in query.between(start, end):
            yield comp, comp["DTSTART"].dt, _end_of(comp)
        return
    for occ in between(start, end):
        yield occ._adapter._component, occ.start, occ.end


def _end_of(comp):
    start = comp["DTSTART"].dt
    if "DTEND" in comp:
        return comp["DTEND"].dt
    if "DURATION" in comp:
        return start + comp["DURATION"].dt
    return start if isinstance(start, datetime) else start + timedelta(days=1)


_REPEATS = ("RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID")


def _single(events) -> bool:
    """One VEVENT at a fixed instant that does not repeat: its one occurrence is its DTSTART..DTEND, with no need to build a
    recurrence query (most of an import's time for such events, which are about half of a typical feed)."""
    if len(events) != 1:
        return False
    e = events[0]
    if "DTSTART" not in e or any(k in e for k in _REPEATS):
        return False
    # Only fixed instants: all-day dates and floating times are matched to the window by
    # recurring-ical-events' own rules, which the fast path does not repeat.
    start = e["DTSTART"].dt
    return isinstance(start, datetime) and start.tzinfo is not None


def _expand(uid, events, timezones, zone, host_zone, window_start, window_end, max_occurrences, max_steps, result):
    if _single(events):
        e = events[0]
        occurrences = [(e, e["DTSTART"].dt, _end_of(e))]
        series = False
    else:
        for e in events:
            if "RECURRENCE-ID" not in e:
                _check_rule(uid, e, window_start, max_steps)
        cal = icalendar.Calendar()
        for tz in timezones:
            cal.add_component(tz)
        for e in events:
            cal.add_component(e)
        occurrences = _occurrences(cal, window_start, window_end)
        series = any("RRULE" in e or "RDATE" in e for e in events) or len(events) > 1
    count = 0
    facts: dict[int, tuple[bool, str]] = {}  # per component: (blocks?, summary), read once, not per occurrence
    for comp, start, end in occurrences:
        fact = facts.get(id(comp))
        if fact is None:
            blocks = (
                str(comp.get("STATUS", "")).upper() != "CANCELLED"
                and str(comp.get("TRANSP", "")).upper() != "TRANSPARENT"
            )
            fact = facts[id(comp)] = (blocks, str(comp.get("SUMMARY", ""))[:200])
        if not fact[0]:
            result.free += 1
            continue
        first, last, all_day = _bounds(start, end, zone, host_zone)
        if last <= first or last <= window_start or first >= window_end:
            continue
        rid = ""
        if series:
            rid = _iso(comp["RECURRENCE-ID"].dt if "RECURRENCE-ID" in comp else start, zone)
        count += 1
        if count > max_occurrences:
            result.errors.append(f"event {uid!r}: only the first {max_occurrences} occurrences in the window imported")
            return
        result.busy.append(
            BusyTime(uid=uid, recurrence_id=rid, start=first, end=last, summary=fact[1], all_day=all_day)
        )


def _iso(value, host_zone: str) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(host_zone))
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def _bounds(start, end, zone: str, host_zone: str) -> tuple[datetime, datetime, bool]:
    """UTC [start, end): floating times read in `zone` (the feed's X-WR-TIMEZONE, else the host's); dates
    as the host's local days."""
    if not isinstance(start, datetime):
        last = end if not isinstance(end, datetime) else end.date()
        return *_local_days(start, max(last, start + timedelta(days=1)), host_zone), True
    zi = ZoneInfo(zone)
    if start.tzinfo is None:
        start = start.replace(tzinfo=zi)
    if not isinstance(end, datetime):
        end = start
    elif end.tzinfo is None:
        end = end.replace(tzinfo=zi)
    return start.astimezone(UTC), end.astimezone(UTC), False


def _local_days(first: date, after_last: date, zone: str) -> tuple[datetime, datetime]:
    """[start of `first`, start of `after_last`) on the host's wall clock, as UTC instants."""
    day = first
    bounds = local_day_bounds(zone, day)
    while not bounds:  # a date the zone skipped: begin with the next one
        day += timedelta(days=1)
        bounds = local_day_bounds(zone, day)
    last = after_last - timedelta(days=1)
    ends = local_day_bounds(zone, last)
    while not ends:
        last -= timedelta(days=1)
        ends = local_day_bounds(zone, last)
    return bounds[0].start, ends[-1].end
