import os
import socketserver
from datetime import UTC, datetime

import pytest
from hypothesis import settings as hypothesis_settings

from tests import factories, pgflush, template_db

# Every HTTP server a test starts in this process (Django's live server, the fakes and receivers built on
# http.server) sends its reply without waiting for the client's ACK of the previous segment. Their handlers
# write headers and body separately, and Nagle's algorithm held the body until the client's delayed ACK
# (40 ms on Linux): every request cost 40 ms of idle time, and the schemathesis run was 4 minutes of it.
socketserver.StreamRequestHandler.disable_nagle_algorithm = True

# Playwright's sync API runs an event loop in the test thread; Django's live server is fine with that.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _fast_password_hashing() -> None:
    """Tests hash with MD5: every `factories.host` stores a password, and Argon2 (the product's hasher, about a
    tenth of a second of CPU and 100 MB per hash by design) made that the largest cost of the suite. Argon2 and
    PBKDF2 stay listed, so stored hashes of those kinds still verify. tests/accounts/test_passwords.py checks the
    product's own list and signs in with a real Argon2 hash."""
    from django.conf import settings
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()


_fast_password_hashing()
pgflush.install()


def pytest_sessionstart(session):
    if template_db.wanted(session.config):
        template_db.create(session.config)  # before pytest-xdist starts its workers (its hook runs last)


def pytest_sessionfinish(session):
    template_db.destroy(session.config)


if os.environ.get(template_db.ENV):

    @pytest.fixture(scope="session")
    def django_db_setup(request, django_test_environment, django_db_blocker):
        """An xdist worker starts from a copy of the database its controller migrated (tests/template_db.py)."""
        template = os.environ[template_db.ENV]
        with django_db_blocker.unblock():
            template_db.clone(request.config, template)
        yield
        with django_db_blocker.unblock():
            template_db.drop_clone(template)


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


_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}


def _uses_the_database(item) -> bool:
    """The test reaches the pass's database: through pytest-django (its marker or a fixture that asks for
    the database), or as marked `database` (a subprocess handed DATABASE_URL) or `postgres`."""
    return (
        item.get_closest_marker("django_db") is not None
        or item.get_closest_marker("database") is not None
        or item.get_closest_marker("postgres") is not None
        or not _DB_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
    )


def _keep_only_database_tests(config, items) -> None:
    """The PostgreSQL pass is for what touches the database: a test that never reaches it (the lint and
    type checks, the pure modules, CLI runs on an SQLite file of their own) would run the same twice."""
    elsewhere = [item for item in items if not _uses_the_database(item)]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if _uses_the_database(item)]


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    items.sort(key=_long_first)  # stable: tests keep their order inside a file

    if connection.vendor == "postgresql":
        _keep_only_database_tests(config, items)
    else:
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
