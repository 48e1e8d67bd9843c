import pytest

from slotwise.webhooks.models import WebhookSubscription
from tests.api.conftest import BASE

KEYS = {
    "uri",
    "callback_url",
    "created_at",
    "updated_at",
    "retry_started_at",
    "state",
    "events",
    "scope",
    "organization",
    "user",
    "creator",
}


def _body(world, **over):
    body = {
        "url": "https://hooks.example.com/slotwise",
        "events": ["invitee.created", "invitee.canceled"],
        "organization": f"{BASE}/organizations/{world.a.uuid}",
        "scope": "organization",
    }
    body.update(over)
    return body


def test_create_list_get_delete(world):
    r = world.api.post("/webhook_subscriptions", _body(world, signing_key="s3cret-key"))
    assert r.status_code == 201, r.content
    sub = r.json()["resource"]
    assert KEYS <= set(sub)
    assert (sub["state"], sub["scope"], sub["user"], sub["retry_started_at"]) == ("active", "organization", None, None)
    assert sub["events"] == ["invitee.created", "invitee.canceled"]
    assert sub["creator"] == f"http://127.0.0.1:8000/api/v2/users/{world.admin.user.uuid}"
    assert WebhookSubscription.objects.get().signing_key == "s3cret-key"
    org = f"{BASE}/organizations/{world.a.uuid}"
    listed = world.api.get("/webhook_subscriptions", {"organization": org, "scope": "organization"}).json()
    assert [s["uri"] for s in listed["collection"]] == [sub["uri"]]
    assert world.api.get("/webhook_subscriptions", {"organization": org, "scope": "user"}).json()["collection"] == []
    path = sub["uri"].replace("http://127.0.0.1:8000/api/v2", "")
    assert world.api.get(path).json()["resource"] == sub
    assert world.api.delete(path).status_code == 204
    assert world.api.get(path).status_code == 404


def test_same_url_and_scope_twice_is_409(world):
    assert world.api.post("/webhook_subscriptions", _body(world)).status_code == 201
    r = world.api.post("/webhook_subscriptions", _body(world))
    assert r.status_code == 409
    assert r.json()["title"] == "Already Exists"


def test_user_scope_and_admin_rules(world):
    bob = f"{BASE}/users/{world.member.user.uuid}"
    r = world.member_api.post("/webhook_subscriptions", _body(world, scope="user", user=bob))
    assert r.status_code == 201
    assert r.json()["resource"]["user"] == f"http://127.0.0.1:8000/api/v2/users/{world.member.user.uuid}"
    assert world.member_api.post("/webhook_subscriptions", _body(world)).status_code == 403
    alice = f"{BASE}/users/{world.admin.user.uuid}"
    assert world.member_api.post("/webhook_subscriptions", _body(world, scope="user", user=alice)).status_code == 403


BAD_BODIES = [
    ({"url": "ftp://x"}, "url"),
    ({"events": ["invitee.exploded"]}, "events[0]"),
    ({"events": []}, "events"),
    ({"scope": "group"}, "scope"),
    ({"signing_key": "short"}, "signing_key"),
]


@pytest.mark.parametrize(("change", "field"), BAD_BODIES, ids=[f for _, f in BAD_BODIES])
def test_bad_subscription_input_names_the_field_and_writes_nothing(world, change, field):
    r = world.api.post("/webhook_subscriptions", _body(world, **change))
    assert r.status_code == 400, r.content
    assert r.json()["details"][0]["parameter"] == field
    assert WebhookSubscription.objects.count() == 0


def test_listing_needs_a_scope_and_a_read_token_cannot_subscribe(world):
    r = world.api.get("/webhook_subscriptions", {"organization": f"{BASE}/organizations/{world.a.uuid}"})
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "scope"
    assert world.read.post("/webhook_subscriptions", _body(world)).status_code == 403
    assert WebhookSubscription.objects.count() == 0
