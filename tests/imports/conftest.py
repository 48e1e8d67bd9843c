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
