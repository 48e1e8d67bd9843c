import pytest

from tests import factories


@pytest.fixture
def acme(db):
    """Ana hosts a 30-minute intro in Europe/Berlin, Mon-Fri 09:00-17:00."""
    org = factories.org("acme", name="Acme")
    ana = factories.host(org, "ana", tz="Europe/Berlin", email="ana@acme.test")
    intro = factories.event_type(ana, slug="intro", name="Intro call", duration_minutes=30, increment_minutes=30,
                                 description="We talk about your project.")
    return {"org": org, "ana": ana, "intro": intro}
