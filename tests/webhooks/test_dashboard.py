"""Webhook subscriptions made, tested and removed in the dashboard, through the same service and rules as
POST /api/v2/webhook_subscriptions."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.jobs.services import run_due
from slotwise.webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def _client(membership):
    c = Client()
    c.force_login(membership.user)
    return c


def test_a_host_creates_a_webhook_sends_a_sample_and_removes_it(org, receiver):
    c = _client(org.member)
    page = c.get("/dashboard/webhooks/").content.decode()
    assert "A booking is made" in page and "Everyone's in" not in page  # members subscribe to their own
    resp = c.post("/dashboard/webhooks/", {"url": receiver.url, "events": ["invitee.created"], "scope": "user"})
    sub = WebhookSubscription.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/dashboard/webhooks/{sub.uuid}/"
    assert (sub.scope, sub.user, sub.creator, sub.events) == ("user", org.member, org.member, ["invitee.created"])
    detail = c.get(resp["Location"]).content.decode()
    assert sub.signing_key in detail and "Remove webhook" in detail

    c.post(f"/dashboard/webhooks/{sub.uuid}/sample/", {"event": "invitee.created"})
    run_due(datetime.now(UTC))
    assert receiver.events() == ["invitee.created"]

    gone = c.post(f"/dashboard/webhooks/{sub.uuid}/remove/")
    assert (gone.status_code, gone["Location"]) == (302, "/dashboard/webhooks/")
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"url": "ftp://example.com/x", "events": ["invitee.created"]}, "is not an http(s) URL"),
        ({"url": "http://10.0.0.7/hook", "events": ["invitee.created"]}, "private"),
        ({"url": "https://example.com/hook"}, "Choose at least one event to send"),
        (
            {"url": "https://example.com/hook", "events": ["invitee.created"], "scope": "organization"},
            "need an organization owner or admin",
        ),
    ],
)
def test_the_dashboard_refuses_what_the_api_refuses_with_the_same_words(org, form, message):
    resp = _client(org.member).post("/dashboard/webhooks/", {"scope": "user", **form})
    assert resp.status_code == 400 and message in resp.content.decode()
    assert "url: " not in resp.content.decode() and "events: " not in resp.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_an_admin_subscribes_to_everyones_bookings_and_a_member_can_not_remove_it(org, receiver):
    admin = _client(org.admin)
    admin.post(
        "/dashboard/webhooks/",
        {"url": receiver.url, "events": ["invitee.created", "invitee.canceled"], "scope": "organization"},
    )
    sub = WebhookSubscription.objects.get()
    assert (sub.scope, sub.user) == ("organization", None)
    assert _client(org.member).post(f"/dashboard/webhooks/{sub.uuid}/remove/").status_code == 404
    assert WebhookSubscription.objects.filter(pk=sub.pk).exists()
