"""Removing a member deactivates the membership: past bookings keep their host; bookings ahead are canceled
with a reason (or nothing is removed); the member acts nowhere and is listed nowhere after."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.accounts.models import Membership
from slotwise.accounts.selectors import current_membership
from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create, member_remove
from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, PermissionDenied
from slotwise.scheduling.models import EventType, PoolHost
from slotwise.scheduling.selectors import event_hosts
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday
TUE_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def crew():
    org = factories.org("crew", name="Crew")
    boss = factories.host(org, "boss", role="owner")
    eve = factories.host(org, "eve")
    sam = factories.host(org, "sam")
    team = factories.team(org, [eve, sam], slug="support")
    call = factories.event_type(team=team, slug="call", name="Support Call", kind=EventType.Kind.ROUND_ROBIN)
    factories.pool(call, [eve, sam])
    intro = factories.event_type(eve, slug="intro", name="Eve's intro")
    return {"org": org, "boss": boss, "eve": eve, "sam": sam, "team": team, "call": call, "intro": intro}


def _book(et, start, now, email="zoe@example.com"):
    return booking_create(
        event_type=et,
        start=start,
        now=now,
        invitee=InviteeInput(name="Zoe", email=email, timezone="UTC", answers={}),
    ).booking


def test_removal_keeps_past_bookings_cancels_the_future_ones_with_the_reason(crew, smtp):
    eve = crew["eve"]
    past = _book(crew["intro"], TUE_10 - timedelta(days=7), NOW - timedelta(days=8))
    ahead = _book(crew["intro"], TUE_10 + timedelta(days=7), NOW)
    canceled = member_remove(
        actor=crew["boss"], membership=eve, now=NOW, cancel_reason="Eve has left; please book another time."
    )
    assert canceled == 1
    past.refresh_from_db(), ahead.refresh_from_db()
    assert (past.status, past.host_id) == (Booking.Status.CONFIRMED, eve.pk)
    assert (ahead.status, ahead.cancel_reason, ahead.canceler_type) == (
        Booking.Status.CANCELED,
        "Eve has left; please book another time.",
        "host",
    )
    eve.refresh_from_db()
    assert eve.deactivated_at == NOW
    assert Membership.objects.filter(pk=eve.pk).exists()


def test_with_bookings_ahead_and_no_reason_nothing_is_removed(crew):
    _book(crew["intro"], TUE_10, NOW)
    with pytest.raises(InvalidInput) as exc:
        member_remove(actor=crew["boss"], membership=crew["eve"], now=NOW)
    assert exc.value.message == (
        "Eve has 1 upcoming booking: give a reason to cancel them with, which their invitees will read"
    )
    crew["eve"].refresh_from_db()
    assert crew["eve"].deactivated_at is None
    assert PoolHost.objects.filter(membership=crew["eve"]).exists()


def test_a_removed_member_leaves_teams_pools_and_every_list_of_hosts(crew):
    eve, call = crew["eve"], crew["call"]
    member_remove(actor=crew["boss"], membership=eve, now=NOW)
    assert current_membership(eve.user) is None
    assert list(crew["team"].members.all()) == [crew["sam"]]
    assert [h.slug for h in event_hosts(call)] == ["sam"]
    assert event_hosts(crew["intro"]) == []  # her own event types offer no times
    c = Client()
    assert c.get("/crew/eve/").status_code == 404
    assert c.get("/crew/eve/intro/").status_code == 404
    assert b"/crew/eve/" not in c.get("/crew/").content
    c.force_login(crew["boss"].user)
    for url in ("/dashboard/members/", "/dashboard/team/", "/dashboard/bookings/", "/dashboard/links/"):
        assert b">Eve<" not in c.get(url).content, url
    c.force_login(eve.user)
    assert c.get("/dashboard/").status_code == 403


def test_the_last_owner_cannot_be_removed_and_members_remove_nobody(crew):
    with pytest.raises(InvalidInput, match="is the only owner; make someone else owner before removing them"):
        member_remove(actor=crew["boss"], membership=crew["boss"], now=NOW)
    with pytest.raises(PermissionDenied, match="Only owners and admins remove members"):
        member_remove(actor=crew["sam"], membership=crew["eve"], now=NOW)
    admin = factories.host(crew["org"], "adam", role="admin")
    with pytest.raises(PermissionDenied, match="Only an owner removes an owner"):
        member_remove(actor=admin, membership=crew["boss"], now=NOW)


def test_the_remove_page_says_how_many_bookings_are_ahead_and_cancels_them(crew, smtp):
    # The page reads the real clock: a Wednesday 10:00 UTC one to two weeks from today.
    today = utc_now()
    wednesday = (today + timedelta(days=7 + (2 - today.weekday()) % 7)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    _book(crew["intro"], wednesday, today)
    c = Client()
    c.force_login(crew["boss"].user)
    page = c.get(f"/dashboard/members/{crew['eve'].pk}/remove/").content.decode()
    assert "1 upcoming booking" in page and "Eve&#x27;s intro" in page
    resp = c.post(f"/dashboard/members/{crew['eve'].pk}/remove/", {"reason": ""})
    assert resp.status_code == 400
    assert "give a reason to cancel them with" in resp.content.decode()
    resp = c.post(f"/dashboard/members/{crew['eve'].pk}/remove/", {"reason": "Eve left."}, follow=True)
    assert "Eve was removed. Their past bookings are kept. 1 upcoming booking was canceled." in resp.content.decode()
