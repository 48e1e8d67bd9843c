from datetime import UTC, datetime

from django.test import override_settings

from slotwise.api import idempotency
from slotwise.api.models import ApiToken
from slotwise.bookings.models import Invitee
from tests.api.conftest import BASE


def _book_body(world, start="2026-03-03T10:00:00Z", email="grace@example.com"):
    return {
        "event_type": f"{BASE}/event_types/{world.et.uuid}",
        "start_time": start,
        "invitee": {"name": "Grace", "email": email, "timezone": "UTC"},
    }


def test_same_key_same_body_replays_the_first_response(world):
    first = world.api.post("/invitees", _book_body(world), headers={"Idempotency-Key": "k-1"})
    again = world.api.post("/invitees", _book_body(world), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Invitee.objects.filter(email="grace@example.com").count() == 1


def test_same_key_other_body_is_422(world):
    world.api.post("/invitees", _book_body(world), headers={"Idempotency-Key": "k-2"})
    r = world.api.post("/invitees", _book_body(world, start="2026-03-03T11:00:00Z"), headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 422
    assert r.json()["details"][0]["parameter"] == "Idempotency-Key"
    assert Invitee.objects.filter(email="grace@example.com").count() == 1


def test_key_still_running_is_409(world):
    token = ApiToken.objects.get(membership=world.admin, scope="write")
    body = _book_body(world)
    idempotency.claim(scope=f"token:{token.pk}", key="k-3", payload={"path": "/api/v2/invitees", "body": body})
    r = world.api.post("/invitees", body, headers={"Idempotency-Key": "k-3"})
    assert r.status_code == 409
    assert "still being processed" in r.json()["message"]
    assert not Invitee.objects.filter(email="grace@example.com").exists()


def test_a_failed_request_replays_its_error_and_keys_are_per_token(world):
    bad = _book_body(world, start="2026-03-03T03:00:00Z")
    r1 = world.api.post("/invitees", bad, headers={"Idempotency-Key": "k-4"})
    r2 = world.api.post("/invitees", bad, headers={"Idempotency-Key": "k-4"})
    assert r1.status_code == r2.status_code == 409
    assert r1.json() == r2.json()
    # Another token's identical key is another request.
    r3 = world.member_api.post("/invitees", _book_body(world), headers={"Idempotency-Key": "k-4"})
    assert r3.status_code == 201


def test_a_server_failure_does_not_burn_the_key_so_the_retry_books(world, monkeypatch):
    """Moved here from the booking service, which used to key requests itself: a request that fails on
    our side (no answer reached the client) leaves its key free, and the retry books once."""
    from slotwise.api.resources import scheduled_events

    real = scheduled_events.bookings.booking_create
    calls = []

    def flaky(**kw):
        calls.append(kw["start"])
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(**kw)

    monkeypatch.setattr(scheduled_events.bookings, "booking_create", flaky)
    world.api.client.raise_request_exception = False
    r1 = world.api.post("/invitees", _book_body(world), headers={"Idempotency-Key": "k-5"})
    assert r1.status_code == 500
    r2 = world.api.post("/invitees", _book_body(world), headers={"Idempotency-Key": "k-5"})
    r3 = world.api.post("/invitees", _book_body(world), headers={"Idempotency-Key": "k-5"})
    assert r2.status_code == r3.status_code == 201 and r3.json() == r2.json()
    assert len(calls) == 2 and Invitee.objects.filter(email="grace@example.com").count() == 1


@override_settings(SLOTWISE_API_RATE_LIMIT=3, SLOTWISE_API_RATE_WINDOW=60)
def test_rate_limit_per_token_with_headers_and_retry_after(world, now):
    # now = 08:00:00 UTC exactly: the 60 s window ends at 08:01:00.
    reset = str(int(datetime(2026, 3, 2, 8, 1, tzinfo=UTC).timestamp()))
    seen = []
    for _ in range(3):
        r = world.api.get("/users/me")
        assert r.status_code == 200
        seen.append((r["X-RateLimit-Limit"], r["X-RateLimit-Remaining"], r["X-RateLimit-Reset"]))
    assert seen == [("3", "2", reset), ("3", "1", reset), ("3", "0", reset)]
    r = world.api.get("/users/me")
    assert r.status_code == 429
    assert r["Retry-After"] == "60"
    assert r.json()["title"] == "Too Many Requests"
    assert r["X-RateLimit-Remaining"] == "0"
    assert world.read.get("/users/me").status_code == 200  # another token, another bucket
