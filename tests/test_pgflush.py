"""The PostgreSQL test flush (tests/pgflush.py) leaves every table empty, as TRUNCATE does, and the guards
and triggers it stepped around are on again afterwards."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from slotwise.bookings import busycache
from slotwise.bookings.models import Booking, BookingHost
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.scheduling.models import BusyBlock
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TEN = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _world():
    """Rows in the tables whose writes fire triggers (booking blocks, busy time, version counters), the
    job queue, contacts and accounts."""
    ana = f.host(f.org("acme"), "ana")
    et = f.event_type(ana, duration_minutes=30)
    invitee = booking_create(
        event_type=et, start=TEN, now=NOW, invitee=InviteeInput(name="Ola", email="ola@example.com", timezone="UTC")
    )
    BusyBlock.objects.create(
        organization=ana.organization, membership=ana, start=TEN + timedelta(hours=2), end=TEN + timedelta(hours=3)
    )
    return ana, et, invitee


def _non_empty_tables() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our tables
            if n := cursor.fetchone()[0]:
                counts[table] = n
    return counts


def test_the_flush_empties_every_table_and_leaves_the_guards_on():
    _world()
    assert len(_non_empty_tables()) >= 8
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    assert _non_empty_tables() == {}
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
    # The double-booking guard and the busy-version triggers fire again.
    ana, et, invitee = _world()
    first = invitee.booking
    twin = Booking.objects.create(
        organization=first.organization,
        event_type=et,
        host=ana,
        start=first.start,
        end=first.end,
        timezone="UTC",
        duration_minutes=30,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingHost.objects.create(booking=twin, membership=ana, block_start=first.start, block_end=first.end)
    assert busycache.versions([ana.pk])[ana.pk] >= 1
