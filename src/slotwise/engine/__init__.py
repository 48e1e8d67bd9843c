"""The scheduling engine: pure Python, no Django, no I/O, no clock (`now` is always passed in).

Instants are aware UTC datetimes at the API boundary and int epoch seconds inside; intervals are
half-open [start, end). The DST policy is documented in `wallclock`.
"""

from .cutoffs import change_refusal
from .hours import Stay, TimeRange, WeeklyHours, working_intervals
from .intervals import BusyPairs, Interval, intersect, merge, overlaps, subtract
from .recurrence import Occurrence, occurrences
from .roundrobin import PoolCandidate, choose_round_robin
from .rules import Away, Busy, EventRules, HostInput, Limit, Meeting, Reason, Session, Window
from .slots import (
    SlotResult,
    available_slots,
    explain,
    explain_grid,
    free_hosts,
    grid_starts,
    is_offered,
    seats_left,
)
from .wallclock import is_daylight_day, local_date, local_day_bounds, wall_to_instants, zone_has_daylight, zone_info

__all__ = [
    "Away",
    "Limit",
    "Meeting",
    "Stay",
    "change_refusal",
    "is_daylight_day",
    "local_date",
    "zone_has_daylight",
    "Busy",
    "BusyPairs",
    "EventRules",
    "HostInput",
    "Interval",
    "Occurrence",
    "occurrences",
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
    "zone_info",
]
