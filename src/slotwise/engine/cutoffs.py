"""Cut-offs: when an invitee may no longer cancel or reschedule a booking. Hosts are never bound by them."""

from __future__ import annotations

from datetime import datetime, timedelta

from .rules import Reason, _check_aware, _whole_seconds


def change_refusal(*, start: datetime, now: datetime, cutoff: timedelta) -> Reason | None:
    """Why an invitee cannot cancel or reschedule a meeting starting at `start`, or None if they can.

    STARTED once the meeting has begun (start <= now), whatever the cut-off; CUTOFF when it begins in less
    than `cutoff` (exactly `cutoff` ahead is still allowed).
    """
    _check_aware("start", start)
    _check_aware("now", now)
    _whole_seconds("cutoff", cutoff)
    if start <= now:
        return Reason.STARTED
    if start - now < cutoff:
        return Reason.CUTOFF
    return None
