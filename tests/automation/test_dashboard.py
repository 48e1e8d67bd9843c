"""Rules in the dashboard, in words: create, edit, switch off and on, dry-run against upcoming bookings,
and the log. Owners and admins only; the same service and messages as every other door."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.automation.models import Rule
from slotwise.automation.registry import register_action
from slotwise.automation.services import rule_create
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create
from slotwise.jobs.services import run_due
from tests import factories as f

pytestmark = pytest.mark.django_db

register_action("test.undoable", do=lambda **_: {"made": True}, undo=lambda **_: None)

SUPPORT_RULE = {
    "name": "Support to helpdesk",
    "trigger": "booking.created",
    "action": "webhook",
    "url": "https://93.184.215.14/support",
    "undo_on_cancel": "on",
    "active": "on",
    "cond_0_field": "event_type",
    "cond_0_op": "contains",
    "cond_0_value": "support",
}


@pytest.fixture
def team(now):
    org = f.org()
    admin, member = f.host(org, "ad", role="owner"), f.host(org, "me")
    support, intro = f.event_type(member, name="Support call", slug="support"), f.event_type(member, name="Intro")
    return org, admin, member, support, intro


def _book(et, start, now, email="cy@example.org"):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name="Cy", email=email, timezone="UTC")
    ).booking


def _support_rule(org, action="email", **kw):
    """ "When a booking's event name contains support": the rule of the seed, with the action under test."""
    params = {"to": "lead@example.org"} if action == "email" else {}
    return rule_create(
        organization=org,
        name="Support",
        trigger="booking.created",
        action=action,
        filters=[{"field": "event_type", "value": "support"}],
        params=params,
        **kw,
    )


def test_an_admin_creates_a_rule_in_words_and_sees_its_sentence(client, team):
    org, admin, *_ = team
    client.force_login(admin.user)
    form = client.get("/dashboard/rules/new/").content.decode()
    assert "The event&#x27;s name" in form and "Copy it to a calendar" in form and "is exactly" in form
    resp = client.post("/dashboard/rules/new/", SUPPORT_RULE)
    assert (resp.status_code, resp["Location"]) == (302, "/dashboard/rules/")
    rule = Rule.objects.get()
    assert (rule.filters, rule.params["url"]) == (
        [{"field": "event_type", "op": "contains", "value": "support"}],
        "https://93.184.215.14/support",
    )
    page = client.get("/dashboard/rules/").content.decode()
    assert "A booking is made and the event&#x27;s name contains “support”: post it to a URL (a webhook)." in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Give the rule a name"),
        ({"cond_0_value": "  "}, "Condition 1: give the text to look for"),
        ({"cond_1_field": "answer", "cond_1_value": "yes"}, "Condition 2: name the question whose answer is checked"),
        ({"url": "ftp://example.com/x"}, "Give the http(s) address to post to"),
        ({"action": "copy_to_calendar"}, "Choose the calendar to copy into"),
    ],
)
def test_a_bad_rule_is_refused_in_words_beside_its_field_and_nothing_is_saved(client, team, change, message):
    client.force_login(team[1].user)
    resp = client.post("/dashboard/rules/new/", {**SUPPORT_RULE, **change})
    html = resp.content.decode()
    assert resp.status_code == 400 and message in html
    assert "filters[" not in html and "params." not in html
    assert not Rule.objects.exists()


def test_dry_run_lists_the_upcoming_bookings_the_rule_would_match_and_changes_nothing(client, team, now, monkeypatch):
    monkeypatch.setattr("slotwise.automation.views.utc_now", lambda: now)
    org, admin, member, support, intro = team
    rule = rule_create(
        organization=org,
        name="Support",
        trigger="booking.created",
        action="email",
        filters=[{"field": "event_type", "value": "SUPPORT"}],
        params={"to": "lead@example.org"},
        active=False,
    )
    soon = _book(support, now + timedelta(days=1, hours=1), now)
    _book(intro, now + timedelta(days=1, hours=3), now, email="dee@example.org")
    client.force_login(admin.user)
    html = client.get(f"/dashboard/rules/{rule.pk}/dry-run/").content.decode()
    assert f"/dashboard/bookings/{soon.uid}/" in html and "Intro" not in html.split('id="dry-run"')[1]
    assert not rule.runs.exists()


def test_the_dry_run_reads_times_in_the_zone_of_the_admins_hours_as_the_booking_page_does(
    client, team, now, monkeypatch
):
    monkeypatch.setattr("slotwise.automation.views.utc_now", lambda: now)
    org, _, member, support, _ = team
    lead = f.host(org, "lead", role="owner", tz="Europe/Berlin")  # the account's zone is the default, UTC
    rule = _support_rule(org)
    _book(support, datetime(2026, 3, 3, 10, 0, tzinfo=UTC), now)
    client.force_login(lead.user)
    html = client.get(f"/dashboard/rules/{rule.pk}/dry-run/").content.decode()
    assert "When (Europe/Berlin)" in html and "Tue 3 Mar 2026, 11:00" in html


def test_switching_a_rule_off_stops_it_and_on_again_starts_it(client, team, now):
    org, admin, member, support, _ = team
    rule = rule_create(
        organization=org,
        name="Support",
        trigger="booking.created",
        action="email",
        filters=[{"field": "event_type", "value": "support"}],
        params={"to": "lead@example.org"},
    )
    client.force_login(admin.user)
    client.post(f"/dashboard/rules/{rule.pk}/toggle/", {"active": "0"})
    _book(support, now + timedelta(days=1, hours=2), now)
    assert not rule.runs.exists()
    client.post(f"/dashboard/rules/{rule.pk}/toggle/", {"active": "1"})
    _book(support, now + timedelta(days=2, hours=2), now, email="dee@example.org")
    assert rule.runs.count() == 1


def test_editing_keeps_the_log(client, team, now):
    org, admin, member, support, _ = team
    rule = rule_create(
        organization=org,
        name="Support to helpdesk",
        trigger="booking.created",
        action="webhook",
        filters=[{"field": "event_type", "value": "support"}],
        params={"url": "http://127.0.0.1:9/hook"},
    )
    _book(support, datetime(2026, 3, 3, 9, 0, tzinfo=UTC), now)
    run_due(now)  # port 9 refuses: the run is logged with its error
    client.force_login(admin.user)
    client.post(f"/dashboard/rules/{rule.pk}/", {**SUPPORT_RULE, "name": "Support calls to helpdesk"})
    html = client.get("/dashboard/rules/").content.decode()
    assert "Support calls to helpdesk" in html and "Support call · 2026-03-03 09:00" in html
    assert "could not reach the server at 127.0.0.1: connection refused" in html


def test_members_may_not_manage_rules_and_other_organizations_rules_are_not_found(client, team):
    org, admin, member, *_ = team
    other = f.org("elsewhere")
    theirs = rule_create(
        organization=other, name="Theirs", trigger="booking.created", action="email", params={"to": "x@example.org"}
    )
    client.force_login(member.user)
    assert client.get("/dashboard/rules/").status_code == 403
    client.force_login(admin.user)
    assert client.get(f"/dashboard/rules/{theirs.pk}/").status_code == 404
    assert client.post(f"/dashboard/rules/{theirs.pk}/toggle/", {"active": "0"}).status_code == 404


@pytest.mark.parametrize(
    ("kind", "words"),
    [("caldav", "CalDAV"), ("google", "Google"), ("microsoft", "Microsoft 365 / Outlook")],
)
def test_the_calendars_to_copy_into_are_named_in_words(client, team, kind, words):
    from slotwise.calendars.models import CalendarConnection, RemoteCalendar

    org, admin, *_ = team
    conn = CalendarConnection.objects.create(organization=org, membership=admin, kind=kind, name="Team account")
    RemoteCalendar.objects.create(connection=conn, remote_id="team", name="Team")
    client.force_login(admin.user)
    form = client.get("/dashboard/rules/new/").content.decode()
    assert f"Team ({words}: Team account, connected by {admin.user})" in form


def test_the_log_shows_what_a_rule_did_and_its_undoing_each_at_its_time(client, team, now):
    org, admin, member, support, _ = team
    rule = _support_rule(org, "test.undoable", undo_on_cancel=True)
    booking = _book(support, datetime(2026, 3, 3, 9, 0, tzinfo=UTC), now)
    run_due(now)
    later = now + timedelta(hours=2)
    booking_cancel(booking=booking, now=later)
    run_due(later)
    assert rule.runs.get().status == "undone"
    client.force_login(admin.user)
    html = client.get("/dashboard/rules/").content.decode()
    rows = re.findall(r'<td class="nowrap">([^<]+)</td>.*?</td>\s*<td>([^<]+)</td>', html, re.S)
    assert rows == [("2026-03-02 10:00", "undone"), ("2026-03-02 08:00", "done")]
