"""Plain VEVENTs read straight from the text, without icalendar: a one-off event at UTC times, at times in
a known IANA zone, or on whole days, with no recurrence and nothing unusual. They are most of a feed's
events and most of its parse time. Anything else (recurrence, floating times, custom VTIMEZONE-only zones,
escaped text, a wall time the DST policy gives no instant, unknown properties) is left in the text for the
full icalendar path, so the two paths give the same busy time (tests/calendars/test_ics_plain.py).

Wall time -> instant goes through the engine's one DST policy (`wall_to_instants`); a time in a fold takes
the earlier instant, as RFC 5545 reads an ambiguous DTSTART; a time in a gap names no instant and the event
goes to the full path. Pure: no Django, no I/O, no clock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from slotwise.engine import wall_to_instants, zone_info

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATETIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)")
_DURATION = re.compile(r"\+?P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)")
_INTEGER = re.compile(r"\d{1,9}")
# Properties a plain event may carry: the ones read here, and ones whose values are not read at all (or,
# for DTSTAMP, CREATED, LAST-MODIFIED and SEQUENCE, checked here to be what icalendar accepts).
_READ = {"UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "STATUS", "TRANSP"}
_STAMPS = {"DTSTAMP", "CREATED", "LAST-MODIFIED"}
_IGNORED = {"DESCRIPTION", "LOCATION", "CLASS", "ORGANIZER", "ATTENDEE", "URL", "PRIORITY", "CATEGORIES", "SEQUENCE"}


@dataclass(frozen=True, slots=True)
class Plain:
    """One plain event. Timed: `start`/`end` are UTC instants. All-day: `start` is the first day and `end`
    the DTEND date (exclusive), or the day after `start` when there is none."""

    uid: str
    start: datetime | date
    end: datetime | date
    summary: str
    blocks: bool  # neither TRANSP:TRANSPARENT nor STATUS:CANCELLED


def split_plain(text: str, *, max_series: int, accept: Callable[[Plain], bool]) -> tuple[list[Plain], str]:
    """(the plain events of unfolded `text` that `accept` takes, the text without them for the full path).
    Text whose structure is not a plain sequence of VCALENDARs, or with more than `max_series` UIDs, is all
    left to the full path."""
    if "\r" in text.replace("\r\n", ""):
        return [], text
    lines = text.split("\n")
    blocks = _event_blocks(lines)
    if blocks is None:
        return [], text
    parsed = [(a, b, _props(lines, a, b)) for a, b in blocks]
    uids = Counter(_uid(p) for _, _, p in parsed)
    if len(uids) > max_series:
        return [], text
    # X-WR-TIMEZONE moves UTC times onto that zone's wall clock, where the full path then adds a DURATION
    # (P1D from 00:00Z on Berlin's spring-forward day ends at 23:00Z): such events go to the full path.
    wall_clock_zone = any(line.upper().startswith("X-WR-TIMEZONE") for line in lines)
    plain: list[Plain] = []
    keep = [True] * len(lines)
    for a, b, props in parsed:
        if props is None or uids[_uid(props)] != 1:
            continue
        if wall_clock_zone and "DURATION" in props:
            continue
        event = _plain(props)
        if event is None or not accept(event):
            continue
        plain.append(event)
        keep[a : b + 1] = [False] * (b + 1 - a)
    if not plain:
        return [], text
    return plain, "\n".join(line for line, k in zip(lines, keep, strict=True) if k)


def _event_blocks(lines: list[str]) -> list[tuple[int, int]] | None:
    """(first, last) line index of every VEVENT directly inside a VCALENDAR; None if BEGIN/END do not nest."""
    stack: list[str] = []
    out, first = [], 0
    for i, line in enumerate(lines):
        head = line[:6].upper()
        if head == "BEGIN:":
            name = line[6:].rstrip("\r").strip().upper()
            if name == "VEVENT" and stack == ["VCALENDAR"]:
                first = i
            stack.append(name)
        elif head[:4] == "END:":
            name = line[4:].rstrip("\r").strip().upper()
            if not stack or stack.pop() != name:
                return None
            if name == "VEVENT" and stack == ["VCALENDAR"]:
                out.append((first, i))
    return out if not stack else None


_Props = dict[str, list[tuple[str, str]]]


def _props(lines: list[str], a: int, b: int) -> _Props | None:
    """The VEVENT's own properties (not its VALARMs'): name -> [(parameters, value)]; None if a line is not
    a plain content line."""
    props: _Props = {}
    depth = 0
    for line in lines[a + 1 : b]:
        line = line.rstrip("\r")
        head = line[:6].upper()
        if head == "BEGIN:":
            depth += 1
            continue
        if head[:4] == "END:":
            depth -= 1
            continue
        if depth:
            continue
        colon = line.find(":")
        if colon <= 0 or '"' in line[:colon]:
            return None
        name, _, params = line[:colon].partition(";")
        props.setdefault(name.upper(), []).append((params, line[colon + 1 :]))
    return props


def _uid(props: _Props | None) -> str:
    values = (props or {}).get("UID")
    return values[0][1] if values else ""


def _one(props: _Props, name: str) -> tuple[str, str] | None:
    values = props.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise ValueError(name)
    return values[0]


def _plain(props: _Props) -> Plain | None:  # noqa: C901 - one check per way an event is not plain
    for name, values in props.items():
        if name in _STAMPS:
            if len(values) != 1 or values[0][0] or not _DATETIME.fullmatch(values[0][1]):
                return None
        elif name == "SEQUENCE":
            if len(values) != 1 or not _INTEGER.fullmatch(values[0][1]):
                return None
        elif name not in _READ and name not in _IGNORED and not name.startswith("X-"):
            return None
    try:
        uid, start, end, duration = (_one(props, n) for n in ("UID", "DTSTART", "DTEND", "DURATION"))
        texts = [_one(props, n) for n in ("SUMMARY", "STATUS", "TRANSP")]
    except ValueError:
        return None
    if uid is None or not uid[1] or start is None or (end is not None and duration is not None):
        return None
    summary, status, transp = ("" if t is None else t[1] for t in texts)
    if "\\" in uid[1] + summary + status + transp:  # escapes: icalendar's unescaping decides
        return None
    first = _when(*start)
    if first is None:
        return None
    last: datetime | date | None
    if isinstance(first, date) and not isinstance(first, datetime):
        if duration is not None:
            return None
        last = first + timedelta(days=1) if end is None else _when(*end)
        if last is None or isinstance(last, datetime) or last < first:
            return None
    elif duration is not None:
        last = _plus(start, first, duration)
    elif end is None:
        last = first
    else:
        last = _when(*end)
        if not isinstance(last, datetime):
            return None
    if last is None:
        return None
    blocks = status.upper() != "CANCELLED" and transp.upper() != "TRANSPARENT"
    return Plain(uid=uid[1], start=first, end=last, summary=summary[:200], blocks=blocks)


def _zone_and_kind(params: str) -> tuple[str, str] | None:
    """(TZID, VALUE) of a DTSTART/DTEND; None for any other parameter."""
    zone = kind = ""
    for param in params.split(";") if params else ():
        key, _, value = param.partition("=")
        key = key.upper()
        if key == "TZID" and not zone:
            zone = value
        elif key == "VALUE" and not kind:
            kind = value.upper()
        else:
            return None
    return zone, kind


def _when(params: str, value: str) -> datetime | date | None:
    """A DTSTART/DTEND as a UTC instant or a date; None when the full path must read it."""
    found = _zone_and_kind(params)
    if found is None:
        return None
    zone, kind = found
    if kind == "DATE" or (not kind and _DATE.fullmatch(value)):
        m = _DATE.fullmatch(value)
        if m is None or zone:
            return None
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    wall = _wall(value, kind)
    if wall is None:
        return None
    if value.endswith("Z"):
        return None if zone else wall.replace(tzinfo=UTC)
    return _instant(zone, wall) if zone else None  # floating times: the full path's rules


def _wall(value: str, kind: str) -> datetime | None:
    m = _DATETIME.fullmatch(value)
    if m is None or kind not in ("", "DATE-TIME"):
        return None
    try:
        return datetime(*(int(g) for g in m.groups()[:6]))  # noqa: DTZ001 - a wall time, zone applied next
    except ValueError:
        return None


def _instant(zone: str, wall: datetime) -> datetime | None:
    try:
        zone_info(zone)
    except ValueError:
        return None  # a zone only the feed's VTIMEZONE defines
    instants = wall_to_instants(zone, wall)
    return instants[0] if instants else None


def _plus(start: tuple[str, str], first: datetime, duration: tuple[str, str]) -> datetime | None:
    """DTSTART + DURATION, added on the wall clock of DTSTART's zone (as icalendar does for an aware time)."""
    m = _DURATION.fullmatch(duration[1])
    if duration[0] or m is None or not any(m.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
    span = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if start[1].endswith("Z"):
        return first + span
    found = _zone_and_kind(start[0])
    wall = _wall(start[1], found[1] if found else "")
    if found is None or wall is None:
        return None
    return _instant(found[0], wall + span)
