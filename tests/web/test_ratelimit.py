import pytest

pytestmark = pytest.mark.django_db


def test_public_pages_are_rate_limited_per_address(client, settings, acme, frozen):
    settings.SLOTWISE_WEB_RATE_LIMIT = 3
    for remaining in ("2", "1", "0"):
        ok = client.get("/acme/ana/intro/")
        assert (ok.status_code, ok["X-RateLimit-Remaining"]) == (200, remaining)
    over = client.get("/acme/ana/")
    assert over.status_code == 429
    assert over["Retry-After"] == "60"  # the clock is frozen at the start of a minute
    assert "Too many requests from your address; try again in 60 seconds." in over.content.decode()
    other = client.get("/acme/ana/", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200
