"""The connection pages: a finished dashboard page each (layout, nav, words not ids), driven with a client."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from slotwise.imports import services
from slotwise.imports.models import Calendar, Connection, SyncLogEntry, SyncRun

from .conftest import fake_sync

pytestmark = pytest.mark.usefixtures("polls")


@pytest.fixture
def people(ana_calendly):
    return ana_calendly


@pytest.fixture
def web(agency):
    client = Client()
    client.force_login(agency["ana"].user)
    return client


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.content.decode()))


def test_connections_page_lists_with_state_and_offers_add(web, agency, calendly, people, now):
    resp = web.get("/dashboard/connections/")
    assert resp.status_code == 200 and "No connections yet" in _text(resp)
    html = resp.content.decode()
    assert 'href="/dashboard/calendars/" class="on"' in html  # Calendars, in the dashboard nav
    assert 'href="/dashboard/connections/" id="tab-connections" class="on"' in html  # > Connections
    services.connection_add_token(
        membership=agency["ana"], token=calendly.token_for(people["ana"]), api_base=calendly.base, now=now
    )
    text = _text(web.get("/dashboard/connections/"))
    assert "Calendly · Ana Lopez" in text and "ana@calendly.test" in text and "Active" in text


def test_adding_with_a_token_goes_on_to_the_calendars(web, agency, calendly, people):
    resp = web.post(
        "/dashboard/connections/add/calendly/token/",
        {"token": calendly.token_for(people["ana"]), "api_base": calendly.base},
    )
    conn = Connection.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/dashboard/connections/{conn.uuid}/calendars/"
    text = _text(web.get(resp["Location"]))
    assert "Intro call" in text and "Personal" in text and "Shared (round robin)" in text
    assert "I agree that Slotwise imports" in text


def test_the_add_page_shows_an_error_beside_the_token_and_keeps_the_api_base(web, calendly):
    resp = web.post("/dashboard/connections/add/calendly/token/", {"token": "pat_wrong", "api_base": calendly.base})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert re.search(r'data-error-for="token">Calendly did not accept this sign-in', html)
    assert f'value="{calendly.base}"' in html and not Connection.objects.exists()


def test_the_add_page_without_an_oauth_app_says_to_use_a_token(web, settings):
    settings.SLOTWISE_CALENDLY_CLIENT_ID = ""
    text = _text(web.get("/dashboard/connections/add/"))
    assert "Calendly sign-in is not set up on this server" in text and "Connect with Calendly" not in text


def test_oauth_from_the_button_to_the_callback(web, agency, calendly, people, settings):
    settings.SLOTWISE_CALENDLY_AUTH_BASE = calendly.base
    resp = web.post("/dashboard/connections/add/calendly/oauth/", {"api_base": calendly.base})
    assert resp.status_code == 302 and resp["Location"].startswith(f"{calendly.base}/oauth/authorize?")
    from urllib.parse import parse_qs, urlsplit

    query = {k: v[0] for k, v in parse_qs(urlsplit(resp["Location"]).query).items()}
    assert query["redirect_uri"] == "http://testserver/dashboard/connections/calendly/callback/"
    code = calendly.authorize(query, people["ana"])
    back = web.get("/dashboard/connections/calendly/callback/", {"state": query["state"], "code": code})
    conn = Connection.objects.get()
    assert back["Location"] == f"/dashboard/connections/{conn.uuid}/calendars/" and conn.state == "active"


def test_an_oauth_callback_for_someone_elses_sign_in_is_refused(web, agency, calendly, people, settings):
    settings.SLOTWISE_CALENDLY_AUTH_BASE = calendly.base
    resp = web.post("/dashboard/connections/add/calendly/oauth/", {"api_base": calendly.base})
    from urllib.parse import parse_qs, urlsplit

    query = {k: v[0] for k, v in parse_qs(urlsplit(resp["Location"]).query).items()}
    code = calendly.authorize(query, people["ana"])
    ben = Client()
    ben.force_login(agency["ben"].user)
    back = ben.get("/dashboard/connections/calendly/callback/", {"state": query["state"], "code": code}, follow=True)
    assert "not started in this browser session or by you" in _text(back)
    assert Connection.objects.get().state == "pending"


def test_an_oauth_sign_in_started_from_the_cli_finishes_in_the_owners_browser(agency, calendly, people, settings):
    settings.SLOTWISE_CALENDLY_AUTH_BASE = calendly.base
    from urllib.parse import parse_qs, urlsplit

    from slotwise.core.clock import utc_now

    _, url = services.connection_oauth_start(  # as `slotwise connections add calendly --oauth` does, now
        membership=agency["ana"],
        api_base=calendly.base,
        redirect_uri="http://testserver/dashboard/connections/calendly/callback/",
        now=utc_now(),
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    ana = Client()
    ana.force_login(agency["ana"].user)  # a session that never started a sign-in
    back = ana.get(
        "/dashboard/connections/calendly/callback/",
        {"state": query["state"], "code": calendly.authorize(query, people["ana"])},
    )
    assert back.status_code == 302 and Connection.objects.get().state == "active"


def _connected(agency, calendly, people, now):
    return services.connection_add_token(
        membership=agency["ana"], token=calendly.token_for(people["ana"]), api_base=calendly.base, now=now
    )


def test_saving_calendars_without_consent_says_so_and_keeps_the_ticks(web, agency, calendly, people, now):
    conn = _connected(agency, calendly, people, now)
    intro = Calendar.objects.get(name="Intro call")
    resp = web.post(f"/dashboard/connections/{conn.uuid}/calendars/", {"calendars": [intro.uri]})
    assert resp.status_code == 400 and "Tick the consent box" in _text(resp)
    assert f'value="{intro.uri}" checked' in resp.content.decode()
    resp = web.post(
        f"/dashboard/connections/{conn.uuid}/calendars/", {"calendars": [intro.uri], "consent": "yes"}, follow=True
    )
    assert "Saved" in _text(resp) and Calendar.objects.get(pk=intro.pk).selected


def test_unticking_asks_for_the_delete_choice_and_deleting_needs_the_second_box(
    web, agency, calendly, people, now, monkeypatch
):
    asked = []
    fake_sync(monkeypatch, delete_synced=lambda *, calendar, now: asked.append(calendar.name) or 3)
    conn = _connected(agency, calendly, people, now)
    intro = Calendar.objects.get(name="Intro call")
    services.calendars_select(connection=conn, uris=[intro.uri], consent=True, now=now)
    resp = web.post(f"/dashboard/connections/{conn.uuid}/calendars/", {})
    text = _text(resp)
    assert "Stop importing from 1 calendar?" in text and "Delete everything it synced, permanently?" in text
    assert Calendar.objects.get(pk=intro.pk).selected  # nothing happens before the choice
    url = f"/dashboard/connections/{conn.uuid}/deselect/"
    resp = web.post(url, {"calendars": [intro.uri], "synced": "delete"})
    assert resp.status_code == 400 and "tick the box" in _text(resp) and asked == []
    resp = web.post(url, {"calendars": [intro.uri], "synced": "delete", "confirm": "yes"}, follow=True)
    assert "Stopped importing from Intro call. 3 appointment(s) deleted permanently." in _text(resp)
    assert asked == ["Intro call"] and not Calendar.objects.get(pk=intro.pk).selected


def test_removing_asks_then_removes(web, agency, calendly, people, now):
    conn = _connected(agency, calendly, people, now)
    page = web.get(f"/dashboard/connections/{conn.uuid}/remove/")
    assert "Remove the Calendly connection ana@calendly.test?" in _text(page)
    resp = web.post(f"/dashboard/connections/{conn.uuid}/remove/", {"synced": "keep"}, follow=True)
    assert "Calendly account ana@calendly.test removed." in _text(resp)
    assert Connection.objects.get(pk=conn.pk).state == "removed"
    assert web.get(f"/dashboard/connections/{conn.uuid}/").status_code == 404


def test_the_connection_page_shows_state_plan_sync_mode_log_and_progress(web, agency, calendly, people, now):
    conn = _connected(agency, calendly, people, now)
    SyncLogEntry.objects.create(connection=conn, at=now, action="skipped", detail="Guest without an email: skipped")
    SyncRun.objects.create(connection=conn, trigger="first", started_at=now, total=200, done=50)
    text = _text(web.get(f"/dashboard/connections/{conn.uuid}/"))
    assert "Teams (paid)" in text and "Polling every few minutes" in text
    assert "Guest without an email: skipped" in text and "50 of 200 events (25%)" in text
    part = web.get(f"/dashboard/connections/{conn.uuid}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in part and "<html" not in part
    SyncRun.objects.update(finished_at=now + timedelta(minutes=1), done=200, outcome="200 imported")
    part = web.get(f"/dashboard/connections/{conn.uuid}/progress/").content.decode()
    assert "hx-trigger" not in part and "200 imported" in part


def test_a_stopped_connection_says_why(web, agency, calendly, people, now):
    conn = _connected(agency, calendly, people, now)
    calendly.set_plan(calendly.organization_uri, plan="basic", stage="free")
    services.check_plan(connection=conn, now=now)
    text = _text(web.get(f"/dashboard/connections/{conn.uuid}/"))
    assert "Stopped: the Calendly plan is free" in text and "stopped: the Calendly plan is free" in text


def test_sync_now_queues_a_poll(web, agency, calendly, people, now, polls):
    conn = _connected(agency, calendly, people, now)
    resp = web.post(f"/dashboard/connections/{conn.uuid}/sync/", follow=True)
    assert "Sync queued" in _text(resp)
    assert polls == [conn.pk]


def test_another_members_connection_is_not_found(agency, calendly, people, now):
    conn = _connected(agency, calendly, people, now)
    ben = Client()
    ben.force_login(agency["ben"].user)
    for path in ("", "calendars/", "remove/"):
        assert ben.get(f"/dashboard/connections/{conn.uuid}/{path}").status_code == 404
    assert ben.post(f"/dashboard/connections/{conn.uuid}/sync/").status_code == 404
