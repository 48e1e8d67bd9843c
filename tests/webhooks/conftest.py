import pytest

from tests import factories
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def org(db):
    a = factories.org("acme")
    admin = factories.host(a, "alice", role="owner", email="alice@acme.test")
    member = factories.host(a, "bob", email="bob@acme.test")
    return type(
        "Org",
        (),
        dict(
            a=a,
            admin=admin,
            member=member,
            et=factories.event_type(admin, slug="intro", name="Intro call"),
            bob_et=factories.event_type(member, slug="bobs", name="Bob's call"),
        ),
    )
