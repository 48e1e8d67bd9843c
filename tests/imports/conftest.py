import pytest

from tests import factories

from .calendly_stub import CalendlyStub, serve


@pytest.fixture
def calendly(settings):
    """A Calendly stand-in on 127.0.0.1, with one paid organization; its OAuth app is ours."""
    stub = CalendlyStub()
    server = serve(stub)
    stub.organization_uri = stub.org(plan="teams", stage="paid")
    settings.SLOTWISE_CALENDLY_CLIENT_ID = stub.client_id
    settings.SLOTWISE_CALENDLY_CLIENT_SECRET = stub.client_secret
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture
def agency(db):
    """A sub-account with two members, Ana (admin) and Ben."""
    org = factories.org("northwind", name="Northwind")
    ana = factories.host(org, "ana", tz="Europe/Berlin", email="ana@northwind.test", role="admin")
    ben = factories.host(org, "ben", tz="Europe/Berlin", email="ben@northwind.test")
    return {"org": org, "ana": ana, "ben": ben}


def fake_sync(monkeypatch, **functions) -> None:
    """Put `functions` in place of those of imports.sync (delete_synced, handle_webhook), for tests of the
    connection layer that check what it hands over; sync's own tests cover what those do."""
    from slotwise.imports import sync

    for name, fn in functions.items():
        monkeypatch.setattr(sync, name, fn)


@pytest.fixture
def polls(monkeypatch) -> list[int]:
    """Connections the connection layer asked imports.sync.schedule_poll to poll now (recorded, and queued)."""
    from slotwise.imports import sync

    calls: list[int] = []
    real = sync.schedule_poll

    def record(connection, *, due_at):
        calls.append(connection.pk)
        real(connection, due_at=due_at)

    monkeypatch.setattr(sync, "schedule_poll", record)
    return calls


@pytest.fixture
def ana_calendly(calendly):
    """Ana's Calendly account (an admin of its organization) with a personal "Intro call" and a shared
    round-robin "Support"."""
    ana = calendly.user("Ana Lopez", "ana@calendly.test", org=calendly.organization_uri, role="admin")
    calendly.event_type("Intro call", owner=ana)
    calendly.event_type("Support", owner=ana, pooling_type="round_robin", team="Support team")
    return {"ana": ana}
