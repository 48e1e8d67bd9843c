"""Three more things a team lead does without a developer, in Chromium, on the live server's own clock:
the support rule (created in words, dry-run, a booking copied into the team calendar on a real Radicale and
removed on cancel, both in the rule's log); a reminder added to an event type and sent at its moment
(aiosmtpd); a booking moved by its host, the invitee emailed the updated invitation and the history showing
the move. Screenshots at 1280x800 and 390x844 go to test-artifacts/lead-*.png."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.calendars.services import connection_add_caldav
from slotwise.core.clock import utc_now
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from tests import factories
from tests.calendars.conftest import Dav, radicale_server  # noqa: F401 - the real CalDAV server fixture

from .conftest import DESKTOP, book_first_time, visit
from .conftest import both_sizes as sizes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = "Europe/Berlin"


def both_sizes(page, name):
    sizes(page, f"lead-{name}")


@pytest.fixture
def support(db):
    org = factories.org("support", name="Support Co")
    lead = factories.host(org, "lead", role="owner", email="lead@support.test", tz=BERLIN)
    sam = factories.host(org, "sam", email="sam@support.test", tz=BERLIN)
    call = factories.event_type(sam, slug="call", name="Support Call", duration_minutes=30, increment_minutes=30)
    intro = factories.event_type(sam, slug="intro", name="Intro", duration_minutes=30, increment_minutes=30)
    return {"org": org, "lead": lead, "sam": sam, "call": call, "intro": intro}


@pytest.fixture
def dav(radicale_server):  # noqa: F811 - the fixture imported above
    return Dav(radicale_server)


def twelve(local):
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def book_on_the_page(page, live_server, path, *, name, email):
    """An invitee books the first time offered on a day after today (so a reminder an hour before is ahead)."""
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector(f"#local-now:has-text('{BERLIN}')")
    today = utc_now().astimezone(ZoneInfo(BERLIN)).date().isoformat()
    day = next(d for d in page.locator("a.day").evaluate_all("els => els.map(e => e.dataset.date)") if d > today)
    book_first_time(page, date.fromisoformat(day), name, email)
    return Booking.objects.get(invitees__email=email, status=Booking.Status.CONFIRMED)


def seeded_booking(event_type, email, days_ahead, hour):
    """A booking made earlier, through the booking service: part of the org the lead finds."""
    start = (utc_now() + timedelta(days=days_ahead)).replace(hour=hour, minute=0, second=0, microsecond=0)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    invitee = booking_create(
        event_type=event_type,
        start=start,
        invitee=InviteeInput(name="Ada Early", email=email, timezone=BERLIN),
        now=utc_now(),
    )
    return invitee.booking


def test_the_support_rule_is_made_in_words_dry_run_and_copies_then_removes_a_booking_in_the_team_calendar(
    browser, live_server, support, dav, smtp
):
    team_url = dav.mkcalendar("team")
    connection_add_caldav(membership=support["lead"], url=dav.base, username=dav.user, password="pw", now=utc_now())
    earlier = seeded_booking(support["call"], "ada@example.com", days_ahead=3, hour=10)
    seeded_booking(support["intro"], "ivy@example.com", days_ahead=3, hour=11)  # not a support call: not matched

    lead_ctx, lead = visit(browser, live_server, DESKTOP, BERLIN, login=support["lead"])
    guest_ctx, guest = visit(browser, live_server, DESKTOP, BERLIN)
    try:
        # The lead opens Rules, starts a new rule: it is prefilled with the support condition, in words.
        lead.goto(f"{live_server.url}/dashboard/rules/")
        both_sizes(lead, "rules-empty")
        lead.click("#new-rule")
        assert lead.input_value("#cond_0_value") == "support"
        host = dav.base.split("/")[2]
        lead.fill("#f_name", "Copy support calls to the team calendar")
        (team,) = [
            t
            for t in lead.locator("#f_target option").all_inner_texts()
            if t.endswith(f"/team (CalDAV: {host}, connected by Lead)")
        ]
        lead.select_option("#f_target", label=team)
        both_sizes(lead, "rule-form")
        lead.click("#save-rule")
        lead.wait_for_selector("text=Try a dry run to see what it matches.")
        rule = lead.locator("[data-rule]")
        assert "support" in rule.inner_text()

        # The dry run lists the upcoming support call, and only it.
        rule.locator("a", has_text="Dry run").click()
        rows = lead.locator("#dry-run tbody tr")
        local = earlier.start.astimezone(ZoneInfo(BERLIN))
        assert rows.count() == 1
        assert rows.first.inner_text().split("\t")[:3] == [
            f"{local:%a} {local.day} {local:%b %Y, %H:%M}",
            "Support Call",
            "Ada Early",
        ]
        both_sizes(lead, "rule-dry-run")
        assert dav.objects(team_url) == {}  # a dry run changes nothing

        # An invitee books a support call on the booking page; the rule's job copies it to the team calendar.
        booking = book_on_the_page(guest, live_server, "/support/sam/call/", name="Bo Li", email="bo@example.com")
        run_due()
        (copy,) = dav.objects(team_url).values()
        assert "SUMMARY:Support Call" in copy and f"DTSTART:{booking.start:%Y%m%dT%H%M%SZ}" in copy

        # The host cancels it from the booking detail page; the copy is removed.
        lead.goto(f"{live_server.url}/dashboard/bookings/{booking.uid}/")
        lead.fill("input[name=reason]", "Solved by email")
        lead.click("button:has-text('Cancel meeting')")
        lead.wait_for_selector("#booking-status:has-text('canceled')")
        run_due()
        assert dav.objects(team_url) == {}

        # The rule's log keeps both: the copy made, then undone.
        lead.goto(f"{live_server.url}/dashboard/rules/")
        log = lead.locator("[data-rule] table.data tbody tr").all_inner_texts()
        assert [row.split("\t")[2] for row in log] == ["undone", "done"]
        assert all("Support Call · " in row for row in log)
        both_sizes(lead, "rule-log")
    finally:
        lead_ctx.close()
        guest_ctx.close()


def test_a_reminder_added_in_the_dashboard_is_emailed_an_hour_before_the_booking(browser, live_server, support, smtp):
    intro = support["intro"]
    lead_ctx, lead = visit(browser, live_server, DESKTOP, BERLIN, login=support["lead"])
    guest_ctx, guest = visit(browser, live_server, DESKTOP, BERLIN)
    try:
        # The lead adds "an hour before, to the invitee", previews it, and saves it.
        lead.goto(f"{live_server.url}/dashboard/event-types/{intro.pk}/reminders/")
        lead.fill("#f_name", "Hour before")
        lead.fill("#f_amount", "1")
        lead.select_option("#f_unit", "hours")
        lead.select_option("#f_when", label="before the meeting starts")
        lead.select_option("#f_recipient", label="The invitee")
        lead.fill("#f_subject", "Soon: {{ event_name }} on {{ when_short }}")
        lead.click("#preview-reminder")
        assert lead.inner_text("#reminder-preview").startswith("Preview")
        assert "Soon: Intro on " in lead.inner_text("#reminder-preview")
        assert "reminder of your Intro" in lead.frame_locator(".preview-frame").locator("body").inner_text()
        both_sizes(lead, "reminder-preview")
        lead.click("#save-reminder")
        lead.wait_for_selector("text=Reminder added. Bookings made from now on get it.")
        assert lead.locator("#reminder-list tbody tr").all_inner_texts()[0].startswith("Hour before\t")
        both_sizes(lead, "reminder-added")

        booking = book_on_the_page(guest, live_server, "/support/sam/intro/", name="Bo Li", email="bo@example.com")
        run_due()  # the confirmation now; the reminder waits for its moment
        assert [m["Subject"].split(":")[0] for m in smtp.to("bo@example.com")] == ["Confirmed"]
        reminder = booking.start - timedelta(hours=1)
        run_due(reminder - timedelta(minutes=1))
        assert len(smtp.to("bo@example.com")) == 1
        run_due(reminder)
        first, sent = smtp.to("bo@example.com")
        local = booking.start.astimezone(ZoneInfo(BERLIN))
        short = f"{local:%a, %b} {local.day}, {local.year}, {twelve(local)}"
        assert sent["Subject"] == f"Soon: Intro on {short} (Europe/Berlin)"
        body = sent.get_body(("plain",)).get_content()
        end = local + timedelta(minutes=30)
        assert f"When: {local:%A, %B} {local.day}, {local.year}, {twelve(local)} – {twelve(end)} (Europe/Berlin" in body
        assert not Job.objects.filter(kind="notify.reminder", status="pending").exists()
        # The booking's history lists the reminder sent.
        lead.goto(f"{live_server.url}/dashboard/bookings/{booking.uid}/")
        assert "Reminder email sent to bo@example.com" in lead.inner_text("#booking-history")
    finally:
        lead_ctx.close()
        guest_ctx.close()


def test_a_host_moves_a_booking_and_the_invitee_gets_the_updated_invitation(browser, live_server, support, smtp):
    booking = seeded_booking(support["call"], "ada@example.com", days_ahead=3, hour=10)
    run_due()
    sam_ctx, sam = visit(browser, live_server, DESKTOP, BERLIN, login=support["sam"])
    try:
        sam.goto(f"{live_server.url}/dashboard/bookings/{booking.uid}/")
        both_sizes(sam, "booking-detail")
        sam.click("#host-reschedule")
        sam.fill("#f_reason", "A customer visit came up")
        both_sizes(sam, "reschedule-times")
        new_start = (booking.start + timedelta(days=1)).replace(hour=13)
        sam.click(f"#reschedule-form button[value='{new_start:%Y-%m-%dT%H:%M:%SZ}']")
        sam.wait_for_selector("text=The invitee has the updated invitation")
        history = sam.inner_text("#booking-history")
        was = booking.start.astimezone(ZoneInfo(BERLIN))
        now_at = new_start.astimezone(ZoneInfo(BERLIN))
        assert f"Rescheduled from {was:%A, %B} {was.day}, {was.year}, {was:%H:%M}–" in history
        assert "Moved here from an earlier time by Sam (host): A customer visit came up" in history
        assert sam.inner_text("#booking-when").startswith(
            f"When\n{now_at:%A, %B} {now_at.day}, {now_at.year}, {now_at:%H:%M}"
        )
        both_sizes(sam, "booking-moved")
        run_due()
        moved = smtp.to("ada@example.com")[-1]
        new_short = f"{now_at:%a, %b} {now_at.day}, {now_at.year}, {twelve(now_at)}"
        assert moved["Subject"] == f"Updated: Support Call with Sam is now on {new_short} (Europe/Berlin)"
        text = moved.get_body(("plain",)).get_content()
        assert f"New time: {now_at:%A, %B} {now_at.day}, {now_at.year}, {twelve(now_at)}" in text
        assert f"Was: {was:%A, %B} {was.day}, {was.year}, {twelve(was)}" in text
        (ics,) = [p.get_content() for p in moved.walk() if p.get_content_type() == "text/calendar"]
        cal = icalendar.Calendar.from_ical(ics)
        (event,) = cal.walk("VEVENT")
        assert (cal["METHOD"], event.decoded("DTSTART"), event["SEQUENCE"]) == ("REQUEST", new_start, 1)
        assert str(event["UID"]) == booking.ical_uid
        # The old booking's page says where it went.
        sam.goto(f"{live_server.url}/dashboard/bookings/{booking.uid}/")
        assert "Rescheduled by Sam: A customer visit came up" in sam.inner_text("#booking-history")
        assert f"Rescheduled to {now_at:%A, %B} {now_at.day}" in sam.inner_text("#booking-history")
    finally:
        sam_ctx.close()
