"""Booking limits: at most N meetings or M minutes per local day, week or month of the host's home zone.

A period is a run of whole local days [first, end) (day numbers since 1970-01-01); its instants are the
wall range [first * DAY, end * DAY) under the one DST policy, so a day of 23 or 25 hours is still one day.
A meeting counts in full for the periods of its start's local date. A new meeting of `dur` seconds at a
start in a period is refused when the period already holds `max` meetings, or when its booked seconds
plus `dur` exceed `max` minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .intervals import imerge
from .rules import LIMIT_REASONS, HostInput, Limit, Period, Reason
from .wallclock import DAY, day_from_number, day_number, local_day_of, segments, wall_range_pairs


@dataclass(slots=True)
class Tally:
    """Meetings and booked seconds in one period: this event type's, and all of the host's."""

    event_count: int = 0
    event_seconds: int = 0
    all_count: int = 0
    all_seconds: int = 0


@lru_cache(maxsize=65536)
def period_of(period: Period, n: int, week_start: int) -> tuple[int, int]:
    """The period containing local day number n, as day numbers [first, end)."""
    if period == "day":
        return n, n + 1
    if period == "week":
        # 1970-01-01 (day 0) was a Thursday, weekday 3.
        first = n - (n + 3 - week_start) % 7
        return first, first + 7
    d = day_from_number(n)
    first = day_number(d.replace(day=1))
    nxt = d.replace(year=d.year + 1, month=1, day=1) if d.month == 12 else d.replace(month=d.month + 1, day=1)
    return first, day_number(nxt)


def _day_tallies(host: HostInput) -> dict[int, Tally]:
    """{local day number: Tally} of the host's meetings, computed once per host."""
    found = host.tallies.get("days")
    if found is None:
        found = host.tallies["days"] = {}
        if host.meetings:
            starts = [m.span[0] for m in host.meetings]
            lo, hi = min(starts), max(starts) + 1
            segs = segments(host.hours.zone, lo, hi)
            omin, omax = segs.offset_bounds(lo, hi)
            for m in host.meetings:
                t, seconds = m.span
                n = (t + (omin if omin == omax else segs.offset_at(t))) // DAY
                tally = found.get(n)
                if tally is None:
                    tally = found[n] = Tally()
                tally.all_count += 1
                tally.all_seconds += seconds
                if m.this_event:
                    tally.event_count += 1
                    tally.event_seconds += seconds
    return found


def _total(host: HostInput) -> Tally:
    """All the host's meetings as one tally."""
    found = host.tallies.get("total")
    if found is None:
        found = host.tallies["total"] = Tally()
        for day in _day_tallies(host).values():
            found.all_count += day.all_count
            found.all_seconds += day.all_seconds
            found.event_count += day.event_count
            found.event_seconds += day.event_seconds
    return found


def _tallies(host: HostInput, period: Period, week_start: int) -> dict[int, Tally]:
    """{first local day number of the period: Tally} for the periods holding meetings."""
    days = _day_tallies(host)
    if period == "day":
        return days
    key = (period, week_start)
    found = host.tallies.get(key)
    if found is None:
        found = host.tallies[key] = {}
        for n, day in days.items():
            first = period_of(period, n, week_start)[0]
            tally = found.get(first)
            if tally is None:
                tally = found[first] = Tally()
            tally.all_count += day.all_count
            tally.all_seconds += day.all_seconds
            tally.event_count += day.event_count
            tally.event_seconds += day.event_seconds
    return found


def _full(limit: Limit, host_wide: bool, tally: Tally | None, dur: int) -> bool:
    """Whether one more meeting of dur seconds would break the limit in a period holding `tally`."""
    if limit.unit == "bookings":
        used = 0 if tally is None else (tally.all_count if host_wide else tally.event_count)
        return used + 1 > limit.max
    used = 0 if tally is None else (tally.all_seconds if host_wide else tally.event_seconds)
    return used + dur > limit.max * 60


def _scoped(event_limits: Iterable[Limit], host: HostInput) -> Iterator[tuple[Limit, bool]]:
    for limit in event_limits:
        yield limit, False
    for limit in host.limits:
        yield limit, True


def blocked_pairs(
    event_limits: tuple[Limit, ...], host: HostInput, *, week_start: int, dur: int
) -> list[tuple[int, int]] | None:
    """The starts some limit refuses, as merged int pairs; None when every start is refused.

    Every period with meetings is decided (not only those near the asked range): there are few of them,
    and the answer is kept on the host for the next query with the same limits and duration."""
    key = ("blocked", event_limits, week_start, dur)
    if key in host.tallies:
        return host.tallies[key]
    full: set[tuple[int, int]] = set()
    out: list[tuple[int, int]] | None = []
    total = _total(host)
    for limit, host_wide in _scoped(event_limits, host):
        if _full(limit, host_wide, None, dur):
            out = None  # even an empty period cannot take this meeting
            break
        if not _full(limit, host_wide, total, dur):
            continue  # all the host's meetings in one period would still leave room
        for first, tally in _tallies(host, limit.period, week_start).items():
            if _full(limit, host_wide, tally, dur):
                full.add(period_of(limit.period, first, week_start))
    if out is not None:
        zone = host.hours.zone
        for first, end in sorted(full):
            out.extend(wall_range_pairs(zone, first * DAY, end * DAY))
        out.sort()
        out = imerge(out)
    host.tallies[key] = out
    return out


def limit_reasons(event_limits: Iterable[Limit], host: HostInput, *, week_start: int, dur: int, t: int) -> set[Reason]:
    """The limits that refuse a meeting of dur seconds starting at instant t."""
    n = local_day_of(host.hours.zone, t)
    out = set()
    for limit, host_wide in _scoped(event_limits, host):
        first, _ = period_of(limit.period, n, week_start)
        if _full(limit, host_wide, _tallies(host, limit.period, week_start).get(first), dur):
            out.add(LIMIT_REASONS[(host_wide, limit.period, limit.unit)])
    return out
