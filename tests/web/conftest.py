import pytest

from slotwise.web import dashboard, public, ratelimit
from tests import factories


@pytest.fixture(autouse=True)
def _web_settings(settings):
    settings.ROOT_URLCONF = "tests.web.urls"
    settings.SLOTWISE_WEB_RATE_LIMIT = 0  # tests/web/test_ratelimit.py turns it on


@pytest.fixture
def frozen(monkeypatch, now):
    """The pages' clock, fixed at `now` (Monday 2026-03-02 08:00 UTC), live server included."""
    for module in (public, dashboard, ratelimit):
        monkeypatch.setattr(module, "utc_now", lambda: now)
    return now


@pytest.fixture
def acme(db):
    """Ana hosts a 30-minute intro in Europe/Berlin, Mon-Fri 09:00-17:00."""
    org = factories.org("acme", name="Acme")
    ana = factories.host(org, "ana", tz="Europe/Berlin", email="ana@acme.test")
    intro = factories.event_type(ana, slug="intro", name="Intro call", duration_minutes=30, increment_minutes=30,
                                 description="We talk about your project.")
    return {"org": org, "ana": ana, "intro": intro}
