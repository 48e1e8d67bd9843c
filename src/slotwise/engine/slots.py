"""Slot generation: which starts are offered, to which hosts, and why not.

One per-host computation, `_host_starts`, decides everything: it returns the set of feasible start
seconds of a host as int pairs, and `available_slots`, `free_hosts` and `is_offered` all go through it.
`explain` restates the same rules one start at a time to name every reason; the property tests hold the
two in agreement.

Per host: free = working − busy, with each busy block [b.start − b.before, b.end + b.after) widened by
[− rules.buffer_after, + rules.buffer_before), because a meeting [t, t + d) with its own buffers
[t − buffer_before, t + d + buffer_after) collides with a block exactly when [t, t + d) meets the widened
block. A free stretch [fs, fe) then admits the starts [fs, fe − d]. Those are intersected with the
notice/window bounds, minus the host-local days already at the daily limit, plus open group sessions.
The offered starts are the clock-zone grid points inside the union ("any") or intersection ("all").
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Literal

from .hours import working_pairs
from .intervals import from_epoch, iclip, iintersect, imerge, isubtract, to_epoch
from .limits import blocked_pairs, limit_reasons
from .rules import EventRules, HostInput, Reason, Session, check_zone
from .wallclock import DAY, day_from_number, day_number, local_day_of, segments, wall_range_pairs

Mode = Literal["one", "any", "all"]


@dataclass(frozen=True, slots=True)
class SlotResult:
    """Offered starts grouped by the viewer-local date of each start; each day's list is sorted (UTC)."""

    timezone: str
    days: dict[date, list[datetime]]

    def starts(self) -> list[datetime]:
        return sorted(s for day in self.days.values() for s in day)


def _ceil_epoch(dt: datetime) -> int:
    return to_epoch(dt) + (1 if dt.microsecond else 0)


class _Ctx:
    """The rules of one query, in int seconds, with the notice/window bounds already resolved."""

    __slots__ = ("allowed", "ba", "bb", "dur", "limits", "now", "rules", "seats")

    def __init__(self, rules: EventRules, now: datetime, lo: int, hi: int):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError(f"now must be an aware datetime, got {now!r}")
        self.rules = rules
        self.dur = int(rules.duration.total_seconds())
        self.bb = int(rules.buffer_before.total_seconds())
        self.ba = int(rules.buffer_after.total_seconds())
        self.seats = rules.seats
        self.limits = rules.limits
        self.now = now_s = _ceil_epoch(now)
        allowed = [(max(lo, now_s + int(rules.min_notice.total_seconds())), hi)]
        window = rules.window
        if window.kind == "rolling":
            assert window.days is not None  # noqa: S101 - for the type checker: Window.__post_init__ requires it
            allowed = iclip(allowed, lo, now_s + window.days * DAY)
        elif window.kind == "range":
            assert window.first is not None and window.last is not None  # noqa: S101 - as above, for "range"
            bounds = wall_range_pairs(
                rules.clock_zone, day_number(window.first) * DAY, (day_number(window.last) + 1) * DAY
            )
            allowed = iintersect(imerge(allowed), bounds)
        self.allowed = imerge(allowed)


def _host_starts(ctx: _Ctx, host: HostInput, lo: int, hi: int, exclude: Sequence[Session] = ()) -> list:
    """Feasible start seconds of `host` within [lo, hi), ignoring the grid, as normalised int pairs.

    `exclude`: open sessions starting at lo whose own busy blocks must not count (the seat-joining check).
    """
    dur, ba, bb = ctx.dur, ctx.ba, ctx.bb
    if host.known_until is not None:  # the block [t - bb, t + dur + ba) must end by the sync horizon
        hi = min(hi, to_epoch(host.known_until) - dur - ba + 1)
    allowed = iclip(ctx.allowed, lo, hi) if lo < hi else []
    if not allowed:
        return []
    lo, hi = allowed[0][0], allowed[-1][1]
    reach = hi - 1 + dur  # the last second any meeting starting in [lo, hi) occupies, plus one
    work = working_pairs(host.hours, lo, reach)
    if work and host.away_pairs:
        work = isubtract(work, host.away_pairs)
    if not work:
        return []

    if exclude:
        blocks = imerge(
            sorted(
                [b.block for b in host.busy if not any(b.start == s.start and b.end == s.end for s in exclude)]
                + list(host.busy_pairs)
            )
        )
        block_starts, block_ends = [x for x, _ in blocks], [y for _, y in blocks]
    else:
        block_starts, block_ends = host.block_starts, host.block_ends
    starts = _free_starts(work, block_starts, block_ends, dur, ba, bb)
    if len(allowed) > 1:  # a single allowed pair is [lo, hi), which bounds these starts already
        starts = iintersect(starts, allowed)

    # Joining an open session (exclude) adds an invitee, not a meeting: limits count meetings.
    if starts and not exclude and (ctx.limits or host.limits):
        refused = blocked_pairs(ctx.limits, host, week_start=ctx.rules.week_start, dur=dur)
        if refused is None:
            return []
        if refused:
            starts = isubtract(starts, refused)

    if ctx.seats > 1 and host.sessions and not exclude:
        starts = _apply_sessions(ctx, host, lo, hi, starts)
    return starts


def _free_starts(work: list, block_starts: list, block_ends: list, dur: int, ba: int, bb: int) -> list:
    """Start pairs [fs, fe - dur + 1) of every free stretch [fs, fe) of working time minus widened busy.

    The busy union is disjoint and sorted, so its starts and ends both ascend; widened by constants they
    may overlap but still ascend at both ends, so bisecting the raw lists with shifted keys finds the
    blocks that touch each working interval, and only those are visited.
    """
    out: list[tuple[int, int]] = []
    push = out.append
    k = 0
    n = len(block_starts)
    for s, e in work:
        k = bisect_right(block_ends, s - bb, k, n)  # first block whose widened end is after s
        stop = bisect_left(block_starts, e + ba, k, n)  # blocks whose widened start is before e
        while k < stop:
            x = block_starts[k] - ba
            if x - s >= dur:
                push((s, x - dur + 1))
            y = block_ends[k] + bb
            if y > s:
                s = y
            if s >= e:
                break
            k += 1
        if e - s >= dur:
            push((s, e - dur + 1))
    return out


def _session_points(seats: int, host: HostInput, lo: int, hi: int) -> tuple[dict, set]:
    """({t: open sessions at t}, {t with only full sessions}) for session starts in [lo, hi)."""
    open_at: dict[int, list[Session]] = {}
    full_at: set[int] = set()
    for s in host.sessions:
        if s.start.microsecond:
            continue  # never on the grid
        t = to_epoch(s.start)
        if lo <= t < hi:
            if s.seats_taken < seats:
                open_at.setdefault(t, []).append(s)
            else:
                full_at.add(t)
    return open_at, full_at - open_at.keys()


def _apply_sessions(ctx: _Ctx, host: HostInput, lo: int, hi: int, starts: list) -> list:
    open_at, full_at = _session_points(ctx.seats, host, lo, hi)
    extra = []
    for t, sessions in open_at.items():
        # Joining a session: the same rules hold at t, except that the session's own booking is not busy.
        if _host_starts(ctx, host, t, t + 1, exclude=sessions):
            extra.append((t, t + 1))
    if extra:
        starts = imerge(sorted(starts + extra))
    if full_at:
        starts = isubtract(starts, [(t, t + 1) for t in sorted(full_at)])
    return starts


# --- the grid -----------------------------------------------------------------------------------------


class _Grid:
    """Grid instants of whole local days [d0, d1] in one zone, as sorted ints and matching datetimes."""

    __slots__ = ("_runs", "dts", "ints")

    def __init__(self, ints: list[int]):
        self.ints = ints
        self.dts = [from_epoch(t) for t in ints]
        self._runs: dict[str, tuple[list[int], list[date]]] = {}

    def runs(self, zone: str) -> tuple[list[int], list[date]]:
        """Indices where the local date in `zone` changes, and that date: (run starts, run dates)."""
        found = self._runs.get(zone)
        if found is None:
            starts: list[int] = []
            dates: list[date] = []
            ints = self.ints
            if ints:
                segs = segments(zone, ints[0], ints[-1] + 1)
                prev = None
                k = segs.index(ints[0])
                seg_starts, offsets = segs.starts, segs.offsets
                nseg = len(seg_starts)
                for i, t in enumerate(ints):
                    while k + 1 < nseg and seg_starts[k + 1] <= t:
                        k += 1
                    n = (t + offsets[k]) // DAY
                    if n != prev:
                        starts.append(i)
                        dates.append(day_from_number(n))
                        prev = n
            found = self._runs[zone] = (starts, dates)
        return found


def _local_days(zone: str, lo: int, hi: int) -> tuple[int, int]:
    omin, omax = segments(zone, lo, hi).offset_bounds(lo, hi)
    return (lo + omin) // DAY, (hi - 1 + omax) // DAY


@lru_cache(maxsize=256)
def _grid_days(zone: str, inc: int, d0: int, d1: int) -> _Grid:
    l0, l1 = d0 * DAY, (d1 + 1) * DAY
    segs = segments(zone, l0, l1)
    ints: list[int] = []
    whole_days = DAY % inc == 0
    for a, b, o in zip(segs.starts, segs.ends, segs.offsets, strict=True):
        la, lb = max(a + o, l0), min(b + o, l1)  # this segment's stretch of local time
        if la >= lb:
            continue
        if whole_days:  # counting from each local midnight == counting from the local epoch
            first = la + (-la) % inc
            ints.extend(range(first - o, lb - o, inc))
        else:
            for n in range(la // DAY, (lb - 1) // DAY + 1):
                m = n * DAY
                s, e = max(la, m), min(lb, m + DAY)
                first = m + -(-(s - m) // inc) * inc
                ints.extend(range(first - o, e - o, inc))
    return _Grid(ints)


def _grid(rules: EventRules, lo: int, hi: int) -> _Grid:
    d0, d1 = _local_days(rules.clock_zone, lo, hi)
    return _grid_days(rules.clock_zone, int(rules.increment.total_seconds()), d0, d1)


def _on_grid(rules: EventRules, start: datetime) -> bool:
    if start.microsecond:
        return False
    t = to_epoch(start)
    ints = _grid(rules, t, t + 1).ints
    i = bisect_left(ints, t)
    return i < len(ints) and ints[i] == t


# --- public API ---------------------------------------------------------------------------------------


def _check_hosts(hosts: Sequence[HostInput], mode: str) -> None:
    if mode not in ("one", "any", "all"):
        raise ValueError(f"mode is one, any or all, got {mode!r}")
    if not hosts:
        raise ValueError("at least one host is needed")
    if mode == "one" and len(hosts) != 1:
        raise ValueError(f"mode 'one' takes exactly one host, got {len(hosts)}")


def available_slots(
    rules: EventRules,
    hosts: Sequence[HostInput],
    *,
    mode: Mode,
    now: datetime,
    start: datetime,
    end: datetime,
    viewer_zone: str,
) -> SlotResult:
    """Offered starts s with start <= s < end, grouped by their local date in viewer_zone."""
    _check_hosts(hosts, mode)
    check_zone(viewer_zone)
    days: dict[date, list[datetime]] = {}
    lo, hi = _ceil_epoch(start), _ceil_epoch(end)
    if lo >= hi:
        return SlotResult(viewer_zone, days)
    ctx = _Ctx(rules, now, lo, hi)

    if mode == "all":
        feasible = None
        for host in hosts:
            pairs = _host_starts(ctx, host, lo, hi)
            feasible = pairs if feasible is None else iintersect(feasible, pairs)
            if not feasible:
                return SlotResult(viewer_zone, days)
    elif mode == "any":
        collected = []
        for host in hosts:
            collected.extend(_host_starts(ctx, host, lo, hi))
        collected.sort()
        feasible = imerge(collected)
    else:
        feasible = _host_starts(ctx, hosts[0], lo, hi)
    if not feasible:
        return SlotResult(viewer_zone, days)

    grid = _grid(rules, lo, hi)
    ints, dts = grid.ints, grid.dts
    run_starts, run_dates = grid.runs(viewer_zone)
    nruns = len(run_starts)
    i = 0
    for s, e in feasible:
        i = bisect_left(ints, s, i)
        j = bisect_left(ints, e, i)
        if i == j:
            continue
        k = bisect_right(run_starts, i) - 1
        while i < j:
            run_end = run_starts[k + 1] if k + 1 < nruns else len(ints)
            stop = min(run_end, j)
            day = run_dates[k]
            bucket = days.get(day)
            if bucket is None:
                days[day] = dts[i:stop]
            else:
                bucket.extend(dts[i:stop])
            i = stop
            k += 1
    return SlotResult(viewer_zone, days)


def free_hosts(rules: EventRules, hosts: Sequence[HostInput], *, now: datetime, start: datetime) -> list:
    """host_ids (in input order) that can take a meeting starting at `start`."""
    if not _on_grid(rules, start):
        return []
    t = to_epoch(start)
    ctx = _Ctx(rules, now, t, t + 1)
    return [host.host_id for host in hosts if _host_starts(ctx, host, t, t + 1)]


def is_offered(rules: EventRules, hosts: Sequence[HostInput], *, mode: Mode, now: datetime, start: datetime) -> bool:
    _check_hosts(hosts, mode)
    free = free_hosts(rules, hosts, now=now, start=start)
    return len(free) == len(hosts) if mode == "all" else bool(free)


def explain(rules: EventRules, host: HostInput, *, now: datetime, start: datetime) -> list[Reason]:
    """Every reason `host` cannot take a meeting starting at `start`, in Reason order; [] if it can."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be an aware datetime, got {start!r}")
    t = to_epoch(start)
    dur = int(rules.duration.total_seconds())
    reasons: set[Reason] = set()
    if not _on_grid(rules, start):
        reasons.add(Reason.OFF_GRID)
    if working_pairs(host.hours, t, t + dur) != [(t, t + dur)]:
        reasons.add(Reason.OUTSIDE_HOURS)
    if host.away_pairs and iclip(host.away_pairs, t, t + dur):
        reasons.add(Reason.OUT_OF_OFFICE)
    open_here = _explain_sessions(rules, host, start, reasons)
    _explain_busy(rules, host, start, open_here, reasons)
    _explain_bounds(rules, host, t, _ceil_epoch(now), reasons)
    if not open_here and (rules.limits or host.limits):
        reasons |= limit_reasons(rules.limits, host, week_start=rules.week_start, dur=dur, t=t)
    return [r for r in Reason if r in reasons]


def _explain_sessions(rules: EventRules, host: HostInput, start: datetime, reasons: set) -> list[Session]:
    """The open sessions at `start` (whose seat an invitee would join); FULL when only full ones are there."""
    if rules.seats == 1 or not host.sessions:
        return []
    t = to_epoch(start)
    open_at, full_at = _session_points(rules.seats, host, t, t + 1)
    if t in full_at and not start.microsecond:
        reasons.add(Reason.FULL)
    return open_at.get(t, [])


def _explain_busy(rules: EventRules, host: HostInput, start: datetime, open_here: list, reasons: set) -> None:
    t = to_epoch(start)
    dur = int(rules.duration.total_seconds())
    bb = int(rules.buffer_before.total_seconds())
    ba = int(rules.buffer_after.total_seconds())
    end = start + rules.duration
    for b in host.busy:
        if any(b.start == s.start and b.end == s.end for s in open_here):
            continue
        x, y = b.block
        if t - bb < y and t + dur + ba > x:
            reasons.add(Reason.BUSY if (start < b.end and end > b.start) else Reason.BUFFER)
    for x, y in host.busy_pairs:
        if t - bb < y and t + dur + ba > x:
            reasons.add(Reason.BUSY if (t < y and t + dur > x) else Reason.BUFFER)


def _explain_bounds(rules: EventRules, host: HostInput, t: int, now_s: int, reasons: set) -> None:
    """Sync horizon, notice and booking window."""
    dur = int(rules.duration.total_seconds())
    ba = int(rules.buffer_after.total_seconds())
    if host.known_until is not None and t + dur + ba > to_epoch(host.known_until):
        reasons.add(Reason.NOT_SYNCED)
    if t < now_s + int(rules.min_notice.total_seconds()):
        reasons.add(Reason.NOTICE)
    window = rules.window
    if window.kind == "rolling" and t >= now_s + (window.days or 0) * DAY:
        reasons.add(Reason.WINDOW)
    elif window.kind == "range" and window.first is not None and window.last is not None:
        day = day_from_number(local_day_of(rules.clock_zone, t))
        if not window.first <= day <= window.last:
            reasons.add(Reason.WINDOW)


def grid_starts(rules: EventRules, *, start: datetime, end: datetime) -> list[datetime]:
    """The event's start grid in [start, end): every increment, counted in its clock zone from local midnight."""
    lo, hi = _ceil_epoch(start), _ceil_epoch(end)
    if lo >= hi:
        return []
    grid = _grid(rules, lo, hi)
    return grid.dts[bisect_left(grid.ints, lo) : bisect_left(grid.ints, hi)]


def explain_grid(
    rules: EventRules, host: HostInput, *, now: datetime, start: datetime, end: datetime
) -> list[tuple[datetime, list[Reason]]]:
    """Each grid start in [start, end) with every reason `host` cannot take it ([] where it is offered)."""
    return [(t, explain(rules, host, now=now, start=t)) for t in grid_starts(rules, start=start, end=end)]


def seats_left(
    rules: EventRules, hosts: Sequence[HostInput], *, now: datetime, starts: Sequence[datetime]
) -> dict[datetime, dict]:
    """For each of `starts`: {host_id: seats that host still has there} over the hosts that can take it.

    A host with an open session at a start has rules.seats minus the seats taken in it; a host who is
    free there has rules.seats. Hosts that cannot take a start are left out, so a start nobody can take
    maps to {}. The same per-host check as `available_slots` decides who can take it.
    """
    out: dict[datetime, dict] = {s: {} for s in starts}
    on_grid = {to_epoch(s): s for s in starts if not s.microsecond and _on_grid(rules, s)}
    if not on_grid:
        return out
    lo, hi = min(on_grid), max(on_grid) + 1
    ctx = _Ctx(rules, now, lo, hi)
    for host in hosts:
        pairs = _host_starts(ctx, host, lo, hi)
        open_at = _session_points(rules.seats, host, lo, hi)[0] if rules.seats > 1 else {}
        for t, s in on_grid.items():
            k = bisect_right(pairs, (t, hi)) - 1
            if k >= 0 and pairs[k][0] <= t < pairs[k][1]:
                taken = min((x.seats_taken for x in open_at.get(t, ())), default=0)
                out[s][host.host_id] = rules.seats - taken
    return out
