"""WCAG 2.2 AA: axe-core (from the npm registry, tests/web/axe.py) run in Chromium on every public page and
state — the booking page's month, a picked day, the form, the night-time check, the confirmation, cancel
and reschedule — at desktop (1280×800) and phone (390×844) sizes, and on every dashboard page. Each page
is its own case; all share one browser. Screenshots go to test-artifacts/a11y-*.png."""

from datetime import UTC, datetime

import pytest

from slotwise.accounts import services as accounts
from slotwise.accounts.models import Membership
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.contacts.models import Contact
from slotwise.scheduling import services as scheduling
from tests import factories

from . import axe
from .conftest import shot, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = (1280, 800), (390, 844)


@pytest.fixture
def world(acme, frozen):
    """Ana's intro with durations and every kind of question, a team event, a booking and its contact."""
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
    invitee = booking_create(
        event_type=acme["intro"],
        start=datetime(2026, 3, 4, 9, tzinfo=UTC),
        now=frozen,
        invitee=InviteeInput(
            name="Bo Li", email="bo@example.com", timezone="Europe/Berlin", answers={"topic": "Sales"}
        ),
    )
    return {
        **acme,
        "invitee": invitee,
        "team_event": team_event,
        "contact": Contact.objects.get(),
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


BOOKING_STATES = {
    "month": _month,
    "day": _day,
    "form": _form,
    "night": _night,
    "confirmation": _confirmation,
    "cancel": _cancel,
    "canceled": _canceled,
    "reschedule": _reschedule,
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
    "rule-new": lambda w: "/dashboard/rules/new/",
    "reminders": lambda w: f"/dashboard/event-types/{w['intro'].pk}/reminders/",
    "tokens": lambda w: "/dashboard/tokens/",
}


@pytest.mark.parametrize("name", DASHBOARD_PAGES)
def test_dashboard_pages_have_no_axe_violations(browser, live_server, world, name):
    ctx, page = visit(browser, live_server, DESKTOP, login=world["ana"])
    try:
        resp = page.goto(live_server.url + DASHBOARD_PAGES[name](world))
        assert resp.status == 200, f"{name}: {resp.status}"
        assert_accessible(page, f"dashboard-{name}")
    finally:
        ctx.close()
