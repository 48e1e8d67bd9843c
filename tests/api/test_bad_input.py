"""Bad input to the API is a 4xx in Calendly's error shape that names what is wrong, never a 500."""

import base64
import json

import pytest
from django.core.signing import Signer

from slotwise.scheduling.models import EventType

from .conftest import BASE


def _post_raw(world, path, body: bytes, content_type="application/json"):
    return world.api.client.post(
        f"/api/v2{path}", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {world.api.secret}"
    )


def test_api_body_over_the_upload_limit_is_413_not_500(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    r = _post_raw(world, "/event_types", json.dumps({"name": "Big", "description": "x" * 20_000}).encode())
    assert r.status_code == 413
    body = r.json()
    assert body["title"] == "Payload Too Large" and "10000 bytes" in body["message"] and body["details"] == []
    assert not EventType.objects.filter(name="Big").exists()


def test_api_json_nested_1000_levels_deep_is_400_not_recursion_error(world):
    deep = b'{"name": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    r = _post_raw(world, "/event_types", deep)
    assert r.status_code == 400
    assert "nested" in r.json()["message"] and r.json()["title"] == "Invalid Argument"
    r = world.api.client.get(
        "/api/v2/event_types",
        {"user": f"{BASE}/users/{world.admin.user.uuid}"},
        HTTP_AUTHORIZATION=f"Bearer {world.api.secret}",
    )
    assert r.status_code == 200  # the same client keeps working


def test_api_forged_page_token_is_400_naming_page_token(world):
    user = f"{BASE}/users/{world.admin.user.uuid}"
    forged = [
        base64.urlsafe_b64encode(json.dumps(["next", {"x": 1}, 1]).encode()).decode(),  # a dict as the key
        base64.urlsafe_b64encode(json.dumps(["next", "not a date", 1]).encode()).decode(),  # the old format
        Signer(salt="another.salt").sign_object(["next", "created_at", "2026-01-01T00:00:00+00:00", 1]),
        "\x00",
        "%%%",
        "a" * 5000,
    ]
    for token in forged:
        for path in ("/event_types", "/scheduled_events"):
            r = world.api.get(path, {"user": user, "page_token": token})
            assert r.status_code == 400, (path, token, r.content[:300])
            assert r.json()["details"][0]["parameter"] == "page_token", r.json()


def test_api_page_token_from_another_sort_order_is_400_not_500(world):
    user = f"{BASE}/users/{world.admin.user.uuid}"
    for i in range(3):
        world.api.post("/event_types", {"name": f"Call {i}"})
    first = world.api.get("/event_types", {"user": user, "count": 1, "sort": "name:asc"}).json()
    token = first["pagination"]["next_page_token"]
    assert token
    assert (
        world.api.get("/event_types", {"user": user, "count": 1, "sort": "name:asc", "page_token": token}).status_code
        == 200
    )
    r = world.api.get("/event_types", {"user": user, "count": 1, "page_token": token})
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "page_token"


def test_api_multipart_without_boundary_is_4xx_not_500(world):
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed"):
        r = _post_raw(world, "/event_types", b"--x\r\n", content_type=content_type)
        assert r.status_code in (400, 415), (content_type, r.status_code, r.content[:300])
        assert r.json()["message"]
    assert not EventType.objects.exclude(pk=world.et.pk).filter(organization=world.a).exists()


def test_api_path_parameters_with_nul_or_control_characters_are_400(world):
    for bad in ("%00", "abc%00def", "a%0Ab", "%C2%85"):
        r = world.api.get(f"/event_types/{bad}")
        assert r.status_code in (400, 404), (bad, r.status_code)
        assert r.json()["title"] in ("Invalid Argument", "Resource Not Found")


@pytest.mark.parametrize(
    "path, body",
    [
        ("/event_types/{et}", {"duration": True}),
        ("/event_types", {"name": "Call", "duration": True}),
        ("/scheduling_links", {"max_event_count": True, "owner": "{et_uri}", "owner_type": "EventType"}),
    ],
)
def test_api_json_true_is_not_a_number(world, path, body):
    """Schemathesis found `PATCH /event_types/{uuid}` with "duration": true answered 200 (pydantic's lax mode
    reads true as 1). JSON bodies take numbers and booleans as such; the field is named, nothing changes."""
    et_uri = f"{BASE}/event_types/{world.et.uuid}"
    body = {k: (et_uri if v == "{et_uri}" else v) for k, v in body.items()}
    before = list(EventType.objects.values_list("pk", "duration_minutes", "active", "secret"))
    send = world.api.patch if "{et}" in path else world.api.post
    r = send(path.format(et=world.et.uuid), body)
    assert r.status_code == 400, r.content
    assert any(k in r.content.decode() for k in body if k not in ("owner", "owner_type", "name"))
    assert list(EventType.objects.values_list("pk", "duration_minutes", "active", "secret")) == before


@pytest.mark.parametrize("name", ["Intro\r\nBcc: everyone@example.com", "Intro\ncall", "Intro\u2028call", "Intro\x07"])
def test_line_breaks_and_control_characters_in_an_event_type_name_are_refused(world, name):
    """An event type's name goes into email subjects and calendar SUMMARY lines, so it is one line of text,
    whichever door it comes through (here the API; the dashboard and load files call the same service)."""
    before = list(EventType.objects.values_list("pk", "name"))
    created = world.api.post("/event_types", {"name": name})
    renamed = world.api.patch(f"/event_types/{world.et.uuid}", {"name": name})
    for r in (created, renamed):
        assert r.status_code == 400, r.content
        assert "must not contain" in r.json()["message"] and r.json()["details"][0]["parameter"] == "name", r.content
    assert list(EventType.objects.values_list("pk", "name")) == before
