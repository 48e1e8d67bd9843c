"""The contacts services: the booking funnel a visitor walks and the contact it ends in."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.contacts.models import FunnelEvent
from slotwise.contacts.services import funnel_record, funnel_submit
from tests import factories

pytestmark = pytest.mark.django_db


def test_funnel_submit_attaches_only_this_visitors_steps(acme, now):
    org = acme["org"]
    funnel_record(organization=org, visitor_id="visitor-one", name="calendar_1st_step", now=now)
    funnel_record(organization=org, visitor_id="visitor-two", name="calendar_1st_step", now=now)
    funnel_record(organization=org, visitor_id="", name="calendar_1st_step", now=now)  # cookies refused: nothing
    booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=now,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="UTC"),
    )
    contact = funnel_submit(
        organization=org,
        visitor_id="visitor-one",
        email="BO@example.com",
        now=now,
        attributes={"email": "bo@example.com"},
    )
    assert list(FunnelEvent.objects.filter(contact=contact).values_list("name", "visitor_id")) == [
        ("calendar_1st_step", "visitor-one"),
        ("calendar_4th_step_submit", "visitor-one"),
    ]
    assert FunnelEvent.objects.filter(contact=None).count() == 1
    with pytest.raises(ValueError):
        funnel_record(organization=org, visitor_id="v", name="calendar_5th_step", now=now)
    other = factories.org("other")
    assert (
        funnel_submit(organization=other, visitor_id="visitor-one", email="bo@example.com", now=now, attributes={})
        is None
    )
