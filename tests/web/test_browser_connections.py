"""A member connects a Calendly account in a real browser: token form with the advanced API base URL,
calendars with the consent box, the delete choice when unticking, the connection page whose first-sync
progress updates by itself (htmx). Screenshots at 1280x800 and 390x844 go to test-artifacts/."""

from datetime import timedelta

import pytest

from slotwise.core.clock import utc_now
from slotwise.imports.models import Calendar, Connection, SyncLogEntry, SyncRun
from tests import factories
from tests.imports.calendly_stub import CalendlyStub, serve

from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def calendly(settings):
    stub = CalendlyStub()
    server = serve(stub)
    stub.organization_uri = stub.org(plan="teams", stage="paid")
    settings.SLOTWISE_CALENDLY_CLIENT_ID = stub.client_id
    settings.SLOTWISE_CALENDLY_CLIENT_SECRET = stub.client_secret
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture
def ana(calendly):
    org = factories.org("northwind", name="Northwind")
    member = factories.host(org, "ana", tz="Europe/Berlin", email="ana@northwind.test", role="admin")
    uri = calendly.user("Ana Lopez", "ana@calendly.test", org=calendly.organization_uri, role="admin")
    calendly.event_type("Intro call", owner=uri)
    calendly.event_type("Strategy session", owner=uri, kind="group")
    calendly.event_type("Support", owner=uri, pooling_type="round_robin", team="Support team")
    calendly.event_type("Pairing", owner=uri, pooling_type="collective", team="Engineering")
    return {"member": member, "uri": uri}


def login(page, base):
    page.goto(f"{base}/login/")
    page.fill("#id_username", "ana@northwind.test")
    page.fill("#id_password", "correct horse battery")
    page.click("#login")
    page.wait_for_url(f"{base}/dashboard/")


def shots(open_page, base, path, name, *, ready: str):
    """The page at both sizes, each in its own logged-in browser context."""
    for size, (width, height) in SIZES.items():
        page = open_page("Europe/Berlin", width=width, height=height)
        login(page, base)
        page.goto(f"{base}{path}")
        page.wait_for_selector(ready)
        shot(page, f"{name}-{size}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the side


def test_connect_choose_calendars_and_watch_the_first_sync(live_server, open_page, calendly, ana):
    page = open_page("Europe/Berlin", width=1280, height=800)
    login(page, live_server.url)
    page.click("#nav-settings summary")  # Calendars sits in the Settings menu
    page.click("header nav >> text=Calendars")
    page.click("#tab-connections")
    page.wait_for_selector("text=No connections yet")
    page.click("#add-connection")
    assert page.locator("#connect-oauth").is_visible()  # the OAuth app is configured
    page.fill("#f_token", calendly.token_for(ana["uri"]))
    page.click("summary:has-text('Advanced')")
    page.fill("#f_api_base", calendly.base)
    page.click("#connect-token")
    page.wait_for_selector("#calendars-form")
    assert "Calendly account ana@calendly.test connected" in page.inner_text("main")
    names = page.locator("#calendars-form tbody label").all_inner_texts()
    assert names == ["Intro call", "Strategy session", "Pairing", "Support"]  # personal first, then shared
    rows = page.locator("#calendars-form tbody tr").all_inner_texts()
    assert "Personal" in rows[1] and "Shared (collective)" in rows[2] and "Shared (round robin)" in rows[3]

    page.check("text=Intro call")
    page.check("text=Support")
    page.click("#save-calendars")
    page.wait_for_selector("#calendars-error")
    assert "Tick the consent box" in page.inner_text("#calendars-error")
    page.check("#consent")
    page.click("#save-calendars")
    page.wait_for_selector("text=Saved: the chosen calendars import")
    assert sorted(Calendar.objects.filter(selected=True).values_list("name", flat=True)) == ["Intro call", "Support"]

    conn = Connection.objects.get()
    shots(open_page, live_server.url, "/dashboard/connections/", "connections", ready="#connections")
    shots(
        open_page,
        live_server.url,
        f"/dashboard/connections/{conn.uuid}/calendars/",
        "connection-calendars",
        ready="#calendars-form",
    )

    # Unticking asks whether to delete what it synced.
    page.uncheck("text=Support")
    page.click("#save-calendars")
    page.wait_for_selector("#confirm-form")
    assert "Delete everything it synced, permanently?" in page.inner_text("main")
    assert "deleted only once every member who connected them chose to delete" in page.inner_text("main")
    shot(page, "connection-deselect-confirm-desktop")
    page.click("#confirm-submit")  # "keep" is the default
    page.wait_for_selector("text=Stopped importing from Support.")

    # A first sync running: the progress card polls until the run is over.
    now = utc_now()
    run = SyncRun.objects.create(connection=conn, trigger="first", started_at=now, total=480, done=120)
    SyncLogEntry.objects.create(
        connection=conn,
        at=now,
        action="imported",
        detail="Imported Intro call with Guest One on 2026-03-04 10:00 (Europe/Berlin)",
    )
    SyncLogEntry.objects.create(
        connection=conn,
        at=now,
        action="skipped",
        detail="Skipped a guest without an email on Intro call, 2026-03-05 09:00",
    )
    page.goto(f"{live_server.url}/dashboard/connections/{conn.uuid}/")
    page.wait_for_selector("text=120 of 480 events (25%)")
    shots(open_page, live_server.url, f"/dashboard/connections/{conn.uuid}/", "connection", ready="#sync-progress")
    SyncRun.objects.filter(pk=run.pk).update(
        done=480, finished_at=now + timedelta(seconds=30), outcome="480 imported, 1 skipped"
    )
    page.wait_for_selector("#sync-progress >> text=480 imported, 1 skipped", timeout=15000)
    assert "Polling every few minutes" not in page.inner_text("#sync-mode")  # the stub took the webhook
