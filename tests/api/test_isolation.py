"""A token of organization A sees nothing of organization B: 404 for every endpoint, never B's data."""

from datetime import date

import pytest

from slotwise.bookings.models import InviteeNoShow
from slotwise.scheduling.models import HostLimits, OutOfOffice, TravelStay
from slotwise.webhooks.models import WebhookSubscription
from tests.api.conftest import BASE


@pytest.fixture
def b_things(world, now):
    inv = world.b_booking
    sub = WebhookSubscription.objects.create(
        organization=world.b,
        creator=world.b_admin,
        scope="organization",
        callback_url="https://b.example.com/h",
        events=["invitee.created"],
    )
    mark = InviteeNoShow.objects.create(invitee=inv)
    away = OutOfOffice.objects.create(membership=world.b_admin, first=date(2026, 3, 9), last=date(2026, 3, 10))
    return {
        "absence": away.pk,
        "user": f"{BASE}/users/{world.b_admin.user.uuid}",
        "org": f"{BASE}/organizations/{world.b.uuid}",
        "et": f"{BASE}/event_types/{world.b_et.uuid}",
        "event": str(inv.booking.uid),
        "invitee": f"{BASE}/scheduled_events/{inv.booking.uid}/invitees/{inv.uid}",
        "invitee_uuid": str(inv.uid),
        "sub": str(sub.uuid),
        "no_show": str(mark.uuid),
        "schedule": str(world.b_admin.schedules.get().uuid),
        "membership": str(world.b_admin.uuid),
    }


def cases(b):
    t = "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z"
    return [
        ("get", f"/users/{b['user'].rsplit('/', 1)[1]}", None),
        ("get", f"/organizations/{b['org'].rsplit('/', 1)[1]}", None),
        ("get", "/organization_memberships", {"organization": b["org"]}),
        ("get", f"/organization_memberships/{b['membership']}", None),
        ("get", "/event_types", {"organization": b["org"]}),
        ("get", "/event_types", {"user": b["user"]}),
        ("get", f"/event_types/{b['et'].rsplit('/', 1)[1]}", None),
        ("patch", f"/event_types/{b['et'].rsplit('/', 1)[1]}", {"name": "pwned"}),
        ("get", "/event_type_available_times", {"event_type": b["et"], "start_time": t[0], "end_time": t[1]}),
        ("get", "/event_type_available_times/explain", {"event_type": b["et"], "start_time": t[0]}),
        ("get", "/user_busy_times", {"user": b["user"], "start_time": t[0], "end_time": t[1]}),
        ("get", "/user_availability_schedules", {"user": b["user"]}),
        ("get", f"/user_availability_schedules/{b['schedule']}", None),
        ("get", "/scheduled_events", {"organization": b["org"]}),
        ("get", "/scheduled_events", {"user": b["user"]}),
        ("get", f"/scheduled_events/{b['event']}", None),
        ("get", f"/scheduled_events/{b['event']}/invitees", None),
        ("get", f"/scheduled_events/{b['event']}/invitees/{b['invitee_uuid']}", None),
        ("post", f"/scheduled_events/{b['event']}/cancellation", {"reason": "x"}),
        (
            "post",
            "/invitees",
            {
                "event_type": b["et"],
                "start_time": "2026-03-03T10:00:00Z",
                "invitee": {"name": "X", "email": "x@example.com", "timezone": "UTC"},
            },
        ),
        ("post", "/invitee_no_shows", {"invitee": b["invitee"]}),
        ("get", f"/invitee_no_shows/{b['no_show']}", None),
        ("delete", f"/invitee_no_shows/{b['no_show']}", None),
        ("post", "/scheduling_links", {"max_event_count": 1, "owner": b["et"], "owner_type": "EventType"}),
        ("get", "/webhook_subscriptions", {"organization": b["org"], "scope": "organization"}),
        (
            "post",
            "/webhook_subscriptions",
            {
                "url": "https://evil.example.com",
                "events": ["invitee.created"],
                "organization": b["org"],
                "scope": "organization",
            },
        ),
        ("get", f"/webhook_subscriptions/{b['sub']}", None),
        ("get", f"/users/{b['user'].rsplit('/', 1)[1]}/availability_rules", None),
        ("put", f"/users/{b['user'].rsplit('/', 1)[1]}/limits", {"daily_limit": 1}),
        ("post", f"/users/{b['user'].rsplit('/', 1)[1]}/out_of_office", {"first": "2026-03-03", "last": "2026-03-04"}),
        ("delete", f"/users/{b['user'].rsplit('/', 1)[1]}/out_of_office/{b['absence']}", None),
        (
            "post",
            f"/users/{b['user'].rsplit('/', 1)[1]}/travel",
            {"timezone": "Asia/Tokyo", "first": "2026-03-03", "last": "2026-03-04"},
        ),
        ("delete", f"/webhook_subscriptions/{b['sub']}", None),
        ("post", f"/webhook_subscriptions/{b['sub']}/test", {}),
    ]


def test_every_endpoint_answers_404_for_another_organizations_things(world, b_things):
    secrets = {"hank@globex.test", "carol@globex-client.test", "Sales call", world.b.slug, str(world.b.uuid)}
    for method, path, arg in cases(b_things):
        fn = getattr(world.api, method)
        r = fn(path, arg) if method in ("get", "post", "patch", "put") else fn(path)
        assert r.status_code == 404, (method, path, r.status_code, r.content)
        body = r.content.decode()
        assert r.json()["title"] == "Resource Not Found"
        leaked = [s for s in secrets if s in body and s not in str(arg) and s not in path]
        assert not leaked, (path, leaked)


def test_b_things_are_untouched(world, b_things):
    for method, path, arg in cases(b_things):
        fn = getattr(world.api, method)
        fn(path, arg) if method in ("get", "post", "patch", "put") else fn(path)
    world.b_booking.booking.refresh_from_db()
    world.b_et.refresh_from_db()
    assert world.b_booking.booking.status == "confirmed"
    assert world.b_et.name == "Sales call"
    assert WebhookSubscription.objects.filter(organization=world.b).count() == 1
    assert InviteeNoShow.objects.filter(invitee__booking__organization=world.b).count() == 1
    assert OutOfOffice.objects.filter(membership=world.b_admin).count() == 1
    assert not HostLimits.objects.filter(membership=world.b_admin).exists()
    assert not TravelStay.objects.exists()


def test_data_compliance_only_touches_the_tokens_organization(world):
    assert (
        world.api.post("/data_compliance/deletion/invitees", {"emails": ["carol@globex-client.test"]}).status_code
        == 202
    )
    world.b_booking.refresh_from_db()
    assert world.b_booking.email == "carol@globex-client.test"


def test_lists_without_filters_show_only_own_organization(world):
    emails = [m["user"]["email"] for m in world.api.get("/organization_memberships").json()["collection"]]
    assert emails == ["alice@acme.test", "bob@acme.test"]
    org = f"{BASE}/organizations/{world.a.uuid}"
    assert world.api.get("/scheduled_events", {"organization": org}).json()["collection"] == []


def test_a_read_only_token_cannot_write_anywhere(world, now):
    """Every write endpoint, with the token's own organization's data: 403, and nothing changed."""
    from datetime import UTC, datetime

    from slotwise.bookings.models import Booking, SingleUseLink
    from slotwise.scheduling.models import EventType
    from tests.api.conftest import book

    inv = book(world.et, datetime(2026, 2, 24, 9, tzinfo=UTC), now=datetime(2026, 2, 20, tzinfo=UTC))
    mark = InviteeNoShow.objects.create(invitee=inv)
    sub = WebhookSubscription.objects.create(
        organization=world.a,
        creator=world.admin,
        scope="organization",
        callback_url="https://a.example.com/h",
        events=["invitee.created"],
    )
    et_uri = f"{BASE}/event_types/{world.et.uuid}"
    writes = [
        ("post", "/event_types", {"name": "New"}),
        ("patch", f"/event_types/{world.et.uuid}", {"name": "Renamed"}),
        (
            "post",
            "/invitees",
            {
                "event_type": et_uri,
                "start_time": "2026-03-03T10:00:00Z",
                "invitee": {"name": "X", "email": "x@example.com", "timezone": "UTC"},
            },
        ),
        ("post", f"/scheduled_events/{inv.booking.uid}/cancellation", {"reason": "x"}),
        ("post", "/invitee_no_shows", {"invitee": f"{BASE}/scheduled_events/{inv.booking.uid}/invitees/{inv.uid}"}),
        ("delete", f"/invitee_no_shows/{mark.uuid}", None),
        ("post", "/scheduling_links", {"max_event_count": 1, "owner": et_uri, "owner_type": "EventType"}),
        (
            "post",
            "/webhook_subscriptions",
            {
                "url": "https://x.example.com",
                "events": ["invitee.created"],
                "organization": f"{BASE}/organizations/{world.a.uuid}",
                "scope": "organization",
            },
        ),
        ("delete", f"/webhook_subscriptions/{sub.uuid}", None),
        ("post", f"/webhook_subscriptions/{sub.uuid}/test", {}),
        ("post", "/data_compliance/deletion/invitees", {"emails": ["ada@example.com"]}),
        ("put", f"/users/{world.admin.user.uuid}/limits", {"daily_limit": 1}),
        ("post", f"/users/{world.admin.user.uuid}/out_of_office", {"first": "2026-03-03", "last": "2026-03-04"}),
        (
            "post",
            f"/users/{world.admin.user.uuid}/travel",
            {"timezone": "Asia/Tokyo", "first": "2026-03-03", "last": "2026-03-04"},
        ),
    ]
    for method, path, body in writes:
        fn = getattr(world.read, method)
        r = fn(path, body) if body is not None else fn(path)
        assert r.status_code == 403, (method, path, r.status_code, r.content)
        assert r.json()["title"] == "Permission Denied"
    assert (
        EventType.objects.filter(organization=world.a).count() == 1
        and EventType.objects.get(pk=world.et.pk).name == "Intro call"
    )
    assert Booking.objects.filter(organization=world.a).count() == 1
    assert Booking.objects.get(pk=inv.booking.pk).status == "confirmed"
    assert InviteeNoShow.objects.filter(pk=mark.pk).exists() and SingleUseLink.objects.count() == 0
    assert WebhookSubscription.objects.filter(organization=world.a).count() == 1
    inv.refresh_from_db()
    assert inv.email == "ada@example.com"
