"""Another process booking through the service (tests/bookings/test_availability_cache.py runs it):
    python -m tests.bookings.book_elsewhere EVENT_TYPE_ID START NOW      (DATABASE_URL: the test database)
Prints {"host": <membership id>}."""

import json
import sys
from datetime import datetime

import django

django.setup()

from slotwise.bookings.models import Booking  # noqa: E402 - after django.setup()
from slotwise.bookings.services import InviteeInput, booking_create  # noqa: E402
from slotwise.scheduling.models import EventType  # noqa: E402


def main(event_type_id: str, start: str, now: str) -> None:
    invitee = booking_create(
        event_type=EventType.objects.get(pk=int(event_type_id)),
        start=datetime.fromisoformat(start),
        invitee=InviteeInput(name="Elsewhere", email="elsewhere@example.com", timezone="UTC"),
        now=datetime.fromisoformat(now),
        source=Booking.Source.CLI,
    )
    print(json.dumps({"host": invitee.booking.host_id}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
