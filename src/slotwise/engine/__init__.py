"""The scheduling engine: pure Python, no Django, no I/O, no clock (`now` is always passed in).

Instants are aware UTC datetimes at the API boundary and int epoch seconds inside; intervals are
half-open [start, end). The DST policy is documented in `wallclock`.
"""

from .hours import TimeRange, WeeklyHours, working_intervals
from .intervals import Interval, intersect, merge, overlaps, subtract
from .roundrobin import PoolCandidate, choose_round_robin
from .rules import Busy, EventRules, HostInput, Reason, Session, Window
from .slots import SlotResult, available_slots, explain, explain_grid, free_hosts, grid_starts, is_offered, seats_left
from .wallclock import local_day_bounds, wall_to_instants

__all__ = [
    "Busy",
    "EventRules",
    "HostInput",
    "Interval",
    "PoolCandidate",
    "Reason",
    "Session",
    "SlotResult",
    "TimeRange",
    "WeeklyHours",
    "Window",
    "available_slots",
    "choose_round_robin",
    "explain",
    "explain_grid",
    "free_hosts",
    "grid_starts",
    "intersect",
    "is_offered",
    "local_day_bounds",
    "merge",
    "overlaps",
    "seats_left",
    "subtract",
    "wall_to_instants",
    "working_intervals",
]
