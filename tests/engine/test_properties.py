"""Hypothesis properties of the slot engine, checked against brute-force oracles built on zoneinfo.

The oracles walk every minute and ask zoneinfo for the wall time directly, so they share no code with the
engine's offset segments: every listed slot is bookable (is_offered, explain() == []) and obeys hours,
busy time plus buffers, notice, window and daily limit; every grid point that is not listed has a reason.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.engine import (
    Away,
    Busy,
    EventRules,
    HostInput,
    Limit,
    Meeting,
    Reason,
    Session,
    Stay,
    TimeRange,
    WeeklyHours,
    Window,
    available_slots,
    explain,
    explain_grid,
    free_hosts,
    is_offered,
    seats_left,
)
from tests.hypo import examples

MIN = timedelta(minutes=1)
DAY1 = timedelta(days=1)
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
]
DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2011, 12, 30),
    date(2026, 6, 1),
]
# The new rules, drawn into every scenario: event and host limits, out of office, travel, seasonal hours.
LIMITS = [
    Limit("day", 1),
    Limit("week", 2),
    Limit("month", 3),
    Limit("day", 90, "minutes"),
    Limit("week", 120, "minutes"),
]
PROPS = settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def time_ranges(draw):
    start = draw(st.integers(0, 95)) * 15
    end = draw(st.one_of(st.none(), st.integers(start // 15 + 1, 96).map(lambda q: q * 15)))
    return TimeRange(time(start // 60, start % 60), None if end in (None, 1440) else time(end // 60, end % 60))


@st.composite
def scenarios(draw, n_hosts=1):
    day = draw(st.sampled_from(DAYS))
    start = datetime.combine(day, time(0), UTC) - timedelta(days=1)
    end = start + timedelta(days=draw(st.integers(1, 3)))
    seats = draw(st.sampled_from([1, 1, 3]))
    rules = EventRules(
        duration=draw(st.sampled_from([15, 30, 45, 60, 90])) * MIN,
        increment=draw(st.sampled_from([10, 15, 20, 25, 30, 45, 60])) * MIN,
        buffer_before=draw(st.sampled_from([0, 5, 15])) * MIN,
        buffer_after=draw(st.sampled_from([0, 10, 30])) * MIN,
        min_notice=draw(st.sampled_from([0, 0, 120])) * MIN,
        window=draw(
            st.sampled_from([Window("unlimited"), Window("rolling", days=1), Window("range", first=day, last=day)])
        ),
        daily_limit=draw(st.sampled_from([None, None, 1, 2])),
        limits=tuple(draw(st.lists(st.sampled_from(LIMITS), max_size=2, unique=True))),
        week_start=draw(st.sampled_from([0, 6])),
        seats=seats,
        clock_zone=draw(st.sampled_from(ZONES)),
    )
    minute = st.integers(0, int((end - start) / MIN)).map(lambda m: start + m * MIN)
    hosts = []
    for i in range(n_hosts):
        weekly = {wd: tuple(draw(st.lists(time_ranges(), max_size=2))) for wd in range(7)}
        overrides = {}
        if draw(st.booleans()):
            overrides[day] = tuple(draw(st.lists(time_ranges(), max_size=2)))
        busy = []
        for b_start in draw(st.lists(minute, max_size=5)):
            busy.append(
                Busy(
                    b_start,
                    b_start + draw(st.integers(5, 180)) * MIN,
                    draw(st.sampled_from([0, 10])) * MIN,
                    draw(st.sampled_from([0, 10])) * MIN,
                )
            )
        sessions = []
        if seats > 1:
            for s_start in draw(st.lists(minute, max_size=2)):
                s_start = s_start.replace(minute=s_start.minute // 15 * 15)
                session = Session(s_start, s_start + rules.duration, draw(st.sampled_from([1, 3])))
                sessions.append(session)
                busy.append(Busy(session.start, session.end, label="session"))
        daylight = None
        if draw(st.booleans()):
            daylight = {wd: tuple(draw(st.lists(time_ranges(), max_size=1))) for wd in range(7)}
        stays = ()
        if draw(st.booleans()):
            stays = (Stay(draw(st.sampled_from(ZONES)), day - draw(st.sampled_from([0, 1])) * DAY1, day),)
        away = draw(st.sampled_from([(), (), (Away(day, day),), (Away(day - DAY1, day - DAY1),)]))
        meetings = [
            Meeting(m, m + draw(st.sampled_from([15, 60])) * MIN, this_event=draw(st.booleans()))
            for m in draw(st.lists(minute, max_size=4))
        ]
        hosts.append(
            HostInput(
                f"h{i}",
                WeeklyHours(draw(st.sampled_from(ZONES)), weekly, overrides, daylight=daylight, stays=stays),
                busy=busy,
                meetings=meetings,
                limits=tuple(draw(st.lists(st.sampled_from(LIMITS), max_size=1))),
                away=away,
                sessions=sessions,
                known_until=draw(st.none() | minute),  # a calendar read only so far ahead
            )
        )
    now = draw(minute) - timedelta(days=1)
    return rules, hosts, now, start, end


def grid_oracle(rules, start, end):
    """Every minute in [start, end) whose clock-zone wall time is a multiple of increment after midnight."""
    zi, inc = ZoneInfo(rules.clock_zone), rules.increment // MIN
    out, t = [], start
    while t < end:
        local = t.astimezone(zi)
        if (local.hour * 60 + local.minute) % inc == 0:
            out.append(t)
        t += MIN
    return out


def in_hours(hours, instant):
    """Working on the home clock on a date no stay covers, or on a stay's clock on one of its dates."""
    home = instant.astimezone(ZoneInfo(hours.zone)).date()
    clocks = [] if any(s.first <= home <= s.last for s in hours.stays) else [hours.zone]
    clocks += [s.zone for s in hours.stays if s.first <= instant.astimezone(ZoneInfo(s.zone)).date() <= s.last]
    return any(in_hours_on(hours, zone, instant) for zone in clocks)


def in_hours_on(hours, zone, instant):
    zi = ZoneInfo(zone)
    local = instant.astimezone(zi)
    wall = local.time().replace(tzinfo=None)
    day = local.date()
    ranges = hours.overrides.get(day)
    if ranges is None:
        # Seasonal hours: daylight time in force at local noon, asked of zoneinfo directly.
        noon_dst = datetime.combine(day, time(12), zi).dst()
        weekly = hours.daylight if hours.daylight is not None and noon_dst else hours.weekly
        ranges = weekly.get(day.weekday(), ())
    return any(r.start <= wall and (r.end is None or wall < r.end) for r in ranges)


def same_period(period, week_start, a, b):
    if period == "day":
        return a == b
    if period == "week":
        return a - timedelta(days=(a.weekday() - week_start) % 7) == b - timedelta(days=(b.weekday() - week_start) % 7)
    return (a.year, a.month) == (b.year, b.month)


def check_limits(rules, host, s):
    zi = ZoneInfo(host.hours.zone)
    day = s.astimezone(zi).date()
    for limit, host_wide in [(x, False) for x in rules.limits] + [(x, True) for x in host.limits]:
        counted = [
            m
            for m in host.meetings
            if (host_wide or m.this_event)
            and same_period(limit.period, rules.week_start, m.start.astimezone(zi).date(), day)
        ]
        if limit.unit == "bookings":
            assert len(counted) < limit.max, ("limit", limit, host_wide)
        else:
            assert sum((m.end - m.start for m in counted), rules.duration) <= limit.max * MIN, (
                "limit",
                limit,
                host_wide,
            )


def check_slot_rules(rules, host, now, s):
    """The brute-force reading of the rules for one offered start."""
    dur = rules.duration
    assert all(in_hours(host.hours, s + k * MIN) for k in range(dur // MIN)), "slot outside working hours"
    joined = [x for x in host.sessions if x.start == s and x.seats_taken < rules.seats] if rules.seats > 1 else []
    for b in host.busy:
        if any(b.start == x.start and b.end == x.end for x in joined):
            continue
        assert not (s - rules.buffer_before < b.end + b.after and s + dur + rules.buffer_after > b.start - b.before), (
            "slot overlaps busy time plus buffers"
        )
    assert s >= now + rules.min_notice
    if rules.window.kind == "rolling":
        assert s < now + timedelta(days=rules.window.days)
    if rules.window.kind == "range":
        assert rules.window.first <= s.astimezone(ZoneInfo(rules.clock_zone)).date() <= rules.window.last
    if not joined:  # joining a session adds no meeting to the day
        check_limits(rules, host, s)
    home = ZoneInfo(host.hours.zone)
    for a in host.away:
        assert all(not a.first <= (s + k * MIN).astimezone(home).date() <= a.last for k in range(dur // MIN)), "away"


@PROPS
@given(scenarios())
def test_one_host_slots_are_exactly_the_grid_points_without_reasons(scenario):
    rules, (host,), now, start, end = scenario
    result = available_slots(rules, [host], mode="one", now=now, start=start, end=end, viewer_zone="UTC")
    listed = result.starts()
    assert listed == sorted(set(listed))
    grid = grid_oracle(rules, start, end)
    assert set(listed) <= set(grid)
    offered = set(listed)
    for t in grid:
        reasons = explain(rules, host, now=now, start=t)
        if t in offered:
            assert reasons == []
            assert is_offered(rules, [host], mode="one", now=now, start=t)
            check_slot_rules(rules, host, now, t)
        else:
            assert reasons, f"{t} is on the grid and not offered, but explain() gives no reason"
            assert Reason.OFF_GRID not in reasons
            assert not is_offered(rules, [host], mode="one", now=now, start=t)


@PROPS
@given(scenarios(), st.sampled_from(ZONES))
def test_viewer_days_are_the_viewer_local_dates(scenario, viewer):
    rules, hosts, now, start, end = scenario
    result = available_slots(rules, hosts, mode="one", now=now, start=start, end=end, viewer_zone=viewer)
    for day, starts in result.days.items():
        assert starts == sorted(starts)
        assert all(s.astimezone(ZoneInfo(viewer)).date() == day for s in starts)


@PROPS
@given(scenarios(n_hosts=3))
def test_any_is_the_union_and_all_the_intersection(scenario):
    rules, hosts, now, start, end = scenario
    kw = {"now": now, "start": start, "end": end, "viewer_zone": "UTC"}
    each = [set(available_slots(rules, [h], mode="one", **kw).starts()) for h in hosts]
    any_ = available_slots(rules, hosts, mode="any", **kw).starts()
    all_ = available_slots(rules, hosts, mode="all", **kw).starts()
    assert any_ == sorted(set.union(*each))
    assert all_ == sorted(set.intersection(*each))
    for t in any_:
        assert is_offered(rules, hosts, mode="any", now=now, start=t)
    for t in all_:
        assert is_offered(rules, hosts, mode="all", now=now, start=t)


@PROPS
@given(scenarios())
def test_explain_grid_is_the_grid_with_no_reasons_exactly_where_a_start_is_offered(scenario):
    rules, (host,), now, start, end = scenario
    offered = set(available_slots(rules, [host], mode="one", now=now, start=start, end=end, viewer_zone="UTC").starts())
    verdicts = explain_grid(rules, host, now=now, start=start, end=end)
    assert [t for t, _ in verdicts] == grid_oracle(rules, start, end)
    assert {t for t, reasons in verdicts if not reasons} == offered


@PROPS
@given(scenarios(n_hosts=3))
def test_seats_left_names_exactly_the_free_hosts_and_never_a_full_session(scenario):
    rules, hosts, now, start, end = scenario
    grid = grid_oracle(rules, start, end)
    left = seats_left(rules, hosts, now=now, starts=grid)
    for t in grid:
        assert list(left[t]) == free_hosts(rules, hosts, now=now, start=t)
        assert all(1 <= n <= rules.seats for n in left[t].values())


GRID_DAYS = [
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("Pacific/Chatham", date(2026, 9, 27)),
    ("Pacific/Apia", date(2011, 12, 30)),
    ("Asia/Kathmandu", date(2026, 6, 1)),
]


def test_grid_matches_the_oracle_on_edge_days_for_many_increments():
    # A host that always works and a one-minute meeting: the offered starts are the grid itself.
    always = HostInput("h", WeeklyHours("UTC", {wd: (TimeRange(time(0)),) for wd in range(7)}))
    for zone, day in GRID_DAYS:
        start = datetime.combine(day, time(0), UTC) - timedelta(days=1)
        end = start + timedelta(days=2)
        for inc in (7, 10, 15, 20, 25, 30, 45, 60, 90, 1440):
            rules = EventRules(duration=MIN, increment=inc * MIN, clock_zone=zone)
            got = available_slots(rules, [always], mode="one", now=start, start=start, end=end, viewer_zone="UTC")
            assert got.starts() == grid_oracle(rules, start, end), (zone, day, inc)
