"""WCAG 2.2 AA: axe-core (from the npm registry, tests/web/axe.py) run in Chromium on every public page and
state — the booking page's month, a picked day, the form, the night-time check, the confirmation, cancel
and reschedule, a request waiting for the host, the host's approve and decline links, a guest's decline
link, the first-run setup — at desktop (1280×800) and phone (390×844) sizes, and on every dashboard page
with its data filled in (limits, absences and travel on the availability page; a pending request; rules,
reminders, webhooks, connections; the agency overview). Each page is its own case; all share one browser.
Screenshots go to test-artifacts/a11y-*.png."""

from datetime import UTC, datetime

import pytest

from slotwise.accounts import services as accounts
from slotwise.accounts.models import Membership
from slotwise.automation.services import rule_create
from slotwise.bookings import approvals
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.contacts.models import Contact
from slotwise.core.secrets import seal
from slotwise.imports.models import Connection
from slotwise.notifications.services import reminder_create
from slotwise.scheduling import services as scheduling
from slotwise.webhooks.models import WebhookSubscription
from tests import factories

from . import axe
from .conftest import shot, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = (1280, 800), (390, 844)


@pytest.fixture
def world(acme, frozen, monkeypatch):
    """Ana's intro with durations and every kind of question, a team event, a booking and its contact."""
    # The dashboard doors that read the clock themselves see the same frozen `now` as the pages.
    for module in ("web.host_reschedule", "web.connections", "automation.views", "notifications.views"):
        monkeypatch.setattr(f"slotwise.{module}.utc_now", lambda: frozen)
    ana = acme["ana"]
    Membership.objects.filter(pk=ana.pk).update(role=Membership.Role.ADMIN)
    ana.role = Membership.Role.ADMIN
    scheduling.event_type_update(
        event_type=acme["intro"],
        now=frozen,
        values={
            "duration_options": [15, 60],
            "questions": [
                {"key": "company", "label": "Company", "type": "text"},
                {
                    "key": "topic",
                    "label": "Topic",
                    "type": "single_choice",
                    "options": ["Sales", "Support"],
                    "required": True,
                },
                {"key": "tools", "label": "Tools you use", "type": "multiple_choice", "options": ["CRM", "Helpdesk"]},
                {"key": "notes", "label": "Anything else", "type": "long_text"},
            ],
        },
    )
    ben = factories.host(acme["org"], "ben", tz="America/New_York", email="ben@acme.test")
    support = factories.team(acme["org"], [ana, ben], slug="support")
    team_event = factories.event_type(team=support, slug="support-call", name="Support call", kind="round_robin")
    factories.pool(team_event, [ana, ben])
    # Members: an invitation waiting, and Cara's request to host the support call (the pool page lists it).
    cara = factories.host(acme["org"], "cara", tz="America/Chicago", email="cara@acme.test")
    support.members.add(cara)
    escalation = factories.event_type(team=support, slug="escalation", name="Escalation", kind="round_robin")
    factories.pool(escalation, [ben])
    scheduling.pool_request_create(
        membership=cara,
        event_type=team_event,
        timezone="America/Chicago",
        weekly={"mon": ["08:00-12:00"]},
        daylight={"mon": ["07:00-11:00"]},
        now=frozen,
    )
    invitation = accounts.invitation_create(
        organization=acme["org"], email="new@acme.test", role="member", invited_by=ana, now=frozen
    )

    def bo_books(start, **more):
        bo = InviteeInput(name="Bo Li", email="bo@example.com", timezone="Europe/Berlin", answers={"topic": "Sales"})
        return booking_create(event_type=acme["intro"], start=start, now=frozen, invitee=bo, **more)

    invitee = bo_books(datetime(2026, 3, 4, 9, tzinfo=UTC))
    # Bo's colleague comes along as a guest, a demo needs the host's approval, and the host's own settings
    # fill every section of the availability page.
    scheduling.event_type_update(event_type=acme["intro"], now=frozen, values={"max_guests": 2})
    with_guest = bo_books(datetime(2026, 3, 4, 13, tzinfo=UTC), guests=["cy@example.com"])
    demo = factories.event_type(ana, slug="demo", name="Product demo")
    scheduling.event_type_update(event_type=demo, now=frozen, values={"requires_confirmation": True})
    pending = booking_create(
        event_type=demo,
        start=datetime(2026, 3, 5, 10, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(name="Dee Park", email="dee@example.com", timezone="America/New_York"),
    )
    scheduling.host_limits_set(host=ana, values={"daily_limit": 6, "weekly_minutes_limit": 900})
    scheduling.out_of_office_add(host=ana, first="2026-03-16", last="2026-03-20", reason="Holiday", redirect_to=ben)
    scheduling.travel_add(host=ana, timezone="America/New_York", first="2026-04-06", last="2026-04-10")
    rule = rule_create(
        organization=acme["org"],
        name="Tell the lead about demos",
        trigger="booking.created",
        action="email",
        params={"to": "lead@acme.test"},
    )
    reminder_create(organization=acme["org"], event_type=acme["intro"], offset_minutes=60, name="An hour before")
    hook = WebhookSubscription.objects.create(
        organization=acme["org"],
        creator=ana,
        scope="organization",
        callback_url="https://hooks.acme.test/slotwise",
        events=["invitee.created", "invitee.canceled"],
    )
    connection = Connection.objects.create(
        organization=acme["org"],
        membership=ana,
        method=Connection.Method.TOKEN,
        secret=seal({"access_token": "not-used"}),
        account_name="Ana Lopez",
        account_email="ana@calendly.test",
        plan="teams",
        stage="paid",
        state=Connection.State.ACTIVE,
        connected_at=frozen,
    )
    return {
        **acme,
        "invitee": invitee,
        "team_event": team_event,
        "contact": Contact.objects.get(email="bo@example.com"),
        "guest": with_guest.booking.guests.get(),
        "pending": pending,
        "rule": rule,
        "hook": hook,
        "connection": connection,
        "ben": ben,
        "escalation": escalation,
        "invitation_token": accounts.invitation_token(invitation),
    }


def assert_accessible(page, name):
    shot(page, f"a11y-{name}")
    found = axe.violations(page)
    assert found == [], f"{name}: axe-core found {len(found)} violation(s):\n" + "\n".join(
        f"  {v['id']}: {v['help']} at {v['nodes']}" for v in found
    )


def _month(page, base, w):
    page.goto(f"{base}/acme/ana/intro/")
    page.wait_for_selector("#times")


def _day(page, base, w):
    _month(page, base, w)
    page.click("a.day[data-date='2026-03-03']")
    page.wait_for_selector("#times a.slot")


def _form(page, base, w):
    _day(page, base, w)
    page.click("#times a.slot >> nth=2")
    page.wait_for_selector("#booking-form")


def _night(page, base, w):
    # Ana's 09:00 in Berlin is midnight in Los Angeles: the page asks before booking it.
    page.goto(f"{base}/acme/ana/intro/?tz=America/Los_Angeles&start=2026-03-03T08:00:00Z")
    page.fill("#name", "Bo Li")
    page.fill("#email", "bo@example.com")
    page.select_option("#q_topic", "Support")
    page.click("#submit")
    page.wait_for_selector("#night-check")


def _confirmation(page, base, w):
    page.goto(f"{base}/booked/{w['invitee'].uid}/")


def _cancel(page, base, w):
    page.goto(f"{base}/cancel/{w['invitee'].cancel_token}/")


def _canceled(page, base, w):
    _cancel(page, base, w)
    page.click("#confirm-cancel")
    page.wait_for_selector("#cancel-done")


def _reschedule(page, base, w):
    page.goto(f"{base}/reschedule/{w['invitee'].reschedule_token}/")
    page.wait_for_selector("#times")


def _requested(page, base, w):
    page.goto(f"{base}/booked/{w['pending'].uid}/")


def _approve(page, base, w):
    page.goto(f"{base}/approval/{approvals.token(w['pending'].booking, 'approve')}/")


def _decline(page, base, w):
    page.goto(f"{base}/approval/{approvals.token(w['pending'].booking, 'decline')}/")


def _guest_decline(page, base, w):
    page.goto(f"{base}/guest/{w['guest'].decline_token}/decline/")


BOOKING_STATES = {
    "month": _month,
    "day": _day,
    "form": _form,
    "night": _night,
    "confirmation": _confirmation,
    "cancel": _cancel,
    "canceled": _canceled,
    "reschedule": _reschedule,
    "requested": _requested,
    "approve": _approve,
    "decline": _decline,
    "guest-decline": _guest_decline,
}


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("state", BOOKING_STATES)
def test_booking_pages_have_no_axe_violations(browser, live_server, world, state, size):
    ctx, page = visit(browser, live_server, size)
    try:
        BOOKING_STATES[state](page, live_server.url, world)
        assert_accessible(page, f"booking-{state}-{'desktop' if size == DESKTOP else 'phone'}")
    finally:
        ctx.close()


PUBLIC_PAGES = {
    "host-page": lambda w: "/acme/ana/",
    "org-page": lambda w: "/acme/",
    "team-booking-page": lambda w: "/acme/team/support/support-call/",
    "not-found": lambda w: "/acme/ana/no-such-event/",
    "login": lambda w: "/login/",
    "invitation": lambda w: f"/invite/{w['invitation_token']}/",
}


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_other_public_pages_have_no_axe_violations(browser, live_server, world, name, settings):
    settings.DEBUG = False  # the friendly 404 page, as visitors see it
    ctx, page = visit(browser, live_server, PHONE if name == "team-booking-page" else DESKTOP)
    try:
        page.goto(live_server.url + PUBLIC_PAGES[name](world))
        assert_accessible(page, name)
    finally:
        ctx.close()


DASHBOARD_PAGES = {
    "event-types": lambda w: "/dashboard/",
    "event-type-new": lambda w: "/dashboard/event-types/new/",
    "event-type-edit": lambda w: f"/dashboard/event-types/{w['intro'].pk}/",
    "event-type-emails": lambda w: f"/dashboard/event-types/{w['intro'].pk}/emails/",
    "pool": lambda w: f"/dashboard/event-types/{w['team_event'].pk}/pool/",
    "links": lambda w: "/dashboard/links/",
    "availability": lambda w: "/dashboard/availability/",
    "bookings": lambda w: "/dashboard/bookings/",
    "booking": lambda w: f"/dashboard/bookings/{w['invitee'].booking.uid}/",
    "team": lambda w: "/dashboard/team/",
    "members": lambda w: "/dashboard/members/",
    "member-remove": lambda w: f"/dashboard/members/{w['ben'].pk}/remove/",
    "pool-request": lambda w: f"/dashboard/event-types/{w['escalation'].pk}/join/",
    "contacts": lambda w: "/dashboard/contacts/",
    "contact": lambda w: f"/dashboard/contacts/{w['contact'].pk}/",
    "calendars": lambda w: "/dashboard/calendars/",
    "webhooks": lambda w: "/dashboard/webhooks/",
    "jobs": lambda w: "/dashboard/jobs/",
    "rules": lambda w: "/dashboard/rules/",
    "tokens": lambda w: "/dashboard/tokens/",
    "booking-pending": lambda w: f"/dashboard/bookings/{w['pending'].booking.uid}/",
    "booking-reschedule": lambda w: f"/dashboard/bookings/{w['invitee'].booking.uid}/reschedule/",
    "reminders": lambda w: f"/dashboard/event-types/{w['intro'].pk}/reminders/",
    "rule-new": lambda w: "/dashboard/rules/new/",
    "rule-edit": lambda w: f"/dashboard/rules/{w['rule'].pk}/",
    "rule-dry-run": lambda w: f"/dashboard/rules/{w['rule'].pk}/dry-run/",
    "webhook": lambda w: f"/dashboard/webhooks/{w['hook'].uuid}/",
    "connections": lambda w: "/dashboard/connections/",
    "connection-add": lambda w: "/dashboard/connections/add/",
    "connection": lambda w: f"/dashboard/connections/{w['connection'].uuid}/",
    "connection-calendars": lambda w: f"/dashboard/connections/{w['connection'].uuid}/calendars/",
}


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", DASHBOARD_PAGES)
def test_dashboard_pages_have_no_axe_violations(browser, live_server, world, name, size):
    ctx, page = visit(browser, live_server, size, login=world["ana"])
    try:
        resp = page.goto(live_server.url + DASHBOARD_PAGES[name](world))
        assert resp.status == 200, f"{name}: {resp.status}"
        assert_accessible(page, f"dashboard-{name}" + ("" if size == DESKTOP else "-phone"))
        wide = page.evaluate(
            """w => [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className)""",
            size[0],
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0], f"{name}: runs off the side: {wide}"
    finally:
        ctx.close()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_agency_overview_has_no_axe_violations(browser, live_server, frozen, size):
    w = factories.agency_world(frozen)
    ctx, page = visit(browser, live_server, size, login=w.alice)
    try:
        resp = page.goto(live_server.url + "/dashboard/agency/")
        assert resp.status == 200
        assert_accessible(page, "dashboard-agency" + ("" if size == DESKTOP else "-phone"))
    finally:
        ctx.close()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_first_run_setup_page_has_no_axe_violations(browser, live_server, size):
    ctx, page = visit(browser, live_server, size)
    try:
        resp = page.goto(live_server.url + "/setup/")
        assert resp.status == 200 and page.locator("form").count() == 1
        assert_accessible(page, "setup-" + ("desktop" if size == DESKTOP else "phone"))
    finally:
        ctx.close()


def test_the_dashboard_menu_fits_on_one_line_at_1280_and_opens_with_the_keyboard(browser, live_server, world):
    ctx, page = visit(browser, live_server, DESKTOP, login=world["ana"])
    try:
        page.goto(live_server.url + "/dashboard/")
        links = page.locator("header.topbar nav > a, header.topbar nav > details > summary")
        tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
        assert len(tops) == 1, f"the top bar wraps onto {len(tops)} lines"
        assert not page.locator("#nav-settings a[href='/dashboard/webhooks/']").is_visible()
        page.focus("#nav-settings summary")
        page.keyboard.press("Enter")
        page.wait_for_selector("#nav-settings a[href='/dashboard/webhooks/']", state="visible")
        shot(page, "a11y-dashboard-menu-open")
        page.keyboard.press("Escape")
        assert not page.locator("#nav-settings a[href='/dashboard/webhooks/']").is_visible()
        assert page.evaluate("document.activeElement.matches('#nav-settings summary')")
        page.goto(live_server.url + "/dashboard/webhooks/")
        assert page.locator("#nav-settings summary.on").count() == 1  # the group of the page one is on is marked
    finally:
        ctx.close()
