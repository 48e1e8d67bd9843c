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
    """Put `functions` in place of engineer "sync"'s imports.sync (delete_synced, handle_webhook), for tests
    of the connection layer that check what it hands over; sync's own tests cover what those do."""
    import slotwise.imports

    fake = types.ModuleType("slotwise.imports.sync")
    for name, fn in functions.items():
        setattr(fake, name, fn)
    monkeypatch.setitem(sys.modules, "slotwise.imports.sync", fake)
    monkeypatch.setattr(slotwise.imports, "sync", fake, raising=False)
