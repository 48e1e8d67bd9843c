"""Domain events, published by services inside their transaction.

Subscribers (webhook outbox, email jobs, rules, calendar write-back) write their own rows in the same
transaction, so a booking and the work it causes commit or roll back together. Subscribers are registered
in their app's AppConfig.ready(); a service never imports them.

Several apps follow one event, and the order they run in is written here, not left to INSTALLED_APPS:
each subscription names its `order` (one of the stages below, lowest first; ties run in the order they
subscribed). Payload builders read; they do not write.

Events: booking.created, booking.canceled, booking.rescheduled (old, new), invitee.canceled, invitation.sent
(invitation), pool_request.created (request), pool_request.decided (request),
invitee.no_show_set (invitee, mark), invitee.no_show_cleared (invitee, mark), event_type.created,
event_type.updated, event_type.deleted, booking.tzdata_moved (booking, moves), worker.started (now),
booking.refused (event_type, reason, now: published outside any transaction, after the refusal).
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count

# The stages, in the order they run. The meeting link comes first: emails, webhooks and calendar copies
# carry it. Rules come last, so that a rule acting on a booking sees what the others recorded.
BOOKKEEPING = 0  # the owning app's own follow-up (bookings: the tzdata review on worker start)
MEETING_LINK = 10
EMAIL = 20
WEBHOOK = 30
CALENDAR = 40
RULES = 50
METRICS = 60  # counters (core/metrics.py): after everything that could still refuse the change

_subscribers: dict[str, list[tuple[int, int, Callable]]] = defaultdict(list)
_seq = count()


def subscribe(event: str, fn: Callable, *, order: int) -> None:
    """Call fn(event=..., **data) on every `event`, at stage `order`. Subscribing the same fn twice does nothing."""
    subs = _subscribers[event]
    if any(f == fn for _, _, f in subs):
        return
    subs.append((order, next(_seq), fn))
    subs.sort(key=lambda s: s[:2])


def unsubscribe(event: str, fn: Callable) -> None:
    _subscribers[event] = [s for s in _subscribers[event] if s[2] != fn]


@contextmanager
def subscribed(event: str, fn: Callable, *, order: int = RULES + 1) -> Iterator[None]:
    """fn follows `event` inside the block only (tests listen this way, and leave nothing behind)."""
    subscribe(event, fn, order=order)
    try:
        yield
    finally:
        unsubscribe(event, fn)


def subscribers(event: str) -> list[Callable]:
    """Who follows `event`, in the order they run."""
    return [fn for _, _, fn in _subscribers[event]]


def publish(event: str, **data) -> None:
    for fn in subscribers(event):
        fn(event=event, **data)
