"""Webhooks for a recurring booking keep Calendly's shapes: each meeting is its own scheduled event with its
own invitee.created (and invitee.canceled when it is canceled), and a Slotwise extra names the series."""

import json

from slotwise.bookings.recurring import occurrence_cancel, recurring_booking_create
from slotwise.bookings.services import InviteeInput
from slotwise.webhooks.models import WebhookDelivery

from .test_delivery import T0, at, subscribe


def payloads(event):
    out = []
    for d in WebhookDelivery.objects.filter(event=event).order_by("pk"):
        body = d.body if isinstance(d.body, dict) else json.loads(d.body)
        out.append(body["payload"])
    return out


def test_each_meeting_of_a_series_is_a_scheduled_event_and_the_extra_names_the_series(org, receiver):
    org.et.recurrence, org.et.recurrence_count = "biweekly", 3
    org.et.save()
    subscribe(org, receiver.url, events=["invitee.created", "invitee.canceled"])
    made = recurring_booking_create(
        event_type=org.et,
        start=at(3, 9),
        now=T0,
        invitee=InviteeInput(name="Ada Lovelace", email="ada@example.com", timezone="Europe/London"),
    )
    created = payloads("invitee.created")
    events = [p["scheduled_event"] for p in created]
    assert [e["start_time"] for e in events] == [
        "2026-03-03T09:00:00.000000Z",
        "2026-03-17T09:00:00.000000Z",
        "2026-03-31T09:00:00.000000Z",
    ]
    assert len({e["uri"] for e in events}) == 3
    assert [e["slotwise_series"] for e in events] == [
        {"uuid": str(made.series.uid), "occurrence": n, "rrule": "FREQ=WEEKLY;INTERVAL=2;COUNT=3", "timezone": "UTC"}
        for n in range(3)
    ]
    occurrence_cancel(booking=made.invitees[1].booking, now=T0, canceler_type="host")
    (canceled,) = payloads("invitee.canceled")
    assert canceled["scheduled_event"]["start_time"] == "2026-03-17T09:00:00.000000Z"
    assert canceled["scheduled_event"]["status"] == "canceled"
