"""Half-open UTC intervals [start, end).

The public functions work on `Interval` (aware UTC datetimes); the `_i*` helpers work on sorted lists of
``(start, end)`` int epoch-second pairs, which is what the slot engine uses internally for speed.
Every list those helpers return is sorted, disjoint and non-touching (touching pieces are joined).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_epoch(dt: datetime) -> int:
    """Aware datetime -> int epoch seconds (sub-second part floored)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {dt!r}")
    return (dt - _EPOCH) // timedelta(seconds=1)


def from_epoch(t: int) -> datetime:
    return _EPOCH + timedelta(seconds=t)


@dataclass(frozen=True, slots=True)
class Interval:
    """Half-open [start, end) between two aware instants, normalised to UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"Interval.{name} must be timezone-aware, got {value!r}")
            if value.tzinfo is not UTC:
                object.__setattr__(self, name, value.astimezone(UTC))
        if not self.start < self.end:
            raise ValueError(f"Interval needs start < end, got [{self.start}, {self.end})")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def overlaps(x: Interval, y: Interval) -> bool:
    return x.start < y.end and y.start < x.end


def _to_pairs(intervals: Iterable[Interval]) -> list[tuple[int, int]]:
    # Microsecond precision is kept here: the public helpers must be exact for any aware input.
    return sorted(
        ((iv.start - _EPOCH) // timedelta(microseconds=1), (iv.end - _EPOCH) // timedelta(microseconds=1))
        for iv in intervals
    )


def _from_pairs(pairs: Iterable[tuple[int, int]]) -> list[Interval]:
    us = timedelta(microseconds=1)
    return [Interval(_EPOCH + s * us, _EPOCH + e * us) for s, e in pairs]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union; overlapping and touching intervals are joined."""
    return _from_pairs(imerge(_to_pairs(intervals)))


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Instants in some interval of `a` and in no interval of `b`."""
    return _from_pairs(isubtract(imerge(_to_pairs(a)), imerge(_to_pairs(b))))


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Instants in some interval of `a` and in some interval of `b`."""
    return _from_pairs(iintersect(imerge(_to_pairs(a)), imerge(_to_pairs(b))))


# --- int pair helpers -------------------------------------------------------------------------------


class BusyPairs(tuple):
    """Busy time as (start, end) int epoch-second pairs, checked once, with their union ready.

    A tuple of the pairs as given (sorted here), plus `union` (merged: disjoint, sorted, touching pairs
    joined) and its starts and ends for bisecting. Built once per change of a host's busy time, it can be
    handed to any number of queries (HostInput.busy_pairs) without being checked or merged again.
    """

    union: list[tuple[int, int]]
    union_starts: list[int]
    union_ends: list[int]

    def __new__(cls, pairs: Iterable[tuple[int, int]] = ()) -> BusyPairs:
        items = sorted(pairs)
        for x, y in items:
            if not (type(x) is int and type(y) is int and x < y):
                raise ValueError(f"busy pairs are (start, end) int seconds with start < end, got {(x, y)!r}")
        self = super().__new__(cls, items)
        self.union = union = imerge(items)
        self.union_starts = [x for x, _ in union]
        self.union_ends = [y for _, y in union]
        return self


def imerge(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of already start-sorted pairs (empty pairs are dropped)."""
    out: list[tuple[int, int]] = []
    cur_s = 0
    cur_e: int | None = None
    for s, e in pairs:
        if s >= e:
            continue
        if cur_e is None:
            cur_s, cur_e = s, e
        elif s <= cur_e:
            if e > cur_e:  # plain compares: this loop is hot, and max() costs a call
                cur_e = e
        else:
            out.append((cur_s, cur_e))
            cur_s, cur_e = s, e
    if cur_e is not None:
        out.append((cur_s, cur_e))
    return out


def isubtract(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """a − b, for `a` normalised and `b` whose starts and ends both ascend (overlaps allowed)."""
    if not b:
        return list(a)
    out = []
    j = 0
    nb = len(b)
    for s, e in a:
        while j < nb and b[j][1] <= s:
            j += 1
        k = j
        while k < nb:
            bs, be = b[k]
            if bs >= e:
                break
            if bs > s:
                out.append((s, bs))
            if be >= e:
                s = e
                break
            s = be
            k += 1
        if s < e:
            out.append((s, e))
    return out


def iintersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """a ∩ b for two normalised pair lists."""
    out = []
    i = j = 0
    na, nb = len(a), len(b)
    while i < na and j < nb:
        as_, ae = a[i]
        bs, be = b[j]
        s = as_ if as_ > bs else bs
        e = ae if ae < be else be
        if s < e:
            out.append((s, e))
        if ae < be:
            i += 1
        else:
            j += 1
    return out


def iclip(a: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """a ∩ [lo, hi)."""
    out = []
    for s, e in a:
        if e <= lo:
            continue
        if s >= hi:
            break
        out.append((s if s > lo else lo, e if e < hi else hi))
    return out
