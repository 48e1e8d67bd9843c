"""A host connects Zoom: OAuth authorization-code flow against the local fake."""

from urllib.parse import parse_qs, urlparse

import pytest

from slotwise.conferencing.models import ZoomGrant
from tests import factories as f
from tests.conferencing.zoom_fake import FakeZoom

pytestmark = pytest.mark.django_db
CALLBACK = "https://book.example.com/dashboard/conferencing/zoom/callback/"


@pytest.fixture
def zoom(settings):
    fake = FakeZoom(client_id="cid", client_secret="csecret").start()
    settings.ZOOM_API_BASE, settings.ZOOM_OAUTH_BASE = f"{fake.base}/v2", fake.base
    settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET = "cid", "csecret"
    settings.BASE_URL = "https://book.example.com"
    yield fake
    fake.stop()


def test_connect_stores_the_grant(client, zoom):
    host = f.host(f.org(slug="acme"), "hal")
    client.force_login(host.user)
    resp = client.get("/dashboard/conferencing/zoom/connect/?org=acme")
    assert resp.status_code == 302
    url = urlparse(resp["Location"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{zoom.base}/oauth/authorize"
    assert (query["response_type"], query["client_id"], query["redirect_uri"]) == (["code"], ["cid"], [CALLBACK])

    code = zoom.issue_code(CALLBACK)
    resp = client.get(f"/dashboard/conferencing/zoom/callback/?code={code}&state={query['state'][0]}")
    assert (resp.status_code, resp["Location"]) == (302, "/dashboard/")
    grant = ZoomGrant.objects.get(membership=host)
    assert grant.access_token in zoom.access_tokens and grant.refresh_token in zoom.refresh_tokens


def test_a_forged_state_or_a_bad_code_is_refused_with_a_message(client, zoom):
    host = f.host(f.org(slug="acme"), "hal")
    client.force_login(host.user)
    state = parse_qs(urlparse(client.get("/dashboard/conferencing/zoom/connect/")["Location"]).query)["state"][0]
    resp = client.get(f"/dashboard/conferencing/zoom/callback/?code={zoom.issue_code(CALLBACK)}&state=forged")
    assert resp.status_code == 400
    assert b"stale or was not started here" in resp.content
    state = parse_qs(urlparse(client.get("/dashboard/conferencing/zoom/connect/")["Location"]).query)["state"][0]
    resp = client.get(f"/dashboard/conferencing/zoom/callback/?code=wrong&state={state}")
    assert resp.status_code == 400
    assert b"Zoom refused the authorization code (400); connect Zoom again" in resp.content
    assert not ZoomGrant.objects.exists()


def test_zoom_calls_into_the_servers_network_are_refused_without_a_request(settings, monkeypatch):
    """Zoom's base URLs are settings; a wrong one (or a compromised environment) must not reach metadata."""
    import socket
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from slotwise.conferencing import zoom

    def no_connect(self, address):
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    settings.ZOOM_API_BASE = "http://169.254.169.254/v2"
    settings.ZOOM_OAUTH_BASE = "http://10.0.0.1"
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    grant = SimpleNamespace(access_token="a", refresh_token="r", expires_at=now + timedelta(hours=1))
    with pytest.raises(zoom.ZoomError) as refused:
        zoom.create_meeting(grant=grant, now=now, body={})
    assert refused.value.permanent
    assert str(refused.value).startswith("Zoom: 169.254.169.254 is a link-local address")
    with pytest.raises(zoom.ZoomError, match="Zoom: 10.0.0.1 is a private address"):
        zoom.refresh("r", now=now)
