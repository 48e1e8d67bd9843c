"""`slotwise contacts list` and `slotwise bookings list`: one organization exactly, in lines or JSON."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(db, now):
    return factories.agency_world(now)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_an_agencys_lists_hold_the_agency_only_never_its_sub_accounts(w):
    """The list verbs' own cases are in test_contacts_and_bookings.py; here, the agency/sub-account edge."""
    contacts = json.loads(run("contacts", "list", "--org", "northwind", "--json"))
    assert [c["email"] for c in contacts] == ["ann@agency-client.test"]
    bookings = json.loads(run("bookings", "list", "--org", "northwind", "--json"))
    assert [b["uid"] for b in bookings] == [str(w.agency_booking.uid)]
    bakery = json.loads(run("contacts", "list", "--org", "bakery", "--json"))
    assert [c["email"] for c in bakery] == ["carol@bakery-client.test"]
