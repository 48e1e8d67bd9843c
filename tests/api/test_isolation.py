"""A token of organization A sees nothing of organization B: 404 for every endpoint, never B's data."""

import pytest

from slotwise.api.models import InviteeNoShow
from slotwise.webhooks.models import WebhookSubscription
from tests.api.conftest import BASE


@pytest.fixture
def b_things(world, now):
    inv = world.b_booking
    sub = WebhookSubscription.objects.create(
        organization=world.b, creator=world.b_admin, scope="organization", callback_url="https://b.example.com/h",
        events=["invitee.created"],
    )
    mark = InviteeNoShow.objects.create(invitee=inv)
    return {
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
        ("post", "/invitees", {"event_type": b["et"], "start_time": "2026-03-03T10:00:00Z",
                               "invitee": {"name": "X", "email": "x@example.com", "timezone": "UTC"}}),
        ("post", "/invitee_no_shows", {"invitee": b["invitee"]}),
        ("get", f"/invitee_no_shows/{b['no_show']}", None),
        ("delete", f"/invitee_no_shows/{b['no_show']}", None),
        ("post", "/scheduling_links", {"max_event_count": 1, "owner": b["et"], "owner_type": "EventType"}),
        ("get", "/webhook_subscriptions", {"organization": b["org"], "scope": "organization"}),
        ("post", "/webhook_subscriptions", {"url": "https://evil.example.com", "events": ["invitee.created"],
                                            "organization": b["org"], "scope": "organization"}),
        ("get", f"/webhook_subscriptions/{b['sub']}", None),
        ("delete", f"/webhook_subscriptions/{b['sub']}", None),
        ("post", f"/webhook_subscriptions/{b['sub']}/test", {}),
    ]


def test_every_endpoint_answers_404_for_another_organizations_things(world, b_things):
    secrets = {"hank@globex.test", "carol@globex-client.test", "Sales call", world.b.slug, str(world.b.uuid)}
    for method, path, arg in cases(b_things):
        fn = getattr(world.api, method)
        r = fn(path, arg) if method in ("get", "post", "patch") else fn(path)
        assert r.status_code == 404, (method, path, r.status_code, r.content)
        body = r.content.decode()
        assert r.json()["title"] == "Resource Not Found"
        leaked = [s for s in secrets if s in body and s not in str(arg) and s not in path]
        assert not leaked, (path, leaked)


def test_b_things_are_untouched(world, b_things):
    for method, path, arg in cases(b_things):
        fn = getattr(world.api, method)
        fn(path, arg) if method in ("get", "post", "patch") else fn(path)
    world.b_booking.booking.refresh_from_db()
    world.b_et.refresh_from_db()
    assert world.b_booking.booking.status == "confirmed"
    assert world.b_et.name == "Sales call"
    assert WebhookSubscription.objects.filter(organization=world.b).count() == 1
    assert InviteeNoShow.objects.filter(invitee__booking__organization=world.b).count() == 1


def test_data_compliance_only_touches_the_tokens_organization(world):
    assert world.api.post("/data_compliance/deletion/invitees", {"emails": ["carol@globex-client.test"]}).status_code == 202
    world.b_booking.refresh_from_db()
    assert world.b_booking.email == "carol@globex-client.test"


def test_lists_without_filters_show_only_own_organization(world):
    emails = [m["user"]["email"] for m in world.api.get("/organization_memberships").json()["collection"]]
    assert emails == ["alice@acme.test", "bob@acme.test"]
    org = f"{BASE}/organizations/{world.a.uuid}"
    assert world.api.get("/scheduled_events", {"organization": org}).json()["collection"] == []
