"""Wall clock <-> instant, with one named DST policy.

Policy ("wall-set"): a wall-clock range [start, end) on local date D in zone Z means the set of instants
whose local wall time in Z has date D and a time of day in [start, end). Consequences:

* a local time inside a spring-forward gap names no instant, so it is never offered;
* a local time inside a fall-back fold names two instants; both are offered, once each;
* a local date that does not exist (Pacific/Apia skipped 2011-12-30) has no instants;
* an end of ``None`` or ``time(0)`` means 24:00, the end of the day.

Implementation: zoneinfo does not expose its transitions, so we sample ``utcoffset`` every few hours and
binary-search the exact second of each change, cached per (zone, UTC year). That yields constant-offset
segments [a, b) with offset o; the instants of the local wall range [Ls, Le) ("local epoch seconds":
seconds since 1970-01-01T00:00 on the wall clock) are the union over segments of [Ls - o, Le - o) ∩ [a, b).
Local wall time of instant t is t + o, so this is exactly the set the policy describes.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .intervals import Interval, from_epoch, imerge, to_epoch

DAY = 86400
_UNIX_DAY0 = date(1970, 1, 1).toordinal()
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the origin of local (wall-clock) epoch seconds
# Sampling step for finding transitions. Two changes closer than this that return to the same offset
# would hide between samples; checked against the TZif transition tables of the pinned tzdata, every
# offset change of every zone in 1970-2030 is found to the second.
_SAMPLE = 6 * 3600
# No UTC offset in tzdata exceeds a day, so local midnight of D lies within a day of D's UTC midnight.
_MAX_OFFSET = DAY


# Zone name -> ZoneInfo, validated once. Python's own ZoneInfo cache keeps only 8 strongly, so a pool in
# 12 zones re-read zone files on every query; zones are few (tzdata has ~600) and kept for the process.
_ZONES: dict[str, ZoneInfo] = {}


def zone_info(zone: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name, kept for the process; ValueError("unknown time zone ...") otherwise."""
    found = _ZONES.get(zone)
    if found is None:
        try:
            found = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {zone!r}") from exc
        _ZONES[zone] = found
    return found


def _offset(zi: ZoneInfo, t: int) -> int:
    offset = datetime.fromtimestamp(t, zi).utcoffset()
    assert offset is not None  # noqa: S101 - for the type checker: an aware datetime in a ZoneInfo has one
    return offset // timedelta(seconds=1)


@lru_cache(maxsize=4096)
def _year_transitions(zone: str, year: int) -> tuple[int, tuple[tuple[int, int], ...]]:
    """(offset at the UTC start of `year`, ((utc second of change, new offset), ...)) within that year."""
    zi = zone_info(zone)
    a = to_epoch(datetime(year, 1, 1, tzinfo=UTC))
    b = to_epoch(datetime(year + 1, 1, 1, tzinfo=UTC))
    first = _offset(zi, a)
    changes: list[tuple[int, int]] = []
    prev_t, prev_o = a, first
    t = a
    while t < b:
        t = min(t + _SAMPLE, b)
        o = _offset(zi, t) if t < b else _offset(zi, b - 1)
        # Several changes may sit between two samples; find them one after another.
        while o != prev_o:
            lo, hi = prev_t, t  # offset(lo) == prev_o, offset(hi) != prev_o: find first second that differs
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zi, mid) == prev_o:
                    lo = mid
                else:
                    hi = mid
            prev_t, prev_o = hi, _offset(zi, hi)
            changes.append((prev_t, prev_o))
        prev_t = t
    return first, tuple(changes)


class Segments:
    """Constant-offset UTC segments of one zone covering whole UTC years; starts/ends/offsets are parallel."""

    __slots__ = ("ends", "offsets", "starts")

    def __init__(self, starts: list[int], ends: list[int], offsets: list[int]):
        self.starts, self.ends, self.offsets = starts, ends, offsets

    def index(self, t: int) -> int:
        return bisect_right(self.starts, t) - 1

    def offset_at(self, t: int) -> int:
        return self.offsets[bisect_right(self.starts, t) - 1]

    def offset_bounds(self, lo: int, hi: int) -> tuple[int, int]:
        """(min, max) offset over instants in [lo, hi)."""
        i, j = self.index(lo), self.index(hi - 1)
        window = self.offsets[i : j + 1]
        return min(window), max(window)

    def wall_pairs(self, ls: int, le: int, out: list[tuple[int, int]]) -> None:
        """Append the instants of local wall range [ls, le) (local epoch seconds) as int pairs."""
        starts, ends, offsets = self.starts, self.ends, self.offsets
        i = bisect_right(starts, ls - _MAX_OFFSET) - 1
        i = max(i, 0)
        n = len(starts)
        limit = le + _MAX_OFFSET
        while i < n:
            a = starts[i]
            if a >= limit:
                break
            o = offsets[i]
            b = ends[i]
            s = ls - o
            e = le - o
            if s < a:
                s = a
            if e > b:
                e = b
            if s < e:
                out.append((s, e))
            i += 1


@lru_cache(maxsize=1024)
def _segments_for_years(zone: str, y0: int, y1: int) -> Segments:
    starts: list[int] = []
    offsets: list[int] = []
    for year in range(y0, y1 + 1):
        first, changes = _year_transitions(zone, year)
        if not offsets or offsets[-1] != first:
            starts.append(to_epoch(datetime(year, 1, 1, tzinfo=UTC)))
            offsets.append(first)
        for t, o in changes:
            if o != offsets[-1]:
                starts.append(t)
                offsets.append(o)
    end = to_epoch(datetime(y1 + 1, 1, 1, tzinfo=UTC))
    return Segments(starts, starts[1:] + [end], offsets)


def _year_of(t: int) -> int:
    return date.fromordinal(_UNIX_DAY0 + t // DAY).year


def segments(zone: str, lo: int, hi: int) -> Segments:
    """Segments covering at least [lo - a day, hi + a day), so wall ranges near the edges map fully."""
    return _segments_for_years(zone, _year_of(lo - _MAX_OFFSET), _year_of(hi + _MAX_OFFSET))


def local_epoch(local: datetime) -> int:
    """Naive wall datetime -> local epoch seconds (floored)."""
    return (local - _NAIVE_EPOCH) // timedelta(seconds=1)


def day_number(d: date) -> int:
    return d.toordinal() - _UNIX_DAY0


def day_from_number(n: int) -> date:
    return date.fromordinal(_UNIX_DAY0 + n)


def local_day_of(zone: str, t: int) -> int:
    """Local date (as a day number) of instant t in zone."""
    return (t + segments(zone, t, t + 1).offset_at(t)) // DAY


@lru_cache(maxsize=65536)
def is_daylight_day(zone: str, n: int) -> bool:
    """Whether local day number n of `zone` is a daylight-saving day: daylight time in force at local noon.

    Noon, because both changes happen at night: the day clocks spring forward counts as daylight, the day
    they fall back as standard (the clock that shows most of the day).
    """
    noon = n * DAY + DAY // 2
    segs = segments(zone, noon, noon + 1)
    t = noon - segs.offset_at(noon - segs.offset_at(noon))  # the instant showing local noon
    return bool(datetime.fromtimestamp(t, zone_info(zone)).dst())


def zone_has_daylight(zone: str, first: date, last: date) -> bool:
    """Whether `zone` observes daylight saving time on some day in [first, last]."""
    return any(is_daylight_day(zone, n) for n in range(day_number(first), day_number(last) + 1, 7))


def wall_range_pairs(zone: str, ls: int, le: int) -> list[tuple[int, int]]:
    """Instants of local wall range [ls, le) as merged int pairs."""
    out: list[tuple[int, int]] = []
    if ls < le:
        segments(zone, ls, le).wall_pairs(ls, le, out)
    return imerge(out)


def wall_to_instants(zone: str, local: datetime) -> list[datetime]:
    """Naive local wall time -> the UTC instants showing it: none (gap), one, or two (fold), earliest first."""
    if local.tzinfo is not None:
        raise ValueError(f"expected a naive local datetime, got {local!r}")
    ls = local_epoch(local)
    frac = timedelta(microseconds=local.microsecond)
    return [from_epoch(s) + frac for s, _ in wall_range_pairs(zone, ls, ls + 1)]


def local_date(zone: str, instant: datetime) -> date:
    """The local date of an aware instant in `zone`."""
    return day_from_number(local_day_of(zone, to_epoch(instant)))


def local_day_bounds(zone: str, day: date) -> list[Interval]:
    """The instants whose local date in zone is `day` (empty when the day was skipped)."""
    d0 = day_number(day) * DAY
    return [Interval(from_epoch(s), from_epoch(e)) for s, e in wall_range_pairs(zone, d0, d0 + DAY)]
