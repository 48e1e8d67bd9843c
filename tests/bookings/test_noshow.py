"""No-shows: one row per marked invitee (bookings.InviteeNoShow), written by bookings.noshow only."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from slotwise.bookings.models import Invitee, InviteeNoShow
from slotwise.bookings.noshow import invitee_no_show_set
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.events import subscribed
from tests import factories as f

START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
AFTER = START + timedelta(hours=2)


def _past_invitee():
    ana = f.host(f.org("acme"), "ana")
    et = f.event_type(ana, duration_minutes=30)
    return booking_create(
        event_type=et,
        start=START,
        now=START - timedelta(days=1),
        invitee=InviteeInput(name="Pat", email="pat@example.com", timezone="UTC"),
    )


@pytest.mark.django_db
def test_marking_writes_one_row_and_tells_subscribers_once_with_it():
    inv = _past_invitee()
    told = []
    with (
        subscribed("invitee.no_show_set", lambda **kw: told.append(kw["mark"].uuid)),
        subscribed("invitee.no_show_cleared", lambda **kw: told.append(("cleared", kw["mark"].uuid))),
    ):
        mark = invitee_no_show_set(invitee=inv, no_show=True, now=AFTER)
        again = invitee_no_show_set(invitee=inv, no_show=True, now=AFTER)
        assert again == mark and inv.no_show and Invitee.objects.get(pk=inv.pk).no_show
        assert invitee_no_show_set(invitee=inv, no_show=False, now=AFTER) is None
        invitee_no_show_set(invitee=inv, no_show=False, now=AFTER)
    assert told == [mark.uuid, ("cleared", mark.uuid)]  # the cleared event still names the mark it removed
    assert not inv.no_show and not InviteeNoShow.objects.exists()


@pytest.mark.django_db
def test_a_meeting_that_has_not_started_cannot_be_a_no_show():
    inv = _past_invitee()
    with pytest.raises(Exception, match="has not started yet"):
        invitee_no_show_set(invitee=inv, no_show=True, now=START - timedelta(minutes=1))
    assert not InviteeNoShow.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_migration_moves_api_marks_and_dashboard_flags_into_one_model():
    # Later migrations of other apps (new NOT NULL columns) are rolled back too: the old models do not know them.
    before = [
        ("bookings", "0004_managed_links"),
        ("api", "0003_extension_oauth_app"),
        ("accounts", "0003_link_fallback_setting"),
        ("scheduling", "0003_event_type_star"),
    ]
    after = [("bookings", "0005_one_no_show_model"), ("api", "0004_no_show_moved_to_bookings")]
    executor = MigrationExecutor(connection)
    try:
        _migrate_marks_and_flags(executor, before, after)
    finally:  # leave the test database at the latest migrations, whatever comes after these
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate_marks_and_flags(executor, before, after):
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Org, Membership, User = (old.get_model("accounts", n) for n in ("Organization", "Membership", "User"))
    EventType, Booking = old.get_model("scheduling", "EventType"), old.get_model("bookings", "Booking")
    OldInvitee, OldMark = old.get_model("bookings", "Invitee"), old.get_model("api", "InviteeNoShow")
    org = Org.objects.create(slug="acme", name="Acme")
    m = Membership.objects.create(organization=org, user=User.objects.create(email="ana@example.com"), slug="ana")
    et = EventType.objects.create(organization=org, owner=m, slug="intro", name="Intro")
    b = Booking.objects.create(
        organization=org,
        event_type=et,
        host=m,
        start=START,
        end=START + timedelta(minutes=30),
        timezone="UTC",
        duration_minutes=30,
    )
    by_api = OldInvitee.objects.create(
        booking=b,
        name="A",
        email="a@example.com",
        timezone="UTC",
        no_show=True,
        cancel_token="a1",
        reschedule_token="a2",
    )
    api_mark = OldMark.objects.create(invitee=by_api, created_at=AFTER)
    by_dashboard = OldInvitee.objects.create(
        booking=b,
        name="B",
        email="b@example.com",
        timezone="UTC",
        no_show=True,
        cancel_token="b1",
        reschedule_token="b2",
    )
    OldInvitee.objects.create(
        booking=b, name="C", email="c@example.com", timezone="UTC", cancel_token="c1", reschedule_token="c2"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("bookings", "InviteeNoShow")
    marks = {(x.invitee_id, x.created_at) for x in new.objects.all()}
    assert marks == {(by_api.pk, AFTER), (by_dashboard.pk, START + timedelta(minutes=30))}
    assert new.objects.get(invitee_id=by_api.pk).uuid == api_mark.uuid  # its API uri stays the same
