"""Each host's busy time kept ready between requests: sorted epoch-second pairs, read again only when the
host's HostBusyVersion moved.

What a host's busy time is: their active BookingHost blocks (bookings and pending holds, buffers included)
and their BusyBlock rows (synced calendars, load files), exactly what `bookings.selectors.booked` and
`scheduling.selectors.busy_pairs` read, plus their booked meetings for limits. Database triggers raise the
version in every transaction that changes those rows (scheduling/busy_version_sql.py), so a booking made
by another process is seen by the next read here: the version check is one query for all the hosts asked.

The cache is filled only from reads outside a transaction, which see committed rows. The version is read
before the rows, so an entry can only hold rows newer than its version says (and is then read again),
never older. Inside a transaction an entry is used when the version matches and never stored: a
transaction's own uncommitted write raises the version it sees, and its rows must not outlive a rollback.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import router, transaction

from slotwise import engine
from slotwise.core.db import EpochSeconds
from slotwise.scheduling.models import BusyBlock, HostBusyVersion

from .models import BookingHost

DAY = 86400
# A miss reads at least this far past the asked start (whole UTC days), so a month view, its days' times
# and the booking checks after them share one read.
READ_AHEAD = 45 * DAY
# Hosts kept per process (least recently used go first); a host's entry is a few kilobytes.
MAX_HOSTS = 4096


@dataclass(frozen=True, slots=True)
class HostBusy:
    """One host's busy time covering [lo, hi) (epoch seconds): every row overlapping it is here."""

    version: int
    lo: int
    hi: int
    # Booked blocks (meeting plus its buffers) and calendar busy time, checked and merged once.
    pairs: engine.BusyPairs
    # Booked meetings for limits, by start: (start, end, event type id).
    meetings: tuple[tuple[int, int, int], ...]
    meeting_starts: tuple[int, ...]

    def meetings_between(self, start: int, end: int, event_type_id: int) -> list[engine.Meeting]:
        """The meetings starting in [start, end), marked when of `event_type_id` (as selectors.booked)."""
        i, j = bisect_left(self.meeting_starts, start), bisect_left(self.meeting_starts, end)
        return [
            engine.Meeting(_instant(s), _instant(e), this_event=et == event_type_id) for s, e, et in self.meetings[i:j]
        ]


_cache: OrderedDict[int, HostBusy] = OrderedDict()
_lock = threading.Lock()


def clear() -> None:
    """Forget every host (tests that empty the database between cases reuse host ids)."""
    with _lock:
        _cache.clear()


def versions(member_ids: Sequence[int]) -> dict[int, int]:
    """Each host's busy version (0 for a host whose busy time never changed since the counter exists)."""
    found = dict(HostBusyVersion.objects.filter(membership_id__in=member_ids).values_list("membership_id", "version"))
    return {m: found.get(m, 0) for m in member_ids}


def host_busy(member_ids: Sequence[int], *, start: int, end: int) -> dict[int, HostBusy]:
    """Each host's busy time covering [start, end) (epoch seconds), from the cache where the host's version
    has not moved, else read for all such hosts in one query per table."""
    current = versions(member_ids)
    out: dict[int, HostBusy] = {}
    stale = []
    with _lock:
        for m in member_ids:
            entry = _cache.get(m)
            if entry is not None and entry.version == current[m] and entry.lo <= start and end <= entry.hi:
                _cache.move_to_end(m)
                out[m] = entry
            else:
                stale.append(m)
    if not stale:
        return out
    lo = start - start % DAY
    hi = max(end, lo + READ_AHEAD)
    hi += -hi % DAY
    fresh = read(stale, lo=lo, hi=hi, versions=current)
    out.update(fresh)
    if not transaction.get_connection(router.db_for_read(BookingHost)).in_atomic_block:
        with _lock:
            _cache.update(fresh)
            for m in fresh:
                _cache.move_to_end(m)
            while len(_cache) > MAX_HOSTS:
                _cache.popitem(last=False)
    return out


def read(member_ids: Sequence[int], *, lo: int, hi: int, versions: dict[int, int]) -> dict[int, HostBusy]:
    """The busy time of these hosts overlapping [lo, hi), straight from the database: two queries of
    epoch-second columns, no model instances."""
    start, end = _instant(lo), _instant(hi)
    pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    meetings: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for m, b_start, b_end, s, e, et in (
        BookingHost.objects.filter(membership_id__in=member_ids, active=True, block_end__gt=start, block_start__lt=end)
        .annotate(
            bs=EpochSeconds("block_start"),
            be=EpochSeconds("block_end", ceil=True),
            s=EpochSeconds("booking__start"),
            e=EpochSeconds("booking__end"),
        )
        .values_list("membership_id", "bs", "be", "s", "e", "booking__event_type_id")
    ):
        pairs[m].append((b_start, b_end))
        meetings[m].append((s, e, et))
    for m, s, e in (
        BusyBlock.objects.filter(membership_id__in=member_ids, end__gt=start, start__lt=end)
        .annotate(s=EpochSeconds("start"), e=EpochSeconds("end", ceil=True))
        .values_list("membership_id", "s", "e")
    ):
        pairs[m].append((s, e))
    out = {}
    for m in member_ids:
        booked = sorted(meetings[m])
        out[m] = HostBusy(
            version=versions[m],
            lo=lo,
            hi=hi,
            pairs=engine.BusyPairs(pairs[m]),
            meetings=tuple(booked),
            meeting_starts=tuple(s for s, _, _ in booked),
        )
    return out


def _instant(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)
