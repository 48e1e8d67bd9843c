import os
from datetime import UTC, datetime

import pytest
from hypothesis import settings as hypothesis_settings

from tests import factories

# Playwright's sync API runs an event loop in the test thread; Django's live server is fine with that.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def now():
    """A frozen clock: Monday 2026-03-02 08:00 UTC, well before the US and EU DST changes of 2026."""
    return datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def acme(db):
    """Ana hosts a 30-minute intro in Europe/Berlin, Mon-Fri 09:00-17:00."""
    org = factories.org("acme", name="Acme")
    ana = factories.host(org, "ana", tz="Europe/Berlin", email="ana@acme.test")
    intro = factories.event_type(
        ana,
        slug="intro",
        name="Intro call",
        duration_minutes=30,
        increment_minutes=30,
        description="We talk about your project.",
    )
    return {"org": org, "ana": ana, "intro": intro}


# Hypothesis: "ci" (CI=true, and what `./run test` promises) runs every test's full example count;
# "dev" (set HYPOTHESIS_PROFILE=dev) runs a fifth of them for a quick local loop. Tests ask `examples(n)`.
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The longest tests go first, so pytest-xdist does not finish on one worker still running a long test.
_LONG_FIRST = (
    "tests/api/test_schemathesis.py",
    "tests/jobs/",
    "tests/bench/",
    "tests/webhooks/test_worker_kill.py",
    "tests/web/test_browser_",
    "tests/engine/test_properties.py",
    "tests/cli/test_cli.py",
)


def _long_first(item) -> int:
    path = item.nodeid
    for rank, prefix in enumerate(_LONG_FIRST):
        if path.startswith(prefix):
            return rank
    return len(_LONG_FIRST)


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    items.sort(key=_long_first)  # stable: tests keep their order inside a file

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(
            reason="needs PostgreSQL: runs in the PostgreSQL pass of ./run test (SLOTWISE_TEST_DATABASE_URL)"
        )
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def smtp(settings):
    """Mail goes through Django's SMTP backend to a real server (aiosmtpd) on 127.0.0.1; yields its inbox."""
    from tests.notifications.smtp import SmtpServer

    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.BASE_URL = "https://book.example.com"
        yield server.inbox


@pytest.fixture(autouse=True)
def _forget_cached_busy_time():
    """Each case starts with no host's busy time kept: cases that empty the database reuse host ids, and
    the version counters start again with them."""
    from slotwise.bookings import busycache

    busycache.clear()
    yield
    busycache.clear()
