"""POST /hooks/calendly/<hook_token>/: signed the way Calendly signs (and our own webhooks sign), verified,
refused with a clear 4xx when it is not, and handed to imports.sync.handle_webhook when it is."""

import json
import time
from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.core.secrets import seal
from slotwise.imports.calendly import CalendlyUnavailable
from slotwise.imports.models import Connection
from slotwise.webhooks.services import signature as our_webhooks_signature

from .conftest import fake_sync

KEY = "whsec-test-key"


@pytest.fixture
def handled(monkeypatch):
    """Stands in for engineer "sync"'s imports.sync.handle_webhook (its tests cover what it imports):
    here we check what reaches it, and that nothing does when the delivery is refused."""
    calls = []

    def handle_webhook(*, connection, payload, now):
        if payload["payload"].get("boom"):
            raise CalendlyUnavailable("Calendly answered HTTP 503")
        calls.append((connection.pk, payload))

    fake_sync(monkeypatch, handle_webhook=handle_webhook)
    return calls


@pytest.fixture
def conn(agency):
    return Connection.objects.create(
        organization=agency["org"],
        membership=agency["ana"],
        method="token",
        state="active",
        secret=seal({"access_token": "t"}),
        webhook_signing_key=seal({"signing_key": KEY}),
        webhooks_active=True,
    )


def _envelope(**payload) -> str:
    return json.dumps(
        {
            "event": "invitee.created",
            "created_at": "2026-03-02T08:00:00.000000Z",
            "created_by": "https://api.calendly.com/users/U1",
            "payload": {"uri": "https://api.calendly.com/scheduled_events/E1/invitees/I1", **payload},
        }
    )


def _post(conn, body: str, header: str | None):
    headers = {"HTTP_CALENDLY_WEBHOOK_SIGNATURE": header} if header is not None else {}
    return Client().post(f"/hooks/calendly/{conn.hook_token}/", data=body, content_type="application/json", **headers)


def test_a_delivery_signed_as_our_own_webhooks_sign_is_handed_to_the_sync(conn, handled):
    body = _envelope(email="guest@example.com")
    resp = _post(conn, body, our_webhooks_signature(KEY, body, int(time.time())))
    assert resp.status_code == 200
    assert handled == [(conn.pk, json.loads(body))]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (None, "header is missing"),
        ("t=1,v1=00", "does not match"),
        ("garbage", "does not match"),
    ],
    ids=["no-header", "wrong-mac", "garbage"],
)
def test_a_bad_signature_is_refused_and_nothing_is_handled(conn, handled, header, words):
    resp = _post(conn, _envelope(), header)
    assert resp.status_code == 401 and words in resp.json()["message"]
    assert handled == []


def test_a_signature_made_with_another_key_or_a_changed_body_is_refused(conn, handled):
    body = _envelope()
    t = int(time.time())
    assert _post(conn, body, our_webhooks_signature("another-key", body, t)).status_code == 401
    assert _post(conn, body + " ", our_webhooks_signature(KEY, body, t)).status_code == 401
    assert handled == []


def test_a_signature_older_than_three_minutes_is_refused(conn, handled):
    body = _envelope()
    old = int(datetime.now(UTC).timestamp()) - 181
    assert _post(conn, body, our_webhooks_signature(KEY, body, old)).status_code == 401
    assert handled == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "no event and payload"),
        (json.dumps({"event": "invitee.created"}), "no event and payload"),
        (json.dumps({"event": "invitee.created", "payload": "x"}), "no event and payload"),
    ],
    ids=["broken", "a-list", "no-payload", "payload-not-an-object"],
)
def test_a_malformed_body_is_a_clear_400_and_nothing_is_handled(conn, handled, body, words):
    resp = _post(conn, body, our_webhooks_signature(KEY, body, int(time.time())))
    assert resp.status_code == 400 and words in resp.json()["message"]
    assert handled == []


def test_other_events_are_acknowledged_and_ignored(conn, handled):
    body = json.dumps({"event": "routing_form_submission.created", "payload": {}})
    resp = _post(conn, body, our_webhooks_signature(KEY, body, int(time.time())))
    assert resp.status_code == 200 and resp.json()["status"] == "ignored" and handled == []


def test_an_unknown_or_removed_connection_is_404(conn, handled):
    body = _envelope()
    header = our_webhooks_signature(KEY, body, int(time.time()))
    resp = Client().post(
        "/hooks/calendly/nope/", data=body, content_type="application/json", HTTP_CALENDLY_WEBHOOK_SIGNATURE=header
    )
    assert resp.status_code == 404
    Connection.objects.filter(pk=conn.pk).update(state="removed")
    assert _post(conn, body, header).status_code == 404
    assert handled == []


def test_calendly_failing_while_handling_is_a_503_so_calendly_delivers_again(conn, handled):
    body = _envelope(boom=True)
    resp = _post(conn, body, our_webhooks_signature(KEY, body, int(time.time())))
    assert resp.status_code == 503
    conn.refresh_from_db()
    assert conn.state == "retrying" and conn.retry_at is not None


def test_a_get_is_not_allowed(conn):
    assert Client().get(f"/hooks/calendly/{conn.hook_token}/").status_code == 405
