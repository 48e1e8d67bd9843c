"""Per-organization and per-event-type wording, and the preview."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import InvalidInput
from slotwise.jobs.services import run_due
from slotwise.notifications.models import EmailTemplate, Kind
from slotwise.notifications.services import preview
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_et(db):
    org = f.org(timezone="Europe/Paris")
    host = f.host(org, "ana", email="ana@example.com")
    return org, f.event_type(host, name="Demo", questions=[{"key": "company", "label": "Company", "type": "text"}])


def test_event_type_template_beats_organization_template_beats_built_in(org_et, smtp, now):
    org, et = org_et
    other = f.event_type(et.owner, name="Other")
    EmailTemplate.objects.create(
        organization=org,
        kind=Kind.INVITEE_CONFIRMED,
        subject="Org: {{ event_name }}",
        text="Org text for {{ invitee_name }}",
    )
    EmailTemplate.objects.create(
        organization=org, event_type=et, kind=Kind.INVITEE_CONFIRMED, subject="Demo booked for {{ when_short }}"
    )
    for event_type, email, hour in ((et, "a@example.org", 9), (other, "b@example.org", 11)):
        booking_create(
            event_type=event_type,
            start=datetime(2026, 3, 3, hour, 0, tzinfo=UTC),
            now=now,
            invitee=InviteeInput(name="Bo <b>", email=email, timezone="Europe/Paris"),
        )
    run_due(now)
    (a,) = smtp.to("a@example.org")
    (b,) = smtp.to("b@example.org")
    assert str(a["Subject"]).strip() == "Demo booked for Tue, Mar 3, 2026, 10:00 AM (Europe/Paris)"
    # Field by field: the event type has no text of its own, so the organization's applies.
    assert a.get_body(("plain",)).get_content().strip() == "Org text for Bo <b>"
    assert "<p>Org text for Bo &lt;b&gt;</p>" in a.get_body(("html",)).get_content()
    assert str(b["Subject"]).strip() == "Org: Other"


def test_preview_renders_a_sample_booking_without_sending(org_et, smtp, now):
    org, et = org_et
    out = preview(kind=Kind.HOST_CONFIRMED, event_type=et, now=now)
    assert out.subject == "New call scheduled: Ada Lovelace — Demo on Tue, Mar 3, 2026, 10:00 AM (Europe/Paris)"
    assert "- Company: (their answer)" in out.text
    edited = preview(
        kind=Kind.INVITEE_CONFIRMED, event_type=et, now=now, subject="See you {{ invitee_name }}", text="At {{ when }}"
    )
    assert edited.subject == "See you Ada Lovelace"
    assert edited.text == "At Tuesday, March 3, 2026, 10:00 AM – 10:30 AM (Europe/Paris, GMT+01:00)\n"
    assert smtp.messages == []


def test_preview_says_what_is_wrong_with_a_broken_template(org_et, now):
    org, et = org_et
    with pytest.raises(InvalidInput, match="The subject has a template error"):
        preview(kind=Kind.INVITEE_CONFIRMED, event_type=et, now=now, subject="{% if %}")
    with pytest.raises(InvalidInput, match="There is no email called"):
        preview(kind="nonsense", event_type=et, now=now)
