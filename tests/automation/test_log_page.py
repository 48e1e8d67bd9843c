from datetime import UTC, datetime

import pytest

from slotwise.automation.services import rule_create
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.jobs.services import run_due
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_admins_read_the_rule_log_and_members_may_not(client, now):
    org = f.org()
    admin, member = f.host(org, "ad", role="owner"), f.host(org, "me")
    rule_create(organization=org, name="Support to helpdesk", trigger="booking.created", action="webhook",
                filters=[{"field": "event_type", "value": "support"}], params={"url": "http://127.0.0.1:9/hook"})
    booking_create(event_type=f.event_type(member, name="Support"), start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
                   now=now, invitee=InviteeInput(name="Cy", email="cy@example.org", timezone="UTC"))
    run_due(now)  # port 9 refuses: the run is logged with its error
    client.force_login(admin.user)
    html = client.get("/dashboard/rules/").content.decode()
    assert "Support to helpdesk" in html
    assert '<code>event_type contains "support"</code>' in html
    assert "Support · 2026-03-03 09:00" in html
    assert "could not reach the server at 127.0.0.1: connection refused" in html
    client.force_login(member.user)
    assert client.get("/dashboard/rules/").status_code == 403
