"""Webhooks for requests that wait for approval: invitee.created carries the pending state as a Slotwise
extra beside Calendly's shape; approval is the opt-in extra event invitee.approved; a decline or an expired
hold is Calendly's invitee.canceled, with the approval's outcome beside it."""

import json
from datetime import timedelta

from slotwise.bookings import approvals
from slotwise.webhooks.models import WebhookDelivery

from .test_delivery import T0, at, book, subscribe


def payloads(event):
    out = []
    for d in WebhookDelivery.objects.filter(event=event).order_by("pk"):
        body = d.body if isinstance(d.body, dict) else json.loads(d.body)
        out.append(body["payload"])
    return out


def test_a_request_is_announced_as_pending_and_its_approval_as_the_extra_event(org, receiver):
    org.et.requires_confirmation = True
    org.et.save()
    subscribe(org, receiver.url, events=["invitee.created", "invitee.canceled", "invitee.approved"])
    booking = book(org.et, at(3, 9)).booking
    (created,) = payloads("invitee.created")
    assert created["status"] == "active"
    assert created["scheduled_event"]["status"] == "active"
    assert created["scheduled_event"]["slotwise_approval"]["status"] == "pending"
    approvals.booking_approve(booking=booking, now=T0 + timedelta(hours=1))
    (approved,) = payloads("invitee.approved")
    assert approved["scheduled_event"]["slotwise_approval"]["status"] == "approved"
    assert len(payloads("invitee.created")) == 1  # not announced twice


def test_a_calendly_subscriber_sees_an_expired_hold_as_invitee_canceled(org, receiver):
    org.et.requires_confirmation = True
    org.et.save()
    subscribe(org, receiver.url, events=["invitee.created", "invitee.canceled"])
    booking = book(org.et, at(3, 9)).booking
    approvals.approval_expire(booking=booking, now=booking.approval_expires_at)
    (canceled,) = payloads("invitee.canceled")
    assert canceled["status"] == "canceled"
    assert canceled["scheduled_event"]["slotwise_approval"]["status"] == "expired"
    assert canceled["cancellation"]["canceler_type"] == "host"
