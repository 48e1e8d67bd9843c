import base64
import hashlib
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from slotwise.api.models import ApiToken, OAuthApplication
from slotwise.api.tokens import digest
from tests import factories
from tests.api.conftest import Api


def test_token_command_prints_once_and_stores_only_a_hash(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "--email", "BOB@acme.test", "--scope", "write", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("swp_")
    token = ApiToken.objects.get(hash=digest(secret))
    assert (token.membership_id, token.scope) == (world.member.pk, "write")
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert Api(secret).get("/users/me").json()["resource"]["email"] == "bob@acme.test"
    call_command("token", "revoke", token.prefix, stdout=io.StringIO())
    assert Api(secret).get("/users/me").status_code == 401


def test_token_command_errors_say_what_to_fix(world):
    factories.host(world.b, "alice2", email="multi@x.test")
    other = factories.org("third")
    from slotwise.accounts.models import Membership, User

    Membership.objects.create(organization=other, user=User.objects.get(email="multi@x.test"), slug="m")
    with pytest.raises(CommandError, match="--org"):
        call_command("token", "create", "--email", "multi@x.test", stdout=io.StringIO(), stderr=io.StringIO())
    call_command(
        "token", "create", "--email", "multi@x.test", "--org", "third", stdout=io.StringIO(), stderr=io.StringIO()
    )
    with pytest.raises(CommandError, match="no member"):
        call_command("token", "create", "--email", "nobody@x.test", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="no token"):
        call_command("token", "revoke", "ffffffff", stdout=io.StringIO())


def test_dashboard_creates_shows_once_and_revokes(world):
    c = Client()
    c.force_login(world.member.user)
    r = c.post("/dashboard/tokens/", {"name": "CRM", "scope": "read"})
    assert r.status_code == 200
    secret = r.context["created"]
    assert secret in r.content.decode()
    token = ApiToken.objects.get(hash=digest(secret))
    assert (token.name, token.scope, token.membership_id) == ("CRM", "read", world.member.pk)
    again = c.get("/dashboard/tokens/")
    assert secret not in again.content.decode() and token.prefix in again.content.decode()
    assert c.post(f"/dashboard/tokens/{token.prefix}/revoke/").status_code == 302
    assert Api(secret).get("/users/me").status_code == 401


def test_dashboard_cannot_revoke_someone_elses_token(world):
    c = Client()
    c.force_login(world.member.user)
    alices = ApiToken.objects.filter(membership=world.admin).first()
    assert c.post(f"/dashboard/tokens/{alices.prefix}/revoke/").status_code == 404
    alices.refresh_from_db()
    assert alices.revoked_at is None


def test_dashboard_needs_login():
    r = Client().get("/dashboard/tokens/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def _pkce():
    verifier = "v" * 20 + "erifier-0123456789-abcdefghijklmnop"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def test_oauth_code_flow_with_pkce_and_rotating_refresh_tokens(world):
    OAuthApplication.objects.create(
        organization=world.a, name="Zapish", client_id="zapish", redirect_uris=["https://zapish.example.com/cb"]
    )
    verifier, challenge = _pkce()
    browser = Client()
    browser.force_login(world.member.user)
    params = {
        "client_id": "zapish",
        "redirect_uri": "https://zapish.example.com/cb",
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "xyz",
        "scope": "write",
    }
    page = browser.get("/oauth/authorize", params)
    assert page.status_code == 200 and "Zapish" in page.content.decode()
    r = browser.post("/oauth/authorize", {**params, "decision": "allow"})
    assert r.status_code == 302
    q = parse_qs(urlsplit(r["Location"]).query)
    assert q["state"] == ["xyz"]
    code = q["code"][0]

    app_client = Client()
    bad = app_client.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "client_id": "zapish",
            "code": code,
            "redirect_uri": "https://zapish.example.com/cb",
            "code_verifier": "wrong" * 10,
        },
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    ok = app_client.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "client_id": "zapish",
            "code": code,
            "redirect_uri": "https://zapish.example.com/cb",
            "code_verifier": verifier,
        },
    )
    assert ok.status_code == 200, ok.content
    tok = ok.json()
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 7200 and tok["scope"] == "write"
    assert tok["owner"].endswith(str(world.member.user.uuid))
    assert Api(tok["access_token"]).get("/users/me").json()["resource"]["email"] == "bob@acme.test"
    reused = app_client.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "client_id": "zapish",
            "code": code,
            "redirect_uri": "https://zapish.example.com/cb",
            "code_verifier": verifier,
        },
    )
    assert reused.status_code == 400

    refreshed = app_client.post(
        "/oauth/token", {"grant_type": "refresh_token", "client_id": "zapish", "refresh_token": tok["refresh_token"]}
    ).json()
    assert refreshed["refresh_token"] != tok["refresh_token"]
    assert Api(tok["access_token"]).get("/users/me").status_code == 401  # the old access token is revoked
    assert Api(refreshed["access_token"]).get("/users/me").status_code == 200
    # The rotated refresh token comes back (stolen copy): the whole family is revoked.
    replay = app_client.post(
        "/oauth/token", {"grant_type": "refresh_token", "client_id": "zapish", "refresh_token": tok["refresh_token"]}
    )
    assert replay.status_code == 400
    assert Api(refreshed["access_token"]).get("/users/me").status_code == 401


def test_oauth_authorize_refuses_without_pkce_or_with_unregistered_redirect(world):
    OAuthApplication.objects.create(
        organization=world.a, name="App", client_id="app", redirect_uris=["https://app.example.com/cb"]
    )
    browser = Client()
    browser.force_login(world.member.user)
    base = {"client_id": "app", "redirect_uri": "https://app.example.com/cb", "response_type": "code"}
    r = browser.get("/oauth/authorize", base)
    assert r.status_code == 400 and "PKCE" in r.json()["error_description"]
    r = browser.get("/oauth/authorize", {**base, "redirect_uri": "https://evil.example.com/cb"})
    assert r.status_code == 400 and "redirect_uri" in r.json()["error_description"]
    assert Client().post("/oauth/token", {"grant_type": "password"}).json()["error"] == "unsupported_grant_type"


def test_openapi_and_local_docs(db):
    c = Client()
    spec = c.get("/api/v2/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for p in (
        "/api/v2/users/me",
        "/api/v2/scheduled_events",
        "/api/v2/invitees",
        "/api/v2/webhook_subscriptions",
        "/api/v2/data_compliance/deletion/invitees",
        "/api/v2/event_type_available_times",
    ):
        assert p in paths
    docs = c.get("/api/v2/docs").content.decode()
    assert "cdn" not in docs.lower() and "/api/v2/docs/assets/swagger-ui-bundle.js" in docs
    asset = c.get("/api/v2/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and asset["Content-Type"] == "text/javascript"
    assert b"SwaggerUIBundle" in b"".join(asset.streaming_content)
    assert c.get("/api/v2/docs/assets/..%2Fsettings.py").status_code == 404
