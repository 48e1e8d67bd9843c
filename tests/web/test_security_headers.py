"""Security headers: a strict Content-Security-Policy on every page (so no inline script, style or handler
may be left in a template), frame-ancestors per organization for embeds, HSTS and the proxy header in
production, the settings read from the environment, and the gunicorn control socket's place."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from slotwise.accounts.services import clean_embed_origins, organization_embed_origins_set
from slotwise.cli.orgfile import load_text
from slotwise.core.errors import InvalidInput, PermissionDenied
from tests import factories

SRC = Path(__file__).resolve().parents[2] / "src" / "slotwise"


def csp(response) -> dict[str, list[str]]:
    out = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.fixture
def admin_client(acme):
    acme["ana"].role = "owner"
    acme["ana"].save()
    c = Client()
    c.force_login(acme["ana"].user)
    return c


def test_every_page_sends_a_strict_content_security_policy(acme, frozen, admin_client):
    for client, path in (
        (Client(), "/acme/ana/intro/"),
        (Client(), "/login/"),
        (admin_client, "/dashboard/"),
        (admin_client, "/dashboard/team/"),
        (Client(), "/api/v2/docs"),
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        policy = csp(r)
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], path
        assert (
            "'unsafe-inline'" not in r["Content-Security-Policy"]
            and "'unsafe-eval'" not in r["Content-Security-Policy"]
        ), path


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on*= handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_keeps_inline_script_style_or_handlers_that_the_policy_would_block():
    """Every page template and every page built in Python. Email templates are exempt: they are not pages
    (mail clients need inline styles), and their preview allows inline styles only (notifications/views.py)."""
    found = []
    files = [p for p in SRC.rglob("*.html") if "/templates/notifications/email/" not in p.as_posix()]
    files += [SRC / "api" / "v2.py", SRC / "api" / "oauth.py"]
    assert len(files) > 20
    for path in files:
        text = path.read_text()
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                found.append(f"{path.relative_to(SRC)}: {what}: {m.group(0)[:60]}")
    assert found == []


def test_booking_pages_may_be_framed_only_by_the_sites_their_organization_lists(acme, frozen, admin_client):
    acme["org"].embed_origins = ["https://www.acme.com", "https://*.acme-partners.net"]
    acme["org"].save()
    other = factories.org("globex")
    bob = factories.host(other, "bob")
    factories.event_type(bob, slug="demo")
    page = Client().get("/acme/ana/intro/")
    assert csp(page)["frame-ancestors"] == ["'self'", "https://www.acme.com", "https://*.acme-partners.net"]
    assert "X-Frame-Options" not in page
    assert csp(Client().get("/globex/bob/demo/"))["frame-ancestors"] == ["'self'"]  # not acme's sites
    dashboard = admin_client.get("/dashboard/")
    assert csp(dashboard)["frame-ancestors"] == ["'none'"] and dashboard["X-Frame-Options"] == "DENY"
    assert csp(Client().get("/login/"))["frame-ancestors"] == ["'none'"]


def test_the_confirmation_after_booking_in_an_embed_is_framable_by_the_same_sites(acme, frozen):
    from datetime import UTC, datetime

    from slotwise.bookings.services import InviteeInput, booking_create

    acme["org"].embed_origins = ["https://www.acme.com"]
    acme["org"].save()
    invitee = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Ada", email="ada@example.com", timezone="UTC"),
    )
    r = Client().get(f"/booked/{invitee.uid}/")
    assert r.status_code == 200 and csp(r)["frame-ancestors"] == ["'self'", "https://www.acme.com"]


def test_org_admins_set_the_embedding_sites_on_the_dashboard(acme, frozen, admin_client):
    r = admin_client.post(
        "/dashboard/team/", {"embed": "1", "embed_origins": "https://www.acme.com/\nhttp://localhost:3000"}, follow=True
    )
    assert "Sites that may embed the booking pages: https://www.acme.com, http://localhost:3000" in r.content.decode()
    acme["org"].refresh_from_db()
    assert acme["org"].embed_origins == ["https://www.acme.com", "http://localhost:3000"]
    bad = admin_client.post("/dashboard/team/", {"embed": "1", "embed_origins": "https://acme.com/book"}, follow=True)
    assert "&#x27;https://acme.com/book&#x27; is not a web origin; write scheme and host only" in bad.content.decode()
    member = factories.host(acme["org"], "max")
    with pytest.raises(PermissionDenied):
        organization_embed_origins_set(actor=member, origins=["https://evil.example"])


@pytest.mark.parametrize(
    "origin",
    ["*", "https://*", "'self'", "https://a.com; script-src *", "ftp://a.com", "https://a.com/path", "acme.com"],
)
def test_embedding_origins_refuse_anything_that_is_not_one_origin(origin):
    with pytest.raises(InvalidInput, match="is not a web origin"):
        clean_embed_origins([origin])


def test_the_load_file_sets_embedding_sites(db, now):
    load_text(
        "organization:\n  slug: initech\n  embed_origins: [https://www.initech.com]\n", source="initech.yaml", now=now
    )
    from slotwise.accounts.models import Organization

    assert Organization.objects.get(slug="initech").embed_origins == ["https://www.initech.com"]
    with pytest.raises(
        InvalidInput,
        match=r"initech.yaml: line 3: organization.embed_origins\[0\]: 'https://x.com/a' is not a web origin",
    ):
        load_text(
            "organization:\n  slug: initech\n  embed_origins: [https://x.com/a]\n", source="initech.yaml", now=now
        )


def _settings_in(env: dict) -> dict:
    """The settings a fresh process reads from this environment."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); print(json.dumps({k: "
        "getattr(settings, k, None) for k in ['DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', "
        "'SESSION_COOKIE_SECURE', 'SLOTWISE_TRUST_FORWARDED_FOR', 'SLOTWISE_API_RATE_LIMIT', "
        "'SLOTWISE_API_RATE_WINDOW', 'SLOTWISE_LOGIN_ACCOUNT_LIMIT']}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLOTWISE_") or k == "SLOTWISE_DATA_DIR"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "slotwise.config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_and_trusts_the_proxys_https_header():
    prod = _settings_in({"SLOTWISE_ENV": "production", "SLOTWISE_SECRET_KEY": "x" * 50})
    assert prod["DEBUG"] is False and prod["SESSION_COOKIE_SECURE"] is True
    assert prod["SECURE_HSTS_SECONDS"] == 31536000
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    dev = _settings_in({})
    assert dev["SECURE_HSTS_SECONDS"] == 0 and dev["SECURE_PROXY_SSL_HEADER"] is None


def test_forwarded_for_trust_rate_limits_and_lockout_come_from_the_environment():
    s = _settings_in(
        {
            "SLOTWISE_TRUST_FORWARDED_FOR": "1",
            "SLOTWISE_API_RATE_LIMIT": "50",
            "SLOTWISE_API_RATE_WINDOW": "10",
            "SLOTWISE_LOGIN_ACCOUNT_LIMIT": "3",
        }
    )
    assert (
        s["SLOTWISE_TRUST_FORWARDED_FOR"],
        s["SLOTWISE_API_RATE_LIMIT"],
        s["SLOTWISE_API_RATE_WINDOW"],
        s["SLOTWISE_LOGIN_ACCOUNT_LIMIT"],
    ) == (1, 50, 10, 3)
    assert _settings_in({})["SLOTWISE_TRUST_FORWARDED_FOR"] == 0


def test_readme_lists_every_security_variable():
    readme = (SRC.parents[1] / "README.md").read_text()
    for name in (
        "SLOTWISE_TRUST_FORWARDED_FOR",
        "SLOTWISE_API_RATE_LIMIT",
        "SLOTWISE_API_RATE_WINDOW",
        "SLOTWISE_LOGIN_ACCOUNT_LIMIT",
        "SLOTWISE_LOGIN_ADDRESS_LIMIT",
        "SLOTWISE_LOGIN_LOCKOUT_SECONDS",
        "SLOTWISE_HSTS_SECONDS",
        "SLOTWISE_PROXY_SSL_HEADER",
    ):
        assert f"`{name}`" in readme, name


def test_gunicorn_control_socket_lives_under_the_data_directory(settings, tmp_path):
    from slotwise.cli.management.commands.serve import _Gunicorn, gunicorn_options

    settings.DATA_DIR = tmp_path
    app = _Gunicorn(gunicorn_options({"host": "127.0.0.1", "port": 8000, "workers": 1, "threads": 1}))
    assert app.cfg.control_socket == str(tmp_path / "gunicorn.ctl")
    assert app.cfg.control_socket_mode == 0o600 and not app.cfg.control_socket_disable
    settings.DATA_DIR = tmp_path / ("d" * 120)
    assert _Gunicorn(gunicorn_options({"host": "h", "port": 1, "workers": 1, "threads": 1})).cfg.control_socket_disable


@pytest.mark.browser
def test_a_site_the_organization_does_not_list_cannot_frame_its_booking_page(
    live_server, open_page, acme, frozen, settings
):
    from tests.web.test_browser_booking import other_origin, partner_site

    acme["org"].embed_origins = ["https://partner.example"]  # listed; the page below is another site
    acme["org"].save()
    page = open_page()
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "frame-ancestors" in msg.text else None)
    partner_site(page, other_origin(live_server, "127.0.0.1"), live_server, settings)  # a site not on the list
    page.wait_for_selector("iframe", state="attached")
    page.wait_for_timeout(2000)
    assert blocked, "Chromium refuses the frame, naming frame-ancestors"
    assert len(page.frames) < 2 or page.frames[1].query_selector("#picker-form") is None
