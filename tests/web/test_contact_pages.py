"""Contacts as a host reads them: the funnel in words (raw step names in a tooltip) and the contact's
booking changes on one timeline, in the viewer's zone; search; CSV export that spreadsheets open safely."""

import csv
import io
from datetime import UTC, datetime

import pytest

from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create
from slotwise.contacts.models import Contact, FunnelEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _book(et, start, now, *, email="bo@example.com", name="Bo Li"):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name=name, email=email, timezone="America/New_York")
    )


def test_the_timeline_says_each_step_in_words_in_the_hosts_zone(client, acme, frozen):
    intro = acme["intro"]
    inv = _book(intro, datetime(2026, 3, 4, 14, 0, tzinfo=UTC), frozen)
    contact = Contact.objects.get(email="bo@example.com")
    for name, attrs, minute in (
        ("calendar_1st_step", {"event_type": "intro"}, 1),
        ("calendar_2nd_step", {"date": "2026-03-04"}, 2),
        ("calendar_3rd_step", {"start": "2026-03-04T14:00:00+00:00", "timezone": "UTC"}, 3),
    ):
        FunnelEvent.objects.create(
            organization=acme["org"],
            visitor_id="v1",
            contact=contact,
            name=name,
            attributes=attrs,
            created_at=datetime(2026, 3, 2, 7, minute, tzinfo=UTC),
        )
    booking_cancel(
        booking=inv.booking,
        now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        reason="Found another way",
        canceled_by="Bo Li",
        canceler_type="invitee",
    )
    client.force_login(acme["ana"].user)
    html = client.get(f"/dashboard/contacts/{contact.pk}/").content.decode()
    timeline = html.split('id="timeline"')[1]
    steps = [
        "Chose “Intro call”",
        "Picked Wed, Mar 4",
        "Chose Wed, Mar 4, 15:00",  # 15:00 in Berlin, Ana's zone
        "Booked “Intro call” for Wed, Mar 4, 15:00",
        "Cancelled “Intro call” of Wed, Mar 4, 15:00 by Bo Li",
    ]
    positions = [timeline.index(s) for s in steps]
    assert positions == sorted(positions)
    assert 'title="calendar_2nd_step"' in timeline and "Found another way" in timeline
    assert "Mon, Mar 2, 08:01" in timeline  # 07:01 UTC, read in Europe/Berlin
    assert "assigned to" in html


def test_search_and_csv_export_with_formulas_made_harmless(client, acme, frozen):
    _book(
        acme["intro"],
        datetime(2026, 3, 4, 14, 0, tzinfo=UTC),
        frozen,
        email="eve@example.com",
        name='=HYPERLINK("http://evil.example")',
    )
    _book(acme["intro"], datetime(2026, 3, 5, 14, 0, tzinfo=UTC), frozen, email="zoe@example.com", name="Zoe")
    client.force_login(acme["ana"].user)
    listing = client.get("/dashboard/contacts/?q=zoe").content.decode()
    assert "zoe@example.com" in listing and "eve@example.com" not in listing
    resp = client.get("/dashboard/contacts/?format=csv")
    assert resp["Content-Type"].startswith("text/csv") and "contacts-acme.csv" in resp["Content-Disposition"]
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(resp.streaming_content).decode() if resp.streaming else resp.content.decode())
        )
    )
    by_email = {r["email"]: r for r in rows}
    assert by_email["eve@example.com"]["name"].startswith("'=")
    assert by_email["zoe@example.com"]["assigned to email"] == "ana@acme.test"
    only = client.get("/dashboard/contacts/?q=zoe&format=csv").content.decode()
    assert "zoe@example.com" in only and "eve@example.com" not in only


def test_another_organizations_contacts_are_not_exported(client, acme, frozen):
    _book(acme["intro"], datetime(2026, 3, 4, 14, 0, tzinfo=UTC), frozen)
    other = factories.host(factories.org("globex"), "hank")
    client.force_login(other.user)
    assert "bo@example.com" not in client.get("/dashboard/contacts/?format=csv").content.decode()
