"""The support team's flow (seed 000_8e97eccfe53ce157) in the real extension, loaded unpacked into Debian's
Chromium against a live Slotwise: sign in, star the team event, one click for a single-use link, the link
from the clipboard books once, a second booking through it is refused, and the popup then shows it used.

Playwright cannot click the browser's own permission prompt, so the test copy of the extension lists the
live server's origin in host_permissions: what the user grants when the settings page asks at runtime. The
sign-in uses the pasted-token path; launchWebAuthFlow needs a real window, so the OAuth PKCE exchange the
extension makes is tested at the API level (tests/api/test_links_api.py)."""

import importlib.util
import json
import sys
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from slotwise.api import base as api_base
from slotwise.api.tokens import token_create
from slotwise.bookings.models import Booking, SingleUseLink
from slotwise.scheduling.models import EventTypeStar
from tests import factories

from .conftest import CHROMIUM_ARGS, shot
from .test_browser_booking import pick_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
EXTENSION_ID = "jbleljmfndjhggnplhoobfbabkfejkhg"  # fixed by the manifest's "key"


def built_extension(out: Path) -> Path:
    spec = importlib.util.spec_from_file_location("ext_build", ROOT / "extension" / "scripts" / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules["ext_build"] = build
    spec.loader.exec_module(build)
    build.build(out)
    unpacked = out / "chromium"
    manifest = json.loads((unpacked / "manifest.json").read_text())
    manifest["host_permissions"] = ["http://127.0.0.1/*"]  # the runtime grant, given up front (see above)
    (unpacked / "manifest.json").write_text(json.dumps(manifest))
    return unpacked


@pytest.fixture
def support(db):
    org = factories.org("gitlab", name="GitLab")
    ana = factories.host(org, "ana", email="ana@gitlab.test")
    bo = factories.host(org, "bo", email="bo@gitlab.test")
    team = factories.team(org, [ana, bo], slug="support")
    team_call = factories.event_type(
        team=team,
        slug="support-call",
        name="Team Support Call",
        kind="round_robin",
        duration_minutes=60,
        increment_minutes=30,
    )
    own = factories.event_type(ana, slug="support", name="Ana Support Call", duration_minutes=60)
    _, secret = token_create(membership=ana, scope="write", name="extension", now=factories_now())
    return {"org": org, "ana": ana, "team_call": team_call, "own": own, "token": secret}


def factories_now():
    from datetime import UTC, datetime

    return datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def chromium_with_extension(tmp_path, playwright):
    unpacked = built_extension(tmp_path / "dist")
    ctx = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path="/usr/bin/chromium",
        headless=True,
        timezone_id="Europe/Berlin",
        locale="en-US",
        viewport={"width": 1200, "height": 900},
        args=[
            *CHROMIUM_ARGS,
            "--headless=new",
            f"--disable-extensions-except={unpacked}",
            f"--load-extension={unpacked}",
        ],
    )
    ctx.set_default_timeout(30000)
    yield ctx
    ctx.close()


def open_popup(ctx, *, width=380, height=600):
    page = ctx.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"chrome-extension://{EXTENSION_ID}/src/popup.html")
    page.wait_for_selector("body[data-ready='1']")
    return page


def test_support_engineer_sends_a_single_use_link_from_the_extension(
    live_server, chromium_with_extension, support, frozen, settings, monkeypatch
):
    ctx = chromium_with_extension
    server = live_server.url.replace("localhost", "127.0.0.1")
    settings.BASE_URL = server
    monkeypatch.setattr(api_base, "utc_now", lambda: frozen)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)

    # Sign in: the server address, then the pasted personal token (the fallback to OAuth).
    options = ctx.new_page()
    options.goto(f"chrome-extension://{EXTENSION_ID}/src/options.html")
    options.fill("#server", "http://example.com")
    options.click("#save-server")
    options.wait_for_selector("#feedback.error:has-text('plain http is only for localhost')")
    options.fill("#server", server)
    options.click("#save-server")
    options.wait_for_selector(f"#feedback.ok:has-text('Saved {server}')")
    options.fill("#token", support["token"])
    options.click("#use-token")
    options.wait_for_selector("#feedback.ok:has-text('Signed in as ana@gitlab.test')")
    stored = options.evaluate("chrome.storage.local.get('slotwise')")
    assert stored["slotwise"] == {"server": server, "session": {"kind": "personal", "accessToken": support["token"]}}
    # Page-readable storage holds nothing.
    assert options.evaluate("localStorage.length + sessionStorage.length") == 0

    # The popup lists the user's and the team's event types; starring the team event moves it first.
    popup = open_popup(ctx)
    names = popup.locator("#event-types li").evaluate_all("els => els.map(e => e.dataset.name)")
    assert names == ["Ana Support Call", "Team Support Call"]
    popup.click("button[aria-label='Star Team Support Call']")
    popup.wait_for_selector("#event-types li:first-child[data-name='Team Support Call']")
    assert EventTypeStar.objects.filter(membership=support["ana"], event_type=support["team_call"]).exists()
    popup.fill("#search", "team")
    assert popup.locator("#event-types li").count() == 1
    popup.fill("#search", "")

    # One click: a single-use link for the team event, created on the server and copied.
    popup.click("summary")
    popup.fill("#prefill-name", "Casey Customer")
    popup.fill("#prefill-reference", "ZD-4711")
    popup.click("button[aria-label='Single-use link for Team Support Call']")
    popup.wait_for_selector("#feedback.ok:has-text('Copied:')")
    link = SingleUseLink.objects.get()
    url = f"{server}/d/{link.token}/"
    assert (link.event_type, link.created_by, link.prefill_name, link.reference) == (
        support["team_call"],
        support["ana"],
        "Casey Customer",
        "ZD-4711",
    )
    popup.wait_for_selector(f"#links li[data-url='{url}'][data-state='unused']")
    shot(popup, "extension-popup-desktop")

    # The invitee opens what was pasted into the ticket (read back from the clipboard).
    invitee = ctx.new_page()
    invitee.goto(f"{server}/gitlab/")
    pasted = invitee.evaluate("navigator.clipboard.readText()")
    assert pasted == url
    late = ctx.new_page()  # a second tab with the form open before the first booking
    for page, index in ((invitee, 0), (late, 2)):
        page.goto(pasted)
        # The page re-renders in the browser's zone; picking before that would ask "is that your zone?".
        expect(page.locator("#tz")).to_have_value("Europe/Berlin")
        page.wait_for_selector("#local-now:has-text('Europe/Berlin')")
        pick_day(page, date(2026, 3, 3))
        page.click(f"#times a.slot >> nth={index}")
        page.wait_for_selector("#booking-form")
        assert page.input_value("#name") == "Casey Customer"  # the prefill
        page.fill("#email", "casey@customer.test")
    invitee.click("#submit")
    invitee.wait_for_selector("#when")
    booking = Booking.objects.get()
    assert (booking.link, booking.source) == (link, Booking.Source.SINGLE_USE)
    answers = {a["key"]: a["answer"] for a in booking.invitees.get().answers}
    assert answers["link_reference"] == "ZD-4711"

    # A second booking through the same link is refused, from the open form and from a fresh visit.
    late.click("#submit")
    late.wait_for_selector("#link-used[data-state='used']")
    invitee.goto(pasted)
    assert invitee.inner_text("h1") == "This link has been used"
    assert Booking.objects.count() == 1

    # Reopened, the popup shows the link as used.
    popup.close()
    popup = open_popup(ctx)
    popup.wait_for_selector(f"#links li[data-url='{url}'][data-state='used']")
    assert "ref ZD-4711" in popup.inner_text(f"#links li[data-url='{url}']")
    phone = open_popup(ctx, width=360, height=740)
    shot(phone, "extension-popup-phone")

    # The dashboard's links page shows the same link, used, with its booking; desktop and phone.
    dash = ctx.new_page()
    dash.goto(f"{server}/login/")
    dash.fill("#id_username", "ana@gitlab.test")
    dash.fill("#id_password", "correct horse battery")
    dash.click("#login")
    dash.wait_for_url(f"{server}/dashboard/")
    dash.goto(f"{server}/dashboard/links/")
    row = dash.locator(f"#link-list li[data-link='{link.uuid}']")
    assert row.get_attribute("data-state") == "used"
    assert "casey@customer.test" in row.inner_text() and "ZD-4711" in row.inner_text()
    shot(dash, "dashboard-links-desktop")
    dash.set_viewport_size({"width": 390, "height": 844})
    shot(dash, "dashboard-links-phone")
