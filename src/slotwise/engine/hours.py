"""Weekly working hours with per-date overrides, turned into UTC intervals by the wall-clock policy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from .intervals import Interval, from_epoch, iclip, imerge, to_epoch
from .wallclock import DAY, day_number, is_daylight_day, segments, zone_info


def _time_secs(t: time, *, ceil: bool) -> int:
    secs = t.hour * 3600 + t.minute * 60 + t.second
    # Starts round up and ends round down so a whole-second meeting never pokes outside the range.
    return secs + 1 if ceil and t.microsecond else secs


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Wall-clock [start, end) within one local day; end None (or time(0)) means 24:00."""

    start: time
    end: time | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or (self.end is not None and self.end.tzinfo is not None):
            raise ValueError("TimeRange takes naive wall-clock times; the zone lives on WeeklyHours")
        if self.end == time(0):
            object.__setattr__(self, "end", None)
        if self.end is not None and not self.start < self.end:
            raise ValueError(f"TimeRange needs start < end, got {self.start}–{self.end}")

    @property
    def seconds(self) -> tuple[int, int]:
        """(start, end) as seconds after local midnight."""
        end = DAY if self.end is None else _time_secs(self.end, ceil=False)
        return _time_secs(self.start, ceil=True), end


class FrozenMap(Mapping):
    """A read-only, hashable copy of a mapping, so frozen value objects stay immutable and hashable."""

    __slots__ = ("_d", "_h")

    def __init__(self, items: Mapping):
        self._d = dict(items)
        self._h: int | None = None

    def __getitem__(self, key):
        return self._d[key]

    def __iter__(self) -> Iterator:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(frozenset(self._d.items()))
        return self._h

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self._d == dict(other)

    def __repr__(self) -> str:
        return f"FrozenMap({self._d!r})"


def _ranges(value) -> tuple[TimeRange, ...]:
    ranges = tuple(value)
    for r in ranges:
        if not isinstance(r, TimeRange):
            raise TypeError(f"expected TimeRange, got {r!r}")
    return ranges


@dataclass(frozen=True, slots=True)
class Stay:
    """The host works from `zone` on the local dates [first, last] (both inclusive): "in Asia/Tokyo 3-20 March".

    Those dates are read on the stay zone's clock and every other date on the home zone's: the home zone's
    3-20 March give no hours, Tokyo's 3-20 March give the weekly hours (and overrides) in Tokyo time.
    """

    zone: str
    first: date
    last: date

    def __post_init__(self) -> None:
        zone_info(self.zone)
        if type(self.first) is not date or type(self.last) is not date or self.first > self.last:
            raise ValueError(f"Stay needs dates first <= last, got {self.first!r}..{self.last!r}")


def _week_secs(weekly: Mapping) -> tuple[tuple[tuple[int, int], ...], ...]:
    return tuple(tuple(r.seconds for r in weekly.get(wd, ())) for wd in range(7))


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Working hours in `zone`: weekly[weekday] (0=Monday) unless overrides[date] replaces that date.

    daylight: seasonal hours, used instead of `weekly` on the local days the zone keeps daylight saving
    time (wallclock.is_daylight_day); `weekly` then holds the standard-time hours. stays: travel.
    """

    zone: str
    weekly: Mapping[int, tuple[TimeRange, ...]]
    overrides: Mapping[date, tuple[TimeRange, ...]] = FrozenMap({})
    daylight: Mapping[int, tuple[TimeRange, ...]] | None = None
    stays: tuple[Stay, ...] = ()
    # Derived at construction for the slot engine: seconds-after-midnight pairs per weekday and per
    # override day number (days since 1970-01-01).
    week_secs: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)
    daylight_secs: tuple[tuple[tuple[int, int], ...], ...] | None = field(init=False, repr=False, compare=False)
    override_secs: dict[int, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False)
    # (first, end, zone) of each stay as local day numbers [first, end), sorted and disjoint.
    stay_days: tuple[tuple[int, int, str], ...] = field(init=False, repr=False, compare=False)
    # working_pairs' answers per whole UTC days [a, b): the same hours are asked about the same window by
    # every request (scheduling keeps one WeeklyHours per schedule content), so they are worked out once.
    memo: dict[tuple[int, int], list[tuple[int, int]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone_info(self.zone)
        for wd in (*self.weekly, *(self.daylight or ())):
            if wd not in range(7):
                raise ValueError(f"weekly keys are weekdays 0 (Monday)..6 (Sunday), got {wd!r}")
        for d in self.overrides:
            if type(d) is not date:
                raise ValueError(f"override keys are dates, got {d!r}")
        object.__setattr__(self, "weekly", FrozenMap({k: _ranges(v) for k, v in self.weekly.items()}))
        object.__setattr__(self, "overrides", FrozenMap({k: _ranges(v) for k, v in self.overrides.items()}))
        object.__setattr__(self, "week_secs", _week_secs(self.weekly))
        daylight = None
        if self.daylight is not None:
            daylight = FrozenMap({k: _ranges(v) for k, v in self.daylight.items()})
        object.__setattr__(self, "daylight", daylight)
        object.__setattr__(self, "daylight_secs", None if daylight is None else _week_secs(daylight))
        object.__setattr__(self, "stays", tuple(self.stays))
        days = []
        for stay in self.stays:
            if not isinstance(stay, Stay):
                raise TypeError(f"WeeklyHours.stays takes Stay values, got {stay!r}")
            days.append((day_number(stay.first), day_number(stay.last) + 1, stay.zone))
        days.sort()
        for (_, b, _z), (c, _, _z2) in zip(days, days[1:], strict=False):
            if c < b:
                raise ValueError("stays must not overlap")
        object.__setattr__(self, "stay_days", tuple(days))
        object.__setattr__(self, "memo", {})
        object.__setattr__(
            self,
            "override_secs",
            {day_number(d): tuple(r.seconds for r in rs) for d, rs in self.overrides.items()},
        )

    def ranges_on(self, day: date, zone: str | None = None) -> tuple[TimeRange, ...]:
        """The wall-clock ranges of local date `day` on the clock of `zone` (the home zone by default)."""
        found = self.overrides.get(day)
        if found is not None:
            return found
        if self.daylight is not None and is_daylight_day(zone or self.zone, day_number(day)):
            return self.daylight.get(day.weekday(), ())
        return self.weekly.get(day.weekday(), ())


# How many windows one WeeklyHours remembers (a month view, a day's times, a booking check, ...).
_MEMO_SIZE = 64


def working_pairs(hours: WeeklyHours, lo: int, hi: int) -> list[tuple[int, int]]:
    """Working instants within [lo, hi) as merged int pairs (touching days join into one stretch).

    Worked out for the whole UTC days around [lo, hi) and remembered on `hours`, then cut to [lo, hi):
    the working instants are a set, so cutting a wider answer gives exactly the narrower one."""
    if lo >= hi:
        return []
    key = (lo // DAY, -(-hi // DAY))
    memo = hours.memo
    found = memo.get(key)
    if found is None:
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        found = memo[key] = _working_pairs(hours, key[0] * DAY, key[1] * DAY)
    if found and (found[0][0] < lo or found[-1][1] > hi):
        return iclip(found, lo, hi)
    return list(found)


def _working_pairs(hours: WeeklyHours, lo: int, hi: int) -> list[tuple[int, int]]:
    if not hours.stay_days:
        return _zone_pairs(hours, hours.zone, lo, hi)
    away = [(a, b) for a, b, _ in hours.stay_days]
    out = _zone_pairs(hours, hours.zone, lo, hi, skip=away)
    for a, b, zone in hours.stay_days:
        # A local day lies within a day of its UTC namesake.
        if a * DAY - DAY < hi and b * DAY + DAY > lo:
            out.extend(_zone_pairs(hours, zone, lo, hi, only=(a, b)))
    out.sort()
    return imerge(out)


def _day_secs(hours: WeeklyHours, zone: str, n: int) -> tuple[tuple[int, int], ...]:
    """The working (start, end) seconds after local midnight of local day number n on the clock of `zone`."""
    if hours.override_secs:
        found = hours.override_secs.get(n)
        if found is not None:
            return found
    # 1970-01-01 was a Thursday (weekday 3).
    if hours.daylight_secs is not None and is_daylight_day(zone, n):
        return hours.daylight_secs[(n + 3) % 7]
    return hours.week_secs[(n + 3) % 7]


def _without(first: int, last: int, skip: list) -> list[int]:
    """Day numbers first..last outside the sorted, disjoint ranges [a, b) of `skip`."""
    keep: list[int] = []
    n = first
    for a, b in skip:
        if b <= n:
            continue
        if a > last:
            break
        keep.extend(range(n, min(a, last + 1)))
        n = max(n, b)
    keep.extend(range(n, last + 1))
    return keep


def _zone_pairs(
    hours: WeeklyHours, zone: str, lo: int, hi: int, *, skip: list | None = None, only: tuple[int, int] | None = None
) -> list[tuple[int, int]]:
    """working_pairs with the hours read on the clock of `zone`, for its local days in `only` and outside
    `skip` (day-number ranges [a, b))."""
    segs = segments(zone, lo, hi)
    # The local days that can contain an instant of [lo, hi): exact, using the offsets actually in force.
    omin, omax = segs.offset_bounds(lo, hi)
    first, last = (lo + omin) // DAY, (hi - 1 + omax) // DAY
    if only is not None:
        first, last = max(first, only[0]), min(last, only[1] - 1)
    days: range | list[int] = range(first, last + 1)
    if skip:
        days = _without(first, last, skip)
    week = hours.week_secs
    simple = hours.daylight_secs is None and not hours.override_secs
    out: list[tuple[int, int]] = []
    i, j = segs.index(first * DAY - DAY), segs.index((last + 2) * DAY)
    if i == j:
        # One offset for all these days (the usual case): local minus offset, no segment search.
        o = segs.offsets[i]
        for n in days:
            d0 = n * DAY - o
            for s, e in week[(n + 3) % 7] if simple else _day_secs(hours, zone, n):
                out.append((d0 + s, d0 + e))
    else:
        wall_pairs = segs.wall_pairs
        for n in days:
            d0 = n * DAY
            for s, e in week[(n + 3) % 7] if simple else _day_secs(hours, zone, n):
                wall_pairs(d0 + s, d0 + e, out)
    out.sort()
    return iclip(imerge(out), lo, hi)


def working_intervals(hours: WeeklyHours, start: datetime, end: datetime) -> list[Interval]:
    """Working hours between start and end as UTC intervals, clipped to [start, end)."""
    hi = to_epoch(end) + (1 if end.microsecond else 0)
    out = []
    for s, e in working_pairs(hours, to_epoch(start), hi):
        a, b = max(from_epoch(s), start), min(from_epoch(e), end)
        if a < b:
            out.append(Interval(a, b))
    return out
