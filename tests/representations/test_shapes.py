"""One shape per record: the API's resource and the webhook payload for the same record are the same dict."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.api.tokens import token_create
from slotwise.bookings.noshow import invitee_no_show_set
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.scheduling import services as scheduling
from slotwise.webhooks import services as webhooks
from slotwise.webhooks.models import WebhookDelivery
from tests import factories
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EVENTS = ["invitee.created", "invitee_no_show.created", "event_type.updated"]


@pytest.fixture
def acme():
    org = factories.org("acme")
    alice = factories.host(org, "alice", role="owner", email="alice@acme.test")
    webhooks.subscription_create(
        organization=org,
        creator=alice,
        url="https://hooks.example.com/in",
        scope="organization",
        user=None,
        now=T0,
        events=EVENTS,
    )
    _, secret = token_create(membership=alice, scope="read", now=T0)
    return org, alice, Api(secret)


def _payload(event):
    return json.loads(WebhookDelivery.objects.get(event=event).body)["payload"]


def test_an_invitee_webhook_carries_the_api_invitee_and_its_event(acme):
    org, alice, api = acme
    et = factories.event_type(alice, slug="intro", name="Intro call")
    start = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    inv = booking_create(
        event_type=et,
        start=start,
        now=T0,
        invitee=InviteeInput(name="Ada", email="ada@example.com", timezone="Europe/London"),
    )
    sent = _payload("invitee.created")
    event = sent.pop("scheduled_event")
    assert sent == api.get(f"/scheduled_events/{inv.booking.uid}/invitees/{inv.uid}").json()["resource"]
    assert event == api.get(f"/scheduled_events/{inv.booking.uid}").json()["resource"]

    invitee_no_show_set(invitee=inv, no_show=True, now=start + timedelta(hours=1))
    mark = _payload("invitee_no_show.created")
    assert mark == api.get(mark["uri"].replace("http://127.0.0.1:8000", "")).json()["resource"]


def test_an_event_type_webhook_carries_the_api_event_type(acme):
    org, alice, api = acme
    et = factories.event_type(alice, slug="intro", name="Intro call")
    scheduling.event_type_update(event_type=et, values={"name": "Intro"}, now=T0)
    assert _payload("event_type.updated") == api.get(f"/event_types/{et.uuid}").json()["resource"]
