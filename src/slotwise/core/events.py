"""Domain events, published by services inside their transaction.

Subscribers (webhook outbox, email jobs, rules, calendar write-back) write their own rows in the same
transaction, so a booking and the work it causes commit or roll back together. Subscribers are registered
in their app's AppConfig.ready(); a service never imports them.

Events: booking.created, booking.canceled, booking.rescheduled (old, new), invitee.canceled,
invitee.no_show_set, invitee.no_show_cleared, event_type.created, event_type.updated, event_type.deleted,
booking.tzdata_moved (booking, moves), worker.started (now).
"""

from collections import defaultdict
from collections.abc import Callable

_subscribers: dict[str, list[Callable]] = defaultdict(list)


def subscribe(event: str, fn: Callable) -> None:
    if fn not in _subscribers[event]:
        _subscribers[event].append(fn)


def publish(event: str, **data) -> None:
    for fn in list(_subscribers[event]):
        fn(event=event, **data)
