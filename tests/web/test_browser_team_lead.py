"""What a team lead does without a developer, in Chromium: invite an engineer, who accepts (name, password,
the time zone their browser reports, confirmed) and sets their hours; the engineer asks to join the
round-robin pool with standard and daylight-time hours; the lead approves with a priority and weight.
Screenshots of each step at 1280x800 and 390x844 go to test-artifacts/team-*.png."""

import re

import pytest

from slotwise.accounts.models import Invitation, Membership
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import EventType, PoolHost
from slotwise.scheduling.selectors import host_schedule
from tests import factories

from .conftest import DESKTOP, visit
from .conftest import both_sizes as sizes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def both_sizes(page, name):
    sizes(page, f"team-{name}")


@pytest.fixture
def support(db):
    org = factories.org("support", name="Support Co")
    lead = factories.host(org, "lead", role="owner", email="lead@support.test")
    sam = factories.host(org, "sam", email="sam@support.test")
    team = factories.team(org, [lead, sam], slug="support")
    call = factories.event_type(
        team=team, slug="call", name="Support Call", kind=EventType.Kind.ROUND_ROBIN, duration_minutes=60
    )
    factories.pool(call, [sam])
    return {"org": org, "lead": lead, "call": call}


def test_a_lead_invites_an_engineer_who_joins_sets_hours_and_is_approved_into_the_pool(
    browser, live_server, support, smtp
):
    call = support["call"]
    lead_ctx, lead = visit(browser, live_server, DESKTOP, login=support["lead"])
    eng_ctx, eng = visit(browser, live_server, DESKTOP, "America/Chicago")
    try:
        # 1. The lead invites Eve from the Members page.
        lead.goto(f"{live_server.url}/dashboard/members/")
        lead.fill("#f_email", "eve@support.test")
        lead.select_option("#f_role", "member")
        lead.click("#send-invitation")
        lead.wait_for_selector("text=Invitation sent to eve@support.test")
        assert "eve@support.test" in lead.locator("#invitations").inner_text()
        both_sizes(lead, "members-invited")

        run_due()
        (msg,) = smtp.to("eve@support.test")
        link = re.search(r"https://book\.example\.com(/invite/\S+/)", msg.get_body(("plain",)).get_content())[1]

        # Eve opens the link: her browser's zone is preselected; she confirms it, sets a password, joins.
        eng.goto(live_server.url + link)
        assert eng.input_value("#f_timezone") == "America/Chicago"
        both_sizes(eng, "invitation")
        eng.fill("#f_name", "Eve Engineer")
        eng.fill("#f_password", "correct horse battery")
        eng.click("#accept-invitation")
        eng.wait_for_selector("text=Welcome to Support Co")
        assert eng.url.startswith(f"{live_server.url}/dashboard/availability/")
        eng.fill("#f_timezone", "America/Chicago")
        eng.fill("#f_mon", "09:00-17:00")
        eng.click("#save-hours")
        eng.wait_for_selector("text=Hours saved")
        both_sizes(eng, "engineer-hours")
        eve = Membership.objects.get(user__email="eve@support.test")
        assert (eve.user.timezone, Invitation.objects.get().accepted_at is not None) == ("America/Chicago", True)

        # The invitation link is spent: opening it again says so.
        eng.goto(live_server.url + link)
        assert "already accepted" in eng.inner_text("#invitation-message")

        # 2. Eve asks to join the Support Call pool with her hours, standard and daylight time.
        eng.goto(f"{live_server.url}/dashboard/event-types/{call.pk}/join/")
        eng.fill("#f_mon", "08:00-12:00")
        eng.fill("#f_wed", "13:00-17:00")
        eng.check("#f_seasonal")
        eng.fill("#f_dl_mon", "07:00-11:00")
        eng.fill("#f_note", "Done with onboarding")
        both_sizes(eng, "pool-request-form")
        eng.click("#send-pool-request")
        eng.wait_for_selector("text=Your request to host Support Call went to the admins.")

        run_due()
        assert smtp.to("lead@support.test")[-1]["Subject"] == "Eve Engineer asks to host Support Call"
        lead.goto(f"{live_server.url}/dashboard/event-types/{call.pk}/pool/")
        request = lead.locator("[data-request]")
        assert "Mon 08:00-12:00" in request.inner_text() and "Done with onboarding" in request.inner_text()
        both_sizes(lead, "pool-request-waiting")
        request.locator("select[name=priority]").select_option("3")
        request.locator("input[name=weight]").fill("200")
        request.locator("button", has_text="Approve").click()
        lead.wait_for_selector("text=Eve Engineer now hosts Support Call.")
        both_sizes(lead, "pool-approved")
        host = PoolHost.objects.get(event_type=call, membership=eve)
        assert (host.priority, host.weight) == (3, 200)
        schedule = host_schedule(call, eve)
        assert (schedule.weekly["mon"], schedule.weekly_daylight["mon"]) == ([["08:00", "12:00"]], [["07:00", "11:00"]])
        run_due()
        assert smtp.to("eve@support.test")[-1]["Subject"] == "You now host Support Call"
    finally:
        lead_ctx.close()
        eng_ctx.close()


def test_a_revoked_invitation_says_who_to_ask(browser, live_server, support):
    from slotwise.accounts.services import invitation_create, invitation_token
    from slotwise.core.clock import utc_now

    inv = invitation_create(
        organization=support["org"], email="eve@support.test", role="member", invited_by=support["lead"], now=utc_now()
    )
    lead_ctx, lead = visit(browser, live_server, DESKTOP, login=support["lead"])
    try:
        lead.goto(f"{live_server.url}/dashboard/members/")
        lead.once("dialog", lambda d: d.accept())
        lead.click("button[aria-label='Revoke the invitation to eve@support.test']")
        lead.wait_for_selector("text=The invitation to eve@support.test was revoked.")
        lead.goto(f"{live_server.url}/invite/{invitation_token(inv)}/")
        assert lead.inner_text("#invitation-message") == "This invitation was revoked. Ask Lead for a new one."
        both_sizes(lead, "invitation-revoked")
    finally:
        lead_ctx.close()
