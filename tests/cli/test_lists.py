"""`slotwise contacts list` and `slotwise bookings list`: one organization exactly, in lines or JSON."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.cli.main import usage
from slotwise.contacts.models import Contact
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(db, now):
    return factories.agency_world(now)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_contacts_list_gives_each_contact_with_its_assigned_user(w):
    got = json.loads(run("contacts", "list", "--org", "bakery", "--json"))
    assert got["organization"] == "bakery"
    assert [(c["email"], c["name"], c["bookings"], c["assigned_user"]) for c in got["contacts"]] == [
        ("carol@bakery-client.test", "Carol Cakefan", 1,
         {"email": "sam@bakery.test", "name": "Sam", "slug": "sam"}),
    ]
    assert got["contacts"][0]["last_booked_at"].endswith("Z")


def test_a_contact_without_an_assigned_user_says_so(w):
    Contact.objects.filter(organization=w.bakery).update(owner=None)
    assert json.loads(run("contacts", "list", "--org", "bakery", "--json"))["contacts"][0]["assigned_user"] is None
    assert run("contacts", "list", "--org", "bakery").splitlines()[1].endswith("1 booking(s)  no assigned user")


def test_an_agencys_lists_hold_the_agency_only_never_its_sub_accounts(w):
    contacts = json.loads(run("contacts", "list", "--org", "northwind", "--json"))["contacts"]
    assert [c["email"] for c in contacts] == ["ann@agency-client.test"]
    bookings = json.loads(run("bookings", "list", "--org", "northwind", "--json"))["bookings"]
    assert [b["uid"] for b in bookings] == [str(w.agency_booking.uid)]


def test_bookings_list_gives_host_times_source_and_invitees(w):
    b = json.loads(run("bookings", "list", "--org", "dental", "--json"))["bookings"]
    assert b == [{
        "uid": str(w.dental_booking.uid), "event_type": "Check-up", "event_path": "/dental/dora/check-up/",
        "host": {"email": "dora@dental.test", "name": "Dora", "slug": "dora"},
        "start": "2026-03-03T10:00:00Z", "end": "2026-03-03T10:30:00Z", "timezone": "UTC", "status": "confirmed",
        "source": "page", "invitees": [{"name": "Dave Toothache", "email": "dave@dental-client.test",
                                        "status": "active"}],
        "created_at": b[0]["created_at"],
    }]


def test_bookings_list_keeps_one_source(w, now):
    Booking.objects.filter(pk=w.bakery_booking.pk).update(source=Booking.Source.IMPORT)
    native = booking_create(event_type=w.bakery_et, start=w.bakery_booking.start + timedelta(days=1), now=now,
                            invitee=InviteeInput(name="Nat", email="nat@example.com", timezone="UTC")).booking
    every = json.loads(run("bookings", "list", "--org", "bakery", "--json"))["bookings"]
    assert [x["uid"] for x in every] == [str(native.uid), str(w.bakery_booking.uid)]  # newest start first
    imported = json.loads(run("bookings", "list", "--org", "bakery", "--source", "import", "--json"))
    assert (imported["source"], [x["uid"] for x in imported["bookings"]]) == ("import", [str(w.bakery_booking.uid)])
    lines = run("bookings", "list", "--org", "bakery", "--source", "import")
    assert lines.splitlines()[0] == "bakery: 1 booking(s) from import"


def test_an_unknown_organization_is_a_clear_error():
    with pytest.raises(CommandError, match="no organization 'nope'; `slotwise load FILE` creates one"):
        run("contacts", "list", "--org", "nope")
    with pytest.raises(CommandError, match="no organization 'nope'"):
        run("bookings", "list", "--org", "nope")


def test_help_documents_the_new_verbs():
    text = usage()
    assert "contacts list --org ORG [--json]" in text
    assert "bookings list --org ORG [--source page|api|single_use|import|cli] [--json]" in text
    assert "export ORG [--out FILE]" in text
    assert "acts in exactly that organization" in text
