import sys
import types

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
    """Put `functions` in place of those of imports.sync (delete_synced, handle_webhook, schedule_poll), for
    tests of the connection layer that check what it hands over; sync's own tests cover what those do.
    Until engineer "sync"'s module is merged, a module with just these (and a schedule_poll that does
    nothing) stands in for it."""
    import slotwise.imports

    try:
        from slotwise.imports import sync as module
    except ImportError:
        module = types.ModuleType("slotwise.imports.sync")
        module.schedule_poll = lambda connection, *, due_at: None
        monkeypatch.setitem(sys.modules, "slotwise.imports.sync", module)
        monkeypatch.setattr(slotwise.imports, "sync", module, raising=False)
    for name, fn in functions.items():
        monkeypatch.setattr(module, name, fn, raising=False)


@pytest.fixture
def polls(monkeypatch) -> list[int]:
    """Connections the connection layer asked imports.sync.schedule_poll to poll now (recorded, then
    passed on to the real schedule_poll once there is one)."""
    calls: list[int] = []
    try:
        from slotwise.imports.sync import schedule_poll as real
    except ImportError:
        real = None

    def record(connection, *, due_at):
        calls.append(connection.pk)
        if real is not None:
            real(connection, due_at=due_at)

    fake_sync(monkeypatch, schedule_poll=record)
    return calls
