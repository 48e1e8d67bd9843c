"""Issue 10: SSRF through webhooks, with the internal response shown back to the user."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from slotwise.core.errors import InvalidInput
from slotwise.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.webhooks.test_delivery import T0, at, book, run_due, subscribe

INTERNAL = [
    ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("https://10.0.0.1/", "10.0.0.1 is a private address"),
    ("https://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is a private address written as IPv6"),
    ("https://[::1]:6379/", "::1 is a loopback address"),
]


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    return settings


@pytest.mark.parametrize(("url", "named"), INTERNAL, ids=[u for u, _ in INTERNAL])
def test_webhook_urls_into_the_servers_network_are_refused_when_created_in_production(org, production, url, named):
    with pytest.raises(InvalidInput) as refused:
        subscribe(org, url)
    assert refused.value.field == "url"
    assert refused.value.message.startswith(f"Webhook URL: {named}")
    assert WebhookSubscription.objects.count() == 0


def test_the_api_refuses_a_metadata_webhook_url_with_a_400_naming_the_address(org, production):
    from slotwise.api.tokens import token_create
    from tests.api.conftest import Api

    _, secret = token_create(membership=org.admin, scope="write", now=T0)
    r = Api(secret).post(
        "/webhook_subscriptions",
        {
            "url": "https://169.254.169.254/latest/meta-data/",
            "events": ["invitee.created"],
            "scope": "organization",
            "organization": f"{production.BASE_URL}/organizations/{org.a.uuid}",
        },
    )
    assert r.status_code == 400, r.content
    (detail,) = r.json()["details"]
    assert detail["parameter"] == "url"
    assert "169.254.169.254 is a link-local address" in detail["message"]


def test_a_delivery_to_an_address_refused_since_creation_sends_nothing_and_logs_our_own_message(
    org, receiver, settings
):
    sub = subscribe(org, receiver.url)  # allowed in development
    settings.OUTBOUND_ALLOW_LOOPBACK = False  # the policy is applied again at delivery
    book(org.et, at(3, 9))
    run_due(T0)
    (attempt,) = WebhookAttempt.objects.all()
    assert receiver.requests == []
    assert attempt.status_code is None and attempt.response_excerpt == ""
    assert attempt.error.startswith("Webhook: 127.0.0.1 is a loopback address; Slotwise connects only to public")
    c = Client()
    c.force_login(org.admin.user)
    page = c.get(f"/dashboard/webhooks/{sub.uuid}/").content.decode()
    assert "127.0.0.1 is a loopback address" in page


class Redirector:
    """Answers every POST with a redirect and an internal-looking body."""

    def __init__(self, location):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.requests.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_webhook_answered_with_a_redirect_is_a_failed_delivery_and_the_redirect_is_not_followed(org, receiver):
    front = Redirector(receiver.url)
    try:
        sub = subscribe(org, front.url)
        book(org.et, at(3, 9))
        run_due(T0)
    finally:
        front.close()
    (attempt,) = WebhookAttempt.objects.all()
    assert front.requests == ["/hook"] and receiver.requests == []
    assert attempt.status_code == 302 and not attempt.ok
    assert "webhooks are not redirected" in attempt.error
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING  # retried, like any failure
    c = Client()
    c.force_login(org.admin.user)
    page = c.get(f"/dashboard/webhooks/{sub.uuid}/").content.decode()
    assert "HTTP 302: the receiver answered with a redirect, not followed" in page


def test_the_delivery_log_keeps_at_most_500_bytes_of_the_receivers_answer(org):
    class Big(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", str(1024 * 1024))
            self.end_headers()
            self.wfile.write(b"y" * (1024 * 1024))

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        subscribe(org, f"http://127.0.0.1:{server.server_port}/hook")
        book(org.et, at(3, 9))
        run_due(T0)
    finally:
        server.shutdown()
        server.server_close()
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.ok and attempt.response_excerpt == "y" * 500
